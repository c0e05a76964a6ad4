package storage

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// FindText returns every place ("table.column") where some row holds text,
// ignoring case, as it is or however the row wrote it (JSON-escaped, or
// with chat markup's character references: plainText): an audit that an
// erasure left nothing behind. It reads every row of every table, so it is
// slow on a large database.
func (s *Store) FindText(ctx context.Context, text string) ([]string, error) {
	db := s.db.WithContext(ctx)
	tables, err := db.Migrator().GetTables()
	if err != nil {
		return nil, fmt.Errorf("storage: find text: tables: %w", err)
	}
	want := strings.ToLower(text)
	seen := map[string]bool{}
	for _, table := range tables {
		rows, err := db.Raw("SELECT * FROM " + quoteIdent(table)).Rows()
		if err != nil {
			return nil, fmt.Errorf("storage: find text in %s: %w", table, err)
		}
		cols, err := rows.Columns()
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("storage: find text in %s: %w", table, err)
		}
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return nil, fmt.Errorf("storage: find text in %s: %w", table, err)
			}
			for i, v := range vals {
				var text string
				switch v := v.(type) {
				case string:
					text = v
				case []byte:
					text = string(v)
				default:
					continue
				}
				if strings.Contains(strings.ToLower(text), want) || strings.Contains(plainText(text), want) {
					seen[table+"."+cols[i]] = true
				}
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("storage: find text in %s: %w", table, err)
		}
	}
	found := make([]string, 0, len(seen))
	for place := range seen {
		found = append(found, place)
	}
	sort.Strings(found)
	return found, nil
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
