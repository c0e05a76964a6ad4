package csvimport_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/csvimport"
	"github.com/handoff/handoff/storage/storagetest"
)

// benchHeader and benchRow make a HubSpot-style export of SQL rows.
const benchHeader = "Record ID,First Name,Last Name,Email,Company Name,Job Title,Lifecycle Stage,HubSpot Score,Original Source,Create Date\n"

func benchRow(i int) string {
	return fmt.Sprintf("%d,Ann%d,Berg,ann%d@example.com,Company %d,IT Manager,salesqualifiedlead,%d,Organic Search,2026-11-%02d 10:30\n", 100000+i, i, i, i%500, i%100, 1+i%28)
}

// genCSV reads as a CSV of n rows, made as they are read, so that the file
// itself takes no memory in the benchmark.
type genCSV struct {
	n, i    int
	pending []byte
}

func newGenCSV(n int) *genCSV { return &genCSV{n: n, pending: []byte(benchHeader)} }

func (g *genCSV) Read(p []byte) (int, error) {
	w := 0
	for w < len(p) {
		if len(g.pending) == 0 {
			if g.i == g.n {
				break
			}
			g.pending = []byte(benchRow(g.i))
			g.i++
		}
		c := copy(p[w:], g.pending)
		g.pending = g.pending[c:]
		w += c
	}
	if w == 0 {
		return 0, io.EOF
	}
	return w, nil
}

// BenchmarkImport imports HANDOFF_BENCH_IMPORT_ROWS rows (default 100,000)
// into a fresh database per iteration and reports rows/s, the peak heap in
// use (sampled every 100 ms) and the process's peak RSS: with a streamed
// import neither grows with the number of rows. Run it with
//
//	HANDOFF_BENCH_IMPORT_ROWS=1000000 go test ./csvimport/ -run '^$' -bench Import -benchtime 1x -timeout 60m
func BenchmarkImport(b *testing.B) {
	rows := benchRows()
	for _, dialect := range storagetest.Dialects {
		b.Run(fmt.Sprintf("%s/rows=%d", dialect, rows), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				s := storagetest.Open(b, dialect)
				// The rows are dated 2026-11: old records, imported live as
				// before --old existed (every SQL announced).
				im := &csvimport.Importer{Store: s, Policy: handoff.DefaultPolicy(), Now: time.Now, Old: csvimport.OldRowsLive}
				runtime.GC()
				stop := sampleHeap()
				b.StartTimer()
				start := time.Now()
				sum, err := im.Import(context.Background(), newGenCSV(rows), 0)
				took := time.Since(start)
				b.StopTimer()
				peak := stop()
				if err != nil || sum.Created != rows {
					b.Fatalf("import: %+v, %v", sum, err)
				}
				b.ReportMetric(float64(rows)/took.Seconds(), "rows/s")
				b.ReportMetric(took.Seconds(), "s")
				b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
				b.ReportMetric(float64(maxRSS())/(1<<20), "peak-rss-MiB")
			}
		})
	}
}

// sampleHeap samples the heap in use every 100 ms until the returned
// function is called, which returns the highest sample.
func sampleHeap() func() uint64 {
	var (
		mu   sync.Mutex
		peak uint64
		done = make(chan struct{})
		wg   sync.WaitGroup
	)
	read := func() {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		mu.Lock()
		peak = max(peak, m.HeapInuse)
		mu.Unlock()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				read()
			}
		}
	}()
	return func() uint64 {
		close(done)
		wg.Wait()
		read()
		return peak
	}
}

// maxRSS is the process's peak resident set size so far, in bytes.
func maxRSS() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Maxrss << 10 // kilobytes on Linux
}

// benchRows is 100,000 unless HANDOFF_BENCH_IMPORT_ROWS says otherwise.
func benchRows() int {
	if n, err := strconv.Atoi(os.Getenv("HANDOFF_BENCH_IMPORT_ROWS")); err == nil && n > 0 {
		return n
	}
	return 100_000
}
