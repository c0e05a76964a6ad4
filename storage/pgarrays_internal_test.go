package storage

import (
	"reflect"
	"strings"
	"testing"

	"github.com/handoff/handoff"
)

// The arrays' types: a column's from pgColumnTypes, an expression's
// variable from its Go value; the values as the Go slices pgx sends, with
// pointers where a NULL is among them. What has no type fails.
func TestPGArrayTypes(t *testing.T) {
	seven, none := int64(7), (*int64)(nil)
	empty := ""
	tests := []struct {
		name    string
		typ     string
		vals    []any
		want    any
		wantErr string
	}{
		{"numbers", "bigint", []any{int64(1), 2, int32(3)}, []int64{1, 2, 3}, ""},
		{"integer column", "integer", []any{1, int64(2)}, []int64{1, 2}, ""},
		{"NULLs among numbers", "bigint", []any{1, nil, &seven, none}, []*int64{ptr(int64(1)), nil, ptr(int64(7)), nil}, ""},
		{"NULL first", "bigint", []any{nil, 2}, []*int64{nil, ptr(int64(2))}, ""},
		{"only NULLs", "bigint", []any{nil, nil}, []*int64{nil, nil}, ""},
		{"no values", "bigint", []any{}, []int64{}, ""},
		{"strings, empty is not NULL", "text", []any{"a", "", handoff.StageSQL, &empty}, []string{"a", "", "sql", ""}, ""},
		{"NULLs among strings", "text", []any{"", nil}, []*string{ptr(""), nil}, ""},
		{"booleans", "boolean", []any{true, false}, []bool{true, false}, ""},
		{"NULLs among booleans", "boolean", []any{nil, true}, []*bool{nil, ptr(true)}, ""},
		{"a string for a number", "bigint", []any{1, "2"}, nil, "Go type string in an array of bigint"},
		{"a number for a string", "text", []any{1}, nil, "Go type int in an array of text"},
		{"a number for a boolean", "boolean", []any{0}, nil, "Go type int in an array of boolean"},
		{"an unknown type", "jsonb", []any{"{}"}, nil, `no array of PostgreSQL type "jsonb"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := pgArray(tt.typ, tt.vals)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("%#v, %v; want %#v", got, err, tt.want)
			}
		})
	}

	columns := []struct {
		table, col, want string
	}{
		{"leads", "id", "bigint"},
		{"leads", "external_id", "text"},
		{"leads", "sla_breached", "boolean"},
		{"leads", "offer_due_ms", "bigint"},
		{"funnel_waits", "shard", "integer"},
		{"routing_days", "h23", "bigint"},
		{"leads", "no_such_column", ""},
		{"no_such_table", "id", ""},
	}
	for _, c := range columns {
		got, err := pgColumnType(c.table, c.col)
		if got != c.want || (err == nil) != (c.want != "") {
			t.Errorf("pgColumnType(%s, %s) = %q, %v; want %q", c.table, c.col, got, err, c.want)
		}
	}
	if _, _, err := pgUnnest("leads", []string{"id", "no_such_column"}, 1, func(int) []any { return []any{1, 2} }, nil); err == nil ||
		!strings.Contains(err.Error(), "leads.no_such_column") {
		t.Errorf("an undeclared column: %v", err)
	}

	values := []struct {
		v    any
		want string
	}{
		{int64(1), "bigint"}, {1, "bigint"}, {"x", "text"}, {handoff.StageClaimed, "text"}, {true, "boolean"}, {&seven, "bigint"},
		{nil, ""}, {none, ""}, {1.5, ""},
	}
	for _, c := range values {
		got, err := pgValueType(c.v)
		if got != c.want || (err == nil) != (c.want != "") {
			t.Errorf("pgValueType(%#v) = %q, %v; want %q", c.v, got, err, c.want)
		}
	}
	// The claims' UPDATE: a column's value typed as its column, an
	// expression's variables by their values.
	if want := []string{"bigint", "bigint", "text", "text", "text", "text", "bigint", "bigint", "bigint", "boolean", "text", "bigint",
		"bigint", "text", "bigint"}; !reflect.DeepEqual(claimUpdateTypes, want) {
		t.Errorf("claimUpdateTypes %v (columns %v)\nwant %v", claimUpdateTypes, claimUpdateCols, want)
	}
}

// A list of values for a statement run through GORM: on SQLite an IN
// list, 500 values a statement; on PostgreSQL one array of the column's
// type, all values in one statement.
func TestInList(t *testing.T) {
	ids := make([]int64, 1001)
	for i := range ids {
		ids[i] = int64(i)
	}
	tests := []struct {
		dialect, cond string
		sizes         []int
	}{
		{DialectSQLite, "lead_id IN ?", []int{500, 500, 1}},
		{DialectPostgres, "lead_id = ANY(?::bigint[])", []int{1001}},
	}
	l := newInList("lead_events", "lead_id")
	for _, tt := range tests {
		t.Run(tt.dialect, func(t *testing.T) {
			cond, arg := l.in(tt.dialect, []int64{1, 2})
			want := any([]int64{1, 2})
			if tt.dialect == DialectPostgres {
				want = pgArrayArg{[]int64{1, 2}}
			}
			if cond != tt.cond || !reflect.DeepEqual(arg, want) {
				t.Errorf("in: %q, %#v; want %q, %#v", cond, arg, tt.cond, want)
			}
			var sizes []int
			err := l.eachChunk(tt.dialect, ids, func(_ string, arg any) error {
				if a, ok := arg.(pgArrayArg); ok {
					arg = a.vals
				}
				sizes = append(sizes, len(arg.([]int64)))
				return nil
			})
			if err != nil || !reflect.DeepEqual(sizes, tt.sizes) {
				t.Errorf("eachChunk: statements of %v, %v; want %v", sizes, err, tt.sizes)
			}
		})
	}
}
