package csvimport_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/csvimport"
	"github.com/handoff/handoff/storage/storagetest"
)

// benchCSV builds a HubSpot-style export of n SQL rows.
func benchCSV(n int) []byte {
	var b bytes.Buffer
	b.WriteString("Record ID,First Name,Last Name,Email,Company Name,Job Title,Lifecycle Stage,HubSpot Score,Original Source,Create Date\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "%d,Ann%d,Berg,ann%d@example.com,Company %d,IT Manager,salesqualifiedlead,%d,Organic Search,2026-11-%02d 10:30\n", 100000+i, i, i, i%500, i%100, 1+i%28)
	}
	return b.Bytes()
}

// BenchmarkImport100k imports 100,000 rows into a fresh database per
// iteration and reports rows/s.
func BenchmarkImport100k(b *testing.B) {
	rows := benchRows()
	data := benchCSV(rows)
	for _, dialect := range storagetest.Dialects {
		b.Run(dialect, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				s := storagetest.Open(b, dialect)
				im := &csvimport.Importer{Store: s, Policy: handoff.DefaultPolicy(), Now: time.Now}
				b.StartTimer()
				start := time.Now()
				sum, err := im.Import(context.Background(), bytes.NewReader(data), int64(len(data)))
				if err != nil || sum.Created != rows {
					b.Fatalf("import: %+v, %v", sum, err)
				}
				b.ReportMetric(float64(rows)/time.Since(start).Seconds(), "rows/s")
				b.ReportMetric(time.Since(start).Seconds(), "s/100k")
			}
		})
	}
}

// benchRows is 100,000 unless HANDOFF_BENCH_IMPORT_ROWS says otherwise.
func benchRows() int {
	if n, err := strconv.Atoi(os.Getenv("HANDOFF_BENCH_IMPORT_ROWS")); err == nil && n > 0 {
		return n
	}
	return 100_000
}
