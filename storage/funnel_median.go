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
	// alsoFrom, when set, adds the values "SELECT expr FROM alsoFrom
	// WHERE alsoWhere" (with alsoArgs): the finished SLA cycles besides
	// the leads (withCycles).
	alsoFrom, alsoWhere string
	alsoArgs            []any
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
	all := append([]any{}, m.args...)
	also := ""
	if m.alsoFrom != "" {
		also = " UNION ALL SELECT " + m.expr + " AS d FROM " + m.alsoFrom + " WHERE " + m.alsoWhere
		all = append(all, m.alsoArgs...)
	}
	values := "SELECT " + m.expr + " AS d FROM " + m.from + " WHERE " + m.where + also
	var q string
	var args []any
	switch {
	case s.dialect == DialectPostgres:
		q = "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY v.d) FROM (" + values + ") v"
		args = all
	case m.walkIndex == "":
		q = "WITH v AS MATERIALIZED (" + values + ")" +
			" SELECT AVG(d) FROM (SELECT d FROM v ORDER BY d" +
			" LIMIT 2 - (SELECT COUNT(*) FROM v) % 2 OFFSET ((SELECT COUNT(*) FROM v) - 1) / 2)"
		args = all
	default:
		count := "SELECT COUNT(*) FROM " + m.from + " WHERE " + m.where
		if also != "" {
			count = "SELECT (" + count + ") + (SELECT COUNT(*) FROM " + m.alsoFrom + " WHERE " + m.alsoWhere + ")"
		}
		var n int64
		if err := db.Raw(count, all...).Row().Scan(&n); err != nil {
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
		// The leads' values in the order of the index; with the cycles'
		// too, the two ordered parts merged.
		order := m.expr
		if also != "" {
			order = "1"
		}
		q = "SELECT AVG(d) FROM (SELECT " + m.expr + " AS d FROM " + from + " WHERE " + m.where + also +
			" ORDER BY " + order + " LIMIT ? OFFSET ?) v"
		args = append(all, 2-n%2, (n-1)/2)
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
