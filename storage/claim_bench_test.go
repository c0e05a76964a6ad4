package storage_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// BenchmarkClaimLead claims 200 new SQLs at once per iteration, each by
// its own goroutine, and reports the CPU each claim cost this process and
// (PostgreSQL) the server's backends, and the claims' p99 latency, on both
// paths: "transaction" (each claim its own) and "batch" (the claims that
// wait together share one, as ClaimLead's do).
//
//	go test ./storage -run '^$' -bench ClaimLead -benchtime 10x
func BenchmarkClaimLead(b *testing.B) {
	for _, d := range storagetest.Dialects {
		for _, inTx := range []bool{true, false} {
			name := d + "/batch"
			if inTx {
				name = d + "/transaction"
			}
			b.Run(name, func(b *testing.B) { benchClaims(b, d, inTx) })
		}
	}
}

// openBenchStore returns a migrated store on a new database of dialect,
// closed when the benchmark ends; on PostgreSQL its connections carry an
// application name of their own, app (name and a number), whose backends'
// CPU backendCPU reads; app is empty on SQLite.
func openBenchStore(b *testing.B, dialect, name string) (s *storage.Store, app string) {
	url := storagetest.URL(b, dialect)
	if dialect == storage.DialectPostgres {
		app = fmt.Sprintf("%s%d", name, time.Now().UnixNano())
		url += "&application_name=" + app
	}
	return storagetest.OpenURL(b, url, storage.Options{}), app
}

func benchClaims(b *testing.B, dialect string, inTx bool) {
	ctx := context.Background()
	s, app := openBenchStore(b, dialect, "claimbench")
	if inTx {
		s.ClaimInTransaction()
	}
	const claims = 200
	var lat []time.Duration
	var goCPU, pgCPU, wall time.Duration
	for i := range b.N {
		b.StopTimer()
		var ins []handoff.LeadInput
		for j := range claims {
			in, err := handoff.ParseLeadInput(map[string]any{"external_id": fmt.Sprintf("b%d-%d", i, j), "stage": "sql", "source": "paid"}, claimT0)
			if err != nil {
				b.Fatal(err)
			}
			ins = append(ins, in)
		}
		res, _, err := s.SaveLeads(ctx, ins, handoff.DefaultPolicy(), claimT0, handoff.ActorAPI)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		g0, p0, start := processCPU(b), backendCPU(b, app), time.Now()
		var mu sync.Mutex
		var wg sync.WaitGroup
		for j, r := range res {
			wg.Add(1)
			go func() {
				defer wg.Done()
				t0 := time.Now()
				user := fmt.Sprint("U", j)
				_, won, err := s.ClaimLead(ctx, r.Lead.ID, handoff.Owner{Platform: "slack", UserID: user}, claimT0.Add(time.Minute), handoff.Policy{}, "slack:"+user)
				if err != nil || !won {
					b.Errorf("claim: won %v, err %v", won, err)
				}
				mu.Lock()
				lat = append(lat, time.Since(t0))
				mu.Unlock()
			}()
		}
		wg.Wait()
		wall += time.Since(start)
		goCPU += processCPU(b) - g0
		pgCPU += backendCPU(b, app) - p0
	}
	b.StopTimer()
	slices.Sort(lat)
	n := float64(b.N * claims)
	b.ReportMetric(float64(goCPU.Microseconds())/n, "go-cpu-µs/claim")
	if app != "" {
		b.ReportMetric(float64(pgCPU.Microseconds())/n, "pg-cpu-µs/claim")
	}
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(n/wall.Seconds(), "claims/s")
	b.ReportMetric(0, "ns/op")
}

// backendCPU is the CPU time used by the PostgreSQL backends serving
// application app, read from /proc (0 when app is empty or /proc cannot
// tell: the server on another machine).
func backendCPU(b *testing.B, app string) time.Duration {
	if app == "" {
		return 0
	}
	db, err := sql.Open("pgx", storagetest.PostgresURL())
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT pid FROM pg_stat_activity WHERE application_name = $1", app)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	var ticks int64
	for rows.Next() {
		var pid int
		if err := rows.Scan(&pid); err != nil {
			b.Fatal(err)
		}
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// Fields 14 and 15 (utime, stime) follow the command in parentheses.
		f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
		u, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		ticks += u + st
	}
	return time.Duration(ticks) * 10 * time.Millisecond // USER_HZ is 100 on Linux
}
