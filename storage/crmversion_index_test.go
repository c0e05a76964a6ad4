package storage_test

import (
	"context"
	"regexp"
	"slices"
	"testing"

	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// An erasure finds a lead's CRM versions by the record's id alone
// (eraseCRMVersions) through the unique index, whose first column it is,
// and a save by the CRM and the id through the same index. PostgreSQL,
// with sequential scans priced out, would read an index on (source,
// external_id) whole by its second column: TestPGIDListStatementsUseIndexes
// counts the rows the erasure's statements read. The erasure finds the
// records merged into its lead's through a sparse index of their own.
func TestCRMVersionReadsUseIndex(t *testing.T) {
	record := `idx_crm_versions_record_v2 \(external_id=|idx_crm_versions_record_v2 on crm_versions`
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		for _, tc := range []struct {
			name, where string
			args        []any
			index       string // a pattern of the plan's use of the index
		}{
			{"erasure", storage.CRMVersionsOfRecord, []any{"00Q1"}, record},
			{"save", "source = ? AND external_id = ?", []any{"salesforce", "00Q1"}, record},
			{"erasure of merged records", storage.CRMVersionsMergedInto, []any{int64(7)}, `idx_crm_versions_merged_set`},
		} {
			t.Run(tc.name, func(t *testing.T) {
				plan, err := s.Explain(context.Background(), "SELECT * FROM crm_versions WHERE "+tc.where, tc.args...)
				if err != nil {
					t.Fatal(err)
				}
				// SQLite: SEARCH … USING INDEX x (external_id=?…);
				// PostgreSQL: Index Cond: ((external_id)::text = …).
				if !regexp.MustCompile(tc.index).MatchString(plan) {
					t.Errorf("plan does not find the rows by %s:\n%s", tc.index, plan)
				}
				if regexp.MustCompile(`(?i)(^|\s)SCAN crm_versions\b|Seq Scan on crm_versions`).MatchString(plan) {
					t.Errorf("plan reads the whole crm_versions table:\n%s", plan)
				}
			})
		}
	})
}

// Migrate replaces an earlier version's unique index on (source,
// external_id) by idx_crm_versions_record_v2, on a table with rows, and
// the records stay unique.
func TestMigrateReordersCRMVersionIndex(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		for _, q := range []string{ // the schema and rows as the earlier version left them
			"DROP INDEX idx_crm_versions_record_v2",
			"CREATE UNIQUE INDEX idx_crm_versions_record ON crm_versions (source, external_id)",
			"INSERT INTO crm_versions (source, external_id, version_ms, updated_ms) VALUES ('salesforce', '00Q1', 1, 1), ('hubspot', '00Q1', 2, 2)",
		} {
			if err := s.Exec(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		names, err := s.TableIndexes(ctx, "crm_versions")
		if err != nil {
			t.Fatal(err)
		}
		if slices.Contains(names, "idx_crm_versions_record") || !slices.Contains(names, "idx_crm_versions_record_v2") {
			t.Errorf("indexes of crm_versions after Migrate: %v, want idx_crm_versions_record_v2 and not idx_crm_versions_record", names)
		}
		err = s.Exec(ctx, "INSERT INTO crm_versions (source, external_id, version_ms, updated_ms) VALUES ('salesforce', '00Q1', 3, 3)")
		if err == nil || !regexp.MustCompile(`(?i)unique|duplicate`).MatchString(err.Error()) {
			t.Errorf("a second row of one record after Migrate: %v, want a unique violation", err)
		}
	})
}
