package storage_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3" // the SQLite driver, for the bulk load

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/handlers"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// The funnel benchmark answers GET /api/funnel?period=year over a store of
// HANDOFF_BENCH_LEADS leads (default 10,000) and their events, on SQLite and
// PostgreSQL. The fixture is bulk-loaded once and cached: the SQLite file in
// os.TempDir and the PostgreSQL schema bench_funnel_v<version>_<n>, both keyed
// by size and fixture version, so reruns only measure. Run it with
//
//	HANDOFF_BENCH_LEADS=1000000 go test ./storage/ -run '^$' -bench BenchmarkFunnelYear -benchtime 50x -timeout 60m
//
// Plain `go test` never builds the fixture: benchmarks only run with -bench.

// benchFixtureVersion changes whenever the generated data changes, so a
// stale cache is never reused. Version 2 routes every SQL (routed events:
// an offer to a rep, who mostly accepts, else passes or lets it run out).
const benchFixtureVersion = 2

// benchNow is the clock of the benchmark: late November, so "year" covers
// almost all of 2026.
var benchNow = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

// benchSpan is how far back the fixture's leads go: they arrive uniformly
// over the 365 days before benchNow, so "year" (2026) covers 89% of them.
const benchSpan = 365 * 24 * time.Hour

func benchLeads(b *testing.B) int {
	b.Helper()
	v := os.Getenv("HANDOFF_BENCH_LEADS")
	if v == "" {
		return 10_000
	}
	n, err := strconv.Atoi(strings.ReplaceAll(v, "_", ""))
	if err != nil || n <= 0 {
		b.Fatalf("HANDOFF_BENCH_LEADS=%q: want a positive integer", v)
	}
	return n
}

func BenchmarkFunnelYear(b *testing.B) {
	n := benchLeads(b)
	for _, dialect := range storagetest.Dialects {
		b.Run(fmt.Sprintf("%s/leads=%d", dialect, n), func(b *testing.B) {
			s := benchStore(b, dialect, n)
			loc, err := time.LoadLocation("Europe/Copenhagen")
			if err != nil {
				b.Fatal(err)
			}
			policy := handoff.DefaultPolicy()
			policy.Location = loc
			policy.Targets = handoff.Targets{SQLsPerMonth: 20, CustomersPerMonth: 5, AvgDealSize: 40000, Currency: "DKK"}
			api := &handlers.FunnelAPI{Store: s, Policy: policy, Token: "bench", Now: func() time.Time { return benchNow }}
			mux := http.NewServeMux()
			api.Register(mux)
			get := func() *httptest.ResponseRecorder {
				req := httptest.NewRequest(http.MethodGet, "/api/funnel?period=year", nil)
				req.Header.Set("Authorization", "Bearer bench")
				rec := httptest.NewRecorder()
				mux.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
				return rec
			}
			b.Logf("answer: %s", get().Body) // warm the cache and show what is measured
			durations := make([]time.Duration, 0, b.N)
			cpu0 := processCPU(b)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				start := time.Now()
				get()
				durations = append(durations, time.Since(start))
			}
			b.StopTimer()
			// CPU time of this process per answer: on SQLite all of the
			// work, and less sensitive to a loaded machine than the wall clock.
			b.ReportMetric(float64((processCPU(b)-cpu0).Microseconds())/1000/float64(len(durations)), "cpu-ms/op")
			slices.Sort(durations)
			pct := func(p float64) float64 {
				i := int(p * float64(len(durations)-1))
				return float64(durations[i].Microseconds()) / 1000
			}
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
		})
	}
}

// benchStore returns a store holding the cached fixture of n leads,
// building it first when it is missing.
func benchStore(b *testing.B, dialect string, n int) *storage.Store {
	b.Helper()
	// Migrating again adds any index introduced since the fixture was cached.
	return storagetest.OpenURL(b, benchURL(b, dialect, n), storage.Options{})
}

// benchURL returns the database URL of the cached fixture of n leads,
// building it first when it is missing.
func benchURL(b *testing.B, dialect string, n int) string {
	b.Helper()
	var dbURL string
	if dialect == storage.DialectSQLite {
		path := filepath.Join(os.TempDir(), fmt.Sprintf("handoff-bench-funnel-v%d-%d.db", benchFixtureVersion, n))
		if _, err := os.Stat(path); err != nil {
			tmp := path + ".building"
			for _, suffix := range []string{"", "-wal", "-shm"} {
				os.Remove(tmp + suffix)
			}
			buildFixture(b, dialect, tmp, n)
			if err := os.Rename(tmp, path); err != nil {
				b.Fatal(err)
			}
		}
		dbURL = path
	} else {
		schema := fmt.Sprintf("bench_funnel_v%d_%d", benchFixtureVersion, n)
		u, err := url.Parse(storagetest.PostgresURL())
		if err != nil {
			b.Fatal(err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		dbURL = u.String()
		admin, err := sql.Open("pgx", storagetest.PostgresURL())
		if err != nil {
			b.Fatal(err)
		}
		defer admin.Close()
		var done bool
		err = admin.QueryRow("SELECT EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'bench_done')", schema).Scan(&done)
		if err != nil {
			b.Fatalf("postgres: %v", err)
		}
		if !done {
			if _, err := admin.Exec("DROP SCHEMA IF EXISTS " + schema + " CASCADE"); err != nil {
				b.Fatal(err)
			}
			if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
				b.Fatal(err)
			}
			buildFixture(b, dialect, dbURL, n)
			if _, err := admin.Exec("CREATE TABLE " + schema + ".bench_done (n integer)"); err != nil {
				b.Fatal(err)
			}
		}
	}
	return dbURL
}

// buildFixture migrates a new database at dbURL and bulk-loads n leads with
// their events using multi-row INSERTs in one transaction.
func buildFixture(b *testing.B, dialect, dbURL string, n int) {
	b.Helper()
	ctx := context.Background()
	start := time.Now()
	s, err := storage.Open(ctx, dbURL, storage.Options{})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	s.Close()

	var db *sql.DB
	if dialect == storage.DialectSQLite {
		db, err = sql.Open("sqlite3", "file:"+dbURL+"?_journal_mode=WAL&_synchronous=OFF")
	} else {
		db, err = sql.Open("pgx", dbURL)
	}
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	tx, err := db.Begin()
	if err != nil {
		b.Fatal(err)
	}
	// The bulk load bypasses the store: the funnel's rollup is dropped so
	// that the next Migrate fills it from the events (as for a database
	// that predates it).
	for _, table := range []string{"funnel_days", "funnel_reentries", "funnel_won", "funnel_lead_days", "funnel_waits", "routing_days", "routing_facts"} {
		if _, err := tx.Exec("DROP TABLE IF EXISTS " + table); err != nil {
			b.Fatal(err)
		}
	}
	const batch = 1000
	leadSQL := &strings.Builder{}
	eventSQL := &strings.Builder{}
	leadRows, eventRows := 0, 0
	flush := func(force bool) {
		if leadRows > 0 && (force || leadRows >= batch) {
			if _, err := tx.Exec(leadSQL.String()); err != nil {
				b.Fatalf("insert leads: %v", err)
			}
			leadSQL.Reset()
			leadRows = 0
		}
		if eventRows > 0 && (force || eventRows >= batch) {
			if _, err := tx.Exec(eventSQL.String()); err != nil {
				b.Fatalf("insert events: %v", err)
			}
			eventSQL.Reset()
			eventRows = 0
		}
	}
	rng := rand.New(rand.NewPCG(1, uint64(n)))
	events := 0
	for i := 1; i <= n; i++ {
		l := benchLead(rng, int64(i))
		if leadRows == 0 {
			leadSQL.WriteString("INSERT INTO leads (id, external_id, email, source, score, stage, reached, amount_minor, reason," +
				" owner_platform, owner_user_id, owner_email, sql_ms, claimed_ms, contacted_ms, claim_due_ms, contact_due_ms," +
				" sla_breached, created_ms, updated_ms) VALUES ")
		} else {
			leadSQL.WriteByte(',')
		}
		fmt.Fprintf(leadSQL, "(%d,'bench-%d','lead%d@example.com','%s',%d,'%s',%d,%d,'%s','%s','%s','%s',%s,%s,%s,%s,%s,%t,%d,%d)",
			l.id, l.id, l.id, l.source, l.score, l.stage, l.reached, l.amount, l.reason,
			l.platform, l.userID, l.ownerEmail, sqlInt(l.sqlMs), sqlInt(l.claimedMs), sqlInt(l.contactedMs),
			sqlInt(l.claimDueMs), sqlInt(l.contactDueMs), l.breached, l.createdMs, l.updatedMs)
		leadRows++
		for _, e := range l.events {
			if eventRows == 0 {
				eventSQL.WriteString("INSERT INTO lead_events (lead_id, kind, stage, at_ms, actor, details) VALUES ")
			} else {
				eventSQL.WriteByte(',')
			}
			kind, actor := "stage", "import"
			if e.kind != "" {
				kind, actor = string(e.kind), e.actor
			} else if e.actor != "" {
				actor = e.actor
			}
			fmt.Fprintf(eventSQL, "(%d,'%s','%s',%d,'%s','%s')", l.id, kind, e.stage, e.at, actor, strings.ReplaceAll(e.details, "'", "''"))
			eventRows++
			events++
		}
		flush(false)
	}
	flush(true)
	if dialect == storage.DialectPostgres {
		if _, err := tx.Exec("SELECT setval(pg_get_serial_sequence('leads', 'id'), (SELECT MAX(id) FROM leads))"); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	// Statistics for the planners, and on PostgreSQL the visibility map
	// that index-only scans need: the state autovacuum keeps a live database in.
	analyze := "ANALYZE"
	if dialect == storage.DialectPostgres {
		analyze = "VACUUM ANALYZE"
	}
	if _, err := db.Exec(analyze); err != nil {
		b.Fatal(err)
	}
	if dialect == storage.DialectSQLite {
		// Everything into the one file before it is renamed: a rename
		// leaves a write-ahead log behind, and the data with it.
		var mode string
		if err := db.QueryRow("PRAGMA journal_mode=DELETE").Scan(&mode); err != nil || mode != "delete" {
			b.Fatalf("sqlite fixture: journal mode %q: %v", mode, err)
		}
	}
	b.Logf("built %s fixture: %d leads, %d events in %s", dialect, n, events, time.Since(start).Round(time.Millisecond))
}

// processCPU is the user and system CPU time this process has used.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func sqlInt(v *int64) string {
	if v == nil {
		return "NULL"
	}
	return strconv.FormatInt(*v, 10)
}

type benchEvent struct {
	stage handoff.Stage
	at    int64
	// kind is empty for a stage event; actor empty for "import".
	kind           handoff.EventKind
	actor, details string
}

type benchLeadRow struct {
	id                            int64
	source, stage, reason         string
	score, reached                int
	amount                        int64
	platform, userID, ownerEmail  string
	sqlMs, claimedMs, contactedMs *int64
	claimDueMs, contactDueMs      *int64
	breached                      bool
	createdMs, updatedMs          int64
	events                        []benchEvent
}

var benchSources = []string{"organic", "organic", "paid", "paid", "referral", "event", "webinar"}

// benchLead generates one lead's life: every lead arrives, half become MQLs,
// half of those SQLs; most SQLs are claimed and contacted (some late), some
// reach opportunity and are won or lost, some are recycled and come back.
// Nothing happens after benchNow.
func benchLead(rng *rand.Rand, id int64) benchLeadRow {
	const (
		minute = int64(time.Minute / time.Millisecond)
		hour   = 60 * minute
		day    = 24 * hour
	)
	nowMs := benchNow.UnixMilli()
	t := nowMs - rng.Int64N(benchSpan.Milliseconds())
	l := benchLeadRow{id: id, source: benchSources[rng.IntN(len(benchSources))], score: rng.IntN(100), createdMs: t}
	enter := func(st handoff.Stage, at int64) bool {
		if at > nowMs {
			return false
		}
		l.events = append(l.events, benchEvent{stage: st, at: at})
		l.stage = string(st)
		if r := st.Rank(); r > l.reached {
			l.reached = r
		}
		l.updatedMs = at
		t = at
		return true
	}
	ptr := func(v int64) *int64 { return &v }
	enterSQL := func(at int64) bool {
		if !enter(handoff.StageSQL, at) {
			return false
		}
		l.sqlMs, l.claimDueMs, l.contactDueMs = ptr(at), ptr(at+2*hour), ptr(at+48*hour)
		l.claimedMs, l.contactedMs, l.breached = nil, nil, false
		l.platform, l.userID, l.ownerEmail = "", "", ""
		return true
	}
	l.reached = -1
	enter(handoff.StageLead, t)
	if rng.Float64() >= 0.5 || !enter(handoff.StageMQL, t+rng.Int64N(7*day)) {
		return l
	}
	if rng.Float64() >= 0.5 || !enterSQL(t+rng.Int64N(7*day)) {
		return l
	}
	sqlAt := t
	offerAt := sqlAt + 5_000 + rng.Int64N(55_000)
	offered := rng.IntN(20)
	if offerAt > nowMs {
		return l
	}
	l.routed(offerAt, benchOffer(offerAt, offered, -1, ""))
	if rng.Float64() >= 0.9 {
		// Never claimed: the offer runs out and the lead opens to the
		// channel; half are recycled, and some of those come back.
		if end := offerAt + 15*minute; end <= nowMs {
			l.routed(end, benchOpen(end, offered))
		}
		if rng.Float64() < 0.5 && enter(handoff.StageRecycled, t+rng.Int64N(5*day)+day) {
			l.reason = "not ready"
			if rng.Float64() < 0.3 {
				enterSQL(t + rng.Int64N(30*day) + day)
			}
		}
		return l
	}
	// Three in four accept the first offer within its 15 minutes; the
	// others pass or let it run out, and the next rep offered accepts.
	rep, claimAt := offered, offerAt+rng.Int64N(15*minute)
	if rng.Float64() >= 0.75 {
		rep = (offered + 1 + rng.IntN(19)) % 20
		ending, next := string(handoff.SkipTimedOut), offerAt+15*minute
		if rng.Float64() < 0.5 {
			ending, next = string(handoff.SkipPassed), offerAt+rng.Int64N(15*minute)
		}
		if next > nowMs {
			return l
		}
		l.routed(next, benchOffer(next, rep, offered, ending))
		claimAt = next + rng.Int64N(15*minute)
	}
	if !enter(handoff.StageClaimed, claimAt) {
		return l
	}
	l.events[len(l.events)-1].actor = fmt.Sprintf("slack:U%04d", rep)
	l.claimedMs = ptr(claimAt)
	l.platform, l.userID, l.ownerEmail = "slack", fmt.Sprintf("U%04d", rep), fmt.Sprintf("rep%d@example.com", rep)
	l.breached = claimAt > *l.claimDueMs
	if rng.Float64() >= 0.92 {
		return l
	}
	contactAt := *l.sqlMs + rng.Int64N(60*hour)
	if contactAt < claimAt {
		contactAt = claimAt + rng.Int64N(hour)
	}
	if !enter(handoff.StageContacted, contactAt) {
		return l
	}
	l.contactedMs = ptr(contactAt)
	l.breached = l.breached || contactAt > *l.contactDueMs
	switch r := rng.Float64(); {
	case r < 0.2:
		enter(handoff.StageLost, t+rng.Int64N(10*day)+day)
		l.reason = "no budget"
		return l
	case r >= 0.6:
		return l
	}
	if !enter(handoff.StageOpportunity, t+rng.Int64N(20*day)+day) {
		return l
	}
	switch r := rng.Float64(); {
	case r < 0.35:
		if enter(handoff.StageWon, t+rng.Int64N(55*day)+5*day) {
			l.amount = (5_000 + rng.Int64N(95_000)) * 100
		}
	case r < 0.7:
		if enter(handoff.StageLost, t+rng.Int64N(55*day)+5*day) {
			l.reason = "competitor"
		}
	}
	return l
}

// routed records a routed event of the lead's SQL at at with details.
func (l *benchLeadRow) routed(at int64, details string) {
	l.events = append(l.events, benchEvent{stage: handoff.StageSQL, at: at, kind: handoff.EventRouted, actor: handoff.ActorSystem, details: details})
}

// benchOffer is the details of an offer of a lead to rep r at at, as
// fixtures.WhyEvents' first offer (rep 1 away, a Teams rep off hours),
// ending the offer to rep ended (-1 for none) with ending.
func benchOffer(at int64, r, ended int, ending string) string {
	now := time.UnixMilli(at).UTC()
	rep := handoff.RepRef{Platform: "slack", ID: fmt.Sprintf("U%04d", r)}
	away := handoff.Availability{Rep: handoff.RepRef{Platform: "slack", ID: "U0001"}, Skip: handoff.SkipAway, Until: now.AddDate(0, 0, 3), Detail: "Skiing <3"}
	hours := handoff.Availability{Rep: handoff.RepRef{Platform: "teams", ID: "eva@berg.dk"}, Skip: handoff.SkipOutsideHours, Until: now.Add(4 * time.Hour)}
	d := handoff.RouteDecision{At: now, Offered: rep, OfferUntil: now.Add(15 * time.Minute), SameAccount: true,
		Candidates: []handoff.Availability{{Rep: rep}, away, hours}}
	details := map[string]string{"offered": rep.Key(), "state": string(handoff.OfferOffered)}
	if ended >= 0 {
		details["ended"], details["ending"] = fmt.Sprintf("slack:U%04d", ended), ending
		if ending == string(handoff.SkipPassed) {
			details["reason"] = "on a *call*"
		}
	}
	return benchDetails(d, details)
}

// benchOpen is the details of the lead opened to the channel at at when
// rep r's offer ran out.
func benchOpen(at int64, r int) string {
	d := handoff.RouteDecision{At: time.UnixMilli(at).UTC(), OpenToChannel: true}
	return benchDetails(d, map[string]string{"ended": fmt.Sprintf("slack:U%04d", r), "ending": string(handoff.SkipTimedOut), "state": string(handoff.OfferOpen)})
}

func benchDetails(d handoff.RouteDecision, details map[string]string) string {
	raw, err := json.Marshal(d)
	if err != nil {
		panic(err)
	}
	details["decision"] = string(raw)
	out, err := json.Marshal(details)
	if err != nil {
		panic(err)
	}
	return string(out)
}
