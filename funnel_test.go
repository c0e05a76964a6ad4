package handoff_test

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
)

func TestRate(t *testing.T) {
	for _, tc := range []struct {
		num, den int64
		want     string
	}{
		{0, 0, "null"}, {5, 0, "null"}, {1, -1, "null"},
		{0, 7, "0"}, {2, 3, "0.6667"}, {1, 3, "0.3333"}, {9, 190, "0.0474"}, {3, 2, "1.5"},
	} {
		b, _ := json.Marshal(handoff.Rate(tc.num, tc.den))
		if string(b) != tc.want {
			t.Errorf("Rate(%d, %d) = %s, want %s", tc.num, tc.den, b, tc.want)
		}
	}
}

func funnelPeriod(t *testing.T, s string, now time.Time) handoff.Period {
	t.Helper()
	p, err := handoff.ParsePeriod(s, now, periodZone(t))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestNewFunnelEmptyPeriodHasNullsNotNaN(t *testing.T) {
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	f := handoff.FunnelFilter{Period: funnelPeriod(t, "2026-06", now), Now: now}
	fu := handoff.NewFunnel(f, handoff.FunnelCounts{}, handoff.DefaultPolicy())
	b, err := json.Marshal(fu)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	wantKeys := []string{"avg_deal_size", "by_campaign", "claimed", "claimed_to_contacted", "contacted", "contacted_to_opportunity",
		"currency", "delays", "lead_to_mql", "leads", "lost", "median_seconds_to_claim", "median_seconds_to_contact",
		"mql_to_sql", "mqls", "opportunities", "opportunity_to_won", "period", "recycled", "revenue", "sla",
		"speed_to_lead", "sql_to_claimed", "sql_to_won", "sqls", "targets", "time_to_first_order", "won"}
	if got := slices.Sorted(maps.Keys(m)); strings.Join(got, " ") != strings.Join(wantKeys, " ") {
		t.Errorf("keys = %v\nwant   %v", got, wantKeys)
	}
	for _, k := range []string{"avg_deal_size", "lead_to_mql", "mql_to_sql", "sql_to_claimed", "claimed_to_contacted",
		"contacted_to_opportunity", "opportunity_to_won", "sql_to_won", "median_seconds_to_claim",
		"median_seconds_to_contact", "time_to_first_order"} {
		if m[k] != nil {
			t.Errorf("%s = %v, want null", k, m[k])
		}
	}
	sla := m["sla"].(map[string]any)
	if sla["compliance"] != nil || sla["due"] != 0.0 {
		t.Errorf("sla = %v, want zero counts and null compliance", sla)
	}
	period := m["period"].(map[string]any)
	if period["label"] != "2026-06" || period["start"] != "2026-06-01T00:00:00+02:00" || period["end"] != "2026-07-01T00:00:00+02:00" {
		t.Errorf("period = %v", period)
	}
	if strings.Contains(string(b), "NaN") {
		t.Errorf("JSON has NaN: %s", b)
	}
}

func TestNewFunnel(t *testing.T) {
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	policy := handoff.DefaultPolicy()
	policy.Targets = handoff.Targets{SQLsPerMonth: 30, CustomersPerMonth: 6, AvgDealSize: 40000, Currency: "DKK"}
	claim, contact, order := 5400500.0, 7200000.0, 86400000.0*12
	counts := handoff.FunnelCounts{
		Leads: 400, MQLs: 200, SQLs: 60, Claimed: 57, Contacted: 50, Opportunities: 20, Won: 6, Lost: 3, Recycled: 4,
		RevenueMinor: 25_000_050, MedianClaimMs: &claim, MedianContactMs: &contact, MedianFirstOrderMs: &order,
		SLADue: 55, SLAMet: 45, SLABreached: 5, SLAPending: 5, Visits: funnelPtr(int64(16000)),
	}

	t.Run("LastMonth", func(t *testing.T) {
		f := handoff.FunnelFilter{Period: funnelPeriod(t, "last-month", now), Now: now}
		fu := handoff.NewFunnel(f, counts, policy)
		checks := map[string][2]any{
			"revenue":            {fu.Revenue, 250000.5},
			"avg_deal_size":      {*fu.AvgDealSize, 41666.75},
			"lead_to_mql":        {*fu.LeadToMQL, 0.5},
			"mql_to_sql":         {*fu.MQLToSQL, 0.3},
			"sql_to_claimed":     {*fu.SQLToClaimed, 0.95},
			"sql_to_won":         {*fu.SQLToWon, 0.1},
			"visit_to_lead":      {*fu.VisitToLead, 0.025},
			"median_to_claim":    {*fu.MedianSecondsToClaim, 5400.5},
			"median_to_contact":  {*fu.MedianSecondsToContact, 7200.0},
			"first_order":        {*fu.TimeToFirstOrder, 1036800.0},
			"sla.compliance":     {*fu.SLA.Compliance, 0.9},
			"targets.sqls":       {fu.Targets.SQLs.Target, 30.0},
			"targets.sqls.exp":   {fu.Targets.SQLs.Expected, 30.0},
			"targets.sqls.on":    {fu.Targets.SQLs.OnTrack, true},
			"targets.cust.on":    {fu.Targets.Customers.OnTrack, true},
			"targets.avg.actual": {*fu.Targets.AvgDealSize.Actual, 41666.75},
			"targets.avg.on":     {fu.Targets.AvgDealSize.OnTrack, true},
		}
		for name, c := range checks {
			if c[0] != c[1] {
				t.Errorf("%s = %v, want %v", name, c[0], c[1])
			}
		}
	})

	t.Run("WeekIsProRata", func(t *testing.T) {
		// 2026-W47 lies inside November (30 days): 7/30 of a month. Now is
		// Friday 10:00 local, 4 days 10 hours into the week: 106/720 of a month.
		f := handoff.FunnelFilter{Period: funnelPeriod(t, "week", now), Now: now}
		small := handoff.FunnelCounts{SQLs: 4, Won: 0}
		fu := handoff.NewFunnel(f, small, policy)
		sq, cu, avg := fu.Targets.SQLs, fu.Targets.Customers, fu.Targets.AvgDealSize
		if sq.Target != 7 || sq.Expected != 4.42 || *sq.Actual != 4 || sq.OnTrack {
			t.Errorf("sqls = %+v, want target 7 (30·7/30), expected 4.42 (30·106/720), actual 4, behind", *sq)
		}
		if cu.Target != 1.4 || cu.Expected != 0.88 || cu.OnTrack {
			t.Errorf("customers = %+v, want target 1.4, expected 0.88, behind", *cu)
		}
		if avg.Actual != nil || avg.OnTrack {
			t.Errorf("avg deal size = %+v, want no actual and not on track", *avg)
		}
	})

	t.Run("FutureWeekIsOnTrack", func(t *testing.T) {
		f := handoff.FunnelFilter{Period: funnelPeriod(t, "2026-W52", now), Now: now}
		fu := handoff.NewFunnel(f, handoff.FunnelCounts{}, policy)
		if fu.Targets.SQLs.Expected != 0 || !fu.Targets.SQLs.OnTrack {
			t.Errorf("sqls = %+v, want nothing expected yet and on track", *fu.Targets.SQLs)
		}
	})

	t.Run("FilteredHasNoTargets", func(t *testing.T) {
		for _, f := range []handoff.FunnelFilter{
			{Period: funnelPeriod(t, "month", now), Now: now, Source: "organic"},
			{Period: funnelPeriod(t, "month", now), Now: now, Owner: "U1"},
		} {
			fu := handoff.NewFunnel(f, counts, policy)
			b, _ := json.Marshal(fu.Targets)
			if string(b) != "{}" {
				t.Errorf("targets for %+v = %s, want {}", f, b)
			}
		}
	})

	t.Run("NoTargetsAgreed", func(t *testing.T) {
		f := handoff.FunnelFilter{Period: funnelPeriod(t, "month", now), Now: now}
		fu := handoff.NewFunnel(f, counts, handoff.DefaultPolicy())
		b, _ := json.Marshal(fu)
		if !strings.Contains(string(b), `"targets":{}`) || !strings.Contains(string(b), `"currency":"DKK"`) {
			t.Errorf("JSON = %s, want empty targets and currency DKK", b)
		}
	})

	t.Run("UnknownTrafficIsOmitted", func(t *testing.T) {
		f := handoff.FunnelFilter{Period: funnelPeriod(t, "month", now), Now: now}
		c := counts
		c.Visits = nil
		b, _ := json.Marshal(handoff.NewFunnel(f, c, policy))
		if strings.Contains(string(b), "visit") {
			t.Errorf("JSON mentions visits without traffic: %s", b)
		}
	})
}

func funnelPtr[T any](v T) *T { return &v }

func TestParseTrafficDay(t *testing.T) {
	good, err := handoff.ParseTrafficDay(map[string]any{"date": "2026-11-20", "visits": 1830.0, "source": " organic "})
	if err != nil {
		t.Fatal(err)
	}
	if good != (handoff.TrafficDay{Date: "2026-11-20", Source: "organic", Visits: 1830}) {
		t.Errorf("got %+v", good)
	}
	if d, err := handoff.ParseTrafficDay(map[string]any{"date": "2026-11-20", "visits": 0.0}); err != nil || d.Source != "" {
		t.Errorf("no source: %+v, %v", d, err)
	}
	for _, tc := range []struct {
		raw   map[string]any
		field string
	}{
		{map[string]any{"visits": 1.0}, "date"},
		{map[string]any{"date": "20-11-2026", "visits": 1.0}, "date"},
		{map[string]any{"date": "2026-02-30", "visits": 1.0}, "date"},
		{map[string]any{"date": 20261120.0, "visits": 1.0}, "date"},
		{map[string]any{"date": "2026-11-20"}, "visits"},
		{map[string]any{"date": "2026-11-20", "visits": -1.0}, "visits"},
		{map[string]any{"date": "2026-11-20", "visits": 1.5}, "visits"},
		{map[string]any{"date": "2026-11-20", "visits": true}, "visits"},
		{map[string]any{"date": "2026-11-20", "visits": 1.0, "source": 7.0}, "source"},
		{map[string]any{"date": "2026-11-20", "visits": 1.0, "source": strings.Repeat("x", 501)}, "source"},
		{map[string]any{"date": "2026-11-20", "visits": 1.0, "vists": 2.0}, "vists"},
	} {
		_, err := handoff.ParseTrafficDay(tc.raw)
		if handoff.ErrorCode(err) != handoff.EINVALID || handoff.ErrorFields(err)[tc.field] == "" {
			t.Errorf("ParseTrafficDay(%v) = %v (fields %v), want EINVALID naming %s", tc.raw, err, handoff.ErrorFields(err), tc.field)
		}
	}
}
