package storage

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// FindText returns every place ("table.column") where some row holds text,
// as it is or JSON-escaped, ignoring case: an audit that an erasure left
// nothing behind. It reads every column of every table, so it is slow on a
// large database.
func (s *Store) FindText(ctx context.Context, text string) ([]string, error) {
	db := s.db.WithContext(ctx)
	tables, err := db.Migrator().GetTables()
	if err != nil {
		return nil, fmt.Errorf("storage: find text: tables: %w", err)
	}
	var conds []string
	var args []any
	for _, form := range textForms(text) {
		conds = append(conds, `LOWER(CAST(%s AS TEXT)) LIKE ? ESCAPE '\'`)
		args = append(args, "%"+likeEscaper.Replace(strings.ToLower(form))+"%")
	}
	var found []string
	for _, table := range tables {
		cols, err := db.Migrator().ColumnTypes(table)
		if err != nil {
			return nil, fmt.Errorf("storage: find text: columns of %s: %w", table, err)
		}
		for _, col := range cols {
			name := col.Name()
			where := make([]string, len(conds))
			for i, c := range conds {
				where[i] = fmt.Sprintf(c, quoteIdent(name))
			}
			var n int64
			q := "SELECT COUNT(*) FROM " + quoteIdent(table) + " WHERE " + strings.Join(where, " OR ")
			if err := db.Raw(q, args...).Row().Scan(&n); err != nil {
				return nil, fmt.Errorf("storage: find text in %s.%s: %w", table, name, err)
			}
			if n > 0 {
				found = append(found, table+"."+name)
			}
		}
	}
	sort.Strings(found)
	return found, nil
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
