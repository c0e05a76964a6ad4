package storage_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage/storagetest"
)

// BenchmarkRoutedLead measures the writes of routed leads against leads
// of claim mode. Each iteration saves 100 new SQLs at once, each by its
// own goroutine (SaveLead, as the intake API does), routes each in turn
// (RouteLead: the first offer, as the outbox worker does; none in claim
// mode), and claims them at once, each by its own goroutine: by the rep
// offered (the accept, counted by the routing rollup) or, in claim mode,
// by a rep of the channel. It reports per lead the wall time of each
// phase, the CPU of this process and (PostgreSQL) of the server's
// backends. Modes: "claim" (never routed, the baseline), "routed/reps=2"
// and "routed/reps=300" (a pool of 300 reps with 60-character ids, 18 KB,
// in each first offer's event and its routing_days row).
//
//	go test ./storage -run '^$' -bench RoutedLead -benchtime 10x
func BenchmarkRoutedLead(b *testing.B) {
	for _, d := range storagetest.Dialects {
		for _, reps := range []int{0, 2, 300} {
			name := d + "/claim"
			if reps > 0 {
				name = fmt.Sprintf("%s/routed/reps=%d", d, reps)
			}
			b.Run(name, func(b *testing.B) { benchRoutedLeads(b, d, reps) })
		}
	}
}

func benchRoutedLeads(b *testing.B, dialect string, reps int) {
	ctx := context.Background()
	s, app := openBenchStore(b, dialect, "routedbench")
	policy := handoff.DefaultPolicy()
	if reps > 0 {
		policy.Routing = manyReps(reps)
	}
	req := handoff.RouteRequest{Routing: policy.Routing}
	const leads = 100
	// all runs fn(j) for j in [0, leads) at once, one goroutine each.
	all := func(fn func(j int) error) {
		var wg sync.WaitGroup
		for j := range leads {
			wg.Go(func() {
				if err := fn(j); err != nil {
					b.Error(err)
				}
			})
		}
		wg.Wait()
	}
	var save, route, claim, goCPU, pgCPU time.Duration
	for i := range b.N {
		now := claimT0.Add(time.Duration(i) * time.Hour)
		g0, p0 := processCPU(b), backendCPU(b, app)
		start := time.Now()
		ids := make([]int64, leads)
		all(func(j int) error {
			in, err := handoff.ParseLeadInput(map[string]any{"external_id": fmt.Sprintf("r%d-%d", i, j), "stage": "sql", "source": "paid",
				"company": fmt.Sprintf("Company %d-%d", i, j)}, now)
			if err != nil {
				return err
			}
			res, err := s.SaveLead(ctx, in, policy, now, handoff.ActorAPI)
			if err != nil {
				return err
			}
			ids[j] = res.Lead.ID
			return nil
		})
		saved := time.Now()
		save += saved.Sub(start)
		offered := make([]handoff.RepRef, leads)
		for j, id := range ids {
			if reps == 0 {
				offered[j] = handoff.RepRef{Platform: "slack", ID: fmt.Sprint("U", j)}
				continue
			}
			lead, _, ok, err := s.RouteLead(ctx, id, req, now.Add(time.Second))
			if err != nil || !ok || lead.Offer == nil {
				b.Fatalf("route lead %d: stepped %v, %v", id, ok, err)
			}
			offered[j] = lead.Offer.Rep
		}
		routed := time.Now()
		route += routed.Sub(saved)
		all(func(j int) error {
			rep := offered[j]
			if _, won, err := s.ClaimLead(ctx, ids[j], handoff.Owner{Platform: rep.Platform, UserID: rep.ID}, now.Add(time.Minute), handoff.Policy{}, rep.Key()); err != nil || !won {
				return fmt.Errorf("claim lead %d: won %v, %v", ids[j], won, err)
			}
			return nil
		})
		claim += time.Since(routed)
		goCPU += processCPU(b) - g0
		pgCPU += backendCPU(b, app) - p0
	}
	b.StopTimer()
	n := float64(b.N * leads)
	µs := func(d time.Duration) float64 { return float64(d.Microseconds()) / n }
	b.ReportMetric(µs(save), "save-µs/lead")
	if reps > 0 {
		b.ReportMetric(µs(route), "route-µs/lead")
	}
	b.ReportMetric(µs(claim), "claim-µs/lead")
	b.ReportMetric(µs(goCPU), "go-cpu-µs/lead")
	if app != "" {
		b.ReportMetric(µs(pgCPU), "pg-cpu-µs/lead")
	}
	b.ReportMetric(0, "ns/op")
}
