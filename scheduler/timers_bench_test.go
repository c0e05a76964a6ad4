package scheduler_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/scheduler"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// The timers benchmark seeds HANDOFF_BENCH_SLA_LEADS open SQLs (default
// 10,000; the figure is 100,000) whose claim and contact deadlines
// spread over a week, and runs the real scheduler (Run, with its lease) in
// real time on a clock that starts at the beginning of that week. Of the
// leads, HANDOFF_BENCH_SLA_BURST (default 3,000) have their claim deadline in
// the first minute (5–65 s), so that many escalations come due while it
// runs; then nothing is due for HANDOFF_BENCH_SLA_IDLE (default 30 s), and
// the CPU the process spends in that time is scaled to an hour. The routing
// clock is wired as handoff serve wires it. Run it with
//
//	HANDOFF_BENCH_SLA_LEADS=100000 go test ./scheduler/ -run '^$' -bench Timers -benchtime 1x -timeout 30m
//
// It reports the lateness of every escalation (the time its transaction
// committed minus its due time) as p50/p99/max, and the CPU per idle hour of
// this process (SQLite runs inside it) and, on PostgreSQL, of the server's
// backends serving it.

func benchEnvInt(b *testing.B, name string, def int) int {
	b.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(strings.ReplaceAll(v, "_", ""))
	if err != nil || n < 0 {
		b.Fatalf("%s=%q: want a non-negative integer", name, v)
	}
	return n
}

func BenchmarkTimers(b *testing.B) {
	n := benchEnvInt(b, "HANDOFF_BENCH_SLA_LEADS", 10_000)
	burst := min(benchEnvInt(b, "HANDOFF_BENCH_SLA_BURST", 3_000), n)
	idle := time.Duration(benchEnvInt(b, "HANDOFF_BENCH_SLA_IDLE", 30)) * time.Second
	for _, dialect := range storagetest.Dialects {
		b.Run(fmt.Sprintf("%s/leads=%d", dialect, n), func(b *testing.B) {
			for range b.N {
				benchTimersOnce(b, dialect, n, burst, idle)
			}
		})
	}
}

// w0 is the simulated start of the benchmark's week.
var w0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func benchTimersOnce(b *testing.B, dialect string, n, burst int, idle time.Duration) {
	b.StopTimer()
	ctx := context.Background()
	app := "handoff-bench-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	dbURL := storagetest.URL(b, dialect)
	if dialect == storage.DialectPostgres {
		u, err := url.Parse(dbURL)
		if err != nil {
			b.Fatal(err)
		}
		q := u.Query()
		q.Set("application_name", app)
		u.RawQuery = q.Encode()
		dbURL = u.String()
	}
	s, err := storage.Open(ctx, dbURL, storage.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	p := handoff.DefaultPolicy()
	seedStart := time.Now()
	seedTimers(b, s, p, n, burst)
	b.Logf("seeded %d open SQLs in %s", n, time.Since(seedStart).Round(time.Millisecond))

	rec := &recordingStore{Store: s}
	var start time.Time
	clock := func() time.Time { return w0.Add(time.Since(start)) }
	rec.now = clock
	// The routing clock is asked on every tick, as in handoff serve; no
	// lead has a routing step, so Route is never called.
	sch, err := scheduler.New(scheduler.Config{Store: rec, Policy: p, Now: clock, Logger: quiet(),
		Routes: s, Route: func(context.Context, int64) error { return nil }})
	if err != nil {
		b.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	b.StartTimer()
	start = time.Now()
	go func() { done <- sch.Run(runCtx) }()

	// The burst is due 5–65 s in; wait for it, then measure the quiet time.
	burstEnd := 70 * time.Second
	time.Sleep(burstEnd - time.Since(start))
	pgCPU := postgresCPU(b, dialect, app)
	cpu0, pg0 := processCPU(), pgCPU()
	idleStart := time.Now()
	time.Sleep(idle)
	cpu1, pg1 := processCPU(), pgCPU()
	idleTook := time.Since(idleStart)
	cancel()
	if err := <-done; err != nil && err != context.Canceled {
		b.Fatal(err)
	}
	b.StopTimer()

	late := rec.lateness()
	if len(late) != burst {
		b.Fatalf("%d escalations fired, want the %d due in the burst", len(late), burst)
	}
	slices.Sort(late)
	pct := func(q float64) float64 { return float64(late[int(q*float64(len(late)-1))].Microseconds()) / 1000 }
	perHour := func(d time.Duration) float64 {
		return float64(d.Milliseconds()) * float64(time.Hour) / float64(idleTook)
	}
	b.ReportMetric(pct(0.5), "p50-late-ms")
	b.ReportMetric(pct(0.99), "p99-late-ms")
	b.ReportMetric(pct(1), "max-late-ms")
	b.ReportMetric(perHour(cpu1-cpu0), "cpu-ms/idle-h")
	if dialect == storage.DialectPostgres {
		b.ReportMetric(perHour(pg1-pg0), "pg-cpu-ms/idle-h")
	}
}

// seedTimers saves n open SQLs through the store's batch path: burst of
// them with claim deadlines 5–65 s after w0, the rest with both deadlines
// spread over the week from w0+1h. They are saved "after" the week, so that
// every SQL time is in the past for validation.
func seedTimers(b *testing.B, s *storage.Store, p handoff.Policy, n, burst int) {
	b.Helper()
	ctx := context.Background()
	saveAt := w0.Add(8 * 24 * time.Hour)
	rng := rand.New(rand.NewPCG(1, 2))
	week := 7 * 24 * time.Hour
	const batchSize = 500
	ins := make([]handoff.LeadInput, 0, batchSize)
	flush := func() {
		if len(ins) == 0 {
			return
		}
		_, errs, err := s.SaveLeads(ctx, ins, p, saveAt, handoff.ActorImport)
		if err != nil {
			b.Fatal(err)
		}
		for _, e := range errs {
			if e != nil {
				b.Fatal(e)
			}
		}
		ins = ins[:0]
	}
	for i := range n {
		var claimDue time.Time
		if i < burst {
			claimDue = w0.Add(5*time.Second + time.Duration(rng.Int64N(int64(time.Minute))))
		} else {
			claimDue = w0.Add(time.Hour + time.Duration(rng.Int64N(int64(week-time.Hour))))
		}
		sqlAt := claimDue.Add(-p.ClaimWithin)
		in, err := handoff.ParseLeadInput(map[string]any{
			"external_id": fmt.Sprintf("sla-%d", i),
			"stage":       "sql",
			"occurred_at": sqlAt.Format(time.RFC3339Nano),
		}, saveAt)
		if err != nil {
			b.Fatal(err)
		}
		ins = append(ins, in)
		if len(ins) == batchSize {
			flush()
		}
	}
	flush()
}

// recordingStore notes the real time each SLA action's transaction
// committed.
type recordingStore struct {
	*storage.Store
	now  func() time.Time
	mu   sync.Mutex
	late []time.Duration
}

func (r *recordingStore) FireSLA(ctx context.Context, now time.Time, p handoff.Policy, limit int, unsent ...string) ([]handoff.SLAAction, []handoff.Parked, error) {
	fired, parked, err := r.Store.FireSLA(ctx, now, p, limit, unsent...)
	at := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, a := range fired {
		if a.Kind == handoff.SLAEscalateClaim {
			r.late = append(r.late, at.Sub(a.Due))
		}
	}
	return fired, parked, err
}

func (r *recordingStore) lateness() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.late)
}

// processCPU is the user and system CPU this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// postgresCPU returns a function reading the CPU used so far by the
// PostgreSQL backends whose application_name is app (from /proc: the server
// runs on this machine); it reads 0 on SQLite.
func postgresCPU(b *testing.B, dialect, app string) func() time.Duration {
	if dialect != storage.DialectPostgres {
		return func() time.Duration { return 0 }
	}
	db, err := sql.Open("pgx", storagetest.PostgresURL())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return func() time.Duration {
		rows, err := db.Query("SELECT pid FROM pg_stat_activity WHERE application_name = $1", app)
		if err != nil {
			b.Fatal(err)
		}
		defer rows.Close()
		var total time.Duration
		for rows.Next() {
			var pid int
			if err := rows.Scan(&pid); err != nil {
				b.Fatal(err)
			}
			total += procCPU(pid)
		}
		return total
	}
}

// procCPU reads utime+stime of a process from /proc/<pid>/stat (clock ticks
// of 10 ms).
func procCPU(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(data)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	// After the command: state is field 3, utime 14, stime 15 (1-based).
	ut, _ := strconv.ParseInt(fields[11], 10, 64)
	st, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}
