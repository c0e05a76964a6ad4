package storage

// SetKPIPlan forces the SQLite plans of the funnel queries for a test: the
// share of history above which stage counts walk the by-lead index, and the
// number of values above which a median walks its index instead of sorting.
// It returns a function that restores the defaults. Not safe for parallel tests.
func SetKPIPlan(share float64, medianSortUpTo int64) (restore func()) {
	oldShare, oldLimit := longPeriodShare, medianSortLimit
	longPeriodShare, medianSortLimit = share, medianSortUpTo
	return func() { longPeriodShare, medianSortLimit = oldShare, oldLimit }
}
