package storage_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// On PostgreSQL the text of a multi-row statement does not depend on its
// number of rows (one array per column), so that PostgreSQL plans it once
// per connection, not once per group size.
func TestPGStatementTextIndependentOfRowCount(t *testing.T) {
	s := storagetest.Open(t, storage.DialectPostgres)
	ctx := context.Background()
	one, err := s.MultiRowStatements(ctx, 1, "one")
	if err != nil {
		t.Fatal(err)
	}
	many, err := s.MultiRowStatements(ctx, 37, "many")
	if err != nil {
		t.Fatal(err)
	}
	if len(one) == 0 || len(one) != len(many) {
		t.Fatalf("%d statements for 1 row, %d for 37", len(one), len(many))
	}
	for name, texts := range one {
		if len(texts) == 0 {
			t.Errorf("%s: no statement recorded", name)
		}
		if !reflect.DeepEqual(texts, many[name]) {
			t.Errorf("%s: the statements for 1 row and for 37 differ:\n1:  %.300q\n37: %.300q", name, texts, many[name])
		}
	}
}

// The statements that find leads by an array of keys read them through an
// index after more than five executions on one connection while the
// table, never analysed, held a few leads, and 5,000 were added since: a
// generic plan made then (a prepared statement's, from its sixth
// execution) scans the whole table until something analyses it, as on a
// new database. The database is the test's own: another test's CREATE or
// DROP SCHEMA in it would drop that plan.
func TestPGArrayReadsUseIndexes(t *testing.T) {
	scans := samePlans(t, func() (map[string][2]int64, bool) {
		s, raw := storagetest.OpenRawOwnDatabase(t)
		if _, err := raw.Exec("ALTER TABLE leads SET (autovacuum_enabled = false)"); err != nil {
			t.Fatal(err)
		}
		neverAnalysed := func() {
			t.Helper()
			var n int
			err := raw.QueryRow(`SELECT count(*) FROM pg_stat_user_tables WHERE schemaname = current_schema()
				AND relname = 'leads' AND last_analyze IS NULL AND last_autoanalyze IS NULL`).Scan(&n)
			if err != nil {
				t.Fatal(err)
			}
			if n != 1 {
				t.Fatal("leads has been analysed: the test needs a table never analysed")
			}
		}
		neverAnalysed()
		scans, kept, err := s.ArrayReadScans(context.Background(), 10, 8, 5000)
		if err != nil {
			t.Fatal(err)
		}
		neverAnalysed()
		return scans, kept
	})
	if len(scans) != 5 {
		t.Fatalf("scans counted for %d statements, want 5: %v", len(scans), scans)
	}
	for name, sc := range scans {
		if sc[0] != 0 {
			t.Errorf("%s: %d sequential scan(s) of leads reading %d rows, for 3 leads of 5,010", name, sc[0], sc[1])
		}
	}
}

// hostileStrings are strings that an array's text must quote or escape:
// quotes, backslashes, braces, commas, blanks, NULL as a word, unicode,
// the empty string.
var hostileStrings = []string{
	`a"b`, `c\d`, `\`, `"`, `\"`, `""`, "{}", "{", "}", "a,b", "{a,b}", `{"a",NULL}`, " x ", "\t\n", "NULL", "null",
	"é", "日本語", "😀", "\u00a0", "", "'; DROP TABLE leads; --",
}

// Arrays reach PostgreSQL element for element, in a statement kept
// prepared and in one planned at each execution: NULL as NULL, every
// string as it was (hostileStrings), numbers and booleans; so do the
// lists of strings that statements run through GORM pass (a Teams user
// per id, inserted with the multi-row insert's arrays).
func TestPGArraysRoundTrip(t *testing.T) {
	s := storagetest.Open(t, storage.DialectPostgres)
	ctx := context.Background()
	var strs []any
	for _, h := range hostileStrings {
		strs = append(strs, h)
	}
	str := func(s string) *string { return &s }
	var wantStrs []*string
	for _, h := range hostileStrings {
		wantStrs = append(wantStrs, str(h))
	}
	tests := []struct {
		typ  string
		vals []any
		want []*string
	}{
		{"text", strs, wantStrs},
		{"text", []any{"NULL", nil, ""}, []*string{str("NULL"), nil, str("")}},
		{"bigint", []any{int64(-9223372036854775808), 0, nil, int64(9223372036854775807)},
			[]*string{str("-9223372036854775808"), str("0"), nil, str("9223372036854775807")}},
		{"integer", []any{-2147483648, 2147483647}, []*string{str("-2147483648"), str("2147483647")}},
		{"boolean", []any{true, nil, false}, []*string{str("true"), nil, str("false")}},
		{"text", []any{}, []*string{}},
	}
	show := func(vals []*string) []string {
		out := make([]string, len(vals))
		for i, v := range vals {
			out[i] = "NULL"
			if v != nil {
				out[i] = strconv.Quote(*v)
			}
		}
		return out
	}
	for _, tt := range tests {
		prepared, planned, err := s.ArrayRoundTrip(ctx, tt.typ, tt.vals)
		if err != nil {
			t.Fatalf("%s %v: %v", tt.typ, tt.vals, err)
		}
		for name, got := range map[string][]*string{"kept prepared": prepared, "planned each time": planned} {
			if !reflect.DeepEqual(show(got), show(tt.want)) {
				t.Errorf("%s, %s: read %v\nwant %v", tt.typ, name, show(got), show(tt.want))
			}
		}
	}

	var rows [][]any
	for i, h := range hostileStrings {
		rows = append(rows, []any{h, fmt.Sprint("aad-", i), int64(i)})
	}
	if err := s.InsertRows(ctx, "teams_users", []string{"user_id", "aad_object_id", "updated_ms"}, rows); err != nil {
		t.Fatal(err)
	}
	want := slices.Sorted(slices.Values(hostileStrings))
	prepared, planned, err := s.TeamsUsersByID(ctx, append(slices.Clone(hostileStrings), "not a user", `"`+"é"))
	if err != nil {
		t.Fatal(err)
	}
	// PostgreSQL's collation orders them, not Go's bytes.
	slices.Sort(prepared)
	slices.Sort(planned)
	for name, got := range map[string][]string{"kept prepared": prepared, "planned each time": planned} {
		if !slices.Equal(got, want) {
			t.Errorf("Teams users by id, %s: %q\nwant %q", name, got, want)
		}
	}
}

// Every column the multi-row statements name has its type declared, and
// the declared types are the migrated schema's (character types as text);
// a table declared is declared whole.
func TestPGColumnTypesMatchSchema(t *testing.T) {
	_, raw := storagetest.OpenRaw(t, storage.DialectPostgres)
	rows, err := raw.Query(`SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod)
		FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
		WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped`)
	if err != nil {
		t.Fatal(err)
	}
	schema := map[string]map[string]string{}
	for rows.Next() {
		var table, col, typ string
		if err := rows.Scan(&table, &col, &typ); err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(typ, "character varying") {
			typ = "text"
		}
		if schema[table] == nil {
			schema[table] = map[string]string{}
		}
		schema[table][col] = typ
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	declared := storage.PGColumnTypes()
	for table, cols := range declared {
		if table == "routing_pool_keys" {
			continue // made and dropped while Migrate converts routing_days
		}
		t.Run(table, func(t *testing.T) {
			if schema[table] == nil {
				t.Fatalf("table %s is not in the schema", table)
			}
			if !reflect.DeepEqual(cols, schema[table]) {
				t.Errorf("declared %v\nschema   %v", cols, schema[table])
			}
		})
	}
}

// Values written through the arrays come back as they went in on either
// database: NULL stays NULL and an empty string empty, booleans, typed and
// untyped nils, no rows; duplicate keys in one upsert are added up on
// SQLite and refused on PostgreSQL, as with a list of VALUES.
func TestMultiRowValues(t *testing.T) {
	var none *int64
	seven := int64(7)
	type read struct {
		query string
		want  []string
	}
	tests := []struct {
		name    string
		table   string
		cols    []string
		sums    []string // addRows with these sums, cols the keys
		rows    [][]any
		times   int               // the rows are written this many times, once when 0
		wantErr map[string]string // by dialect: a part of the error
		read    read
	}{
		{
			name:  "NULL and empty strings",
			table: "lead_events",
			cols:  []string{"lead_id", "kind", "stage", "at_ms", "actor", "details", "reason_code", "not_a_fit"},
			rows:  [][]any{{1, "stage", "sql", 10, nil, "", "", false}, {2, "stage", "sql", 20, "", nil, "", true}, {3, "stage", "sql", 30, "api", "d", "r", false}},
			read: read{"SELECT lead_id, COALESCE(actor, 'NULL'), COALESCE(details, 'NULL'), reason_code, CASE WHEN not_a_fit THEN 'true' ELSE 'false' END FROM lead_events ORDER BY id",
				[]string{"1|NULL|||false", "2||NULL||true", "3|api|d|r|false"}},
		},
		{
			name:  "strings to quote or escape",
			table: "lead_events",
			cols:  []string{"lead_id", "kind", "stage", "at_ms", "actor", "details", "reason_code", "not_a_fit"},
			rows: func() (rows [][]any) {
				for i, h := range hostileStrings {
					rows = append(rows, []any{i, "stage", "sql", 10, h, h, "", false})
				}
				return rows
			}(),
			read: read{"SELECT actor, details FROM lead_events ORDER BY id", func() (out []string) {
				for _, h := range hostileStrings {
					out = append(out, h+"|"+h)
				}
				return out
			}()},
		},
		{
			name:  "nullable numbers, typed and untyped nils",
			table: "funnel_won",
			cols:  []string{"lead_id", "at_ms", "prev_ms", "first_touch_ms"},
			rows:  [][]any{{int64(1), 5, nil, none}, {2, int64(6), &seven, 8}, {3, 7, 0, nil}},
			read: read{"SELECT lead_id, at_ms, COALESCE(prev_ms, -1), COALESCE(first_touch_ms, -1) FROM funnel_won ORDER BY lead_id",
				[]string{"1|5|-1|-1", "2|6|7|8", "3|7|0|-1"}},
		},
		{
			name:  "no rows",
			table: "funnel_won",
			cols:  []string{"lead_id", "at_ms", "prev_ms", "first_touch_ms"},
			read:  read{"SELECT count(*) FROM funnel_won", []string{"0"}},
		},
		{
			name:  "sums added to stored rows",
			table: "funnel_waits",
			cols:  []string{"kind", "day", "bucket", "shard"},
			sums:  []string{"n"},
			rows:  [][]any{{"claim", 1, 2, 0, 3}, {"claim", 1, 3, 0, 1}, {"contact", 1, 2, 0, 5}},
			times: 2,
			read:  read{"SELECT kind, bucket, n FROM funnel_waits ORDER BY kind, bucket", []string{"claim|2|6", "claim|3|2", "contact|2|10"}},
		},
		{
			name:    "duplicate keys in one upsert",
			table:   "funnel_waits",
			cols:    []string{"kind", "day", "bucket", "shard"},
			sums:    []string{"n"},
			rows:    [][]any{{"claim", 9, 2, 0, 3}, {"claim", 9, 2, 0, 4}},
			wantErr: map[string]string{storage.DialectPostgres: "cannot affect row a second time"},
			read:    read{"SELECT kind, bucket, n FROM funnel_waits WHERE day = 9", []string{"claim|2|7"}},
		},
		{
			name:    "a value longer than its column",
			table:   "lead_events",
			cols:    []string{"lead_id", "kind", "stage", "at_ms", "actor", "details", "reason_code", "not_a_fit"},
			rows:    [][]any{{1, "stage", strings.Repeat("s", 21), 10, nil, "", "", false}},
			wantErr: map[string]string{storage.DialectPostgres: "value too long"}, // not cut to 20
			read:    read{"SELECT count(*) FROM lead_events WHERE length(stage) = 20", []string{"0"}},
		},
	}
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					s, raw := storagetest.OpenRaw(t, dialect)
					var err error
					for range max(tt.times, 1) {
						if tt.sums != nil {
							err = s.AddRows(ctx, tt.table, tt.cols, tt.sums, tt.rows)
						} else {
							err = s.InsertRows(ctx, tt.table, tt.cols, tt.rows)
						}
						if err != nil {
							break
						}
					}
					if want := tt.wantErr[dialect]; want != "" {
						if err == nil || !strings.Contains(err.Error(), want) {
							t.Fatalf("error %v, want one saying %q", err, want)
						}
						return
					}
					if err != nil {
						t.Fatal(err)
					}
					if got := readRows(t, raw, tt.read.query); !reflect.DeepEqual(got, tt.read.want) {
						t.Errorf("read %q\nwant %q", got, tt.read.want)
					}
				})
			}
		})
	}
}

// missing are the texts of b that a does not hold.
func missing(a, b []string) []string {
	var out []string
	for _, q := range b {
		if !slices.Contains(a, q) {
			out = append(out, q)
		}
	}
	return out
}

// readRows is each row of query, its columns joined by "|".
func readRows(t *testing.T, db *sql.DB, query string) []string {
	t.Helper()
	_, rows := queryRows(t, db, query)
	var out []string
	for _, vals := range rows {
		parts := make([]string, len(vals))
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			parts[i] = fmt.Sprint(v)
		}
		out = append(out, strings.Join(parts, "|"))
	}
	return out
}

// On PostgreSQL a batch of claims, a group of intake saves in a
// transaction and a group of queued notices run statements whose texts do
// not depend on how many claims, saves or notices the batch holds, so
// that each is planned once per connection: the texts run for 1, 2 and 5
// are the same (a text may run once per lead, as a known lead's UPDATE
// does). Each case must run the statement it names.
func TestPGBatchStatementTextIndependentOfBatchSize(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	slack := func(u string) handoff.Owner { return handoff.Owner{Platform: "slack", UserID: u} }
	// sqls saves n new SQLs under prefix.
	sqls := func(t *testing.T, s *storage.Store, n int, prefix string) []int64 {
		t.Helper()
		ids := make([]int64, n)
		for i := range n {
			res, err := s.SaveLead(ctx, input(t, map[string]any{"external_id": fmt.Sprint(prefix, "-", i)}), handoff.DefaultPolicy(), at, handoff.ActorAPI)
			if err != nil {
				t.Fatal(err)
			}
			ids[i] = res.Lead.ID
		}
		return ids
	}
	// claim runs claims as one batch at now; each must win.
	claim := func(t *testing.T, s *storage.Store, claims []storage.BatchClaim, now time.Time) []string {
		t.Helper()
		out, texts, err := s.ClaimBatchStatements(claims, now)
		if err != nil {
			t.Fatal(err)
		}
		for i, o := range out {
			if !o.Won || o.Err != nil {
				t.Fatalf("claim %d of %d: won %v, %v", i+1, len(out), o.Won, o.Err)
			}
		}
		return texts
	}
	// offered routes n new SQLs under prefix: each is offered to a rep.
	offered := func(t *testing.T, s *storage.Store, n int, prefix string) (leads []*handoff.Lead, reps []handoff.RepRef) {
		t.Helper()
		for i := range n {
			lead := saveSQL(t, s, fmt.Sprint(prefix, "-", i), fmt.Sprint("Acme", prefix, i), at)
			routed, d, _, err := s.RouteLead(ctx, lead.ID, handoff.RouteRequest{Routing: roundRobin()}, at)
			if err != nil || d.Offered.IsZero() {
				t.Fatalf("route %s: offered %v, %v", lead.ExternalID, d.Offered, err)
			}
			leads, reps = append(leads, routed), append(reps, d.Offered)
		}
		return leads, reps
	}
	save := func(t *testing.T, s *storage.Store, policy handoff.Policy, now time.Time, raws ...map[string]any) []string {
		t.Helper()
		ins := make([]handoff.LeadInput, len(raws))
		for i, raw := range raws {
			ins[i] = input(t, raw)
		}
		_, errs, texts, err := s.SaveGroupStatements(ins, policy, now, handoff.ActorAPI)
		if err == nil {
			err = errors.Join(errs...)
		}
		if err != nil {
			t.Fatal(err)
		}
		return texts
	}
	tests := []struct {
		name string
		want string // a part of a statement the case runs
		run  func(t *testing.T, s *storage.Store, n int, prefix string) []string
	}{
		{"claims in the channel", "FROM lead_events", func(t *testing.T, s *storage.Store, n int, prefix string) []string {
			var claims []storage.BatchClaim
			for i, id := range sqls(t, s, n, prefix) {
				claims = append(claims, storage.BatchClaim{ID: id, Step: -1, Owner: slack(fmt.Sprint("U", i))})
			}
			return claim(t, s, claims, at.Add(time.Minute))
		}},
		{"claims in Teams", "teams_users", func(t *testing.T, s *storage.Store, n int, prefix string) []string {
			var claims []storage.BatchClaim
			for i, id := range sqls(t, s, n, prefix) {
				claims = append(claims, storage.BatchClaim{ID: id, Step: -1, Owner: handoff.Owner{Platform: "teams", UserID: fmt.Sprint("29:", prefix, i)}})
			}
			return claim(t, s, claims, at.Add(time.Minute))
		}},
		{"offers accepted", "INSERT INTO routing_facts", func(t *testing.T, s *storage.Store, n int, prefix string) []string {
			leads, reps := offered(t, s, n, prefix)
			var claims []storage.BatchClaim
			for i, l := range leads {
				claims = append(claims, storage.BatchClaim{ID: l.ID, Step: l.Offer.Step(), Owner: slack(reps[i].ID)})
			}
			return claim(t, s, claims, at.Add(2*time.Minute))
		}},
		{"claims before an accept: its routing facts rewritten", "DELETE FROM routing_facts", func(t *testing.T, s *storage.Store, n int, prefix string) []string {
			leads, reps := offered(t, s, n, prefix)
			var accepts, claims []storage.BatchClaim
			for i, l := range leads {
				accepts = append(accepts, storage.BatchClaim{ID: l.ID, Step: l.Offer.Step(), Owner: slack(reps[i].ID)})
				claims = append(claims, storage.BatchClaim{ID: l.ID, Step: -1, Owner: slack("U-other")})
			}
			claim(t, s, accepts, at.Add(10*time.Minute))
			for _, l := range leads {
				release := at.Add(11 * time.Minute)
				if _, err := s.UpdateLead(ctx, l.ID, release, func(l *handoff.Lead) (handoff.LeadChange, error) {
					return handoff.LeadChange{Events: l.Release(release, "test", nil)}, nil
				}); err != nil {
					t.Fatal(err)
				}
			}
			// A replica's clock behind: the claim falls between the
			// offer and its accept, which no longer accepts it.
			return claim(t, s, claims, at.Add(5*time.Minute))
		}},
		{"intake of new leads", "INSERT INTO leads", func(t *testing.T, s *storage.Store, n int, prefix string) []string {
			var raws []map[string]any
			for i := range n {
				raws = append(raws, map[string]any{"external_id": fmt.Sprint(prefix, "-", i)})
			}
			return save(t, s, handoff.DefaultPolicy(), at, raws...)
		}},
		{"intake of known leads won", "DELETE FROM funnel_won", func(t *testing.T, s *storage.Store, n int, prefix string) []string {
			sqls(t, s, n, prefix)
			var raws []map[string]any
			for i := range n {
				raws = append(raws, map[string]any{"external_id": fmt.Sprint(prefix, "-", i), "stage": "won", "amount": 100.0})
			}
			return save(t, s, handoff.DefaultPolicy(), at.Add(time.Hour), raws...)
		}},
		{"intake of known leads scored", "lead_activities", func(t *testing.T, s *storage.Store, n int, prefix string) []string {
			sqls(t, s, n, prefix)
			policy := handoff.DefaultPolicy()
			policy.Scoring = &handoff.Scoring{MQLAt: 40, SQLAt: 70, Implicit: []handoff.ImplicitRule{{Activity: "demo_request", Points: 50}}}
			var raws []map[string]any
			for i := range n {
				raws = append(raws, map[string]any{"external_id": fmt.Sprint(prefix, "-", i), "company": "Acme"})
			}
			return save(t, s, policy, at.Add(time.Hour), raws...)
		}},
		{"routing counted anew after an erasure", "FROM routing_facts WHERE", func(t *testing.T, s *storage.Store, n int, prefix string) []string {
			leads, _ := offered(t, s, n, prefix)
			ids := make([]int64, n)
			for i, l := range leads {
				ids[i] = l.ID
			}
			texts, err := s.RefreshRoutingStatements(ids)
			if err != nil {
				t.Fatal(err)
			}
			return texts
		}},
		{"a change's notices", "INSERT INTO", func(t *testing.T, s *storage.Store, n int, prefix string) []string {
			msgs := directMessages(n, prefix)
			texts, err := s.InsertOutboxStatements(msgs, at)
			if err != nil {
				t.Fatal(err)
			}
			return texts
		}},
		{"outbox taken", "outbox", func(t *testing.T, s *storage.Store, n int, prefix string) []string {
			msgs := directMessages(n, prefix)
			if err := s.Enqueue(ctx, at, msgs...); err != nil {
				t.Fatal(err)
			}
			return recorded(t, s, func(r *storage.Store) error {
				taken, err := r.TakeOutbox(ctx, at, 10, time.Minute, "w")
				if err == nil && len(taken) != n {
					err = fmt.Errorf("took %d of %d messages", len(taken), n)
				}
				return err
			})
		}},
		{"decay without scoring", "UPDATE \"leads\" SET \"next_decay_ms\"", func(t *testing.T, s *storage.Store, n int, prefix string) []string {
			policy := handoff.DefaultPolicy()
			policy.Scoring = &handoff.Scoring{MQLAt: 40, SQLAt: 70, Decay: time.Hour, Implicit: []handoff.ImplicitRule{{Activity: "demo_request", Points: 50}}}
			for i := range n {
				id := fmt.Sprint(prefix, "-", i)
				if _, err := s.SaveLead(ctx, input(t, map[string]any{"external_id": id, "stage": "lead"}), policy, at, handoff.ActorAPI); err != nil {
					t.Fatal(err)
				}
				if _, err := s.SaveActivities(ctx, id, []handoff.Activity{{Type: "demo_request", OccurredAt: at}}, policy, at); err != nil {
					t.Fatal(err)
				}
			}
			return recorded(t, s, func(r *storage.Store) error {
				seen, _, err := r.RescoreDecayed(ctx, at.Add(2*time.Hour), handoff.DefaultPolicy(), 100)
				if err == nil && seen != n {
					err = fmt.Errorf("rescored %d of %d leads", seen, n)
				}
				return err
			})
		}},
		{"erasure by email", "FOR UPDATE", func(t *testing.T, s *storage.Store, n int, prefix string) []string {
			for i := range n {
				if _, err := s.SaveLead(ctx, input(t, map[string]any{"external_id": fmt.Sprint(prefix, "-", i), "email": "same@example.com"}), handoff.DefaultPolicy(), at, handoff.ActorAPI); err != nil {
					t.Fatal(err)
				}
			}
			return recorded(t, s, func(r *storage.Store) error {
				erased, err := r.ForgetEmail(ctx, "same@example.com", handoff.DefaultPolicy(), at.Add(time.Hour))
				if err == nil && erased != n {
					err = fmt.Errorf("erased %d of %d leads", erased, n)
				}
				return err
			})
		}},
		{"scored leads", "FROM \"leads\" WHERE", func(t *testing.T, s *storage.Store, n int, prefix string) []string {
			// Each round's leads arrive on a day of their own.
			day := at.AddDate(0, 0, n)
			for i := range n {
				if _, err := s.SaveLead(ctx, input(t, map[string]any{"external_id": fmt.Sprint(prefix, "-", i), "stage": "lead"}), handoff.DefaultPolicy(), day, handoff.ActorAPI); err != nil {
					t.Fatal(err)
				}
			}
			return recorded(t, s, func(r *storage.Store) error {
				leads, err := r.ScoredLeads(ctx, handoff.Period{Label: prefix, Start: day, End: day.Add(time.Hour)})
				if err == nil && len(leads) != n {
					err = fmt.Errorf("%d of %d leads", len(leads), n)
				}
				return err
			})
		}},
		{"dead messages retried", `UPDATE "outbox"`, func(t *testing.T, s *storage.Store, n int, prefix string) []string {
			ids := deadMessages(t, s, n, prefix)
			return recorded(t, s, func(r *storage.Store) error {
				retried, err := r.RetryDeadOutbox(ctx, at, ids...)
				if err == nil && retried != int64(n) {
					err = fmt.Errorf("retried %d of %d messages", retried, n)
				}
				return err
			})
		}},
		{"dead messages dropped", `DELETE FROM "outbox"`, func(t *testing.T, s *storage.Store, n int, prefix string) []string {
			ids := deadMessages(t, s, n, prefix)
			return recorded(t, s, func(r *storage.Store) error {
				dropped, err := r.DropDeadOutbox(ctx, ids...)
				if err == nil && dropped != int64(n) {
					err = fmt.Errorf("dropped %d of %d messages", dropped, n)
				}
				return err
			})
		}},
		{"notices queued together", "INSERT INTO", func(t *testing.T, s *storage.Store, n int, prefix string) []string {
			msgs := make([][]handoff.OutboxMessage, n)
			for i := range msgs {
				msgs[i] = []handoff.OutboxMessage{{Kind: handoff.OutboxDirect, Platform: "slack", Payload: fmt.Sprint(prefix, i)}}
			}
			texts, err := s.EnqueueGroupStatements(msgs, at)
			if err != nil {
				t.Fatal(err)
			}
			return texts
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := storagetest.Open(t, storage.DialectPostgres)
			var one []string
			for _, n := range []int{1, 2, 5} {
				texts := slices.Compact(slices.Sorted(slices.Values(tt.run(t, s, n, fmt.Sprint("n", n)))))
				if !slices.ContainsFunc(texts, func(q string) bool { return strings.Contains(q, tt.want) }) {
					t.Fatalf("%d: no statement with %q among %.200q", n, tt.want, texts)
				}
				if n == 1 {
					one = texts
					continue
				}
				if !slices.Equal(texts, one) {
					t.Errorf("the texts for %d differ from those for 1:\nonly for %d: %.200q\nonly for 1: %.200q", n, n, missing(one, texts), missing(texts, one))
				}
			}
		})
	}
}

// recorded is the texts of the statements fn ran on a store recording
// those of s (Store.Recorded).
func recorded(t *testing.T, s *storage.Store, fn func(r *storage.Store) error) []string {
	t.Helper()
	texts, err := s.Recorded(fn)
	if err != nil {
		t.Fatal(err)
	}
	return texts
}

// directMessages are n private Slack notices, their payloads prefix and a number.
func directMessages(n int, prefix string) []handoff.OutboxMessage {
	msgs := make([]handoff.OutboxMessage, n)
	for i := range msgs {
		msgs[i] = handoff.OutboxMessage{Kind: handoff.OutboxDirect, Platform: "slack", Payload: fmt.Sprint(prefix, i)}
	}
	return msgs
}

// deadMessages queues n direct messages of payloads prefix-0 …
// prefix-(n-1) on s and has them given up (dead), and returns their ids.
func deadMessages(t *testing.T, s *storage.Store, n int, prefix string) []int64 {
	t.Helper()
	ctx := context.Background()
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	msgs := make([]handoff.OutboxMessage, n)
	for i := range msgs {
		msgs[i] = handoff.OutboxMessage{Kind: handoff.OutboxDirect, Platform: "slack", Payload: fmt.Sprint(prefix, "-", i)}
	}
	if err := s.Enqueue(ctx, at, msgs...); err != nil {
		t.Fatal(err)
	}
	taken, err := s.TakeOutbox(ctx, at, 1000, time.Minute, "w")
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, m := range taken {
		if strings.HasPrefix(m.Payload, prefix+"-") {
			if err := s.FailOutbox(ctx, m, at, "channel_not_found"); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, m.ID)
		}
	}
	if len(ids) != n {
		t.Fatalf("%d of %d messages dead", len(ids), n)
	}
	return ids
}
