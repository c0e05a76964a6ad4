package storage_test

import (
	"context"
	"testing"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// A median from the histogram of the waits reads the histogram and then
// the middle bucket's waits; both reads see one snapshot, so a claim
// committed between them does not change the answer. November's claims
// waited 1,800, 3,600 and 10,800 s; the claim of K after 3,599 s falls in
// the middle bucket below 3,600 s, so a bucket read after it would answer
// 3,599 s where the histogram counted three waits.
func TestRolledUpMedianReadsOneSnapshot(t *testing.T) {
	for _, dialect := range []string{storage.DialectSQLite, storage.DialectPostgres} {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			s, raw := storagetest.OpenRaw(t, dialect)
			buildFunnelLog(t, s)
			p, err := handoff.ParsePeriod("2026-11", funnelNow, copenhagen(t))
			if err != nil {
				t.Fatal(err)
			}
			f := handoff.FunnelFilter{Period: p, Now: funnelNow}
			before, err := s.FunnelCounts(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			if before.MedianClaimMs == nil {
				t.Fatal("no median time to claim in November")
			}
			var k int64
			if err := raw.QueryRowContext(ctx, "SELECT id FROM leads WHERE external_id = 'K'").Scan(&k); err != nil {
				t.Fatal(err)
			}
			claimed := false
			s.SetBetweenMedianReads(func(kind string) {
				if kind != "claim" || claimed {
					return
				}
				claimed = true
				owner := handoff.Owner{Platform: "slack", UserID: "U9"}
				if _, won, err := s.ClaimLead(ctx, k, owner, utc(t, "2026-11-20T09:29:59Z"), "slack:U9"); err != nil || !won {
					t.Errorf("claim K: won %v, %v", won, err)
				}
			})
			during, err := s.FunnelCounts(ctx, f)
			if err != nil {
				t.Fatalf("funnel with a claim between the median's reads: %v", err)
			}
			if !claimed {
				t.Fatal("the median did not read from the histogram")
			}
			if during.MedianClaimMs == nil || *during.MedianClaimMs != *before.MedianClaimMs {
				t.Fatalf("median time to claim = %v, want %v as the snapshot had it", fmtMs(during.MedianClaimMs), *before.MedianClaimMs)
			}
		})
	}
}

func fmtMs(m *float64) any {
	if m == nil {
		return "none"
	}
	return *m
}
