package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// An older CRM state that dates a lead's implied stages earlier moves the
// funnel's rollup with them in its transaction: the rollup kept equals
// the one rebuilt from the events, and the funnel read from either
// agrees, with a later re-entry of the stage moved (its predecessor now
// earlier) and the lead won (its first touch now earlier).
func TestEarlierImpliedDatesKeepTheRollup(t *testing.T) {
	at := func(m time.Month, d, h int) time.Time { return time.Date(2026, m, d, h, 0, 0, 0, time.UTC) }
	t1 := at(10, 31, 23) // the older state: mql
	steps := []struct {
		stage  handoff.Stage
		reason string
		at     time.Time
	}{
		{handoff.StageSQL, "", at(11, 1, 10)}, // arrives first: lead and mql implied
		{handoff.StageRecycled, "back to nurture", at(11, 5, 9)},
		{handoff.StageMQL, "", at(11, 6, 9)}, // a re-entry of mql
		{handoff.StageWon, "", at(11, 10, 9)},
	}
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		save := func(stage handoff.Stage, reason string, modified, now time.Time) (handoff.SaveResult, bool) {
			t.Helper()
			in := handoff.LeadInput{ExternalID: "00Q5g00000ABCDeEAP", Name: "Ann Berg", Source: "Web", Stage: stage, Reason: reason,
				ChangedAt: &modified, EarlierImplied: true}
			res, stale, err := s.SaveLeadVersion(ctx, in, handoff.DefaultPolicy(), now, handoff.ActorSalesforce, "salesforce",
				handoff.VersionOf(in, modified))
			if err != nil {
				t.Fatal(err)
			}
			return res, stale
		}
		for _, st := range steps {
			if _, stale := save(st.stage, st.reason, st.at, st.at.Add(time.Minute)); stale {
				t.Fatalf("%s at %s: stale", st.stage, st.at)
			}
		}
		res, stale := save(handoff.StageMQL, "", t1, at(11, 10, 10))
		if !stale || !res.Changed || res.Lead == nil || len(res.Events) != 0 {
			t.Fatalf("older state: stale %v, result %+v; want stale, the lead changed, no events", stale, res)
		}
		evs, err := s.Events(ctx, res.Lead.ID)
		if err != nil {
			t.Fatal(err)
		}
		first := map[handoff.Stage]time.Time{}
		for _, e := range evs {
			if _, ok := first[e.Stage]; !ok {
				first[e.Stage] = e.At
			}
		}
		if !first[handoff.StageLead].Equal(t1) || !first[handoff.StageMQL].Equal(t1) || !first[handoff.StageSQL].Equal(steps[0].at) {
			t.Errorf("first lead, mql, sql at %s, %s, %s; want %s, %s, %s", first[handoff.StageLead], first[handoff.StageMQL],
				first[handoff.StageSQL], t1, t1, steps[0].at)
		}
		h := &rollupHistory{t: t, s: s, now: at(11, 10, 10)}
		for _, p := range [][2]time.Time{
			{at(10, 1, 0), at(11, 1, 0)}, {at(11, 1, 0), at(12, 1, 0)}, {at(10, 1, 0), at(12, 1, 0)},
			{at(10, 31, 12), at(11, 1, 9)}, {at(11, 6, 0), at(11, 7, 0)}, {at(11, 2, 0), at(11, 11, 0)},
		} {
			h.compare("after the older state", handoff.FunnelFilter{Period: handoff.Period{Label: "days", Start: p[0], End: p[1]}, Now: h.now})
		}
		checkRebuild(t, s)
	})
}
