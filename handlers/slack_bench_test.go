package handlers_test

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// BenchmarkSlackClaimClicks fires 200 concurrent signed Claim clicks (10
// reps on each of 20 new leads) at the HTTP endpoint per iteration and
// reports the acknowledgement latency (p50, p99) and clicks per second.
//
//	go test ./handlers/ -run '^$' -bench SlackClaimClicks -benchtime 20x
func BenchmarkSlackClaimClicks(b *testing.B) {
	for _, dialect := range storagetest.Dialects {
		b.Run(dialect, func(b *testing.B) {
			s := storagetest.Open(b, dialect)
			r := newSlackRig(b, s, nil)
			const leads, perLead = 20, 10
			var latencies []time.Duration
			var total time.Duration
			b.ResetTimer()
			for i := range b.N {
				b.StopTimer()
				ids := make([]int64, leads)
				for j := range ids {
					ids[j] = r.announced(b, fmt.Sprintf("bench-%d-%d", i, j)).ID
				}
				b.StartTimer()
				var (
					mu    sync.Mutex
					wg    sync.WaitGroup
					start = time.Now()
				)
				for j := range leads * perLead {
					wg.Add(1)
					go func() {
						defer wg.Done()
						t0 := time.Now()
						status, body := r.click(b, fmt.Sprintf("UREP%03d", j), bot.ActionClaim, ids[j%leads])
						d := time.Since(t0)
						if status != http.StatusOK {
							b.Errorf("click: %d %s", status, body)
						}
						mu.Lock()
						latencies = append(latencies, d)
						mu.Unlock()
					}()
				}
				wg.Wait()
				total += time.Since(start)
				b.StopTimer()
				r.drain(b) // deliver the refreshes, notices and DMs outside the timing
				b.StartTimer()
			}
			b.StopTimer()
			slices.Sort(latencies)
			pct := func(p float64) float64 {
				return float64(latencies[int(p*float64(len(latencies)-1))].Microseconds()) / 1000
			}
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
			b.ReportMetric(float64(len(latencies))/total.Seconds(), "clicks/s")
			b.ReportMetric(0, "ns/op")
			_ = storage.DialectSQLite
		})
	}
}
