package storage

import "gorm.io/gorm"

// InsertRowsAsGroup commits one group of write jobs as the SQLite writer
// commits concurrent ones (each under a savepoint of its own), job i
// inserting rows[i] into table's cols with one multi-row INSERT
// (insertRows), and returns each job's error.
func (s *Store) InsertRowsAsGroup(table string, cols []string, rows [][][]any) []error {
	group := make([]writeJob, len(rows))
	for i, r := range rows {
		group[i] = writeJob{done: make(chan error, 1), fn: func(tx *gorm.DB) error {
			return insertRows(tx, table, cols, len(r), func(j int) []any { return r[j] })
		}}
	}
	(&groupCommitter{db: s.write}).commit(group)
	errs := make([]error, len(group))
	for i, job := range group {
		errs[i] = <-job.done
	}
	return errs
}
