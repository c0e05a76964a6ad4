package scheduler_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff/metrics"
	"github.com/handoff/handoff/scheduler"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// failingStore fails every tick at its last read (after reporting it), as a
// database that answers the lease but not the clock's queries would.
type failingStore struct{ *tickingStore }

func (s failingStore) NextDecayDue(ctx context.Context) (time.Time, bool, error) {
	_, _, _ = s.tickingStore.NextDecayDue(ctx)
	return time.Time{}, false, errors.New("disk I/O error")
}

// The SLA clock's liveness gauge moves only on a tick that ended without
// error: a clock that fails every tick (or never ticks) keeps it where it was,
// which the alert HandoffSLAClockStopped reads.
func TestLastTickGauge(t *testing.T) {
	for _, tc := range []struct {
		name    string
		store   func(*tickingStore) scheduler.Store
		ticking bool
	}{
		{"ticks", func(s *tickingStore) scheduler.Store { return s }, true},
		{"every tick fails", func(s *tickingStore) scheduler.Store { return failingStore{s} }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := storagetest.Open(t, storage.DialectSQLite)
			ticks := &tickingStore{Store: s, ticks: make(chan struct{})}
			m := metrics.New(nil)
			sch, err := scheduler.New(scheduler.Config{Store: tc.store(ticks), Policy: policy(), Now: (&clock{now: t0}).Now,
				Logger: quiet(), Holder: "a", Metrics: m})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			before := time.Now()
			go func() { done <- sch.Run(ctx) }()
			<-ticks.ticks
			sch.Wake()
			<-ticks.ticks // the first tick's outcome is recorded before the second starts
			got := lastTick(t, m)
			cancel()
			<-done
			if !tc.ticking {
				if got != 0 {
					t.Fatalf("gauge = %v after failed ticks, want 0", got)
				}
				return
			}
			if at := time.UnixMilli(int64(got * 1000)); at.Before(before.Truncate(time.Millisecond)) || at.After(time.Now()) {
				t.Fatalf("gauge = %v (%v), want the wall-clock time of the tick, after %v", got, at, before)
			}
		})
	}
}

// lastTick reads handoff_scheduler_last_tick_timestamp_seconds from m's /metrics.
func lastTick(t *testing.T, m *metrics.Metrics) float64 {
	t.Helper()
	return sample(t, m, "handoff_scheduler_last_tick_timestamp_seconds")
}

// sample reads the series of that name, without labels, from m's /metrics.
func sample(t *testing.T, m *metrics.Metrics, series string) float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
	}
	t.Fatalf("/metrics has no %s", series)
	return 0
}
