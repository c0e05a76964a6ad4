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

// The claims that queue while the committer commits a batch are taken as
// one batch: on PostgreSQL all 200 clicks of a burst (up to 512), so that
// the burst's last clicks wait for one transaction after the first
// click's, not two; on SQLite the writer's groups stay at most 128 writes.
func TestQueuedClaimsCommitAsOneBatch(t *testing.T) {
	want := map[string]int{storage.DialectSQLite: 128, storage.DialectPostgres: 200}
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			s := storagetest.Open(t, dialect)
			at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
			const n = 200
			ids := make([]int64, n)
			for i := range ids {
				in := handoff.LeadInput{ExternalID: fmt.Sprintf("group-%d", i), Company: "Acme", Stage: handoff.StageSQL}
				res, err := s.SaveLead(ctx, in, handoff.DefaultPolicy(), at, handoff.ActorAPI)
				if err != nil {
					t.Fatal(err)
				}
				ids[i] = res.Lead.ID
			}
			took := make(chan int, n+1)
			release := s.HoldClaims(ctx, func(size int) { took <- size })
			won := make(chan error, n)
			for i, id := range ids {
				go func() {
					owner := handoff.Owner{Platform: "slack", UserID: fmt.Sprintf("U%d", i)}
					_, ok, err := s.ClaimLead(ctx, id, owner, at.Add(time.Minute), handoff.Policy{}, "slack:"+owner.UserID)
					if err == nil && !ok {
						err = fmt.Errorf("lead %d: claim lost", id)
					}
					won <- err
				}()
			}
			for {
				queued, capacity := s.QueuedClaims()
				if queued >= min(n, capacity) {
					break
				}
				time.Sleep(time.Millisecond)
			}
			release()
			if size := <-took; size != want[dialect] {
				t.Errorf("the claims queued behind a batch were taken as a group of %d, want %d", size, want[dialect])
			}
			for range ids {
				if err := <-won; err != nil {
					t.Error(err)
				}
			}
		})
	}
}
