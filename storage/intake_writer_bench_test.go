package storage_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// BenchmarkIntakeWriter commits groups of four new leads as SQLite's writer
// commits the HTTP intake benchmark's (handlers.BenchmarkIntakeHTTP), one
// group at a time, and reports the process's CPU per lead and the
// writer's (its thread's, BenchWriter): the serial work, without the HTTP
// side. The same leads each run, so that `valgrind --tool=callgrind
// --separate-threads=yes` counts the same instructions for the same code.
//
//	go test ./storage -run '^$' -bench IntakeWriter -benchtime 2000x
func BenchmarkIntakeWriter(b *testing.B) {
	const group = 4
	s := storagetest.Open(b, storage.DialectSQLite)
	policy := handoff.DefaultPolicy()
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	w := s.NewBenchWriter()
	defer w.Close()
	b.ResetTimer()
	cpu0, start := processCPU(b), time.Now()
	var writer time.Duration
	for i := range b.N {
		ins := make([]handoff.LeadInput, group)
		for j := range ins {
			n := i*group + j
			in, err := handoff.ParseLeadInput(map[string]any{"external_id": fmt.Sprintf("bench-%d", n),
				"email": fmt.Sprintf("lead%d@example.com", n), "name": fmt.Sprintf("Lead %d", n),
				"company": fmt.Sprintf("Company %d", n%97), "title": "IT Manager", "source": "web", "campaign": "q4",
				"score": float64(n % 100)}, now)
			if err != nil {
				b.Fatal(err)
			}
			ins[j] = in
		}
		cpu, err := w.Commit(ins, policy, now, handoff.ActorAPI)
		if err != nil {
			b.Fatal(err)
		}
		writer += cpu
	}
	leads := float64(b.N * group)
	b.ReportMetric(float64((processCPU(b)-cpu0).Microseconds())/leads, "cpu-us/lead")
	b.ReportMetric(float64(writer.Microseconds())/leads, "writer-us/lead")
	b.ReportMetric(leads/time.Since(start).Seconds(), "leads/s")
}
