package prometheus_test

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

// This file evaluates alerts.yml's expressions over scrapes of Handoff's
// /metrics, as Prometheus would with those scrapes as its samples: rate and
// increase extrapolated to the window's edges, histogram_quantile
// interpolating within the bucket, a selector taking the latest sample of
// the last 5 minutes. It knows only the PromQL alerts.yml uses (sum, max and
// min by labels; rate, increase, histogram_quantile, abs, time; arithmetic
// and comparisons); anything else is an error, so a new rule that needs
// more says so (TestEvaluateEveryRule).

// point is one sample: milliseconds since the epoch and a value.
type point struct {
	t int64
	v float64
}

// series is one series' labels (with __name__) and samples, oldest first.
type series struct {
	labels map[string]string
	points []point
}

// scrapes is the series read from scrapes, and their times.
type scrapes struct {
	series map[string]*series // by labels' string
	times  []int64
}

// element is one series of an instant vector.
type element struct {
	labels map[string]string
	v      float64
}

// value is what an expression evaluates to: a scalar, or an instant
// vector when isVector.
type value struct {
	isVector bool
	scalar   float64
	vector   []element
}

// lookback is how far back a selector finds a sample, as in Prometheus.
const lookback = 5 * 60 * 1000

// readScrapes reads dir's scrape files, each named by its time in
// milliseconds since the epoch with .prom after it; an empty file is a
// scrape that failed (up is 0).
func readScrapes(dir string) (*scrapes, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.prom"))
	if err != nil {
		return nil, err
	}
	s := &scrapes{series: map[string]*series{}}
	type file struct {
		t    int64
		name string
	}
	var files []file
	for _, n := range names {
		t, err := strconv.ParseInt(strings.TrimSuffix(filepath.Base(n), ".prom"), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: not named by its time in ms: %w", n, err)
		}
		files = append(files, file{t, n})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].t < files[j].t })
	for _, f := range files {
		raw, err := os.ReadFile(f.name)
		if err != nil {
			return nil, err
		}
		up := 0.0
		if len(raw) > 0 {
			tp := expfmt.NewTextParser(model.UTF8Validation)
			families, err := tp.TextToMetricFamilies(strings.NewReader(string(raw)))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f.name, err)
			}
			up = 1
			for _, fam := range families {
				s.add(f.t, fam)
			}
		}
		s.put(map[string]string{labels.MetricName: "up", "job": "handoff"}, f.t, up)
		s.times = append(s.times, f.t)
	}
	return s, nil
}

// add records a family's samples at t, a histogram as its _bucket, _sum
// and _count series.
func (s *scrapes) add(t int64, fam *dto.MetricFamily) {
	for _, m := range fam.Metric {
		base := map[string]string{}
		for _, lp := range m.Label {
			base[lp.GetName()] = lp.GetValue()
		}
		with := func(name string, extra ...string) map[string]string {
			l := map[string]string{labels.MetricName: name}
			for k, v := range base {
				l[k] = v
			}
			for i := 0; i+1 < len(extra); i += 2 {
				l[extra[i]] = extra[i+1]
			}
			return l
		}
		switch fam.GetType() {
		case dto.MetricType_COUNTER:
			s.put(with(fam.GetName()), t, m.GetCounter().GetValue())
		case dto.MetricType_GAUGE:
			s.put(with(fam.GetName()), t, m.GetGauge().GetValue())
		case dto.MetricType_UNTYPED:
			s.put(with(fam.GetName()), t, m.GetUntyped().GetValue())
		case dto.MetricType_HISTOGRAM:
			h := m.GetHistogram()
			for _, b := range h.Bucket {
				if math.IsInf(b.GetUpperBound(), 1) {
					continue // the text format's own +Inf bucket: the count, below
				}
				s.put(with(fam.GetName()+"_bucket", "le", formatLe(b.GetUpperBound())), t, float64(b.GetCumulativeCount()))
			}
			s.put(with(fam.GetName()+"_bucket", "le", "+Inf"), t, float64(h.GetSampleCount()))
			s.put(with(fam.GetName()+"_sum"), t, h.GetSampleSum())
			s.put(with(fam.GetName()+"_count"), t, float64(h.GetSampleCount()))
		}
	}
}

func formatLe(ub float64) string {
	if math.IsInf(ub, 1) {
		return "+Inf"
	}
	return strconv.FormatFloat(ub, 'g', -1, 64)
}

func (s *scrapes) put(l map[string]string, t int64, v float64) {
	key := labelString(l)
	sr := s.series[key]
	if sr == nil {
		sr = &series{labels: l}
		s.series[key] = sr
	}
	sr.points = append(sr.points, point{t, v})
}

func labelString(l map[string]string) string {
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%q,", k, l[k])
	}
	return b.String()
}

// selected is the series vs selects.
func (s *scrapes) selected(vs *parser.VectorSelector) []*series {
	var out []*series
	for _, sr := range s.series {
		ok := true
		for _, m := range vs.LabelMatchers {
			ok = ok && m.Matches(sr.labels[m.Name])
		}
		if ok {
			out = append(out, sr)
		}
	}
	return out
}

// eval evaluates expr at t (ms).
func (s *scrapes) eval(expr parser.Expr, t int64) (value, error) {
	switch e := expr.(type) {
	case *parser.NumberLiteral:
		return value{scalar: e.Val}, nil
	case *parser.ParenExpr:
		return s.eval(e.Expr, t)
	case *parser.VectorSelector:
		out := value{isVector: true}
		for _, sr := range s.selected(e) {
			if p, ok := latest(sr.points, t); ok {
				out.vector = append(out.vector, element{labels: sr.labels, v: p.v})
			}
		}
		return out, nil
	case *parser.Call:
		return s.call(e, t)
	case *parser.AggregateExpr:
		return s.aggregate(e, t)
	case *parser.BinaryExpr:
		return s.binary(e, t)
	}
	return value{}, fmt.Errorf("%T (%s): not evaluated here", expr, expr)
}

func latest(points []point, t int64) (point, bool) {
	i := sort.Search(len(points), func(i int) bool { return points[i].t > t }) - 1
	if i < 0 || points[i].t <= t-lookback {
		return point{}, false
	}
	return points[i], true
}

func (s *scrapes) call(e *parser.Call, t int64) (value, error) {
	switch e.Func.Name {
	case "time":
		return value{scalar: float64(t) / 1000}, nil
	case "rate", "increase":
		ms, ok := e.Args[0].(*parser.MatrixSelector)
		if !ok {
			return value{}, fmt.Errorf("%s of %s: want a range selector", e.Func.Name, e.Args[0])
		}
		rng := ms.Range.Milliseconds()
		out := value{isVector: true}
		for _, sr := range s.selected(ms.VectorSelector.(*parser.VectorSelector)) {
			lo := sort.Search(len(sr.points), func(i int) bool { return sr.points[i].t > t-rng })
			hi := sort.Search(len(sr.points), func(i int) bool { return sr.points[i].t > t })
			if v, ok := extrapolatedRate(sr.points[lo:hi], t-rng, t, e.Func.Name == "rate"); ok {
				out.vector = append(out.vector, element{labels: dropName(sr.labels), v: v})
			}
		}
		return out, nil
	case "abs":
		in, err := s.eval(e.Args[0], t)
		if err != nil {
			return value{}, err
		}
		out := value{isVector: true}
		for _, el := range in.vector {
			out.vector = append(out.vector, element{labels: dropName(el.labels), v: math.Abs(el.v)})
		}
		return out, nil
	case "histogram_quantile":
		q, err := s.eval(e.Args[0], t)
		if err != nil {
			return value{}, err
		}
		in, err := s.eval(e.Args[1], t)
		if err != nil {
			return value{}, err
		}
		groups := map[string][]element{}
		for _, el := range in.vector {
			l := dropName(el.labels)
			delete(l, "le")
			groups[labelString(l)] = append(groups[labelString(l)], element{labels: el.labels, v: el.v})
		}
		out := value{isVector: true}
		for _, g := range groups {
			l := dropName(g[0].labels)
			delete(l, "le")
			out.vector = append(out.vector, element{labels: l, v: bucketQuantile(q.scalar, g)})
		}
		return out, nil
	}
	return value{}, fmt.Errorf("%s(): not evaluated here", e.Func.Name)
}

func dropName(l map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range l {
		if k != labels.MetricName {
			out[k] = v
		}
	}
	return out
}

// extrapolatedRate is Prometheus's rate (isRate) or increase of a counter
// over the samples in (start, end]: the increase, counter resets mended,
// extrapolated to the window's edges (not past the counter's zero, nor
// more than half an interval where the samples stop short of an edge).
func extrapolatedRate(points []point, start, end int64, isRate bool) (float64, bool) {
	if len(points) < 2 {
		return 0, false
	}
	first, last := points[0], points[len(points)-1]
	result := last.v - first.v
	prev := first.v
	for _, p := range points[1:] {
		if p.v < prev {
			result += prev
		}
		prev = p.v
	}
	toStart := float64(first.t-start) / 1000
	toEnd := float64(end-last.t) / 1000
	sampled := float64(last.t-first.t) / 1000
	avg := sampled / float64(len(points)-1)
	if toStart >= avg*1.1 {
		toStart = avg / 2
	}
	if result > 0 && first.v >= 0 {
		if toZero := sampled * (first.v / result); toZero < toStart {
			toStart = toZero
		}
	}
	if toEnd >= avg*1.1 {
		toEnd = avg / 2
	}
	factor := (sampled + toStart + toEnd) / sampled
	if isRate {
		factor /= float64(end-start) / 1000
	}
	return result * factor, true
}

// bucketQuantile is Prometheus's quantile q of classic buckets (each
// element a bucket's count, its le label its upper bound): linear within
// the bucket the rank falls in, from 0 for the first; the highest finite
// bound when it falls in +Inf; NaN with no observations.
func bucketQuantile(q float64, buckets []element) float64 {
	type bucket struct{ ub, count float64 }
	var bs []bucket
	for _, el := range buckets {
		ub, err := strconv.ParseFloat(el.labels["le"], 64)
		if err != nil {
			continue
		}
		bs = append(bs, bucket{ub, el.v})
	}
	switch {
	case math.IsNaN(q):
		return math.NaN()
	case q < 0:
		return math.Inf(-1)
	case q > 1:
		return math.Inf(1)
	}
	sort.Slice(bs, func(i, j int) bool { return bs[i].ub < bs[j].ub })
	if len(bs) < 2 || !math.IsInf(bs[len(bs)-1].ub, 1) {
		return math.NaN()
	}
	for i := 1; i < len(bs); i++ { // rates of cumulative counts, forced monotonic
		bs[i].count = max(bs[i].count, bs[i-1].count)
	}
	observations := bs[len(bs)-1].count
	if observations == 0 {
		return math.NaN()
	}
	rank := q * observations
	b := sort.Search(len(bs)-1, func(i int) bool { return bs[i].count >= rank })
	if b == len(bs)-1 {
		return bs[len(bs)-2].ub
	}
	if b == 0 && bs[0].ub <= 0 {
		return bs[0].ub
	}
	start, count := 0.0, bs[b].count
	if b > 0 {
		start = bs[b-1].ub
		count -= bs[b-1].count
		rank -= bs[b-1].count
	}
	return start + (bs[b].ub-start)*(rank/count)
}

func (s *scrapes) aggregate(e *parser.AggregateExpr, t int64) (value, error) {
	if e.Without || (e.Op != parser.SUM && e.Op != parser.MAX && e.Op != parser.MIN) {
		return value{}, fmt.Errorf("%s: not evaluated here", e)
	}
	in, err := s.eval(e.Expr, t)
	if err != nil {
		return value{}, err
	}
	groups := map[string]*element{}
	var order []string
	for _, el := range in.vector {
		l := map[string]string{}
		for _, g := range e.Grouping {
			if v, ok := el.labels[g]; ok {
				l[g] = v
			}
		}
		key := labelString(l)
		g := groups[key]
		switch {
		case g == nil:
			groups[key] = &element{labels: l, v: el.v}
			order = append(order, key)
		case e.Op == parser.SUM:
			g.v += el.v
		case e.Op == parser.MAX && (el.v > g.v || math.IsNaN(g.v)):
			g.v = el.v
		case e.Op == parser.MIN && (el.v < g.v || math.IsNaN(g.v)):
			g.v = el.v
		}
	}
	out := value{isVector: true}
	for _, k := range order {
		out.vector = append(out.vector, *groups[k])
	}
	return out, nil
}

func (s *scrapes) binary(e *parser.BinaryExpr, t int64) (value, error) {
	if e.VectorMatching != nil && (len(e.VectorMatching.MatchingLabels) > 0 || e.VectorMatching.Card != parser.CardOneToOne) {
		return value{}, fmt.Errorf("%s: vector matching not evaluated here", e)
	}
	l, err := s.eval(e.LHS, t)
	if err != nil {
		return value{}, err
	}
	r, err := s.eval(e.RHS, t)
	if err != nil {
		return value{}, err
	}
	op := func(a, b float64) (float64, bool) {
		switch e.Op {
		case parser.ADD:
			return a + b, true
		case parser.SUB:
			return a - b, true
		case parser.MUL:
			return a * b, true
		case parser.DIV:
			return a / b, true
		case parser.GTR:
			return a, a > b
		case parser.LSS:
			return a, a < b
		case parser.GTE:
			return a, a >= b
		case parser.LTE:
			return a, a <= b
		case parser.EQLC:
			return a, a == b
		case parser.NEQ:
			return a, a != b
		}
		return math.NaN(), false
	}
	if e.Op.IsComparisonOperator() && e.ReturnBool {
		return value{}, fmt.Errorf("%s: bool not evaluated here", e)
	}
	out := value{isVector: l.isVector || r.isVector}
	switch {
	case !l.isVector && !r.isVector:
		v, keep := op(l.scalar, r.scalar)
		if !keep && e.Op.IsComparisonOperator() {
			return value{scalar: math.NaN()}, nil
		}
		out.scalar = v
	case l.isVector && !r.isVector:
		for _, el := range l.vector {
			if v, keep := op(el.v, r.scalar); keep {
				out.vector = append(out.vector, element{labels: dropName(el.labels), v: v})
			}
		}
	case !l.isVector && r.isVector:
		for _, el := range r.vector {
			if v, keep := op(l.scalar, el.v); keep {
				out.vector = append(out.vector, element{labels: dropName(el.labels), v: v})
			}
		}
	default:
		right := map[string]float64{}
		for _, el := range r.vector {
			right[labelString(dropName(el.labels))] = el.v
		}
		for _, el := range l.vector {
			key := labelString(dropName(el.labels))
			if b, ok := right[key]; ok {
				if v, keep := op(el.v, b); keep {
					out.vector = append(out.vector, element{labels: dropName(el.labels), v: v})
				}
			}
		}
	}
	return out, nil
}
