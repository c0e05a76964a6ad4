package scheduler_test

import (
	"context"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/scheduler"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// The scheduler wakes at a lead's decay boundary (Tick returns it as the
// next time) and rescores the lead then: its score drops
// although nothing about the lead changed, and it stays an MQL.
func TestTickRescoresAtDecay(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		day := 24 * time.Hour
		p := policy()
		p.Scoring = &handoff.Scoring{MQLAt: 40, SQLAt: 70, Decay: 7 * day,
			Implicit: []handoff.ImplicitRule{{Activity: "demo_request", Points: 45}, {Activity: "email_open", Points: 2}}}
		c := &clock{now: t0}
		sch, err := scheduler.New(scheduler.Config{Store: s, Policy: p, Now: c.Now, Logger: quiet(), Holder: "a"})
		if err != nil {
			t.Fatal(err)
		}
		in, _ := handoff.ParseLeadInput(map[string]any{"external_id": "decays", "stage": "lead"}, t0)
		if _, err := s.SaveLead(ctx, in, p, t0, handoff.ActorAPI); err != nil {
			t.Fatal(err)
		}
		acts := []handoff.Activity{{Type: "demo_request", OccurredAt: t0.Add(-6 * day)}, {Type: "email_open", OccurredAt: t0}}
		if _, err := s.SaveActivities(ctx, "decays", acts, p, t0); err != nil {
			t.Fatal(err)
		}
		next, err := sch.Tick(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := t0.Add(day); next.IsZero() || next.After(want) {
			t.Fatalf("Tick sleeps until %s, past the decay boundary %s", next, want)
		}
		c.now = t0.Add(day)
		if _, err := sch.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		l, err := s.LeadByExternalID(ctx, "decays")
		if err != nil {
			t.Fatal(err)
		}
		if l.Score != 2 || l.Stage != handoff.StageMQL {
			t.Fatalf("after the boundary: score %d, stage %s; want 2 and still mql", l.Score, l.Stage)
		}
	})
}
