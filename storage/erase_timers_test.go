package storage_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestErasedSQLHasNoTimersLeft: an unclaimed SQL erased before the clock
// ticked (before its claim deadline, after it, after its contact deadline
// too) sends no reminder or escalation afterwards, nor is released: nobody
// could claim it. A deadline that passed before the erasure stays
// breached, one still ahead counts for nobody, and the funnel's rollup
// still equals its rebuild from the events.
func TestErasedSQLHasNoTimersLeft(t *testing.T) {
	p := slaPolicy()
	p.ReleaseOnBreach = true
	tests := []struct {
		name         string
		eraseAt      time.Duration // after the SQL's arrival, no tick before
		wantBreached bool
		wantClaimDue bool // the claim deadline kept
	}{
		{"before its claim deadline", time.Hour, false, false},
		{"after its claim deadline", 3 * time.Hour, true, true},
		{"after its contact deadline", 49 * time.Hour, true, true},
	}
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		ids := saveSQLs(t, s, p, "timers", len(tests), t0)
		for i, tt := range tests {
			if err := s.ForgetLead(ctx, fmt.Sprint("timers-", i), p, t0.Add(tt.eraseAt)); err != nil {
				t.Fatal(err)
			}
		}
		for _, at := range []time.Time{t0.Add(49 * time.Hour), p.ContactDue(t0).Add(time.Hour), t0.AddDate(0, 0, 9)} {
			fired, parked, err := s.FireSLA(ctx, at, p, 100)
			if err != nil || len(parked) > 0 || len(fired) > 0 {
				t.Errorf("the clock at %s fired %+v (parked %v, err %v); want nothing", at, fired, parked, err)
			}
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				l, err := s.Lead(ctx, ids[i])
				if err != nil {
					t.Fatal(err)
				}
				if msgs := slaMessages(t, s, ids[i]); len(msgs) > 0 {
					t.Errorf("queued %v, want nothing", msgs)
				}
				if l.Stage != handoff.StageSQL || l.SLABreached != tt.wantBreached || (l.ClaimDueAt != nil) != tt.wantClaimDue {
					t.Errorf("lead %s, breached %v, claim due %v; want sql, breached %v, claim due kept %v", l.Stage, l.SLABreached, l.ClaimDueAt, tt.wantBreached, tt.wantClaimDue)
				}
			})
		}
		checkRebuild(t, s)
	})
}
