package scheduler_test

import (
	"context"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/metrics"
	"github.com/handoff/handoff/scheduler"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestLagLeavesOutTimersDueBeforeTheirSave: handoff_scheduler_lag_seconds
// counts how late the clock fired a timer after it fell due, which
// HandoffSLATimersLate watches. An SQL saved at t0 but dated a week back
// (as `handoff import --old live` saves an old export's) has both its
// deadlines behind it already: they fire at the first tick and count as
// breaches, but not as the clock's lateness, which would read as weeks.
// An SQL of t0 whose claim deadline the clock fires 3 s late counts, and
// so does one that a CRM updated (its name) after its claim deadline and
// before the late tick: saved since, its deadline was set at t0.
func TestLagLeavesOutTimersDueBeforeTheirSave(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		c := &clock{now: t0}
		m := metrics.New(nil)
		sch, err := scheduler.New(scheduler.Config{Store: s, Policy: policy(), Now: c.Now, Logger: quiet(), Holder: "a", Metrics: m})
		if err != nil {
			t.Fatal(err)
		}
		saveSQL(t, s, "on-time", t0)
		saveSQL(t, s, "touched", t0)
		in, err := handoff.ParseLeadInput(map[string]any{"external_id": "imported", "occurred_at": t0.Add(-7 * 24 * time.Hour).Format(time.RFC3339)}, t0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SaveLead(ctx, in, policy(), t0, handoff.ActorImport); err != nil {
			t.Fatal(err)
		}
		touch, err := handoff.ParseLeadInput(map[string]any{"external_id": "touched", "name": "Ann Berg"}, t0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SaveLead(ctx, touch, policy(), t0.Add(2*time.Hour+time.Second), handoff.ActorHubSpot); err != nil {
			t.Fatal(err)
		}
		c.now = t0.Add(2*time.Hour + 3*time.Second)
		if _, err := sch.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		if got := sample(t, m, `handoff_sla_breaches_total{deadline="claim"}`); got != 3 {
			t.Fatalf("claim breaches %v, want 3 (every lead's)", got)
		}
		if got := sample(t, m, `handoff_sla_breaches_total{deadline="contact"}`); got != 1 {
			t.Fatalf("contact breaches %v, want 1 (the imported lead's)", got)
		}
		if n, sum := sample(t, m, "handoff_scheduler_lag_seconds_count"), sample(t, m, "handoff_scheduler_lag_seconds_sum"); n != 2 || sum != 6 {
			t.Fatalf("lag: %v timers, %v s in all; want the claims of the on-time and touched leads, 3 s late each", n, sum)
		}
	})
}
