package report

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
)

// DigestStore is what the weekly digest reads; *storage.Store implements it.
type DigestStore interface {
	FunnelCounts(ctx context.Context, f handoff.FunnelFilter) (handoff.FunnelCounts, error)
	RepActivity(ctx context.Context, period handoff.Period, now time.Time) ([]handoff.RepActivity, error)
	OpenSQLs(ctx context.Context, now time.Time, p handoff.Policy, limit int) (handoff.OpenSQLs, error)
	Trend(ctx context.Context, periods []handoff.Period, now time.Time) ([]handoff.TrendPoint, error)
	ReceivedLeads(ctx context.Context, period handoff.Period) (map[string]int, error)
}

// DigestTrendWeeks is how many weeks the digest's trend covers, the
// reported week last.
const DigestTrendWeeks = 8

// digestBreachLimit caps the open breaches the digest lists.
const digestBreachLimit = 10

// BuildDigest builds the weekly SLA digest for the managers for the week
// in req (its Start and End; when they are zero, its ISO week label), as
// seen at now: SLA compliance (contacted in time of those due), median
// times to claim and contact, a table per rep, the open breaches,
// marketing's SQLs and sales' customers against the agreement pro rata,
// the last 8 weeks' trend as charts, and, under round-robin routing or when
// leads were routed in the week, routing per rep. It returns an EINVALID
// error for a request without a week and a wrapped error when the store
// fails.
func BuildDigest(ctx context.Context, store DigestStore, policy handoff.Policy, req handoff.DigestRequest, now time.Time) (bot.Message, error) {
	week, err := digestWeek(req, now, policy)
	if err != nil {
		return bot.Message{}, err
	}
	filter := handoff.FunnelFilter{Period: week, Now: now}
	counts, err := store.FunnelCounts(ctx, filter)
	if err != nil {
		return bot.Message{}, fmt.Errorf("bot: digest %s: %w", week.Label, err)
	}
	funnel := handoff.NewFunnel(filter, counts, policy)
	reps, err := store.RepActivity(ctx, week, now)
	if err != nil {
		return bot.Message{}, fmt.Errorf("bot: digest %s: %w", week.Label, err)
	}
	open, err := store.OpenSQLs(ctx, now, policy, digestBreachLimit)
	if err != nil {
		return bot.Message{}, fmt.Errorf("bot: digest %s: %w", week.Label, err)
	}
	weeks := make([]handoff.Period, DigestTrendWeeks)
	for i := range weeks {
		back := DigestTrendWeeks - 1 - i
		y, m, d := week.Start.Date()
		weeks[i], err = handoff.ParsePeriod("week", time.Date(y, m, d-7*back, 12, 0, 0, 0, week.Start.Location()), week.Start.Location())
		if err != nil {
			return bot.Message{}, fmt.Errorf("bot: digest %s: %w", week.Label, err)
		}
	}
	trend, err := store.Trend(ctx, weeks, now)
	if err != nil {
		return bot.Message{}, fmt.Errorf("bot: digest %s: %w", week.Label, err)
	}
	var routing *handoff.RoutingOverview
	if policy.Routing.Mode == handoff.RouteRoundRobin || funnel.Routing != nil {
		received, err := store.ReceivedLeads(ctx, week)
		if err != nil {
			return bot.Message{}, fmt.Errorf("bot: digest %s: %w", week.Label, err)
		}
		o := policy.Routing.Overview(nil, received, week, now, policy.Location).
			WithFairShares(policy.Routing.FairShares(counts.Routing.Pools))
		routing = &o
	}
	return DigestMessage(funnel, reps, open, trend, routing, now, policy), nil
}

// digestWeek is the period of a digest request.
func digestWeek(req handoff.DigestRequest, now time.Time, p handoff.Policy) (handoff.Period, error) {
	if !req.Start.IsZero() && req.End.After(req.Start) {
		loc := p.Location
		if loc == nil {
			loc = time.UTC
		}
		label := req.Week
		if label == "" {
			y, w := req.Start.In(loc).ISOWeek()
			label = fmt.Sprintf("%04d-W%02d", y, w)
		}
		return handoff.Period{Label: label, Start: req.Start.In(loc), End: req.End.In(loc)}, nil
	}
	if req.Week == "" {
		return handoff.Period{}, handoff.Errorf(handoff.EINVALID, "digest request names no week")
	}
	return handoff.ParsePeriod(req.Week, now, p.Location)
}

// DigestMessage lays out the weekly digest from its numbers: f is the
// funnel of the week, reps what each rep did in it, open the SQLs open now,
// trend the last weeks, the reported one last, and routing the leads the
// rotation's reps received in the week against their fair share; with
// routing nil the digest has no routing section.
func DigestMessage(f handoff.Funnel, reps []handoff.RepActivity, open handoff.OpenSQLs, trend []handoff.TrendPoint,
	routing *handoff.RoutingOverview, now time.Time, p handoff.Policy) bot.Message {
	fields := []bot.Field{
		{Key: "Contacted in time", Value: slaText(f.SLA)},
		{Key: "Open breaches now", Value: breachedMark(open.BreachedTotal)},
		{Key: "Median time to claim", Value: secondsOrDash(f.MedianSecondsToClaim)},
		{Key: "Median time to contact", Value: secondsOrDash(f.MedianSecondsToContact)},
		{Key: "Marketing: SQLs delivered", Value: targetText(f.SQLs, f.Targets.SQLs)},
		{Key: "Sales: customers won", Value: targetText(f.Won, f.Targets.Customers) + " · " + bot.FormatAmount(int64(math.Round(f.Revenue*100)), f.Currency)},
	}
	m := bot.Message{
		Summary: fmt.Sprintf("SLA digest %s: %s contacted in time, %s, %s, %d won",
			f.Period.Label, pct(f.SLA.Compliance), bot.Count(open.BreachedTotal, "open breach", "open breaches"), bot.Count(f.SQLs, "SQL", "SQLs"), f.Won),
		Header:   "📬 Weekly SLA digest · " + f.Period.Label,
		Sections: []bot.Section{{Text: periodSpan(f.Period, p), Fields: fields}},
		Leads:    bot.LeadIDs(open.Breached), // the breach table names them
	}
	perRep := bot.Table{Title: "Per rep", Columns: []string{"Rep", "Claimed", "Contacted", "In time", "Breaches", "Median to contact"},
		Numeric: []bool{false, true, true, true, true, false},
		More:    "`handoff digest --week " + f.Period.Label + " --print` shows every rep."}
	for _, r := range reps {
		if r.Claimed == 0 && r.Contacted == 0 && r.Met+r.Breached == 0 {
			continue // only SQLs still pending: a row of zeros says nothing
		}
		name := bot.OwnerRef(r.Owner)
		if r.Owner.IsZero() {
			name = "nobody (unclaimed)"
		}
		var med *float64
		if r.MedianContactMs != nil {
			s := *r.MedianContactMs / 1000
			med = &s
		}
		perRep.Rows = append(perRep.Rows, []string{name, count(r.Claimed), count(r.Contacted),
			fmt.Sprintf("%d of %d", r.Met, r.Met+r.Breached), count(r.Breached), secondsOrDash(med)})
	}
	m.Tables = append(m.Tables, perRep, breachTable(open, now, p))
	if routing != nil {
		team, t := routedFigures(f.Routing, routing, secondsOrDash)
		m.Sections[0].Fields = append(m.Sections[0].Fields, team)
		m.Tables = append(m.Tables, t)
	}

	if len(trend) > 0 {
		volume := bot.Chart{Kind: bot.ChartBar, Title: "SQLs and customers won, last " + bot.Count(len(trend), "week", "weeks"),
			Series: []bot.Series{{Name: "SQLs"}, {Name: "Won"}}}
		sla := bot.Chart{Kind: bot.ChartLine, Title: "Contacted in time, last " + bot.Count(len(trend), "week", "weeks"), Unit: "%",
			Series: []bot.Series{{Name: "In time %"}}}
		for _, t := range trend {
			label := t.Period.Label
			if _, w, ok := strings.Cut(label, "-"); ok {
				label = w // "W47"
			}
			volume.Categories = append(volume.Categories, label)
			volume.Series[0].Values = append(volume.Series[0].Values, float64(t.SQLs))
			volume.Series[1].Values = append(volume.Series[1].Values, float64(t.Won))
			// A week without a deadline settled has no share to show:
			// 0 % would read as every SQL missed.
			if t.Compliance != nil {
				sla.Categories = append(sla.Categories, label)
				sla.Series[0].Values = append(sla.Series[0].Values, math.Round(*t.Compliance*100))
			}
		}
		m.Charts = []bot.Chart{volume}
		if n := len(sla.Categories); n > 0 {
			if n < len(trend) { // within Slack's 50 characters of a chart title
				sla.Title = fmt.Sprintf("Contacted in time, %d of the last %s", n, bot.Count(len(trend), "week", "weeks"))
			}
			m.Charts = append(m.Charts, sla)
		}
	}
	mFields, mTables, mCharts, mContext := marketingSection(f, secondsOrDash)
	m.Sections[0].Fields = append(m.Sections[0].Fields, mFields...)
	m.Tables = append(m.Tables, mTables...)
	m.Charts = append(m.Charts, mCharts...)
	m.Context = append(m.Context, mContext...)
	m.Context = append(m.Context, handoff.SLAComplianceDefinition,
		"Targets are the monthly ones, pro rata for the week. Times are "+zoneName(p)+".")
	if routing != nil {
		m.Context = append(m.Context, routedContext(f.Period.Label, true))
	}
	return m
}

// targetText writes an actual against its pro-rata target: "4 of 4.67 ⚠️".
func targetText(actual int64, t *handoff.TargetActual) string {
	if t == nil {
		return count(actual) + " (no target)"
	}
	mark := "✅"
	if !t.OnTrack {
		mark = "⚠️"
	}
	return fmt.Sprintf("%s (target %s) %s", count(actual), oneDecimal(t.Expected), mark)
}

// oneDecimal writes v to one decimal, without a trailing ".0": a week's
// share of a monthly target (4.7 of 20).
func oneDecimal(v float64) string {
	return trimFloat(math.Round(v*10) / 10)
}
