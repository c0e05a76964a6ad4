package storage

import (
	"context"
	"database/sql"
	"runtime"
	"sync"
)

// parallel runs fns concurrently, as many at a time as there are CPUs
// (more only make the queries fight over them), and returns the first error.
func parallel(fns ...func() error) error {
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(2, runtime.GOMAXPROCS(0)))
	for i, fn := range fns {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = fn()
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// medianQuery names the values "SELECT expr FROM from WHERE where" whose
// median is wanted.
type medianQuery struct {
	expr, from, where string
	args              []any
	// walkIndex, when set, is a SQLite index ordered by expr (and covering
	// the where clause), used instead of sorting when many rows match:
	// more than walkAbove, or medianSortLimit when that is 0.
	walkIndex string
	walkAbove int64
}

// medianSortLimit is how many values SQLite sorts for a median before it
// walks medianQuery.walkIndex instead.
var medianSortLimit int64 = 50_000

// median returns the median of the values (the mean of the two middle ones
// for an even count), or nil when there are none. PostgreSQL computes it
// with percentile_cont; SQLite reads the middle of the ordered values with
// LIMIT and OFFSET.
func (s *Store) median(ctx context.Context, m medianQuery) (*float64, error) {
	db := s.db.WithContext(ctx)
	values := "SELECT " + m.expr + " AS d FROM " + m.from + " WHERE " + m.where
	var q string
	var args []any
	switch {
	case s.dialect == DialectPostgres:
		q = "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY v.d) FROM (" + values + ") v"
		args = m.args
	case m.walkIndex == "":
		q = "WITH v AS MATERIALIZED (" + values + ")" +
			" SELECT AVG(d) FROM (SELECT d FROM v ORDER BY d" +
			" LIMIT 2 - (SELECT COUNT(*) FROM v) % 2 OFFSET ((SELECT COUNT(*) FROM v) - 1) / 2)"
		args = m.args
	default:
		var n int64
		if err := db.Raw("SELECT COUNT(*) FROM "+m.from+" WHERE "+m.where, m.args...).Row().Scan(&n); err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, nil
		}
		from, limit := m.from, m.walkAbove
		if limit == 0 {
			limit = medianSortLimit
		}
		if n > limit {
			from += " INDEXED BY " + m.walkIndex
		}
		q = "SELECT AVG(d) FROM (SELECT " + m.expr + " AS d FROM " + from + " WHERE " + m.where +
			" ORDER BY " + m.expr + " LIMIT ? OFFSET ?) v"
		args = append(append([]any{}, m.args...), 2-n%2, (n-1)/2)
	}
	var med sql.NullFloat64
	if err := db.Raw(q, args...).Row().Scan(&med); err != nil {
		return nil, err
	}
	if !med.Valid {
		return nil, nil
	}
	return &med.Float64, nil
}
