package storage_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestReleaseKeepsTheExcusedClaimDeadline: under sla.excuse_system_delay
// an SQL whose card never reached chat has its passed claim deadline moved
// on, by the SLA clock's tick or by a claim before that tick; claimed and
// released in the same SQL cycle, it keeps the deadline the clock held it
// to at the claim. A release restarts nothing, and the deadline is the
// same in the store (claim_due_ms), in /sla's reading (OpenSQLs, which
// lists the lead as unclaimed, not breached, held to it) and on the SLA
// clock (no escalation at the release, none from the clock's next tick
// before it, and the same deadline after). Once that deadline passes with
// the card still not shown, the clock moves it on again, and /sla reads
// the same deadline the tick then stores.
func TestReleaseKeepsTheExcusedClaimDeadline(t *testing.T) {
	p := handoff.DefaultPolicy()
	p.ExcuseSystemDelay = true
	sqlAt := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	due := p.ClaimDue(sqlAt)
	cases := []struct {
		name    string
		tick    bool // the clock's tick moves the deadline before the claim
		claimAt time.Time
	}{
		{"moved by the clock's tick", true, due.Add(30 * time.Minute)},
		{"moved by the claim", false, due.Add(30 * time.Minute)},
	}
	rep := handoff.Owner{Platform: "slack", UserID: "U1"}
	for _, d := range storagetest.Dialects {
		for i, c := range cases {
			t.Run(d+"/"+c.name, func(t *testing.T) {
				ctx := context.Background()
				s := storagetest.Open(t, d)
				score := 80
				res, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: fmt.Sprint("excused-release-", i), Company: "Acme", Name: "Ann", Score: &score},
					p, sqlAt, handoff.ActorAPI)
				if err != nil {
					t.Fatal(err)
				}
				id := res.Lead.ID
				held := p.ClaimDue(c.claimAt) // moved by the claim: the window from the claim
				if c.tick {
					tickAt := due.Add(time.Minute)
					if fired, _, err := s.FireSLA(ctx, tickAt, p, 100); err != nil || len(fired) != 0 {
						t.Fatalf("the clock's tick at the deadline fired %v (%v), want nothing: the card was never shown", fired, err)
					}
					held = p.ClaimDue(tickAt) // moved by the tick
				}
				if _, won, err := s.ClaimLead(ctx, id, rep, c.claimAt, p, "slack:U1"); err != nil || !won {
					t.Fatalf("claim won %v, err %v", won, err)
				}
				releaseAt := c.claimAt.Add(15 * time.Minute)
				if _, err := s.UpdateLead(ctx, id, releaseAt, func(l *handoff.Lead) (handoff.LeadChange, error) {
					return handoff.NewChange(l, l.Release(releaseAt, "slack:U1", nil)), nil
				}); err != nil {
					t.Fatal(err)
				}
				agree := func(at, want time.Time, why string) {
					t.Helper()
					stored, err := s.Lead(ctx, id)
					if err != nil {
						t.Fatal(err)
					}
					if stored.Stage != handoff.StageSQL || stored.SLABreached || stored.ClaimDueAt == nil || !stored.ClaimDueAt.Equal(want) {
						t.Errorf("%s: stored %s, breached %v, claim due %v; want sql, not breached, due %s", why, stored.Stage, stored.SLABreached, stored.ClaimDueAt, want)
					}
					clock := *stored // its pointers are never written through, only replaced
					if actions := clock.TickSLA(at, p); len(actions) != 0 || clock.ClaimDueAt == nil || !clock.ClaimDueAt.Equal(want) {
						t.Errorf("%s: the clock at %s holds it to %v (actions %v), want %s and nothing to fire", why, at, clock.ClaimDueAt, actions, want)
					}
					open, err := s.OpenSQLs(ctx, at, p, 0)
					if err != nil {
						t.Fatal(err)
					}
					if len(open.Unclaimed) != 1 || len(open.Breached) != 0 || open.Unclaimed[0].ID != id {
						t.Fatalf("%s: /sla lists %d unclaimed and %d breached, want the lead unclaimed", why, len(open.Unclaimed), len(open.Breached))
					}
					if got := open.Unclaimed[0].ClaimDueAtNow(at, p); got == nil || !got.Equal(want) {
						t.Errorf("%s: /sla reads the claim deadline %v, want %s", why, got, want)
					}
				}
				agree(releaseAt, held, "at the release")
				if fired, _, err := s.FireSLA(ctx, releaseAt, p, 100); err != nil || len(fired) != 0 {
					t.Fatalf("the clock's tick at the release fired %v (%v), want nothing", fired, err)
				}
				agree(releaseAt, held, "after the clock's tick at the release")
				// The kept deadline passes, the card still not shown: the
				// clock moves it on as for any such SQL, and /sla reads that.
				later := held.Add(time.Minute)
				if fired, _, err := s.FireSLA(ctx, later, p, 100); err != nil || len(fired) != 0 {
					t.Fatalf("the clock's tick past the kept deadline fired %v (%v), want nothing: the card was never shown", fired, err)
				}
				agree(later, p.ClaimDue(later), "after the kept deadline passed")
			})
		}
	}
}
