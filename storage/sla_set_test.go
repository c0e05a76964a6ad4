package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// When Handoff last set a lead's SLA deadlines (sla_set_ms, Lead.SLASetAt)
// is written by every path that sets one and read back with the lead: an
// intake batch's new SQL, an old SQL imported (set at the import, not at
// its date), a claim (the store's one conditional UPDATE: the reminder
// acts once claimed), a release (the claim deadline acts again), a tick
// that moves an excused claim deadline on without firing; a CRM's update
// since leaves it. A row stored before the column was kept reads nil
// (the clock judges it by updated_ms) until a deadline is set again.
func TestSLASetAtRoundTrip(t *testing.T) {
	policy := handoff.DefaultPolicy()
	policy.RemindBefore = []time.Duration{12 * time.Hour}
	excused := policy
	excused.ExcuseSystemDelay = true
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	h := func(n float64) time.Time { return t0.Add(time.Duration(n * float64(time.Hour))) }
	weekAgo := t0.Add(-7 * 24 * time.Hour)
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		res, errs, err := s.SaveLeads(ctx, []handoff.LeadInput{{ExternalID: "a", Email: "a@x.dk", Stage: handoff.StageSQL},
			{ExternalID: "c", Email: "c@x.dk", Stage: handoff.StageSQL}}, policy, t0, handoff.ActorAPI)
		if err != nil || errs[0] != nil || errs[1] != nil {
			t.Fatal(err, errs)
		}
		a := res[0].Lead.ID
		save := func(in handoff.LeadInput, now time.Time) {
			t.Helper()
			if _, err := s.SaveLead(ctx, in, policy, now, handoff.ActorImport); err != nil {
				t.Fatal(err)
			}
		}
		claim := func(at time.Time) {
			t.Helper()
			if _, won, err := s.ClaimLead(ctx, a, handoff.Owner{Platform: "slack", UserID: "U1"}, at, handoff.Policy{}, "slack:U1"); err != nil || !won {
				t.Fatal(won, err)
			}
		}
		for _, c := range []struct {
			name string
			do   func()
			id   string
			want *time.Time
		}{
			{"new SQL, an intake batch", func() {}, "a", &t0},
			{"an old SQL imported", func() {
				save(handoff.LeadInput{ExternalID: "b", Email: "b@x.dk", Stage: handoff.StageSQL, OccurredAt: &weekAgo}, t0)
			}, "b", &t0},
			{"updated by a CRM", func() { save(handoff.LeadInput{ExternalID: "a", Name: "Ann Berg"}, h(0.5)) }, "a", &t0},
			{"claimed", func() { claim(h(1)) }, "a", ptrTime(h(1))},
			{"an excused claim deadline moved on at a tick", func() {
				if _, _, err := s.FireSLA(ctx, h(2.5), excused, 100); err != nil {
					t.Fatal(err)
				}
			}, "c", ptrTime(h(2.5))},
			{"released", func() {
				if _, err := s.UpdateLead(ctx, a, h(3), func(l *handoff.Lead) (handoff.LeadChange, error) {
					return handoff.NewChange(l, l.Release(h(3), "slack:U1", nil)), nil
				}); err != nil {
					t.Fatal(err)
				}
			}, "a", ptrTime(h(3))},
			{"stored before the column was kept", func() {
				if err := s.Exec(ctx, "ALTER TABLE leads DROP COLUMN sla_set_ms"); err != nil {
					t.Fatal(err)
				}
				if err := s.Migrate(ctx); err != nil {
					t.Fatal(err)
				}
			}, "c", nil},
			{"claimed after the upgrade", func() { claim(h(4)) }, "a", ptrTime(h(4))},
		} {
			c.do()
			l, err := s.LeadByExternalID(ctx, c.id)
			if err != nil {
				t.Fatal(err)
			}
			if got := l.SLASetAt; (got == nil) != (c.want == nil) || got != nil && !got.Equal(*c.want) {
				t.Errorf("%s: lead %s's SLA deadlines set at %v, want %v", c.name, c.id, got, c.want)
			}
		}
	})
}
