package storage_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// groupLog records the groups a store's committers report
// (Options.OnGroupCommit), which they may do concurrently.
type groupLog struct {
	mu     sync.Mutex
	groups []storage.GroupCommit
}

func (l *groupLog) observe(g storage.GroupCommit) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.groups = append(l.groups, g)
}

// writes sums the groups' sizes per committer.
func (l *groupLog) writes() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	sums := map[string]int{}
	for _, g := range l.groups {
		sums[g.Committer] += g.Size
	}
	return sums
}

// Every write a group committer takes is reported in exactly one group:
// intake saves, outbox inserts and claims made by several goroutines at
// once add up, per committer, to the writes made (all on SQLite's one
// writer; on PostgreSQL each kind on a committer of its own). The store is
// closed before the groups are counted, so every committer has reported
// its last group, whenever it answered its callers.
func TestGroupCommitsObserved(t *testing.T) {
	const goroutines, each = 8, 10
	for _, tc := range []struct {
		dialect string
		want    map[string]int
	}{
		{storage.DialectSQLite, map[string]int{storage.CommitterSQLite: 3 * goroutines * each}},
		{storage.DialectPostgres, map[string]int{storage.CommitterIntake: goroutines * each,
			storage.CommitterOutbox: goroutines * each, storage.CommitterClaims: goroutines * each}},
	} {
		t.Run(tc.dialect, func(t *testing.T) {
			var log groupLog
			s := storagetest.OpenWith(t, tc.dialect, storage.Options{OnGroupCommit: log.observe})
			ctx := context.Background()
			var wg sync.WaitGroup
			errs := make(chan error, goroutines)
			start := make(chan struct{})
			for g := range goroutines {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					errs <- writeLeads(ctx, s, g, each)
				}()
			}
			close(start)
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			got := log.writes()
			t.Logf("%d writes in %d groups", 3*goroutines*each, len(log.groups))
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("writes per committer in the reported groups = %v, want %v", got, tc.want)
			}
			for _, g := range log.groups {
				if g.Failed || g.Size < 1 || g.Took <= 0 {
					t.Errorf("group %+v: want a successful group of at least one write that took some time", g)
				}
			}
		})
	}
}

// writeLeads saves n new SQLs as caller g, queues an outbox message for
// each and claims it: 3n writes.
func writeLeads(ctx context.Context, s *storage.Store, g, n int) error {
	for i := range n {
		raw := map[string]any{"external_id": fmt.Sprintf("g%d-%d", g, i), "stage": "sql", "company": "Acme"}
		in, err := handoff.ParseLeadInput(raw, t0)
		if err != nil {
			return err
		}
		res, err := s.SaveLead(ctx, in, handoff.DefaultPolicy(), t0, handoff.ActorAPI)
		if err != nil {
			return err
		}
		msg := handoff.OutboxMessage{Kind: handoff.OutboxPrivate, LeadID: res.Lead.ID, Payload: fmt.Sprintf(`{"user":"U%d"}`, g)}
		if err := s.Enqueue(ctx, t0, msg); err != nil {
			return err
		}
		owner := handoff.Owner{Platform: "slack", UserID: fmt.Sprintf("U%d", g)}
		if _, won, err := s.ClaimLead(ctx, res.Lead.ID, owner, t0.Add(time.Minute), handoff.Policy{}, "slack:"+owner.UserID); err != nil || !won {
			return fmt.Errorf("claim of lead %d: won %v, %v", res.Lead.ID, won, err)
		}
	}
	return nil
}

// A group whose shared transaction fails is reported as failed, once, on
// every committer of both dialects.
func TestFailedGroupCommitObserved(t *testing.T) {
	for _, tc := range []struct{ dialect, committer string }{
		{storage.DialectSQLite, storage.CommitterSQLite},
		{storage.DialectPostgres, storage.CommitterIntake},
		{storage.DialectPostgres, storage.CommitterOutbox},
		{storage.DialectPostgres, storage.CommitterClaims},
	} {
		t.Run(tc.dialect+"/"+tc.committer, func(t *testing.T) {
			var log groupLog
			s := storagetest.OpenWith(t, tc.dialect, storage.Options{OnGroupCommit: log.observe})
			if err := s.FailInCommitter(context.Background(), tc.committer); err == nil {
				t.Fatal("a write that failed its group's transaction returned no error")
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if len(log.groups) != 1 {
				t.Fatalf("reported groups %+v, want one", log.groups)
			}
			if g := log.groups[0]; g.Committer != tc.committer || g.Size != 1 || !g.Failed {
				t.Errorf("reported group %+v, want a failed group of 1 on %s", g, tc.committer)
			}
		})
	}
}
