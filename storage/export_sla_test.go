package storage

import (
	"context"
	"strings"
	"time"

	"gorm.io/gorm"
)

// ExplainSLA returns the database's plans for the SLA clock's two queries
// (the due leads at now, the next due time), one line per plan step. On
// PostgreSQL sequential scans are priced out, as a table grown past a few
// pages would price them: an empty test table is cheapest to scan.
func (s *Store) ExplainSLA(ctx context.Context, now time.Time) (due, next string, err error) {
	explain := "EXPLAIN QUERY PLAN "
	if s.dialect == DialectPostgres {
		explain = "EXPLAIN "
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if s.dialect == DialectPostgres {
			if err := tx.Exec("SET LOCAL enable_seqscan = off").Error; err != nil {
				return err
			}
		}
		plan := func(query string, args ...any) (string, error) {
			rows, err := tx.Raw(explain+query, args...).Rows()
			if err != nil {
				return "", err
			}
			defer rows.Close()
			cols, err := rows.Columns()
			if err != nil {
				return "", err
			}
			var lines []string
			for rows.Next() {
				vals := make([]any, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				if err := rows.Scan(ptrs...); err != nil {
					return "", err
				}
				var parts []string
				for _, v := range vals {
					switch v := v.(type) {
					case string:
						parts = append(parts, v)
					case []byte:
						parts = append(parts, string(v))
					}
				}
				lines = append(lines, strings.Join(parts, " "))
			}
			return strings.Join(lines, "\n"), rows.Err()
		}
		if due, err = plan("SELECT * FROM leads WHERE id IN ("+dueSLAIDs(s.dialect)+") ORDER BY id LIMIT 200", map[string]any{"now": ms(now), "limit": 200}); err != nil {
			return err
		}
		next, err = plan(nextSLADue(s.dialect))
		return err
	})
	return due, next, err
}
