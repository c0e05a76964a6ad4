package handlers

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot/report"
)

// FunnelStore is what the funnel and traffic API needs from storage.
type FunnelStore interface {
	FunnelCounts(ctx context.Context, f handoff.FunnelFilter) (handoff.FunnelCounts, error)
	SaveTraffic(ctx context.Context, day handoff.TrafficDay, now time.Time) error
}

// FunnelAPI serves the KPI endpoints: GET /api/funnel and POST /api/traffic,
// both behind the bearer token.
type FunnelAPI struct {
	Store  FunnelStore
	Policy handoff.Policy   // Location and Targets are used
	Token  string           // HANDOFF_API_TOKEN, a write token named "api"
	Tokens []Token          // HANDOFF_API_TOKENS; with Token empty too, the endpoints are disabled
	Now    func() time.Time // clock; time.Now when nil
	Logger *slog.Logger     // slog.Default when nil
	// Limit bounds each token's request rate (shared with the intake API); nil for none.
	Limit *RateLimit
}

// Register adds the funnel API's routes to mux.
func (a *FunnelAPI) Register(mux *http.ServeMux) {
	g := &Guard{Tokens: Tokens(a.Token, a.Tokens), Limit: a.Limit}
	mux.Handle("GET /api/funnel", g.Require(ScopeRead, a.getFunnel))
	mux.Handle("POST /api/traffic", g.Require(ScopeWrite, a.postTraffic))
}

func (a *FunnelAPI) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

func (a *FunnelAPI) logger() *slog.Logger {
	if a.Logger != nil {
		return a.Logger
	}
	return slog.Default()
}

// maxFilterLen bounds the source and owner query parameters, in
// characters, as the intake bounds the fields they match.
const maxFilterLen = handoff.MaxFieldLen

// getFunnel answers GET /api/funnel?period=…&source=…&owner=…&format=… with
// the Funnel as JSON (the default) or, with format=csv, as the same CSV
// (header and one row) that `handoff funnel --format csv` prints, for
// spreadsheets. The period defaults to the current month; a bad parameter
// is a 400 whose fields name it.
func (a *FunnelAPI) getFunnel(w http.ResponseWriter, r *http.Request) {
	f, format, err := a.funnelFilter(r)
	if err != nil {
		writeError(w, r, a.logger(), err)
		return
	}
	counts, err := a.Store.FunnelCounts(r.Context(), f)
	if err != nil {
		writeError(w, r, a.logger(), err)
		return
	}
	funnel := handoff.NewFunnel(f, counts, a.Policy)
	if format == "json" {
		writeJSON(w, http.StatusOK, funnel)
		return
	}
	var buf bytes.Buffer
	if err := report.WriteCSV(&buf, funnel, true); err != nil {
		writeError(w, r, a.logger(), err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	noStore(w)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="funnel-%s.csv"`, funnel.Period.Label))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

// funnelFormats are the answers GET /api/funnel can give.
var funnelFormats = []string{"json", "csv"}

// funnelFilter reads the query: the filter, and the format (json or csv).
func (a *FunnelAPI) funnelFilter(r *http.Request) (handoff.FunnelFilter, string, error) {
	bad := map[string]string{}
	q := queryOf(r, bad)
	for key, vals := range q {
		switch key {
		case "period", "source", "owner", "format":
			if len(vals) > 1 {
				bad[key] = "given more than once"
			}
		default:
			bad[key] = "unknown parameter; use period, source, owner or format"
		}
	}
	format := strings.ToLower(strings.TrimSpace(q.Get("format")))
	if format == "" {
		format = funnelFormats[0]
	}
	if !slices.Contains(funnelFormats, format) && bad["format"] == "" {
		bad["format"] = fmt.Sprintf("unknown format %q; use %s", q.Get("format"), strings.Join(funnelFormats, " or "))
	}
	now := a.now()
	f := handoff.FunnelFilter{Now: now, Source: strings.TrimSpace(q.Get("source")), Owner: strings.TrimSpace(q.Get("owner"))}
	// What no lead can hold is refused as the intake refuses it: a NUL or
	// bytes that are not UTF-8 would reach PostgreSQL and fail there.
	for key, v := range map[string]string{"source": f.Source, "owner": f.Owner} {
		if p := handoff.CheckText(v, maxFilterLen); p != "" {
			bad[key] = p
		}
	}
	period := q.Get("period")
	if strings.TrimSpace(period) == "" {
		period = handoff.DefaultPeriod
	}
	p, err := handoff.ParsePeriod(period, now, a.Policy.Location)
	if err != nil {
		for k, v := range handoff.ErrorFields(err) {
			bad[k] = v
		}
	}
	f.Period = p
	if len(bad) > 0 {
		return handoff.FunnelFilter{}, "", invalidQuery("invalid funnel query", bad)
	}
	return f, format, nil
}

// postTraffic records a day's website visits: {"date": "2026-11-20",
// "visits": 1830, "source": "organic"}. Posting the same date and source
// again replaces the count. It answers 200 with the stored day.
func (a *FunnelAPI) postTraffic(w http.ResponseWriter, r *http.Request) {
	raw, ok := decodeObject(w, r)
	if !ok {
		return
	}
	day, err := handoff.ParseTrafficDay(raw)
	if err != nil {
		writeError(w, r, a.logger(), err)
		return
	}
	if err := a.Store.SaveTraffic(r.Context(), day, a.now()); err != nil {
		writeError(w, r, a.logger(), err)
		return
	}
	writeJSON(w, http.StatusOK, day)
}

// invalidQuery returns an EINVALID error whose message lists the bad fields.
func invalidQuery(what string, bad map[string]string) error {
	parts := make([]string, 0, len(bad))
	for _, k := range slices.Sorted(maps.Keys(bad)) {
		parts = append(parts, k+": "+bad[k])
	}
	return &handoff.Error{Code: handoff.EINVALID, Message: what + ": " + strings.Join(parts, "; "), Fields: bad}
}
