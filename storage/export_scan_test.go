package storage

import "database/sql"

// ScanValues scans the current row of rows, of n columns, into one value
// per column as the driver gives it.
func ScanValues(rows *sql.Rows, n int) ([]any, error) {
	vals := make([]any, n)
	ptrs := make([]any, n)
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	return vals, rows.Scan(ptrs...)
}
