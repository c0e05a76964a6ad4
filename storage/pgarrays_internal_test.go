package storage

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/handoff/handoff"
)

// The arrays' types: a column's from pgColumnTypes, an expression's
// variable from its Go value; the values as the text of a PostgreSQL
// array (array_in's syntax), with NULL for a nil and every string quoted,
// so that no string reads as NULL, or splits, or loses a character. What
// has no type fails.
func TestPGArrayTypes(t *testing.T) {
	seven, none := int64(7), (*int64)(nil)
	empty, yes := "", true
	tests := []struct {
		name    string
		typ     string
		vals    []any
		want    string
		wantErr string
	}{
		{"numbers", "bigint", []any{int64(1), 2, int32(3), int64(-9223372036854775808)}, "{1,2,3,-9223372036854775808}", ""},
		{"integer column", "integer", []any{1, int64(2)}, "{1,2}", ""},
		{"NULLs among numbers", "bigint", []any{1, nil, &seven, none}, "{1,NULL,7,NULL}", ""},
		{"NULL first", "bigint", []any{nil, 2}, "{NULL,2}", ""},
		{"only NULLs", "bigint", []any{nil, nil}, "{NULL,NULL}", ""},
		{"no values", "bigint", []any{}, "{}", ""},
		{"strings, empty is not NULL", "text", []any{"a", "", handoff.StageSQL, &empty}, `{"a","","sql",""}`, ""},
		{"NULLs among strings", "text", []any{"", nil}, `{"",NULL}`, ""},
		{"the string NULL", "text", []any{"NULL", "null", nil}, `{"NULL","null",NULL}`, ""},
		{"quotes and backslashes", "text", []any{`a"b`, `c\d`, `\`, `"`, `\"`, `""`}, `{"a\"b","c\\d","\\","\"","\\\"","\"\""}`, ""},
		{"braces, commas, blanks", "text", []any{"{}", "a,b", "{a,b}", " x ", "\t\n", "{", "}", ","}, "{\"{}\",\"a,b\",\"{a,b}\",\" x \",\"\t\n\",\"{\",\"}\",\",\"}", ""},
		{"unicode", "text", []any{"é", "日本語", "😀", "\u00a0"}, "{\"é\",\"日本語\",\"😀\",\"\u00a0\"}", ""},
		{"booleans", "boolean", []any{true, false, &yes}, "{t,f,t}", ""},
		{"NULLs among booleans", "boolean", []any{nil, true}, "{NULL,t}", ""},
		{"a string for a number", "bigint", []any{1, "2"}, "", "Go type string in an array of bigint"},
		{"a number for a string", "text", []any{1}, "", "Go type int in an array of text"},
		{"a number for a boolean", "boolean", []any{0}, "", "Go type int in an array of boolean"},
		{"an unknown type", "jsonb", []any{"{}"}, "", `no array of PostgreSQL type "jsonb"`},
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
			if err != nil || got != tt.want {
				t.Fatalf("%s, %v; want %s", got, err, tt.want)
			}
		})
	}

	// The lists of intake and the claims: []int64 and []string without
	// reflection, other slices through pgArray; what does not fit the
	// column's type is a value whose Value is the error.
	lists := []struct {
		name, typ string
		vals      any
		want      any
	}{
		{"ids", "bigint", []int64{3, 1, 2}, "{3,1,2}"},
		{"no ids", "bigint", []int64{}, "{}"},
		{"strings", "text", []string{`a"b`, `c\d`, "", "NULL"}, `{"a\"b","c\\d","","NULL"}`},
		{"ints", "integer", []int{4, 5}, "{4,5}"},
		{"ids for a string column", "text", []int64{1}, badArg{errors.New("storage: a value of Go type int64 in an array of text")}},
		{"strings for a number column", "bigint", []string{"1"}, badArg{errors.New("storage: a value of Go type string in an array of bigint")}},
		{"no slice", "bigint", int64(1), badArg{errors.New("storage: an array of int64, not of a slice")}},
	}
	for _, l := range lists {
		got := pgArrayOf(l.typ, l.vals)
		if bad, ok := got.(badArg); ok {
			_, err := bad.Value()
			want, _ := l.want.(badArg)
			if want.err == nil || err == nil || err.Error() != want.err.Error() {
				t.Errorf("%s: error %v, want %v", l.name, err, want.err)
			}
			continue
		}
		if got != l.want {
			t.Errorf("%s: %#v, want %#v", l.name, got, l.want)
		}
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
	// Each array is a value that database/sql, and any driver, take as
	// it is: a string.
	_, args, err := pgUnnest("leads", []string{"id", "external_id", "sla_breached", "claimed_ms"}, 2,
		func(i int) []any { return []any{int64(i), `x"` + fmt.Sprint(i), i == 1, nil} }, nil)
	if want := []any{"{0,1}", `{"x\"0","x\"1"}`, "{f,t}", "{NULL,NULL}"}; err != nil || !reflect.DeepEqual(args, want) {
		t.Errorf("pgUnnest's arrays %#v, %v; want %#v", args, err, want)
	}
	for _, a := range args {
		if !driver.IsValue(a) {
			t.Errorf("pgUnnest: %#v is no value database/sql takes as it is", a)
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
	// expression's variables by their values (claim_due_ms's: the claim's
	// time, the policy's excuse, the deadline from the claim; sla_breached's:
	// the claim's time, the policy's excuse, true).
	if want := []string{"bigint", "boolean", "bigint", "bigint", "bigint", "text", "text", "text", "text", "bigint", "bigint", "bigint", "boolean", "boolean", "bigint", "boolean",
		"bigint", "bigint", "bigint", "bigint", "bigint", "text", "bigint", "bigint", "bigint", "text", "bigint"}; !reflect.DeepEqual(claimUpdateTypes, want) {
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
				want = "{1,2}"
			}
			if cond != tt.cond || !reflect.DeepEqual(arg, want) {
				t.Errorf("in: %q, %#v; want %q, %#v", cond, arg, tt.cond, want)
			}
			if tt.dialect == DialectPostgres && !driver.IsValue(arg) {
				t.Errorf("in: %#v is no value database/sql takes as it is", arg)
			}
			var sizes []int
			err := l.eachChunk(tt.dialect, ids, func(_ string, arg any) error {
				if text, ok := arg.(string); ok {
					sizes = append(sizes, strings.Count(text, ",")+1)
					return nil
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
