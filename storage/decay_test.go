package storage_test

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// A lead's score decays without the lead changing: when its oldest scored
// activity passes the decay, the scheduler's RescoreDecayed (finding due
// leads by next_decay_ms) lowers the stored score and its explanation,
// refreshes its card and stores the next boundary, and never moves the
// lead back.
func TestRescoreDecayed(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		day := 24 * time.Hour
		policy := handoff.DefaultPolicy()
		policy.Scoring = &handoff.Scoring{MQLAt: 40, SQLAt: 70, Decay: 30 * day,
			Implicit: []handoff.ImplicitRule{
				{Activity: "demo_request", Points: 50},
				{Activity: "page_view", URLMatches: regexp.MustCompile(`/pricing`), Points: 20},
			}}
		if _, err := s.SaveLead(ctx, input(t, map[string]any{"external_id": "decay-1", "company": "Acme"}), policy, t0, handoff.ActorAPI); err != nil {
			t.Fatal(err)
		}
		acts := []handoff.Activity{
			{Type: "demo_request", OccurredAt: t0.Add(-29 * day)},
			{Type: "page_view", URL: "https://x.dk/pricing", OccurredAt: t0.Add(-time.Hour)},
			{Type: "page_view", URL: "https://x.dk/blog", OccurredAt: t0.Add(-28 * day)}, // scores nothing
		}
		res, err := s.SaveActivities(ctx, "decay-1", acts, policy, t0)
		if err != nil {
			t.Fatal(err)
		}
		id := res.Lead.ID
		lead := func() *handoff.Lead {
			l, err := s.Lead(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			return l
		}
		if l := lead(); l.Score != 70 || l.Stage != handoff.StageSQL || l.NextDecayAt == nil || !l.NextDecayAt.Equal(t0.Add(day)) {
			t.Fatalf("after activities: score %d, stage %s, next decay %v; want 70, sql, %s", l.Score, l.Stage, l.NextDecayAt, t0.Add(day))
		}
		refreshes := func() int {
			msgs, err := s.OutboxMessages(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, m := range msgs {
				if m.Kind == handoff.OutboxRefreshLead {
					n++
				}
			}
			return n
		}
		before := refreshes()
		steps := []struct {
			name      string
			at        time.Time
			wantSeen  int
			wantScore int
			wantNext  time.Time // zero: none
		}{
			{"BeforeTheBoundary", t0.Add(day - time.Millisecond), 0, 70, t0.Add(day)},
			{"DemoDecays", t0.Add(day), 1, 20, t0.Add(30*day - time.Hour)},
			{"NothingMoreDue", t0.Add(2 * day), 0, 20, t0.Add(30*day - time.Hour)},
			{"PricingDecays", t0.Add(30*day - time.Hour), 1, 0, time.Time{}},
		}
		for i, st := range steps {
			seen, parked, err := s.RescoreDecayed(ctx, st.at, policy, 100)
			if err != nil || len(parked) > 0 || seen != st.wantSeen {
				t.Fatalf("%s: RescoreDecayed = %d, %v, %v; want %d", st.name, seen, parked, err, st.wantSeen)
			}
			l := lead()
			if l.Score != st.wantScore || l.Stage != handoff.StageSQL {
				t.Fatalf("%s: score %d, stage %s; want %d and still sql", st.name, l.Score, l.Stage, st.wantScore)
			}
			if (l.NextDecayAt == nil) != st.wantNext.IsZero() || (l.NextDecayAt != nil && !l.NextDecayAt.Equal(st.wantNext)) {
				t.Fatalf("%s: next decay %v, want %v", st.name, l.NextDecayAt, st.wantNext)
			}
			next, ok, err := s.NextDecayDue(ctx)
			if err != nil || ok == st.wantNext.IsZero() || (ok && !next.Equal(st.wantNext)) {
				t.Fatalf("%s: NextDecayDue = %s, %v, %v; want %v", st.name, next, ok, err, st.wantNext)
			}
			if i == 1 && (l.ScoreReasons != "page_view /pricing ×1 +20" || refreshes() != before+1 || !l.UpdatedAt.Equal(t0)) {
				t.Fatalf("after decay: reasons %q, refreshes %d (before %d), updated %s; want the card refreshed, the lead unchanged",
					l.ScoreReasons, refreshes(), before, l.UpdatedAt)
			}
		}
	})
}

// Without scoring in the agreement (it was removed), due boundaries are
// cleared, so the scheduler does not wake for them again.
func TestRescoreDecayedWithoutScoring(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		policy := handoff.DefaultPolicy()
		policy.Scoring = &handoff.Scoring{MQLAt: 40, SQLAt: 70, Decay: time.Hour, Implicit: []handoff.ImplicitRule{{Activity: "demo_request", Points: 50}}}
		if _, err := s.SaveLead(ctx, input(t, map[string]any{"external_id": "decay-2", "stage": "lead"}), policy, t0, handoff.ActorAPI); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SaveActivities(ctx, "decay-2", []handoff.Activity{{Type: "demo_request", OccurredAt: t0}}, policy, t0); err != nil {
			t.Fatal(err)
		}
		if _, ok, _ := s.NextDecayDue(ctx); !ok {
			t.Fatal("no decay boundary stored")
		}
		if seen, _, err := s.RescoreDecayed(ctx, t0.Add(2*time.Hour), handoff.DefaultPolicy(), 100); err != nil || seen != 1 {
			t.Fatalf("RescoreDecayed = %d, %v", seen, err)
		}
		if next, ok, err := s.NextDecayDue(ctx); ok || err != nil {
			t.Fatalf("boundary left at %s (%v)", next, err)
		}
		l, _ := s.LeadByExternalID(ctx, "decay-2")
		if l.Stage != handoff.StageMQL || l.Score != 50 {
			t.Fatalf("lead = %s %d, want the mql it became, untouched", l.Stage, l.Score)
		}
	})
}
