package main

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/internal/testkit"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// upgraded is a database as the version before stage_ms left it: leads
// without their stage time, the backfill not recorded.
type upgraded struct {
	url   string
	store *storage.Store // a store of its own on it, to read the leads
	raw   *sql.DB
	ids   []int64
	at    []time.Time // when each lead of ids entered its stage
}

// upgradedStore saves n SQLs on a new database of dialect, a minute apart
// up to a minute ago, and clears their stage_ms and the backfill's record.
func upgradedStore(t *testing.T, dialect string, n int) upgraded {
	t.Helper()
	ctx := context.Background()
	u := upgraded{url: storagetest.URL(t, dialect)}
	u.store = storagetest.OpenURL(t, u.url, storage.Options{})
	now := time.Now().UTC().Truncate(time.Millisecond)
	for i := range n {
		at := now.Add(-time.Duration(n-i) * time.Minute)
		in := handoff.LeadInput{ExternalID: fmt.Sprintf("earlier-%d", i), Email: fmt.Sprintf("earlier%d@x.dk", i), Company: "Acme", Stage: handoff.StageSQL}
		res, err := u.store.SaveLead(ctx, in, handoff.DefaultPolicy(), at, handoff.ActorAPI)
		if err != nil {
			t.Fatal(err)
		}
		u.ids, u.at = append(u.ids, res.Lead.ID), append(u.at, at)
	}
	driver := "pgx"
	if dialect == storage.DialectSQLite {
		driver = "sqlite3"
	}
	raw, err := sql.Open(driver, u.url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	u.raw = raw
	for _, q := range []string{"UPDATE leads SET stage_ms = NULL", "DELETE FROM data_migrations WHERE name = 'leads-stage-ms-from-events'"} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return u
}

// dated reports whether the backfill is recorded done, and fails the test
// unless every lead of u has its stage time then (and none before).
func (u upgraded) dated(t *testing.T) bool {
	t.Helper()
	var done int
	if err := u.raw.QueryRow("SELECT COUNT(*) FROM data_migrations WHERE name = 'leads-stage-ms-from-events'").Scan(&done); err != nil {
		t.Fatal(err)
	}
	for i, id := range u.ids {
		l, err := u.store.Lead(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if done > 0 && (l.StageAt == nil || !l.StageAt.Equal(u.at[i])) {
			t.Errorf("lead %d has stage_ms %v, want %v", id, l.StageAt, u.at[i])
		}
	}
	return done > 0
}

// serve starts on a store upgraded from the version before stage_ms and
// answers at once, the backfill running in the background: on PostgreSQL,
// with an earlier lead's row held by another transaction, serve starts (a
// start that waited for the backfill would not) and the backfill waits for
// the row while serve takes a new lead and answers for it; once the
// row is free, every earlier lead has its stage time, the backfill is
// recorded done, and the log says that it started and what it dated.
// SQLite runs the rest but holds no row: its lock is the whole
// database's (one writer connection, transactions begun IMMEDIATE), so
// a held write would hold serve's own writes, the new lead's too, as
// well as the backfill's, and it shows no waiter (no pg_locks) to tell
// that the backfill waits; only its 10 s busy timeout would end the wait.
func TestServeDatesEarlierStageTimesInTheBackground(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			u := upgradedStore(t, dialect, 5)
			var holder *sql.Tx
			var holderPID int
			// A start that waits for the backfill would wait for the
			// held lead: past twice e2ePatience the row is let go, so that the
			// test fails rather than hangs.
			var letGo atomic.Bool
			held := make(chan struct{})
			var keep sync.Once
			defer keep.Do(func() { close(held) })
			if dialect == storage.DialectPostgres {
				var err error
				if holder, err = u.raw.BeginTx(ctx, nil); err != nil {
					t.Fatal(err)
				}
				defer holder.Rollback()
				if err := holder.QueryRow("SELECT pg_backend_pid() FROM leads WHERE id = $1 FOR UPDATE", u.ids[2]).Scan(&holderPID); err != nil {
					t.Fatal(err)
				}
				go func() {
					select {
					case <-held:
					case <-time.After(2 * e2ePatience):
						letGo.Store(true)
						holder.Rollback()
					}
				}()
			}
			logs := &testkit.LogBuffer{}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			srv := startServerLogging(t, map[string]string{"DATABASE_URL": u.url, "HANDOFF_API_TOKEN": "tok"}, ln, "http://", &testClock{}, logs)
			if letGo.Load() {
				t.Fatalf("serve's start waited for the backfill, held by a lead for %s", 2*e2ePatience)
			}
			if holder != nil {
				waitFor(t, "the backfill to wait for the held lead", func() bool {
					var waiting int
					err := u.raw.QueryRow("SELECT COUNT(*) FROM pg_locks WHERE NOT granted AND $1 = ANY(pg_blocking_pids(pid))", holderPID).Scan(&waiting)
					if err != nil {
						t.Fatal(err)
					}
					return waiting > 0
				})
			}
			srv.postLead(t, `{"external_id":"during-backfill","company":"Acme","stage":"sql"}`)
			if code, body := srv.apiCall(t, "GET", "/api/leads/during-backfill", ""); code != 200 || body["stage_at"] == nil {
				t.Fatalf("GET the lead taken during the backfill = %d %v, want it with its stage_at", code, body)
			}
			if holder != nil {
				if u.dated(t) || len(logs.Lines("dated the stage times")) > 0 {
					t.Fatalf("the backfill finished past a lead it waits for; log:\n%s", logs)
				}
				keep.Do(func() { close(held) })
				if err := holder.Commit(); err != nil {
					t.Fatal(err)
				}
			}
			waitFor(t, "the backfill to be recorded done", func() bool { return u.dated(t) })
			waitFor(t, "the backfill's log line", func() bool { return len(logs.Lines("dated the stage times")) > 0 })
			started, done := logs.Lines("dating the stage times"), logs.Lines("dated the stage times")
			if len(started) != 1 || len(done) != 1 || !strings.Contains(done[0], `"leads":5`) {
				t.Errorf("log lines of the backfill: %q, %q; want one each, 5 leads dated", started, done)
			}
			srv.stop()
		})
	}
}

// handoff migrate dates the stage times of earlier leads in the
// foreground, saying so, for an admin who would rather have them dated
// before the replicas start; run again it has nothing to date.
func TestMigrateDatesEarlierStageTimes(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			u := upgradedStore(t, dialect, 3)
			for _, want := range []string{"dated the stage times of 3 earlier leads in ", ""} {
				e, out, errOut := testEnv(map[string]string{"DATABASE_URL": u.url}, "migrate")
				if code := run(context.Background(), e); code != 0 {
					t.Fatalf("migrate: exit %d: %s%s", code, out, errOut)
				}
				if !strings.HasPrefix(out.String(), "migrated "+dialect+" database\n") || strings.Contains(out.String(), "dated") != (want != "") ||
					!strings.Contains(out.String(), want) {
					t.Fatalf("migrate said %q, want %q", out, want)
				}
				if !u.dated(t) {
					t.Fatal("migrate did not record the backfill done")
				}
			}
		})
	}
}

// waitFor polls cond until it holds, failing the test after e2ePatience.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(e2ePatience)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", e2ePatience, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
