package metrics

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// WriteGroup puts a group's size and commit time in their committer's
// histograms and counts a failed group; a nil *Metrics records nothing.
func TestWriteGroup(t *testing.T) {
	(*Metrics)(nil).WriteGroup("sqlite", 1, time.Millisecond, true)
	m := New(nil)
	m.WriteGroup("sqlite", 3, 400*time.Microsecond, false)
	m.WriteGroup("sqlite", 1, 3*time.Millisecond, true)
	m.WriteGroup("intake", 200, 40*time.Millisecond, false)
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`handoff_write_group_size_bucket{committer="sqlite",le="1"} 1`,
		`handoff_write_group_size_bucket{committer="sqlite",le="2"} 1`,
		`handoff_write_group_size_bucket{committer="sqlite",le="4"} 2`,
		`handoff_write_group_size_sum{committer="sqlite"} 4`,
		`handoff_write_group_size_count{committer="sqlite"} 2`,
		`handoff_write_group_size_bucket{committer="intake",le="128"} 0`,
		`handoff_write_group_size_bucket{committer="intake",le="256"} 1`,
		`handoff_write_commit_seconds_bucket{committer="sqlite",le="0.0002"} 0`,
		`handoff_write_commit_seconds_bucket{committer="sqlite",le="0.0005"} 1`,
		`handoff_write_commit_seconds_bucket{committer="sqlite",le="0.005"} 2`,
		`handoff_write_commit_seconds_count{committer="intake"} 1`,
		`handoff_write_group_failures_total{committer="sqlite"} 1`,
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if strings.Contains(body, `handoff_write_group_failures_total{committer="intake"}`) {
		t.Error("/metrics counts a failure of intake, which had none")
	}
}
