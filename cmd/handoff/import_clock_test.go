package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestImportKeepsTheDatabasesTime: `handoff import` on a machine whose
// clock is 10 minutes ahead of the database's stamps a new SQL, and counts
// its deadlines, on the database's clock, as serve does
// (TestReplicasKeepTheDatabasesTime). On its own clock the SQL time and
// deadlines were 10 minutes late: the replicas' SLA clock escalated it 10
// minutes late. On SQLite and PostgreSQL.
func TestImportKeepsTheDatabasesTime(t *testing.T) {
	const skew = 10 * time.Minute
	file := filepath.Join(t.TempDir(), "leads.csv")
	if err := os.WriteFile(file, []byte("external_id,company,stage\nclock-1,Berg ApS,sql\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ahead := func() time.Time { return time.Now().Add(skew) }
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			vars := map[string]string{"DATABASE_URL": storagetest.URL(t, dialect), "HANDOFF_CONFIG": os.DevNull}
			// The database runs on this machine: its clock is this test's.
			before := time.Now()
			e, out, errOut := testEnv(vars, file)
			e.wall = ahead
			if err := runImport(context.Background(), e, importOptions{quiet: true}); err != nil {
				t.Fatalf("import: %v\n%s%s", err, out, errOut)
			}
			after := time.Now()
			s := storagetest.OpenURL(t, vars["DATABASE_URL"], storage.Options{})
			l, err := s.LeadByExternalID(context.Background(), "clock-1")
			if err != nil {
				t.Fatal(err)
			}
			if l.SQLAt == nil || l.ClaimDueAt == nil {
				t.Fatalf("lead = %+v, want an SQL with a claim deadline", l)
			}
			for what, at := range map[string]time.Time{"the SQL time": *l.SQLAt, "the creation time": l.CreatedAt} {
				if at.Before(before.Add(-time.Second)) || at.After(after.Add(time.Second)) {
					t.Errorf("%s = %s, %s from the database's clock; want it on the database's clock",
						what, at.Format(time.RFC3339Nano), at.Sub(after).Round(time.Second))
				}
			}
		})
	}
}
