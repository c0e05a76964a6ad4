// Package prometheus_test checks Handoff's Prometheus alerting rules
// (alerts.yml) against Prometheus's own PromQL parser and against the
// series Handoff's metrics package exports.
package prometheus_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/handoff/handoff/metrics"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"
)

// ruleFile is the shape of a Prometheus rule file, alerting rules only.
type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []rule `yaml:"rules"`
	} `yaml:"groups"`
}

type rule struct {
	Alert       string            `yaml:"alert"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

// TestAlertRules reads alerts.yml strictly (an unknown key is an error) and
// checks every rule: a unique name, a severity, a summary and description
// whose templates parse as Prometheus's do and name only labels the alert
// carries, a duration Prometheus reads, and an expression that PromQL's
// parser accepts and that selects only series, labels and values Handoff's
// /metrics exports.
func TestAlertRules(t *testing.T) {
	file := readRules(t)
	families := exported(t)
	seen := map[string]bool{}
	n := 0
	for _, g := range file.Groups {
		for _, r := range g.Rules {
			n++
			t.Run(r.Alert, func(t *testing.T) {
				if !regexp.MustCompile(`^Handoff[A-Z][A-Za-z]+$`).MatchString(r.Alert) || seen[r.Alert] {
					t.Errorf("alert name %q: want a unique Handoff… name", r.Alert)
				}
				seen[r.Alert] = true
				if r.For != "" {
					if _, err := model.ParseDuration(r.For); err != nil {
						t.Errorf("for: %v", err)
					}
				}
				if s := r.Labels["severity"]; s != "critical" && s != "warning" {
					t.Errorf("severity %q: want critical or warning", s)
				}
				for _, k := range []string{"summary", "description"} {
					if strings.TrimSpace(r.Annotations[k]) == "" {
						t.Errorf("annotation %s is empty", k)
					}
				}
				expr, err := parser.ParseExpr(r.Expr)
				if err != nil {
					t.Fatalf("expr: %v", err)
				}
				checkSeries(t.Errorf, expr, families)
				out := outputLabels(expr, families)
				for k, v := range r.Annotations {
					if _, err := template.New(k).Funcs(promTemplateFuncs).Parse(promTemplateHeader + v); err != nil {
						t.Errorf("annotation %s: %v", k, err)
					}
					for _, m := range labelRef.FindAllStringSubmatch(v, -1) {
						if !out[m[1]] {
							t.Errorf("annotation %s names $labels.%s, which the alert's series do not carry", k, m[1])
						}
					}
				}
			})
		}
	}
	if n == 0 {
		t.Fatal("alerts.yml has no rules")
	}
}

// readRules reads alerts.yml strictly: an unknown key is an error.
func readRules(t *testing.T) ruleFile {
	t.Helper()
	raw, err := os.ReadFile("alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	var file ruleFile
	if err := dec.Decode(&file); err != nil {
		t.Fatalf("alerts.yml: %v", err)
	}
	return file
}

// checkSeries reports a selector of a series Handoff does not export, a
// label it does not have, a label value none of its series carries, or a
// grouping by a label the series below it lack.
func checkSeries(report func(format string, args ...any), expr parser.Expr, families map[string]*dto.MetricFamily) {
	parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
		switch n := node.(type) {
		case *parser.VectorSelector:
			checkSelector(report, n, families)
		case *parser.AggregateExpr:
			for _, l := range n.Grouping {
				if !selectsLabel(n.Expr, l, families) {
					report("%s groups by %q, which the series below it lack", n.Op, l)
				}
			}
		}
		return nil
	})
}

func checkSelector(report func(format string, args ...any), vs *parser.VectorSelector, families map[string]*dto.MetricFamily) {
	if vs.Name == "up" { // Prometheus's own, one per scrape target
		if !hasMatcher(vs, "job", "handoff") {
			report("up without job=\"handoff\", the scrape job alerts.yml's header names")
		}
		return
	}
	fam, bucket := family(vs.Name, families)
	if fam == nil {
		report("%s: Handoff exports no such series", vs.Name)
		return
	}
	for _, m := range vs.LabelMatchers {
		if m.Name == labels.MetricName {
			continue
		}
		if m.Name == "le" && bucket {
			continue
		}
		matched := false
		for _, s := range fam.Metric {
			for _, lp := range s.Label {
				if lp.GetName() == m.Name && m.Matches(lp.GetValue()) {
					matched = true
				}
			}
		}
		if !matched {
			report("%s{%s}: no series of %s has that label value", vs.Name, m, fam.GetName())
		}
	}
}

// TestAlertRulesCatchMistakes gives TestAlertRules' check of the series an
// expression selects one mistake at a time, each of which would make an
// alert that never fires (a metric misspelt, a histogram without its
// _bucket, a label value no series carries, a grouping by a label the
// series lack, another job's up): each is reported, once.
func TestAlertRulesCatchMistakes(t *testing.T) {
	families := exported(t)
	for _, tc := range []struct{ name, expr, want string }{
		{"as exported", `max(handoff_parked_leads) > 0`, ""},
		{"misspelt gauge", `max(handoff_parked_lead) > 0`, "handoff_parked_lead: Handoff exports no such series"},
		{"misspelt counter", `sum(increase(handoff_scheduler_lease_taken[1h])) > 6`, "handoff_scheduler_lease_taken: Handoff exports no such series"},
		{"histogram without _bucket", `histogram_quantile(0.99, sum by (le) (rate(handoff_scheduler_lag_seconds[5m])))`, "handoff_scheduler_lag_seconds: Handoff exports no such series"},
		{"label value no series has", `sum(increase(handoff_chat_calls_total{outcome="ratelimited"}[10m])) > 0`, "no series of handoff_chat_calls_total has that label value"},
		{"grouping by a label the series lack", `sum by (worker) (increase(handoff_chat_calls_total[10m])) > 0`, `groups by "worker"`},
		{"up of another job", `up == 0`, `up without job="handoff"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			expr, err := parser.ParseExpr(tc.expr)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			checkSeries(func(format string, args ...any) { got = append(got, fmt.Sprintf(format, args...)) }, expr, families)
			if tc.want == "" && len(got) > 0 || tc.want != "" && (len(got) != 1 || !strings.Contains(got[0], tc.want)) {
				t.Errorf("%s: reported %q, want %q", tc.expr, got, tc.want)
			}
		})
	}
}

// family finds name's metric family: itself, or for a histogram's
// _bucket, _sum and _count series the histogram.
func family(name string, families map[string]*dto.MetricFamily) (fam *dto.MetricFamily, bucket bool) {
	if f, ok := families[name]; ok {
		if f.GetType() == dto.MetricType_HISTOGRAM {
			return nil, false // its series are name_bucket, _sum and _count
		}
		return f, false
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok {
			if f, ok := families[base]; ok && f.GetType() == dto.MetricType_HISTOGRAM {
				return f, suffix == "_bucket"
			}
		}
	}
	return nil, false
}

// selectsLabel reports whether every series selected under expr can carry
// label l.
func selectsLabel(expr parser.Expr, l string, families map[string]*dto.MetricFamily) bool {
	ok := true
	parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
		vs, isSel := node.(*parser.VectorSelector)
		if !isSel {
			return nil
		}
		fam, bucket := family(vs.Name, families)
		if fam == nil {
			return nil // checkSelector reports it
		}
		if l == "le" && bucket {
			return nil
		}
		has := false
		for _, s := range fam.Metric {
			for _, lp := range s.Label {
				has = has || lp.GetName() == l
			}
		}
		ok = ok && has
		return nil
	})
	return ok
}

func hasMatcher(vs *parser.VectorSelector, name, value string) bool {
	for _, m := range vs.LabelMatchers {
		if m.Name == name && m.Type == labels.MatchEqual && m.Value == value {
			return true
		}
	}
	return false
}

// exported scrapes Handoff's /metrics after recording one of everything
// through the metrics package's own methods, so that every labelled family
// has a series: among them a 503 (its status class as the package writes
// it) and a chat call that failed for good ("permanent", as bot/outbox's
// callOutcome names it).
func exported(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	m := metrics.New(func(context.Context) (metrics.OutboxStats, error) {
		return metrics.OutboxStats{Pending: 1, Dead: 1, Oldest: time.Now().Add(-time.Minute)}, nil
	})
	m.SetBuildInfo("test")
	m.LeadStage("sql", "web")
	m.Intake(time.Millisecond)
	m.ChatCall("slack", "chat.postMessage", "permanent", time.Millisecond)
	m.ChatCall("slack", "chat.postMessage", "rate_limited", time.Millisecond)
	m.ClaimAck("slack", time.Millisecond)
	m.SLABreach("claim")
	m.SLAReminder()
	m.SchedulerLag(time.Millisecond)
	m.SchedulerTicked(time.Now())
	m.SchedulerLease(true)
	m.APIRateLimited()
	m.Parked("scheduler")
	m.WorkerPanic("outbox")
	m.ChannelLost("slack")
	m.CRMRefused("hubspot", "auth")
	m.CRMRefused("salesforce", "invalid")
	m.WatchClock(func() (time.Duration, bool) { return -time.Minute, true })
	m.WatchParkedLeads(func(context.Context) (int64, error) { return 1, nil })
	m.HTTPRequest("POST /api/leads", "POST", 503, time.Millisecond)
	m.WriteGroup("sqlite", 2, time.Millisecond, false)
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	tp := expfmt.NewTextParser(model.UTF8Validation)
	families, err := tp.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return families
}

// promTemplateHeader is what Prometheus puts before every annotation's
// template, defining $labels and $value.
const promTemplateHeader = "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}"

var labelRef = regexp.MustCompile(`\$labels\.(\w+)`)

// outputLabels are the labels an alert's series carry: the grouping of an
// aggregation at the top (sum by (platform) …, or each side of a binary
// operation), else the selected series' own labels plus the target's job
// and instance.
func outputLabels(expr parser.Expr, families map[string]*dto.MetricFamily) map[string]bool {
	out := map[string]bool{}
	switch e := expr.(type) {
	case *parser.ParenExpr:
		return outputLabels(e.Expr, families)
	case *parser.BinaryExpr:
		l, r := outputLabels(e.LHS, families), outputLabels(e.RHS, families)
		if _, scalar := e.RHS.(*parser.NumberLiteral); scalar {
			return l
		}
		if _, scalar := e.LHS.(*parser.NumberLiteral); scalar {
			return r
		}
		for k := range l {
			if r[k] {
				out[k] = true
			}
		}
		return out
	case *parser.AggregateExpr:
		if e.Without {
			return out // not used in alerts.yml; names nothing for sure
		}
		for _, g := range e.Grouping {
			out[g] = true
		}
		return out
	case *parser.Call:
		for _, a := range e.Args {
			if _, isAgg := a.(*parser.AggregateExpr); isAgg {
				for k := range outputLabels(a, families) {
					out[k] = k != "le"
				}
			}
		}
		return out
	case *parser.VectorSelector:
		out["job"], out["instance"] = true, true
		if fam, _ := family(e.Name, families); fam != nil {
			for _, s := range fam.Metric {
				for _, lp := range s.Label {
					out[lp.GetName()] = true
				}
			}
		}
	}
	return out
}

// promTemplateFuncs are the template functions of Prometheus's alert
// annotations that alerts.yml may use; parsing with them catches a typo.
var promTemplateFuncs = template.FuncMap{
	"humanize": fmtAny, "humanize1024": fmtAny, "humanizeDuration": fmtAny,
	"humanizePercentage": fmtAny, "humanizeTimestamp": fmtAny, "title": fmtAny,
	"toUpper": fmtAny, "toLower": fmtAny, "first": fmtAny, "label": fmtAny, "value": fmtAny,
}

func fmtAny(v ...any) string { return "" }
