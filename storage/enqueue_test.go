package storage_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// Concurrent Enqueue calls share commits: each returns once its own
// messages are stored, and a message the database refuses (a kind longer
// than its column, which PostgreSQL enforces) fails its own call alone.
func TestEnqueueConcurrent(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		const callers = 60
		refused := handoff.OutboxMessage{Kind: strings.Repeat("k", 41), LeadID: callers}
		errs := make([]error, callers+1)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range callers + 1 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				msgs := []handoff.OutboxMessage{
					{Kind: handoff.OutboxPrivate, LeadID: int64(i), Payload: fmt.Sprintf(`{"user":"U%d"}`, i)},
					{Kind: handoff.OutboxDirect, LeadID: int64(i), Payload: fmt.Sprintf(`{"user":"U%d"}`, i)},
				}
				if i == callers {
					msgs = []handoff.OutboxMessage{refused}
				}
				errs[i] = s.Enqueue(ctx, t0, msgs...)
			}()
		}
		close(start)
		wg.Wait()
		for i := range callers {
			if errs[i] != nil {
				t.Fatalf("caller %d: %v", i, errs[i])
			}
			msgs, err := s.OutboxMessages(ctx, int64(i))
			if err != nil {
				t.Fatal(err)
			}
			if len(msgs) != 2 || msgs[0].Kind != handoff.OutboxPrivate || msgs[1].Kind != handoff.OutboxDirect ||
				msgs[0].Payload != fmt.Sprintf(`{"user":"U%d"}`, i) || msgs[0].Status != storage.OutboxPending || !msgs[0].Created.Equal(t0) {
				t.Fatalf("caller %d's messages = %+v", i, msgs)
			}
		}
		stored, err := s.OutboxMessages(ctx, callers)
		if err != nil {
			t.Fatal(err)
		}
		if s.Dialect() == storage.DialectPostgres {
			if errs[callers] == nil || len(stored) != 0 {
				t.Fatalf("refused message: err %v, stored %+v; want its call alone to fail", errs[callers], stored)
			}
		} else if errs[callers] != nil || len(stored) != 1 {
			t.Fatalf("long kind on SQLite: err %v, stored %+v; want it stored", errs[callers], stored)
		}
		if err := s.Enqueue(ctx, t0); err != nil {
			t.Fatalf("enqueue of nothing = %v", err)
		}
	})
}
