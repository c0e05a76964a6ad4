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
	var unknown []string
	for key, vals := range q {
		switch key {
		case "period", "source", "owner", "format":
			if len(vals) > 1 {
				bad[key] = "given more than once"
			}
		default:
			unknown = append(unknown, key)
		}
	}
	format := strings.ToLower(strings.TrimSpace(q.Get("format")))
	if format == "" {
		format = funnelFormats[0]
	}
	if !slices.Contains(funnelFormats, format) && bad["format"] == "" {
		bad["format"] = fmt.Sprintf("unknown format %q; use %s", handoff.CutBytes(q.Get("format"), maxParamValue), strings.Join(funnelFormats, " or "))
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
	// No period is longer than maxParamValue; the error quotes it.
	p, err := handoff.ParsePeriod(handoff.CutBytes(period, maxParamValue), now, a.Policy.Location)
	if err != nil {
		for k, v := range handoff.ErrorFields(err) {
			bad[k] = v
		}
	}
	f.Period = p
	if len(bad) > 0 || len(unknown) > 0 {
		return handoff.FunnelFilter{}, "", invalidQuery("invalid funnel query", bad, unknown, "use period, source, owner or format")
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

// Bounds of a 400 for a bad query, which a client writes as long as the
// server takes (32 KiB): it names at most maxNamedParams unknown
// parameters, each name cut to maxParamName bytes, quotes a value cut to
// maxParamValue bytes, and cuts each reason to maxParamReason bytes.
const (
	maxNamedParams = handoff.MaxNamedFields
	maxParamName   = handoff.MaxFieldName
	maxParamValue  = 64
	maxParamReason = handoff.MaxFieldReason
)

// invalidQuery returns an EINVALID error for a query with the bad
// parameters bad (name: reason) and the unknown ones, which hint says what
// to use instead of. Each bad parameter is named once in its fields, with
// its reason, and in its message; the unknown ones are named in the
// fields alone (the first maxNamedParams by name, as "unknown parameter;
// "+hint), counted in the message, and the rest only counted, so that
// the answer stays a few KiB however many the query holds.
func invalidQuery(what string, bad map[string]string, unknown []string, hint string) error {
	fields := make(map[string]string, len(bad)+min(len(unknown), maxNamedParams))
	parts := make([]string, 0, len(bad)+1)
	for _, k := range slices.Sorted(maps.Keys(bad)) {
		why := handoff.CutBytes(bad[k], maxParamReason)
		fields[k] = why
		parts = append(parts, k+": "+why)
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		named := 0
		for _, k := range unknown {
			if named == maxNamedParams {
				break
			}
			k = handoff.CutBytes(k, maxParamName)
			if _, dup := fields[k]; !dup {
				fields[k] = "unknown parameter; " + hint
				named++
			}
		}
		part := fmt.Sprintf("%d unknown parameters, named in fields; %s", len(unknown), hint)
		switch {
		case len(unknown) == 1:
			part = "1 unknown parameter, named in fields; " + hint
		case named < len(unknown):
			part = fmt.Sprintf("%d unknown parameters, the first %d by name named in fields; %s", len(unknown), named, hint)
		}
		parts = append(parts, part)
	}
	return &handoff.Error{Code: handoff.EINVALID, Message: what + ": " + strings.Join(parts, "; "), Fields: fields}
}
