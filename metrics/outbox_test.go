package metrics

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// The outbox's gauges say whether each count stopped at its cap: a count
// at its cap reports the cap with its _capped gauge at 1 (at least that
// many), an exact count with it at 0.
func TestOutboxGaugesSayWhenCapped(t *testing.T) {
	for _, c := range []struct {
		stats OutboxStats
		want  []string
	}{
		{OutboxStats{Pending: 999, Dead: 1},
			[]string{"handoff_outbox_pending 999", "handoff_outbox_pending_capped 0", "handoff_outbox_dead 1", "handoff_outbox_dead_capped 0"}},
		{OutboxStats{Pending: 1000, PendingCapped: true, Dead: 3, Oldest: time.Now().Add(-time.Hour)},
			[]string{"handoff_outbox_pending 1000", "handoff_outbox_pending_capped 1", "handoff_outbox_dead 3", "handoff_outbox_dead_capped 0"}},
		{OutboxStats{Pending: 2, Dead: 1000, DeadCapped: true},
			[]string{"handoff_outbox_pending 2", "handoff_outbox_pending_capped 0", "handoff_outbox_dead 1000", "handoff_outbox_dead_capped 1"}},
	} {
		m := New(func(context.Context) (OutboxStats, error) { return c.stats, nil })
		rec := httptest.NewRecorder()
		m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		body := rec.Body.String()
		for _, want := range c.want {
			if !strings.Contains(body, "\n"+want+"\n") {
				t.Errorf("%+v: /metrics lacks %q", c.stats, want)
			}
		}
	}
}
