package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// When a lead entered its stage (stage_ms) is written by every path that
// moves it and read back with it: an intake batch's new lead, a claim (the
// store's one conditional UPDATE), a CRM's late loss (dated by the CRM),
// an SLA release; an attribute changed later leaves it.
func TestStageAtRoundTrip(t *testing.T) {
	policy := handoff.DefaultPolicy()
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	lostAt := t0.Add(2 * time.Hour)
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		read := func(id string) *handoff.Lead {
			t.Helper()
			l, err := s.LeadByExternalID(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			return l
		}
		save := func(in handoff.LeadInput, now time.Time) {
			t.Helper()
			if _, err := s.SaveLead(ctx, in, policy, now, handoff.ActorHubSpot); err != nil {
				t.Fatal(err)
			}
		}
		res, errs, err := s.SaveLeads(ctx, []handoff.LeadInput{{ExternalID: "s1", Email: "s1@x.dk", Stage: handoff.StageSQL},
			{ExternalID: "s2", Email: "s2@x.dk", Stage: handoff.StageSQL}}, policy, t0, handoff.ActorAPI)
		if err != nil || errs[0] != nil || errs[1] != nil {
			t.Fatal(err, errs)
		}
		for _, c := range []struct {
			name string
			do   func()
			id   string
			want time.Time
		}{
			{"new lead, an intake batch", func() {}, "s1", t0},
			{"claimed", func() {
				if _, won, err := s.ClaimLead(ctx, res[0].Lead.ID, handoff.Owner{Platform: "slack", UserID: "U1"}, t0.Add(time.Hour), handoff.Policy{}, "slack:U1"); err != nil || !won {
					t.Fatal(won, err)
				}
			}, "s1", t0.Add(time.Hour)},
			{"a CRM's loss heard late", func() {
				save(handoff.LeadInput{ExternalID: "s1", Stage: handoff.StageLost, Reason: "budget", ChangedAt: &lostAt}, t0.Add(5*time.Hour))
			}, "s1", lostAt},
			{"an attribute changed since", func() {
				save(handoff.LeadInput{ExternalID: "s1", Attributes: map[string]any{"plan": "pro"}}, t0.Add(6*time.Hour))
			}, "s1", lostAt},
			{"released", func() {
				if _, won, err := s.ClaimLead(ctx, res[1].Lead.ID, handoff.Owner{Platform: "slack", UserID: "U2"}, t0.Add(time.Hour), handoff.Policy{}, "slack:U2"); err != nil || !won {
					t.Fatal(won, err)
				}
				if _, err := s.UpdateLead(ctx, res[1].Lead.ID, t0.Add(3*time.Hour), func(l *handoff.Lead) (handoff.LeadChange, error) {
					return handoff.NewChange(l, l.Release(t0.Add(3*time.Hour), "slack:U2", nil)), nil
				}); err != nil {
					t.Fatal(err)
				}
			}, "s2", t0.Add(3 * time.Hour)},
		} {
			c.do()
			if l := read(c.id); l.StageAt == nil || !l.StageAt.Equal(c.want) {
				t.Errorf("%s: %s at %v, want %s", c.name, l.Stage, l.StageAt, c.want)
			}
		}
	})
}
