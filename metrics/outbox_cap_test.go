package metrics

import (
	"context"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/handoff/handoff"
)

// The outbox's count cap is written once in code, handoff.OutboxCountCap,
// which the store counts up to and the gauges' descriptions name; the
// README, ARCHITECTURE.md and the alert that reads handoff_outbox_dead
// write it as documentation, and must say the same number.
func TestOutboxCountCapWrittenAsTheCodeHasIt(t *testing.T) {
	want := thousands(handoff.OutboxCountCap)
	rec := httptest.NewRecorder()
	New(func(context.Context) (OutboxStats, error) { return OutboxStats{}, nil }).
		Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, gauge := range []string{"handoff_outbox_pending", "handoff_outbox_dead"} {
		help := regexp.MustCompile("(?m)^# HELP " + gauge + " .*$").FindString(rec.Body.String())
		if !strings.Contains(help, "counted up to a cap ("+want+")") {
			t.Errorf("/metrics describes %s as %q: not counted up to a cap (%s)", gauge, help, want)
		}
	}
	for _, c := range []struct {
		file     string
		patterns []string // each matches at least once; its group is the cap
	}{
		{"../README.md", []string{
			"`handoff_outbox_dead` count up to ([0-9,]+) \\(`handoff.OutboxCountCap`",
			"below ([0-9,]+) the figure is exact",
			"exact; at ([0-9,]+) `handoff_outbox_pending_capped`",
			"reads at most ([0-9,]+) index entries",
		}},
		{"../ARCHITECTURE.md", []string{"count up to a cap, ([0-9,]+) \\(`handoff.OutboxCountCap`"}},
		{"../deploy/prometheus/alerts.yml", []string{"handoff_outbox_dead counts up to ([0-9,]+) and stops there: at ([0-9,]+),"}},
	} {
		raw, err := os.ReadFile(c.file)
		if err != nil {
			t.Fatal(err)
		}
		text := strings.Join(strings.Fields(string(raw)), " ")
		for _, p := range c.patterns {
			found := regexp.MustCompile(p).FindAllStringSubmatch(text, -1)
			if len(found) == 0 {
				t.Errorf("%s no longer says %q: keep this test where it writes the cap", c.file, p)
			}
			for _, f := range found {
				for _, got := range f[1:] {
					if got != want {
						t.Errorf("%s: %q says %s, the code's cap (handoff.OutboxCountCap) is %s", c.file, f[0], got, want)
					}
				}
			}
		}
	}
}

// thousands groups digits as the README writes its numbers.
func TestThousands(t *testing.T) {
	for _, c := range []struct {
		n    int
		want string
	}{{0, "0"}, {999, "999"}, {1000, "1,000"}, {20000, "20,000"}, {1000000, "1,000,000"}} {
		if got := thousands(c.n); got != c.want {
			t.Errorf("thousands(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}
