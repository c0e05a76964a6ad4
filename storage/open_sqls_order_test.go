package storage_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestOpenSQLsOrderUnclaimedAsTheClockHoldsThem: /sla's unclaimed SQLs
// (and the digest's, Home's) come in the order of the claim deadline the
// SLA clock holds each to at now (Lead.ClaimDueAtNow), not the stored one:
// an SQL whose card has not been shown, past its stored deadline, is held
// to the claim window from now, so it comes before an SQL still ahead
// whose deadline, set under an earlier agreement's longer window, is later
// than that, and after one due before it; those the clock holds to the
// same deadline come by SQL time (the longest waiting first). The clock
// ticking at now, which stores the deadlines it holds them to, changes
// nothing of the order.
func TestOpenSQLsOrderUnclaimedAsTheClockHoldsThem(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		p := handoff.DefaultPolicy() // claim within 2 h
		p.ExcuseSystemDelay = true
		longer := p
		longer.ClaimWithin = 4 * time.Hour
		save := func(ext string, at time.Time, p handoff.Policy) {
			t.Helper()
			if _, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: ext, Company: ext, Stage: handoff.StageSQL}, p, at, handoff.ActorAPI); err != nil {
				t.Fatal(err)
			}
		}
		now := t0.Add(3 * time.Hour)                       // the clock holds the unshown to now+2h = t0+5h
		save("unshown", t0, p)                             // stored t0+2h
		save("unshown-earlier", t0.Add(-time.Hour), p)     // stored t0+1h, saved after
		save("longer-window", t0.Add(2*time.Hour), longer) // t0+6h, ahead
		save("fresh", t0.Add(150*time.Minute), p)          // t0+4h30m, ahead
		want := "fresh unshown-earlier unshown longer-window"
		got, err := s.OpenSQLs(ctx, now, p, 0)
		if err != nil {
			t.Fatal(err)
		}
		if ids := externalIDs(got.Unclaimed); ids != want {
			t.Errorf("unclaimed %q, want %q", ids, want)
		}
		// The order is the clock's deadlines' (the SQL time's on a tie).
		sorted := slices.Clone(got.Unclaimed)
		slices.SortStableFunc(sorted, func(a, b *handoff.Lead) int {
			if c := a.ClaimDueAtNow(now, p).Compare(*b.ClaimDueAtNow(now, p)); c != 0 {
				return c
			}
			return a.SQLAt.Compare(*b.SQLAt)
		})
		if ids := externalIDs(sorted); ids != want {
			t.Errorf("by the clock's deadlines %q, want %q", ids, want)
		}
		if _, _, err := s.FireSLA(ctx, now, p, 100); err != nil {
			t.Fatal(err)
		}
		after, err := s.OpenSQLs(ctx, now, p, 0)
		if err != nil {
			t.Fatal(err)
		}
		if ids := externalIDs(after.Unclaimed); ids != want {
			t.Errorf("after the clock's tick: unclaimed %q, want %q", ids, want)
		}
	})
}
