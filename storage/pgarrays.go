package storage

import (
	"database/sql/driver"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// On PostgreSQL a multi-row statement passes one array per column, not a
// bind variable per value: INSERT … SELECT unnest($1::bigint[]),
// unnest($2::text[]), …; = ANY($1::bigint[]); UPDATE … FROM (SELECT
// unnest(…), …) AS v(…). Its text is then the same for any number of rows,
// so that PostgreSQL prepares and plans it once per connection rather than
// once per number of rows, each time with thousands of parameters
// (planning took longer than executing: BENCHMARKS.md, "Multi-row
// statements as arrays on PostgreSQL"). SQLite keeps its lists of VALUES
// and IN lists.
//
// The arrays are unnested in the select list, which runs them in step:
// unnest's form with several arrays in FROM (ROWS FROM) keeps a
// tuplestore per array, and for 42 arrays (leads' columns) it executed in
// 1.1-1.9 ms for 4 rows and 13-15 ms for 128, where the select list took
// 0.13 and 0.35-0.74 ms (EXPLAIN ANALYZE at load 6).

// pgColumnTypes are the PostgreSQL types of the columns that multi-row
// statements write or match on PostgreSQL, by table: the element type of
// each column's array. A NULL (an untyped nil) has no type of its own, so
// every column is declared here, once, and a statement naming a column
// that is not fails (pgColumnType). Character columns are text: a
// varchar(n) column still refuses a longer value when it is assigned (an
// explicit cast to varchar(n) would cut it). TestPGColumnTypesMatchSchema
// compares these with the migrated schema.
var pgColumnTypes = map[string]map[string]string{
	"leads": columnTypes(
		"bigint", "id score next_decay_ms reached amount_minor sql_ms claimed_ms contacted_ms claim_due_ms shown_ms"+
			" contact_due_ms next_remind_ms claim_escalated_ms contact_escalated_ms erased_ms parked_ms offer_due_ms"+
			" offer_seq created_ms updated_ms sla_from_ms stage_ms sla_set_ms",
		"text", "external_id email name company title phone source campaign score_reasons stage reason attributes"+
			" owner_platform owner_user_id owner_email erased_key parked_error offer_state offer_rep offer_tried offer_credits"+
			" sla_holder_platform sla_holder_user_id sla_holder_email",
		"boolean", "sla_breached sla_held"),
	"lead_events": columnTypes(
		"bigint", "id lead_id at_ms",
		"text", "kind stage actor details reason_code",
		"boolean", "not_a_fit"),
	"outbox": columnTypes(
		"bigint", "id lead_id due_ms locked_until_ms attempts created_ms requeued_ms done_ms not_before_ms failing_since_ms",
		"text", "kind platform payload status locked_by last_error result refused_by"),
	"funnel_days": columnTypes(
		"bigint", "day n amount_minor",
		"integer", "shard",
		"text", "stage source campaign"),
	"funnel_lead_days": columnTypes(
		"bigint", "day n opps won",
		"integer", "shard",
		"text", "kind source"),
	"funnel_waits": columnTypes(
		"bigint", "day n",
		"integer", "bucket shard",
		"text", "kind"),
	"sla_cycles": columnTypes("bigint", "id lead_id sql_ms claimed_ms contact_due_ms contacted_ms reached shown_ms",
		"text", "owner_platform owner_user_id owner_email sla_holder_platform sla_holder_user_id sla_holder_email",
		"boolean", "sla_held"),
	"funnel_won":       columnTypes("bigint", "lead_id at_ms prev_ms first_touch_ms"),
	"funnel_reentries": columnTypes("bigint", "lead_id at_ms prev_ms", "text", "stage"),
	"routing_days": columnTypes(
		"bigint", "day prev_day "+strings.Join(routingDayCols, " "),
		"integer", "shard",
		"text", "rep pool_key pool"),
	"routing_facts": columnTypes(
		"bigint", "lead_id at_ms prev_ms delay_ms",
		"integer", "bucket",
		"text", "kind rep pool"),
	"rep_credits": columnTypes("bigint", "credit updated_ms", "text", "rep_key"),
	"teams_users": columnTypes("bigint", "id updated_ms",
		"text", "user_id aad_object_id name tenant_id service_url dm_conversation_id wrote_in"),
	"processed_events": columnTypes("bigint", "id created_ms", "text", "source key"),
	"lead_activities":  columnTypes("bigint", "id lead_id occurred_ms created_ms", "text", "ext_id type url"),
	// keyRoutingPools' table of its own, while it converts routing_days.
	"routing_pool_keys": columnTypes("text", "pool pool_key"),
}

// columnTypes maps the space-separated columns that follow each type to
// it: columnTypes("bigint", "a b", "text", "c").
func columnTypes(typeThenColumns ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(typeThenColumns); i += 2 {
		for _, col := range strings.Fields(typeThenColumns[i+1]) {
			m[col] = typeThenColumns[i]
		}
	}
	return m
}

// pgColumnType is the declared PostgreSQL type of table's column col.
func pgColumnType(table, col string) (string, error) {
	if t, ok := pgColumnTypes[table][col]; ok {
		return t, nil
	}
	return "", fmt.Errorf("storage: no PostgreSQL type declared for column %s.%s (pgColumnTypes)", table, col)
}

// pgValueType is the PostgreSQL type of a bind variable from its Go value,
// for a variable that is no column's value (one of an expression's): a
// nil has none.
func pgValueType(v any) (string, error) {
	rv, ok := derefValue(v)
	if !ok {
		return "", fmt.Errorf("storage: a nil value has no PostgreSQL type: declare its column in pgColumnTypes")
	}
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "bigint", nil
	case reflect.String:
		return "text", nil
	case reflect.Bool:
		return "boolean", nil
	}
	return "", fmt.Errorf("storage: no PostgreSQL type for a value of Go type %T", v)
}

// pgAny is the condition that col of table is one of the elements of the
// array in bind variable $n: "col = ANY($n::bigint[])". It panics when
// col's type is not declared, as the statements it builds are built once.
func pgAny(table, col string, n int) string {
	return pgAnyBind(table, col, "$"+strconv.Itoa(n))
}

// pgPlanEach, passed first among a statement's args, has PostgreSQL plan
// the statement at each execution, for the arrays it is given (pgx's
// unnamed statement); a statement prepared on a connection gets a generic
// plan from its sixth execution on, kept until the table's statistics
// change. The statements that find leads by an array of keys (= ANY, or a
// join with unnest) pass it: on a table never analysed (a new database,
// autovacuum off or not come by yet), their generic plan, made while leads
// held a few rows, scans all of them, and stays. Reading, locking or
// claiming 3 leads then took 5-41 ms at 50,000 leads, against 0.3-0.9 ms
// planned each time (load 2-3.5); ANALYZE after Migrate does not help, as
// the plan is still made on a few rows (TestPGArrayReadsUseIndexes). On
// an analysed table planning each time cost 0-1.1 ms more a call (medians,
// 3 to 500 keys, load 4-6).
const pgPlanEach = pgx.QueryExecModeExec

// pgAnyBind is pgAny with the bind variable written as bind.
func pgAnyBind(table, col, bind string) string {
	return col + " = ANY(" + bind + "::" + must(pgColumnType(table, col)) + "[])"
}

// inList is the condition that a column is one of a list of values, for
// statements run through GORM (bind variables written ?): "col IN ?" on
// SQLite, for which GORM writes a bind variable per value, and on
// PostgreSQL "col = ANY(?::bigint[])" with one array, whose text does not
// depend on the number of values.
type inList struct {
	table, col string
	pg         string // the condition on PostgreSQL
	pgType     string // the column's type on PostgreSQL
}

// newInList is the inList of col of table. It panics when col's type is
// not declared (pgColumnTypes), so it is made once, at start.
func newInList(table, col string) inList {
	return inList{table: table, col: col, pg: pgAnyBind(table, col, "?"), pgType: must(pgColumnType(table, col))}
}

// in is the condition in dialect's form and the value of its bind
// variable for vals, a slice: on PostgreSQL the array's text (pgArray).
func (l inList) in(dialect string, vals any) (cond string, arg any) {
	if dialect != DialectPostgres {
		return l.col + " IN ?", vals
	}
	return l.pg, pgArrayOf(l.pgType, vals)
}

// eachChunk calls fn with the condition and its bind variable's value for
// ids, as many at a time as one statement takes: on SQLite 500, which
// keeps it under SQLite's limit of bind variables; on PostgreSQL all of
// them, in one array.
func (l inList) eachChunk(dialect string, ids []int64, fn func(cond string, arg any) error) error {
	chunk := 500
	if dialect == DialectPostgres {
		chunk = math.MaxInt
	}
	for start := 0; start < len(ids); start += chunk {
		if err := fn(l.in(dialect, ids[start:min(start+chunk, len(ids))])); err != nil {
			return err
		}
	}
	return nil
}

// pgArrayOf is pgArray of the values of vals, a slice ([]int64 and
// []string without reflection), or, when they do not fit typ, a bind
// variable whose value is that error.
func pgArrayOf(typ string, vals any) any {
	var text string
	var err error
	switch vals := vals.(type) {
	case []int64:
		text, err = pgArrayText(typ, len(vals), func(b []byte, i int) ([]byte, bool) {
			return strconv.AppendInt(b, vals[i], 10), typ == "bigint" || typ == "integer"
		}, func(i int) any { return vals[i] })
	case []string:
		text, err = pgArrayText(typ, len(vals), func(b []byte, i int) ([]byte, bool) {
			return appendArrayString(b, vals[i]), typ == "text"
		}, func(i int) any { return vals[i] })
	default:
		rv := reflect.ValueOf(vals)
		if rv.Kind() != reflect.Slice {
			return badArg{fmt.Errorf("storage: an array of %T, not of a slice", vals)}
		}
		anys := make([]any, rv.Len())
		for i := range anys {
			anys[i] = rv.Index(i).Interface()
		}
		text, err = pgArray(typ, anys)
	}
	if err != nil {
		return badArg{fmt.Errorf("storage: %w", err)}
	}
	return text
}

// badArg is a bind variable whose value is an error, so that its
// statement fails with it.
type badArg struct{ err error }

// Value is the error.
func (a badArg) Value() (driver.Value, error) { return nil, a.err }

// pgUnnest appends to args one array for each of cols of table, holding
// the values of the n rows (row(i) gives row i's values in the order of
// cols), and returns the query whose rows they are:
// "SELECT unnest($k::bigint[]), unnest($k+1::text[]), …" with k =
// len(args)+1 as given.
func pgUnnest(table string, cols []string, n int, row func(i int) []any, args []any) (string, []any, error) {
	types := make([]string, len(cols))
	for c, col := range cols {
		t, err := pgColumnType(table, col)
		if err != nil {
			return "", nil, err
		}
		types[c] = t
	}
	return pgUnnestTyped(types, n, row, args)
}

// pgUnnestTyped is pgUnnest with the arrays' types given.
func pgUnnestTyped(types []string, n int, row func(i int) []any, args []any) (string, []any, error) {
	cols := make([][]any, len(types))
	for c := range cols {
		cols[c] = make([]any, n)
	}
	for i := range n {
		vals := row(i)
		if len(vals) != len(types) {
			return "", nil, fmt.Errorf("storage: a row of %d values for %d columns", len(vals), len(types))
		}
		for c, v := range vals {
			cols[c][i] = v
		}
	}
	var b strings.Builder
	b.WriteString("SELECT ")
	for c, t := range types {
		a, err := pgArray(t, cols[c])
		if err != nil {
			return "", nil, fmt.Errorf("storage: column %d of %d: %w", c+1, len(types), err)
		}
		args = append(args, a)
		if c > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "unnest($%d::%s[])", len(args), t)
	}
	return b.String(), args, nil
}

// pgArray is one column's values as the text of a PostgreSQL array of
// typ, bound as one string: "{1,NULL,3}" for bigint and integer,
// `{"a","",NULL}` for text (every element quoted, a backslash before
// each " and \ in it: array_in's syntax, which leaves nothing else to
// escape), "{t,f}" for boolean. A nil (untyped, or a nil pointer) is
// NULL; an empty string stays an empty string. A string is a value that
// database/sql and every driver take as it is, and PostgreSQL reads it as
// the array the statement casts it to ($1::text[]); pgx sends it in text
// form.
func pgArray(typ string, vals []any) (string, error) {
	var elem func(b []byte, v any) ([]byte, bool)
	switch typ {
	case "bigint", "integer":
		elem = func(b []byte, v any) ([]byte, bool) {
			switch v := v.(type) {
			case int64:
				return strconv.AppendInt(b, v, 10), true
			case int:
				return strconv.AppendInt(b, int64(v), 10), true
			}
			rv, _ := derefValue(v)
			switch rv.Kind() {
			case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
				return strconv.AppendInt(b, rv.Int(), 10), true
			}
			return b, false
		}
	case "text":
		elem = func(b []byte, v any) ([]byte, bool) {
			if s, ok := v.(string); ok {
				return appendArrayString(b, s), true
			}
			rv, _ := derefValue(v)
			if rv.Kind() == reflect.String {
				return appendArrayString(b, rv.String()), true
			}
			return b, false
		}
	case "boolean":
		elem = func(b []byte, v any) ([]byte, bool) {
			x, ok := v.(bool)
			if !ok {
				rv, _ := derefValue(v)
				if rv.Kind() != reflect.Bool {
					return b, false
				}
				x = rv.Bool()
			}
			if x {
				return append(b, 't'), true
			}
			return append(b, 'f'), true
		}
	default:
		return "", fmt.Errorf("no array of PostgreSQL type %q", typ)
	}
	return pgArrayText(typ, len(vals), func(b []byte, i int) ([]byte, bool) {
		if isNull(vals[i]) {
			return append(b, "NULL"...), true
		}
		return elem(b, vals[i])
	}, func(i int) any { return vals[i] })
}

// pgArrayText is the text of an array of n elements of typ, each written
// by elem, which reports false for a value that is not one of typ's;
// value(i) is the value of element i, for the error then.
func pgArrayText(typ string, n int, elem func(b []byte, i int) ([]byte, bool), value func(i int) any) (string, error) {
	b := make([]byte, 0, 2+8*n)
	b = append(b, '{')
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		var ok bool
		if b, ok = elem(b, i); !ok {
			return "", fmt.Errorf("a value of Go type %T in an array of %s", value(i), typ)
		}
	}
	b = append(b, '}')
	return string(b), nil
}

// appendArrayString appends s to b as an element of an array's text:
// quoted, with a backslash before each " and \. The bytes of a UTF-8
// character other than those two are never one of them.
func appendArrayString(b []byte, s string) []byte {
	b = append(b, '"')
	for {
		i := strings.IndexAny(s, `"\`)
		if i < 0 {
			break
		}
		b = append(b, s[:i]...)
		b = append(b, '\\', s[i])
		s = s[i+1:]
	}
	b = append(b, s...)
	return append(b, '"')
}

// isNull reports whether v is nil or a nil pointer: NULL.
func isNull(v any) bool {
	switch v.(type) {
	case nil:
		return true
	case int64, int, string, bool: // the usual values, without reflection
		return false
	}
	_, ok := derefValue(v)
	return !ok
}

// derefValue is v, through any pointers; ok is false for nil or a nil
// pointer.
func derefValue(v any) (rv reflect.Value, ok bool) {
	if v == nil {
		return rv, false
	}
	rv = reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return rv, false
		}
		rv = rv.Elem()
	}
	return rv, true
}

// must is v, or a panic with err: for what is built once, at start.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
