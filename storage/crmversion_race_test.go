package storage_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// A CRM's versioned save of a record that an API save (of this replica or
// another) is inserting as a new lead at the same moment waits for that
// insert and finds the external id taken: it saves the record on the lead
// that insert made, as SaveLead does, rather than failing with the race
// (a 500 to the CRM). Only PostgreSQL has concurrent writers; the API
// save's insert is held open by a trigger that waits for a lock the test
// holds, until the CRM's save waits for it.
func TestCRMSaveRacingNewLeadOfSameID(t *testing.T) {
	cases := []struct {
		name     string
		apiStore func(t *testing.T, s *storage.Store, u string) *storage.Store
	}{
		{"same replica", func(t *testing.T, s *storage.Store, u string) *storage.Store { return s }},
		{"another replica", func(t *testing.T, s *storage.Store, u string) *storage.Store {
			return storagetest.OpenURL(t, u, storage.Options{})
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			u := storagetest.URL(t, storage.DialectPostgres)
			s := storagetest.OpenURL(t, u, storage.Options{})
			raw, err := sql.Open("pgx", u)
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			api := c.apiStore(t, s, u)
			for _, q := range []string{
				`CREATE FUNCTION hold_insert() RETURNS trigger LANGUAGE plpgsql AS $$
				 BEGIN IF NEW.company = 'held' THEN PERFORM pg_advisory_xact_lock_shared(4711); END IF; RETURN NEW; END $$`,
				`CREATE TRIGGER hold_insert AFTER INSERT ON leads FOR EACH ROW EXECUTE FUNCTION hold_insert()`,
			} {
				if _, err := raw.Exec(q); err != nil {
					t.Fatal(err)
				}
			}
			lock, err := raw.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer lock.Close()
			var holder int
			if err := lock.QueryRowContext(ctx, "SELECT pg_backend_pid() FROM (SELECT pg_advisory_lock(4711)) l").Scan(&holder); err != nil {
				t.Fatal(err)
			}
			apiDone := make(chan error, 1)
			go func() {
				_, err := api.SaveLead(ctx, input(t, map[string]any{"external_id": crmRecord, "company": "held"}), handoff.DefaultPolicy(), t0, handoff.ActorAPI)
				apiDone <- err
			}()
			inserting := waitBlockedBy(t, raw, holder, apiDone, "the lock held by the test")

			crmDone := saveVersionAsync(t, s, map[string]any{"external_id": crmRecord, "title": "CFO"}, t0.Add(time.Minute))
			waitBlockedBy(t, raw, inserting, crmDone, "the API save's insert of the same external id")
			if _, err := lock.ExecContext(ctx, "SELECT pg_advisory_unlock(4711)"); err != nil {
				t.Fatal(err)
			}
			if err := <-apiDone; err != nil {
				t.Fatalf("API save: %v", err)
			}
			o := <-crmDone
			if o.err != nil || o.stale || o.res.Created {
				t.Fatalf("CRM save: created %v, stale %v, %v; want the lead the API made, updated", o.res.Created, o.stale, o.err)
			}
			l, err := s.LeadByExternalID(ctx, crmRecord)
			if err != nil || l.Company != "held" || l.Title != "CFO" {
				t.Fatalf("lead = %+v, %v; want the API's company and the CRM's title", l, err)
			}
		})
	}
}
