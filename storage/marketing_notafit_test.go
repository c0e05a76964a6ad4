package storage_test

import (
	"context"
	"testing"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestNotAFitCountsEachLeadOnce returns one lead as not a fit twice in
// November, for two reasons (marketing sent it back as an SQL in
// between): the campaign's not-a-fit count is one lead, as its recycled
// count is, never more returned as not a fit than returned at all.
func TestNotAFitCountsEachLeadOnce(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		l := funnelLog{t: t, s: s, policy: funnelPolicy(t)}
		notAFit := func(id, reason, at string) {
			t.Helper()
			lead, err := s.LeadByExternalID(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			when := utc(t, at)
			if _, err := s.UpdateLead(ctx, lead.ID, when, func(ld *handoff.Lead) (handoff.LeadChange, error) {
				plan, err := handoff.PlanTransition(ld.Stage, ld.Reached, handoff.StageRecycled)
				if err != nil {
					return handoff.LeadChange{}, err
				}
				return handoff.NewChange(ld, ld.EnterStages(plan, when, "slack:U9", l.policy.ReasonDetails(reason, "", true), l.policy)), nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		l.move("N", "sql", "2026-11-02T09:00:00Z", map[string]any{"source": "ads", "campaign": "q4"})
		notAFit("N", "no need", "2026-11-03T09:00:00Z")
		l.move("N", "sql", "2026-11-09T09:00:00Z", nil)
		notAFit("N", "no budget", "2026-11-10T09:00:00Z")

		p, err := handoff.ParsePeriod("2026-11", funnelNow, copenhagen(t))
		if err != nil {
			t.Fatal(err)
		}
		f := handoff.FunnelFilter{Period: p, Now: funnelNow}
		for name, count := range map[string]func(context.Context, handoff.FunnelFilter) (handoff.FunnelCounts, error){
			"rollup": s.FunnelCounts, "events": s.FunnelCountsFromEvents,
		} {
			c, err := count(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			if len(c.ByCampaign) != 1 {
				t.Fatalf("%s: by campaign = %+v, want ads / q4 alone", name, c.ByCampaign)
			}
			got := c.ByCampaign[0]
			if got.SQLs != 1 || got.Recycled != 1 || got.NotAFit != 1 {
				t.Errorf("%s: ads / q4 SQLs %d, recycled %d, not a fit %d; want the one lead in each", name, got.SQLs, got.Recycled, got.NotAFit)
			}
			if len(got.TopReasons) != 2 {
				t.Errorf("%s: top reasons = %+v, want no need and no budget, once each", name, got.TopReasons)
			}
		}
	})
}
