package handlers_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

// claimClicks is a benchmark of concurrent Claim clicks through a chat
// platform's HTTP endpoint: each iteration announces 20 new leads
// (untimed), fires 10 clicks on each at once (200 reps), and delivers
// the outbox (untimed). It reports the clicks' latency (p50, p99) and
// clicks per second.
type claimClicks struct {
	// warm runs one round of clicks before the timing starts, outside the
	// figures (what a platform learns of each rep on their first click).
	warm bool
	// announce stores and posts a new lead of external id ext.
	announce func(b *testing.B, ext string) int64
	// click is rep's Claim of lead id; it returns "" when it was answered
	// as a Claim is, else what went wrong.
	click func(b *testing.B, rep int, id int64) string
	// drain delivers what the outbox holds.
	drain func(b *testing.B)
}

const clickLeads, clicksPerLead = 20, 10

func (c claimClicks) run(b *testing.B) {
	if c.warm {
		c.round(b, "warm", nil)
	}
	var latencies []time.Duration
	var total time.Duration
	b.ResetTimer()
	for i := range b.N {
		total += c.round(b, fmt.Sprintf("bench-%d", i), &latencies)
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
}

// round announces the leads, clicks and drains once, adds each click's
// latency to latencies (when not nil) and returns how long the clicks
// took together.
func (c claimClicks) round(b *testing.B, prefix string, latencies *[]time.Duration) time.Duration {
	b.StopTimer()
	ids := make([]int64, clickLeads)
	for j := range ids {
		ids[j] = c.announce(b, fmt.Sprintf("%s-%d", prefix, j))
	}
	b.StartTimer()
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		start = time.Now()
	)
	for j := range clickLeads * clicksPerLead {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t0 := time.Now()
			problem := c.click(b, j, ids[j%clickLeads])
			d := time.Since(t0)
			if problem != "" {
				b.Errorf("click: %s", problem)
			}
			if latencies != nil {
				mu.Lock()
				*latencies = append(*latencies, d)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	b.StopTimer()
	c.drain(b) // deliver the refreshes, notices and DMs outside the timing
	b.StartTimer()
	return took
}
