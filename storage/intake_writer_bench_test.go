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
//	go test ./storage -run '^$' -bench 'IntakeWriter$' -benchtime 2000x
func BenchmarkIntakeWriter(b *testing.B) {
	w := openBenchWriter(b)
	commitGroups(b, w, writerNow, nil, true)
}

// BenchmarkIntakeWriterUpdates is BenchmarkIntakeWriter for leads the
// store knows: groups of four saves each of a known lead, which change its
// title. The leads are created first, outside the count (BenchWriter.Mark:
// callgrind --zero-before counts from the updates).
func BenchmarkIntakeWriterUpdates(b *testing.B) {
	w := openBenchWriter(b)
	commitGroups(b, w, writerNow, nil, false)
	w.Mark()
	commitGroups(b, w, writerNow.Add(time.Hour), map[string]any{"title": "VP Sales"}, true)
}

// writerNow is when the writer's benchmarks save their leads first.
var writerNow = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// openBenchWriter is a BenchWriter on a new SQLite store.
func openBenchWriter(b *testing.B) *storage.BenchWriter {
	w := storagetest.Open(b, storage.DialectSQLite).NewBenchWriter()
	b.Cleanup(w.Close)
	return w
}

// commitGroups commits b.N groups of four of the benchmarks' leads
// (writerLeads, with change) at now; when timed, it reports the CPU and
// leads a second as it does so (reportWriter).
func commitGroups(b *testing.B, w *storage.BenchWriter, now time.Time, change map[string]any, timed bool) {
	const group = 4
	policy := handoff.DefaultPolicy()
	if timed {
		b.ResetTimer()
	}
	cpu0, start := processCPU(b), time.Now()
	var writer time.Duration
	for i := range b.N {
		cpu, err := w.Commit(writerLeads(b, i*group, group, now, change), policy, now, handoff.ActorAPI)
		if err != nil {
			b.Fatal(err)
		}
		writer += cpu
	}
	if timed {
		reportWriter(b, cpu0, start, writer, b.N*group)
	}
}

// writerLeads are the inputs of the benchmarks' leads from first on, with
// the fields of change in place of theirs.
func writerLeads(b *testing.B, first, n int, now time.Time, change map[string]any) []handoff.LeadInput {
	ins := make([]handoff.LeadInput, n)
	for j := range ins {
		n := first + j
		raw := map[string]any{"external_id": fmt.Sprintf("bench-%d", n),
			"email": fmt.Sprintf("lead%d@example.com", n), "name": fmt.Sprintf("Lead %d", n),
			"company": fmt.Sprintf("Company %d", n%97), "title": "IT Manager", "source": "web", "campaign": "q4",
			"score": float64(n % 100)}
		for k, v := range change {
			raw[k] = v
		}
		in, err := handoff.ParseLeadInput(raw, now)
		if err != nil {
			b.Fatal(err)
		}
		ins[j] = in
	}
	return ins
}

// reportWriter reports the process's CPU per lead since cpu0, the
// writer's (its thread's) and leads a second since start.
func reportWriter(b *testing.B, cpu0 time.Duration, start time.Time, writer time.Duration, n int) {
	leads := float64(n)
	b.ReportMetric(float64((processCPU(b)-cpu0).Microseconds())/leads, "cpu-us/lead")
	b.ReportMetric(float64(writer.Microseconds())/leads, "writer-us/lead")
	b.ReportMetric(leads/time.Since(start).Seconds(), "leads/s")
}
