package storage_test

import (
	"context"
	"testing"

	"github.com/handoff/handoff/storage/storagetest"
)

// A multi-row INSERT that fails on a later row writes none of its rows,
// and the other jobs of its group commit. SQLite runs these INSERTs OR
// FAIL (no statement journal: a failed statement keeps the rows it wrote
// before the failing one), so this holds only because every failed write
// is rolled back to its savepoint or with its transaction.
func TestFailedMultiRowInsertWritesNothing(t *testing.T) {
	cols := []string{"lead_id", "kind", "stage", "at_ms", "actor", "details", "reason_code", "not_a_fit"}
	ok := func(lead int64) []any { return []any{lead, "stage", "lead", int64(1), "api", "", "", false} }
	bad := func(lead int64) []any { return []any{lead, nil, "lead", int64(2), "api", "", "", false} } // kind is NOT NULL
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			s := storagetest.Open(t, dialect)
			for _, tc := range []struct {
				name string
				jobs [][][]any
				want []int // rows of lead 900+i after the group
			}{
				{"alone", [][][]any{{ok(900), ok(900), bad(900)}}, []int{0}},
				{"with others", [][][]any{{ok(910), ok(910)}, {ok(911), bad(911), ok(911)}, {ok(912)}}, []int{2, 0, 1}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					errs := s.InsertRowsAsGroup("lead_events", cols, tc.jobs)
					for i, job := range tc.jobs {
						lead := job[0][0].(int64)
						failed := len(job) != tc.want[i]
						if (errs[i] != nil) != failed {
							t.Errorf("job %d: error %v, want an error: %v", i, errs[i], failed)
						}
						events, err := s.Events(context.Background(), lead)
						if err != nil {
							t.Fatal(err)
						}
						if len(events) != tc.want[i] {
							t.Errorf("job %d: lead %d has %d events, want %d", i, lead, len(events), tc.want[i])
						}
					}
				})
			}
		})
	}
}
