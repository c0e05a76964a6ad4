package storage_test

import (
	"context"
	"slices"
	"testing"

	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// The statements of intake and the claim batch that find rows of
// lead_events, routing_facts, funnel_won and lead_activities by an array
// of leads, and teams_users and leads by an array of Teams claimers, read
// only those rows after more than five executions on one connection while
// the tables, never analysed with rows, held a few rows, and 20,000 were
// added since: a generic plan made then (a prepared statement's, from its
// sixth execution) scans a whole table until something analyses it, as on
// a new database, and the stage history's, planned each time, still read
// every stage event through the KPI index (its kind prefix) along with the
// lead index. The database is the test's own: another test's CREATE or
// DROP SCHEMA in it would drop the plans.
func TestPGLeadListReadsUseLeadIndexes(t *testing.T) {
	// Migrate analyses routing_facts and funnel_won while they are empty:
	// none of the tables may have been analysed (or vacuumed) since. One
	// row of each table for the lead of that id (two stage events: sql and
	// claimed), a Teams user "29:" and the number, and a lead they own.
	// The 3 leads have 2 events and one row of each other table; a
	// statement reads them, and the routing facts' refresh its events too.
	scansAfterGrowth(t, storage.LeadListReads, 20_005, 20, []string{
		`INSERT INTO lead_events (lead_id, kind, stage, at_ms, actor, details)
			SELECT g, 'stage', s, g, 'api', '' FROM generate_series($1::bigint, $2) g, unnest('{sql,claimed}'::text[]) s`,
		`INSERT INTO routing_facts (lead_id, kind, at_ms, rep, pool, delay_ms, bucket)
			SELECT g, 'offer', g, 'slack:U1', '', 0, 0 FROM generate_series($1::bigint, $2) g`,
		`INSERT INTO funnel_won (lead_id, at_ms) SELECT g, g FROM generate_series($1::bigint, $2) g`,
		`INSERT INTO lead_activities (lead_id, type, occurred_ms, created_ms)
			SELECT g, 'visit', g, g FROM generate_series($1::bigint, $2) g`,
		`INSERT INTO teams_users (user_id, aad_object_id, updated_ms) SELECT '29:' || g, 'aad-' || g, g FROM generate_series($1::bigint, $2) g`,
		`INSERT INTO leads (external_id, stage, owner_platform, owner_user_id, owner_email, created_ms, updated_ms)
			SELECT 'X' || g, 'claimed', 'teams', '29:' || g, g || '@example.com', g, g FROM generate_series($1::bigint, $2) g`,
	}, func(s *storage.Store, grow func() error) (map[string][2]int64, bool, error) {
		return s.LeadListScans(context.Background(), []int64{1, 2, 3}, 8, grow)
	})
}

// The statements that find outbox messages or leads by a list of their
// ids outside intake and the claim batch (the outbox's lease of the
// messages taken, the decay's clearing without scoring, an erasure's
// lock of its leads, the scored leads' read) and an erasure's lock and
// read of its leads' CRM versions, by the leads' external ids, read only
// those rows after more than five executions on one connection while the
// tables, never analysed with rows, held a few rows, and 20,000 were
// added since, as TestPGLeadListReadsUseLeadIndexes has those of intake
// and the claim batch. The database is the test's own.
func TestPGIDListStatementsUseIndexes(t *testing.T) {
	// A pending outbox message, a lead and its CRM version of each id (the
	// lead's external id, X and the id). A statement reads the 3 rows (the
	// lease twice: its UPDATE and its read), and the index entries of
	// their versions that the earlier runs' UPDATEs left, rolled back (3
	// leads of 10 versions each: 30); a scan reads 20,005.
	scansAfterGrowth(t, storage.IDListReads, 20_005, 100, []string{
		`INSERT INTO outbox (kind, platform, payload, status, due_ms, created_ms)
			SELECT 'lead.refresh', 'slack', '', 'pending', g, g FROM generate_series($1::bigint, $2) g`,
		`INSERT INTO leads (external_id, stage, next_decay_ms, created_ms, updated_ms)
			SELECT 'X' || g, 'mql', g, g, g FROM generate_series($1::bigint, $2) g`,
		`INSERT INTO crm_versions (source, external_id, version_ms, updated_ms)
			SELECT 'salesforce', 'X' || g, g, g FROM generate_series($1::bigint, $2) g`,
	}, func(s *storage.Store, grow func() error) (map[string][2]int64, bool, error) {
		ids := []int64{1, 2, 3}
		return s.IDListScans(context.Background(), ids, ids, 8, grow)
	})
}

// A CRM's delivery (SaveLeadVersion) finds, locks and saves its record's
// crm_versions row through the (external_id, source) index with the plan
// each statement keeps prepared, generic, made while crm_versions, never
// analysed with rows, held a few rows, after 50,000 were added: those
// statements are not planned at each execution. The database is the
// test's own.
func TestPGCRMVersionSaveUsesIndex(t *testing.T) {
	// A version of each record X and the number. A statement reads the
	// row, or none (the erased record's), and the index entries of its
	// versions that the earlier runs' UPDATEs left, rolled back; a scan
	// reads 50,005.
	scansAfterGrowth(t, storage.CRMVersionReads, 50_005, 20, []string{
		`INSERT INTO crm_versions (source, external_id, version_ms, updated_ms)
			SELECT 'salesforce', 'X' || g, g, g FROM generate_series($1::bigint, $2) g`,
	}, func(s *storage.Store, grow func() error) (map[string][2]int64, bool, error) {
		return s.CRMVersionScans(context.Background(), "salesforce", "X2", 8, grow)
	})
}

// scansAfterGrowth opens a database of the test's own, turns autovacuum
// off for the tables that reads names, runs inserts for the numbers 1 to
// 5 (bind variables $1 and $2), and has scan run the statements of reads
// on its store, growing the tables to grown rows with inserts when it
// calls grow. The tables must never have been analysed with rows, before
// and after; each statement's last execution must have made no
// sequential scan and read at most most rows from its tables and their
// indexes. When scan reports that the connection's plans were dropped
// meanwhile (countsAfterGrowth), which would have a statement kept
// prepared planned again on the grown tables, it all starts again on a
// new database (samePlans).
func scansAfterGrowth(t *testing.T, reads map[string][]string, grown int, most int64, inserts []string,
	scan func(s *storage.Store, grow func() error) (scans map[string][2]int64, kept bool, err error)) {
	t.Helper()
	var tables []string
	for _, ts := range reads {
		tables = append(tables, ts...)
	}
	slices.Sort(tables)
	tables = slices.Compact(tables)
	scans := samePlans(t, func() (map[string][2]int64, bool) {
		s, raw := storagetest.OpenRawOwnDatabase(t)
		for _, table := range tables {
			if _, err := raw.Exec("ALTER TABLE " + table + " SET (autovacuum_enabled = false)"); err != nil {
				t.Fatal(err)
			}
		}
		neverAnalysed := func() {
			t.Helper()
			var n int
			err := raw.QueryRow(`SELECT count(*) FROM pg_class WHERE relnamespace = current_schema()::regnamespace
				AND relname = ANY($1) AND reltuples <= 0`, tables).Scan(&n)
			if err != nil {
				t.Fatal(err)
			}
			if n != len(tables) {
				t.Fatalf("%d of %v never analysed with rows: the test needs tables without statistics", n, tables)
			}
		}
		rows := func(first, last int) error {
			for _, q := range inserts {
				if _, err := raw.Exec(q, first, last); err != nil {
					return err
				}
			}
			return nil
		}
		if err := rows(1, 5); err != nil {
			t.Fatal(err)
		}
		neverAnalysed()
		scans, kept, err := scan(s, func() error { return rows(6, grown) })
		if err != nil {
			t.Fatal(err)
		}
		neverAnalysed()
		return scans, kept
	})
	if len(scans) != len(reads) {
		t.Fatalf("scans counted for %d statements, want %d: %v", len(scans), len(reads), scans)
	}
	for name, sc := range scans {
		if sc[0] != 0 || sc[1] > most {
			t.Errorf("%s: %d sequential scan(s) of %v, %d rows read from them and their indexes, of %d (at most %d)",
				name, sc[0], reads[name], sc[1], grown, most)
		}
	}
}

// samePlans is the scans that run counts on a connection that kept its
// plans throughout (countsAfterGrowth): it calls run until run reports
// the plans kept, at most 5 times, and fails the test when they never
// were. Other sessions' DDL, in any database, can have PostgreSQL drop
// every plan of a connection that falls behind it; a statement kept
// prepared would then be planned again on the grown tables, and pass.
func samePlans(t *testing.T, run func() (scans map[string][2]int64, kept bool)) map[string][2]int64 {
	t.Helper()
	const attempts = 5
	for i := 1; i <= attempts; i++ {
		scans, kept := run()
		if kept {
			return scans
		}
		t.Logf("attempt %d of %d: the connection's plans were made again during the test; once more on a new database", i, attempts)
	}
	t.Fatalf("the connection's plans were made again during each of %d attempts: nothing measured", attempts)
	return nil
}
