package storage_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestManagersChannelServedThroughTheMigration: the records of the
// platforms the replicas serve (outbox_servers) say whether each has a
// managers' channel there, in a column the migration adds to the table
// on both databases. A record from before it, and one an older replica
// writes after it (its INSERT names no such column), say "may have one",
// so an SLA clock drops no escalation in a rolling deploy; a replica that
// says it has none counts for none, one that has one counts, and a record
// counts while its replica serves or served lately (24 h).
func TestManagersChannelServedThroughTheMigration(t *testing.T) {
	for _, d := range storagetest.Dialects {
		t.Run(d, func(t *testing.T) {
			ctx := context.Background()
			now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
			until := now.Add(time.Minute).UnixMilli()
			u := storagetest.URL(t, d)
			storagetest.OpenURL(t, u, storage.Options{}) // today's schema
			driver := map[string]string{storage.DialectSQLite: "sqlite3", storage.DialectPostgres: "pgx"}[d]
			raw, err := sql.Open(driver, u)
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			exec := func(q string) {
				t.Helper()
				if _, err := raw.Exec(q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			record := func(worker, platform string) string {
				return fmt.Sprintf("INSERT INTO outbox_servers (worker, platform, until_ms) VALUES ('%s', '%s', %d)", worker, platform, until)
			}
			// The table as it was, with an older replica's record.
			exec("ALTER TABLE outbox_servers DROP COLUMN no_managers")
			exec(record("old-replica", "slack"))
			s := storagetest.OpenURL(t, u, storage.Options{}) // migrated again
			served := func(at time.Time, want bool, why string) {
				t.Helper()
				got, err := s.ManagersChannelServed(ctx, at)
				if err != nil {
					t.Fatal(err)
				}
				if got != want {
					t.Errorf("%s: a managers' channel served %v, want %v", why, got, want)
				}
			}
			s.ManagersChannels("new-replica") // none on its platforms
			if err := s.ServeOutbox(ctx, "new-replica", now, time.Minute, "slack", "teams"); err != nil {
				t.Fatal(err)
			}
			served(now, true, "an older replica's record from before the migration")
			exec("DELETE FROM outbox_servers WHERE worker = 'old-replica'")
			served(now, false, "only a replica without one")
			exec(record("old-replica-2", "teams"))
			served(now, true, "an older replica's record written after the migration")
			exec("DELETE FROM outbox_servers WHERE worker = 'old-replica-2'")
			s.ManagersChannels("new-replica", "teams")
			if err := s.ServeOutbox(ctx, "new-replica", now, time.Minute, "slack", "teams"); err != nil {
				t.Fatal(err)
			}
			served(now, true, "a replica with one on teams")
			served(now.Add(23*time.Hour), true, "a replica with one, stopped 23 hours ago")
			served(now.Add(25*time.Hour), false, "a replica with one, stopped 25 hours ago")
		})
	}
}
