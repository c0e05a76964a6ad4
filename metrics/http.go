package metrics

import (
	"runtime"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// httpMetrics are the per-route request counters and the build information.
type httpMetrics struct {
	requests  *prometheus.CounterVec
	seconds   *prometheus.HistogramVec
	buildInfo *prometheus.GaugeVec
}

func newHTTPMetrics() httpMetrics {
	return httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "handoff_http_requests_total",
			Help: "HTTP requests by route pattern (\"unmatched\" when no route matched), method and status class (2xx…5xx).",
		}, []string{"route", "method", "status"}),
		seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "handoff_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route pattern and method.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 20},
		}, []string{"route", "method"}),
		buildInfo: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "handoff_build_info",
			Help: "Always 1; the labels say which build runs: version, Go version and VCS revision.",
		}, []string{"version", "goversion", "revision"}),
	}
}

func (h httpMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{h.requests, h.seconds, h.buildInfo}
}

// HTTPRequest records one answered request. route must be the matched
// route pattern, never the raw path, so the label values stay bounded.
func (m *Metrics) HTTPRequest(route, method string, status int, d time.Duration) {
	if m == nil {
		return
	}
	if route == "" {
		route = "unmatched"
	}
	method = methodLabel(method)
	m.http.requests.WithLabelValues(route, method, statusClass(status)).Inc()
	m.http.seconds.WithLabelValues(route, method).Observe(d.Seconds())
}

// SetBuildInfo publishes handoff_build_info for this binary: version as
// given, the Go version, and the VCS revision the Go toolchain embedded
// ("unknown" when it did not, "-dirty" appended for a modified tree).
func (m *Metrics) SetBuildInfo(version string) {
	if m == nil {
		return
	}
	m.http.buildInfo.Reset()
	m.http.buildInfo.WithLabelValues(version, runtime.Version(), Revision()).Set(1)
}

// Revision is the VCS revision embedded in the binary, "unknown" when none.
func Revision() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	rev, dirty := "unknown", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if dirty && rev != "unknown" {
		rev += "-dirty"
	}
	return rev
}

// methodLabel bounds the method label to the standard methods.
func methodLabel(m string) string {
	switch m {
	case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS":
		return m
	}
	return "OTHER"
}

// statusClass turns 404 into "4xx".
func statusClass(code int) string {
	if code < 100 || code > 599 {
		return "other"
	}
	return strconv.Itoa(code/100) + "xx"
}
