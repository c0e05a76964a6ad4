package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// writeMetrics describe the store's group commits: how many writes share
// a commit, and how long a commit takes.
type writeMetrics struct {
	groupSize     *prometheus.HistogramVec
	commitSeconds *prometheus.HistogramVec
	failures      *prometheus.CounterVec
}

func newWriteMetrics() writeMetrics {
	return writeMetrics{
		groupSize: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "handoff_write_group_size",
			Help:    "Writes that shared one commit of a group committer (sqlite: SQLite's one writer; intake, outbox, claims: PostgreSQL's), by committer.",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256, 512},
		}, []string{"committer"}),
		commitSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "handoff_write_commit_seconds",
			Help:    "Time from a group committer taking a group's first write to the end of its commit, by committer.",
			Buckets: []float64{.00005, .0001, .0002, .0005, .001, .002, .005, .01, .02, .05, .1, .2, .5, 1},
		}, []string{"committer"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "handoff_write_group_failures_total",
			Help: "Groups whose shared transaction failed, so that each write ran again alone, by committer.",
		}, []string{"committer"}),
	}
}

func (w writeMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{w.groupSize, w.commitSeconds, w.failures}
}

// WriteGroup records one group commit of the store: the committer that
// made it, how many writes it held, how long it took from its first write
// being taken to its commit's end, and whether its transaction failed.
func (m *Metrics) WriteGroup(committer string, size int, took time.Duration, failed bool) {
	if m == nil {
		return
	}
	m.writes.groupSize.WithLabelValues(committer).Observe(float64(size))
	m.writes.commitSeconds.WithLabelValues(committer).Observe(took.Seconds())
	if failed {
		m.writes.failures.WithLabelValues(committer).Inc()
	}
}
