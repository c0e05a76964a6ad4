package prometheus_test

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff/metrics"
	"github.com/prometheus/prometheus/promql/parser"
)

// mark is a moment scripts/alertload.sh noted in its marks file: a load
// began, an outage began.
type mark struct {
	t     int64
	label string
}

// ruleRun is what one rule's expression did over the scrapes: the range of
// its input (the left side of its comparison), when its condition first
// held, and its longest unbroken hold (which its for: must not exceed for
// the alert to fire).
type ruleRun struct {
	max, min       float64
	maxAt          int64
	firstTrue      int64 // 0: never
	longest        int64 // ms
	runStart, last int64
}

// evalRule evaluates r over s at every scrape time.
func evalRule(s *scrapes, r rule) (cmp *parser.BinaryExpr, run ruleRun, err error) {
	expr, err := parser.ParseExpr(r.Expr)
	if err != nil {
		return nil, run, err
	}
	for p, ok := expr.(*parser.ParenExpr); ok; p, ok = expr.(*parser.ParenExpr) {
		expr = p.Expr
	}
	cmp, ok := expr.(*parser.BinaryExpr)
	if !ok || !cmp.Op.IsComparisonOperator() {
		return nil, run, fmt.Errorf("%s: not a comparison", r.Expr)
	}
	run = ruleRun{max: math.NaN(), min: math.NaN()}
	for _, t := range s.times {
		in, err := s.eval(cmp.LHS, t)
		if err != nil {
			return nil, run, err
		}
		for _, el := range in.vector {
			if math.IsNaN(el.v) {
				continue
			}
			if math.IsNaN(run.max) || el.v > run.max {
				run.max, run.maxAt = el.v, t
			}
			if math.IsNaN(run.min) || el.v < run.min {
				run.min = el.v
			}
		}
		holds, err := s.eval(cmp, t)
		if err != nil {
			return nil, run, err
		}
		if len(holds.vector) == 0 {
			run.runStart = 0
			continue
		}
		if run.firstTrue == 0 {
			run.firstTrue = t
		}
		if run.runStart == 0 {
			run.runStart = t
		}
		run.longest = max(run.longest, t-run.runStart)
	}
	return cmp, run, nil
}

// TestAlertPeaks prints, for the scrapes in the directory
// HANDOFF_ALERT_SCRAPES names (scripts/alertload.sh writes them), what
// each rule's expression did over the run: the highest and lowest value
// of its input, when its condition first held and its longest hold,
// against the rule's threshold and for:. Times are UTC and seconds after
// the first mark. Without HANDOFF_ALERT_SCRAPES it is skipped.
func TestAlertPeaks(t *testing.T) {
	dir := os.Getenv("HANDOFF_ALERT_SCRAPES")
	if dir == "" {
		t.Skip("HANDOFF_ALERT_SCRAPES names no directory of scrapes (scripts/alertload.sh)")
	}
	s, err := readScrapes(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.times) == 0 {
		t.Fatalf("%s holds no scrapes", dir)
	}
	marks, err := readMarks(filepath.Join(dir, "marks"))
	if err != nil {
		t.Fatal(err)
	}
	from := s.times[0]
	if len(marks) > 0 {
		from = marks[0].t
	}
	at := func(ms int64) string {
		return fmt.Sprintf("%s (%+.0f s)", time.UnixMilli(ms).UTC().Format("15:04:05"), float64(ms-from)/1000)
	}
	fmt.Printf("%d scrapes, %s to %s\n", len(s.times), at(s.times[0]), at(s.times[len(s.times)-1]))
	for _, m := range marks {
		fmt.Printf("mark %s: %s\n", at(m.t), m.label)
	}
	fmt.Printf("%-28s %-10s %-30s %-12s %-26s %-12s %s\n", "rule", "condition", "input's highest (when)", "lowest", "condition first held", "longest hold", "for")
	for _, g := range readRules(t).Groups {
		for _, r := range g.Rules {
			cmp, run, err := evalRule(s, r)
			if err != nil {
				t.Errorf("%s: %v", r.Alert, err)
				continue
			}
			high, low, first, longest := "none", "none", "never", "-"
			if !math.IsNaN(run.max) {
				high, low = fmt.Sprintf("%.4g at %s", run.max, at(run.maxAt)), fmt.Sprintf("%.4g", run.min)
			}
			if run.firstTrue != 0 {
				first, longest = at(run.firstTrue), fmt.Sprintf("%.0f s", float64(run.longest)/1000)
			}
			forDur := r.For
			if forDur == "" {
				forDur = "0"
			}
			fmt.Printf("%-28s %-10s %-30s %-12s %-26s %-12s %s\n", r.Alert, cmp.Op.String()+" "+cmp.RHS.String(), high, low, first, longest, forDur)
		}
	}
}

// readMarks reads a marks file's lines, "MS LABEL"; none when it is absent.
func readMarks(name string) ([]mark, error) {
	f, err := os.Open(name)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []mark
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		ms, label, _ := strings.Cut(sc.Text(), " ")
		t, err := strconv.ParseInt(ms, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: %q: %w", name, sc.Text(), err)
		}
		out = append(out, mark{t, label})
	}
	return out, sc.Err()
}

// TestEvaluateEveryRule evaluates every rule of alerts.yml, as
// TestAlertPeaks does, over scrapes of the metrics package's own /metrics
// whose values are known, and checks the inputs' values against what
// Prometheus computes of them: Claim clicks 97 at 5 ms and 2 at 2 s (p99
// 2.01 s, within the 1–3 s bucket), SLA timers 98 at 50 ms and 2 at 20 s
// (p99 20 s), 10 requests of 100 with a 5xx, 3 rate-limited posts in the
// last 10 minutes, 7 takes of the lease in the hour, the last tick 400 s
// ago, a clock 90 s off, the oldest message 700 s old. The scrapes before
// the counts are taken 1 s after each window opens, so that rate and
// increase extrapolate every series by the same factor, window/(window-1s).
func TestEvaluateEveryRule(t *testing.T) {
	oldest := time.Now().Add(-700 * time.Second)
	m := metrics.New(func(context.Context) (metrics.OutboxStats, error) {
		return metrics.OutboxStats{Pending: 1, Oldest: oldest}, nil
	})
	const end = int64(1_800_000_000_000) // the evaluation's time, ms
	m.WatchClock(func() (time.Duration, bool) { return -90 * time.Second, true })
	m.ClaimAck("slack", 500*time.Microsecond)
	m.SchedulerLag(5 * time.Millisecond)
	m.HTTPRequest("POST /api/leads", "POST", 201, time.Millisecond)
	m.HTTPRequest("POST /api/leads", "POST", 503, time.Millisecond)
	m.ChatCall("slack", "post", "rate_limited", time.Millisecond)
	m.SchedulerLease(true)
	m.SchedulerTicked(time.UnixMilli(end - 299_000)) // after the scrapes before the counts: under 400 s behind at each
	dir := t.TempDir()
	scrape := func(at int64) {
		rec := httptest.NewRecorder()
		m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%d.prom", at)), rec.Body.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, window := range []int64{3600, 900, 600, 300} {
		scrape(end - window*1000 + 1000)
	}
	for range 97 {
		m.ClaimAck("slack", 5*time.Millisecond)
	}
	for range 98 {
		m.SchedulerLag(50 * time.Millisecond)
	}
	for range 2 {
		m.ClaimAck("slack", 2*time.Second)
		m.SchedulerLag(20 * time.Second)
	}
	for i := range 100 {
		status := 201
		if i < 10 {
			status = 503
		}
		m.HTTPRequest("POST /api/leads", "POST", status, time.Millisecond)
	}
	for range 3 {
		m.ChatCall("slack", "post", "rate_limited", time.Millisecond)
	}
	for range 7 {
		m.SchedulerLease(false)
		m.SchedulerLease(true)
	}
	m.SchedulerTicked(time.UnixMilli(end - 400_000))
	scrape(end)
	s, err := readScrapes(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{
		"HandoffClaimClicksSlow":  2.01,
		"HandoffSLATimersLate":    20,
		"HandoffServerErrors":     0.1,
		"HandoffChatRateLimited":  3 * 600.0 / 599,
		"HandoffSLALeaseFlapping": 7 * 3600.0 / 3599,
		"HandoffSLAClockStopped":  400,
		"HandoffClockOff":         90,
		"HandoffDown":             1,
	}
	for _, g := range readRules(t).Groups {
		for _, r := range g.Rules {
			t.Run(r.Alert, func(t *testing.T) {
				_, run, err := evalRule(s, r)
				if err != nil {
					t.Fatal(err)
				}
				got := run.max
				switch w, ok := want[r.Alert]; {
				case r.Alert == "HandoffOutboxStalled":
					if got < 700 || got > 760 {
						t.Errorf("oldest message's age %g s, want 700 s and the test's run", got)
					}
				case ok && math.Abs(got-w) > 1e-9*w:
					t.Errorf("input %.12g, want %.12g", got, w)
				}
			})
		}
	}
}
