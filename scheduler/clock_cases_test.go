package scheduler_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/scheduler"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// With sla.excuse_system_delay, a chat outage is not counted against the
// reps: an SQL whose card has not reached the channel yet cannot miss its
// claim deadline. Here Slack is down for three hours (claim within 2h):
// the card is shown at +3h and claimed 30 minutes later, well within the
// excused deadline (+5h), yet the clock escalated the claim at +2h, while
// no rep could see the lead, and the lead stays flagged as breached.
func TestExcusedDelayLongerThanClaimWindow(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		p := policy()
		p.ExcuseSystemDelay = true
		c := &clock{now: t0}
		sch, err := scheduler.New(scheduler.Config{Store: s, Policy: p, Now: c.Now, Logger: quiet(), Holder: "a"})
		if err != nil {
			t.Fatal(err)
		}
		in, err := handoff.ParseLeadInput(map[string]any{"external_id": "outage"}, t0)
		if err != nil {
			t.Fatal(err)
		}
		res, err := s.SaveLead(ctx, in, p, t0, handoff.ActorAPI)
		if err != nil {
			t.Fatal(err)
		}
		id := res.Lead.ID
		// Slack is down: the card is not shown; the clock ticks on.
		for _, at := range []time.Duration{time.Hour, 2*time.Hour + time.Second, 2*time.Hour + 30*time.Minute} {
			c.now = t0.Add(at)
			if _, err := sch.Tick(ctx); err != nil {
				t.Fatal(err)
			}
		}
		// Slack is back: the card is shown at +3h, and Ann claims it at +3h30.
		shown := t0.Add(3 * time.Hour)
		if _, err := s.UpdateLead(ctx, id, shown, func(l *handoff.Lead) (handoff.LeadChange, error) {
			l.CardShown(shown, p)
			return handoff.LeadChange{}, nil
		}); err != nil {
			t.Fatal(err)
		}
		c.now = shown.Add(30 * time.Minute)
		if _, won, err := s.ClaimLead(ctx, id, handoff.Owner{Platform: "slack", UserID: "UANN"}, c.now, handoff.Policy{}, "slack:UANN"); err != nil || !won {
			t.Fatalf("claim: %v %v", won, err)
		}
		if _, err := sch.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		l, err := s.Lead(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if got := slaOutbox(t, s, id); len(got) != 0 || l.SLABreached {
			t.Fatalf("card shown at +3h, claimed at +3h30 (excused claim deadline %v): escalations %v, breached %v, claim due %v; want none",
				p.ExcusedClaimDue(t0, shown), got, l.SLABreached, l.ClaimDueAt)
		}
	})
}

// A week's digest goes out once. Moving the digest an hour later on the
// Monday it already went out (the agreement edited, the server restarted)
// sends the managers the same week's digest a second time.
func TestDigestOncePerWeekWhenTheScheduleMoves(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		digests := func() []string {
			msgs, err := s.OutboxMessages(ctx, 0)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, m := range msgs {
				if m.Kind == handoff.OutboxDigest {
					var d handoff.DigestRequest
					if err := json.Unmarshal([]byte(m.Payload), &d); err != nil {
						t.Fatal(err)
					}
					out = append(out, d.Week)
				}
			}
			return out
		}
		run := func(schedule string, at time.Time) {
			t.Helper()
			p := policy()
			p.DigestSchedule = schedule
			sch, err := scheduler.New(scheduler.Config{Store: s, Policy: p, Now: func() time.Time { return at }, Logger: quiet(), Holder: "a"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := sch.Tick(ctx); err != nil {
				t.Fatal(err)
			}
		}
		run("0 8 * * MON", t0)
		run("0 8 * * MON", nextDigest().Add(time.Second))
		run("0 9 * * MON", nextDigest().Add(time.Hour+time.Second))
		if got := digests(); len(got) != 1 {
			t.Fatalf("digests queued = %v, want W47 once", got)
		}
	})
}

// A lead whose personal data was erased (the person asked to be forgotten)
// can no longer be contacted: its owner is not reminded to contact it, the
// managers are not told it was not claimed or contacted in time, and /sla
// does not count it as breached; a deadline that passed before the erasure
// stays breached.
func TestErasedLeadIsNotRemindedNorEscalated(t *testing.T) {
	tests := []struct {
		name     string
		claimAt  time.Duration // 0: never claimed
		eraseAt  time.Duration
		ticks    []time.Duration
		breached int64
	}{
		{"claimed, erased before its contact deadline", time.Hour, 10 * time.Hour, []time.Duration{36 * time.Hour, 47 * time.Hour, 48 * time.Hour}, 0},
		{"never claimed, erased before its claim deadline", 0, time.Hour, []time.Duration{3 * time.Hour, 48 * time.Hour}, 0},
		{"claimed, erased after its contact deadline: the breach stays", time.Hour, 50 * time.Hour, nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			storagetest.Each(t, func(t *testing.T, s *storage.Store) {
				ctx := context.Background()
				c := &clock{now: t0}
				sch := newScheduler(t, s, c, "a")
				lead := saveSQL(t, s, "forget-me", t0)
				if tt.claimAt > 0 {
					if _, won, err := s.ClaimLead(ctx, lead.ID, handoff.Owner{Platform: "slack", UserID: "U1"}, t0.Add(tt.claimAt), handoff.Policy{}, "slack:U1"); err != nil || !won {
						t.Fatalf("claim: %v %v", won, err)
					}
				}
				c.now = t0.Add(tt.eraseAt)
				if err := s.ForgetLead(ctx, "forget-me", policy(), c.now); err != nil {
					t.Fatal(err)
				}
				for _, at := range tt.ticks {
					c.now = t0.Add(at)
					if _, err := sch.Tick(ctx); err != nil {
						t.Fatal(err)
					}
				}
				if got := slaOutbox(t, s, lead.ID); len(got) != 0 {
					t.Fatalf("erased at +%v: SLA messages queued afterwards %v, want none", tt.eraseAt, got)
				}
				week, err := handoff.ParsePeriod("2026-W47", c.now, time.UTC)
				if err != nil {
					t.Fatal(err)
				}
				counts, err := s.FunnelCounts(ctx, handoff.FunnelFilter{Period: week, Now: c.now})
				if err != nil {
					t.Fatal(err)
				}
				if counts.SLABreached != tt.breached {
					t.Fatalf("/sla for the week counts %d breached, want %d", counts.SLABreached, tt.breached)
				}
			})
		})
	}
}
