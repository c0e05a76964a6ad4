package handlers_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/handlers"
	"github.com/handoff/handoff/storage/storagetest"
)

// intakeClients is the number of concurrent HTTP clients in the benchmark.
const intakeClients = 8

func leadBody(i int64) string {
	return fmt.Sprintf(`{"external_id":"bench-%d","email":"lead%d@example.com","name":"Lead %d","company":"Company %d","title":"IT Manager","source":"web","campaign":"q4","score":%d}`, i, i, i, i%97, i%100)
}

// BenchmarkIntakeHTTP posts new leads over HTTP from 8 concurrent clients
// and reports leads/s and p50/p99 latency.
func BenchmarkIntakeHTTP(b *testing.B) {
	for _, dialect := range storagetest.Dialects {
		b.Run(dialect, func(b *testing.B) {
			s := storagetest.Open(b, dialect)
			mux := http.NewServeMux()
			(&handlers.API{Store: s, DB: s, Policy: handoff.DefaultPolicy(), Token: token}).Register(mux)
			srv := httptest.NewServer(handlers.Middleware(discardLogger(), mux, mux))
			defer srv.Close()
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: intakeClients}}

			runClients(b, func(i int64) error {
				req, _ := http.NewRequest("POST", srv.URL+"/api/leads", strings.NewReader(leadBody(i)))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := client.Do(req)
				if err != nil {
					return err
				}
				// Read to the end so the client keeps the connection: an
				// unread body closes it, and every lead would dial anew.
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 201 {
					return fmt.Errorf("status %d", resp.StatusCode)
				}
				return nil
			})
		})
	}
}

// BenchmarkIntakeDirect saves the same leads straight into the store from 8
// goroutines: the ceiling the HTTP path is measured against.
func BenchmarkIntakeDirect(b *testing.B) {
	for _, dialect := range storagetest.Dialects {
		b.Run(dialect, func(b *testing.B) {
			s := storagetest.Open(b, dialect)
			ctx := context.Background()
			policy := handoff.DefaultPolicy()
			runClients(b, func(i int64) error {
				in, err := handoff.ParseLeadInput(map[string]any{"external_id": fmt.Sprintf("bench-%d", i),
					"email": fmt.Sprintf("lead%d@example.com", i), "name": "Lead", "company": "Company", "score": 50.0}, time.Now())
				if err != nil {
					return err
				}
				_, err = s.SaveLead(ctx, in, policy, time.Now(), handoff.ActorAPI)
				return err
			})
		})
	}
}

// runClients calls do for leads 1..b.N from intakeClients goroutines,
// timing each call, and reports leads/s and p50/p99 latency.
func runClients(b *testing.B, do func(i int64) error) {
	var next atomic.Int64
	lat := make([][]time.Duration, intakeClients)
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for c := 0; c < intakeClients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for i := next.Add(1); i <= int64(b.N); i = next.Add(1) {
				t0 := time.Now()
				if err := do(i); err != nil {
					b.Error(err)
					return
				}
				lat[c] = append(lat[c], time.Since(t0))
			}
		}(c)
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	reportLatency(b, lat, elapsed)
}

func reportLatency(b *testing.B, perClient [][]time.Duration, elapsed time.Duration) {
	var all []time.Duration
	for _, l := range perClient {
		all = append(all, l...)
	}
	if len(all) == 0 {
		return
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	pct := func(p float64) float64 {
		return float64(all[int(p*float64(len(all)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "leads/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}
