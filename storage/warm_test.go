package storage_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// Warm opens the whole pool before the first request and leaves its
// connections idle in the pool, ready: afterwards a read finds a lead
// saved since, and a warmed store serves reads on every connection.
func TestWarmOpensThePool(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			s := storagetest.OpenWith(t, dialect, storage.Options{MaxConns: 3})
			if readers, _, _ := s.OpenConns(); readers >= 3 {
				t.Fatalf("%d reader connections open before Warm; the test cannot tell", readers)
			}
			if err := s.Warm(ctx); err != nil {
				t.Fatal(err)
			}
			readers, idle, writers := s.OpenConns()
			if readers != 3 || idle != 3 || writers < 1 {
				t.Fatalf("after Warm: %d reader connections (%d idle) and %d writer connections; want 3 (3 idle) and at least 1", readers, idle, writers)
			}
			lead := saveSQL(t, s, "warm", "Acme", time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
			if got, err := s.Lead(ctx, lead.ID); err != nil || got == nil {
				t.Fatalf("a lead saved after Warm: %v, %v", got, err)
			}
		})
	}
}

// Warm before Migrate fails: there are no leads to read, and the caller
// learns so instead of a pool that looks ready. A cancelled context stops it.
func TestWarmFails(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			s, err := storage.Open(ctx, storagetest.URL(t, dialect), storage.Options{MaxConns: 2})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			if err := s.Warm(ctx); err == nil {
				t.Fatal("Warm before Migrate succeeded")
			}
			if err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			cancelled, cancel := context.WithCancel(ctx)
			cancel()
			if err := s.Warm(cancelled); !errors.Is(err, context.Canceled) {
				t.Fatalf("Warm with a cancelled context: %v", err)
			}
		})
	}
}

// Warm claims a lead on the claims committer's connection, so that the
// first click's batch finds every statement of a claim run there before,
// and rolls it all back: no lead, event, outbox message or rollup row
// stays, and claims afterwards are claimed as before.
func TestWarmReadiesTheClaims(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			s := warmedStore(t, dialect)
			if n := s.WarmedClaims(); n != 1 {
				t.Fatalf("Warm won %d claims; want 1, on the claims committer", n)
			}
			tables := []string{"leads", "lead_events", "outbox", "funnel_days", "funnel_lead_days", "funnel_waits", "routing_facts", "routing_days"}
			rows, err := s.TableRows(ctx, tables...)
			if err != nil {
				t.Fatal(err)
			}
			for _, table := range tables {
				if rows[table] != 0 {
					t.Errorf("after Warm %s holds %d rows; want none", table, rows[table])
				}
			}
			at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
			lead := saveSQL(t, s, "after-warm", "Acme", at)
			got, won, err := s.ClaimLead(ctx, lead.ID, handoff.Owner{Platform: "slack", UserID: "U1"}, at.Add(time.Minute), handoff.Policy{}, "slack:U1")
			if err != nil || !won || got.Stage != handoff.StageClaimed {
				t.Fatalf("a claim after Warm: %+v, won %v, %v", got, won, err)
			}
		})
	}
}

// A claim does not wait for a connection of the readers' pool: while a
// burst of clicks holds every reader connection for its reads, the claims
// those reads queued still commit (on PostgreSQL on the claims
// committer's own connection, on SQLite on the writer's).
func TestClaimsDoNotWaitForReaders(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			s := warmedStore(t, dialect)
			at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
			lead := saveSQL(t, s, "held", "Acme", at)
			release, err := s.HoldReaders(ctx)
			if err != nil {
				t.Fatal(err)
			}
			type outcome struct {
				won bool
				err error
			}
			done := make(chan outcome, 1)
			go func() {
				_, won, err := s.ClaimLead(ctx, lead.ID, handoff.Owner{Platform: "slack", UserID: "U1"}, at.Add(time.Minute), handoff.Policy{}, "slack:U1")
				done <- outcome{won, err}
			}()
			var o outcome
			select {
			case o = <-done:
				release()
			case <-time.After(time.Minute): // only a claim waiting for the held readers gets here
				release()
				<-done
				t.Fatal("the claim waited for a reader connection")
			}
			if o.err != nil || !o.won {
				t.Fatalf("claim while the readers are held: won %v, %v", o.won, o.err)
			}
		})
	}
}

// warmedStore is a store of the dialect with a pool of two readers, warmed.
func warmedStore(t *testing.T, dialect string) *storage.Store {
	t.Helper()
	s := storagetest.OpenWith(t, dialect, storage.Options{MaxConns: 2})
	if err := s.Warm(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}
