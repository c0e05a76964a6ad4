package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	goldenfile "github.com/handoff/handoff/internal/golden"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/report"
)

// reportNow is Friday 20 November 2026, 10:00 in Copenhagen.
var reportNow = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

func reportPolicy(t *testing.T) handoff.Policy {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Copenhagen")
	if err != nil {
		t.Fatal(err)
	}
	p := handoff.DefaultPolicy()
	p.Location = loc
	p.Targets = handoff.Targets{SQLsPerMonth: 20, CustomersPerMonth: 5, AvgDealSize: 40000, Currency: "DKK"}
	return p
}

func f64(v float64) *float64 { return &v }
func i64(v int64) *int64     { return &v }

// octoberCounts is a full month with traffic, every stage and every median.
var octoberCounts = handoff.FunnelCounts{
	Leads: 1320, MQLs: 610, SQLs: 23, Claimed: 22, Contacted: 21, Opportunities: 11, Won: 6, Lost: 4, Recycled: 3,
	RevenueMinor: 25_350_050, MedianClaimMs: f64(2_730_500), MedianContactMs: f64(19_800_000), MedianFirstOrderMs: f64(3_110_400_000),
	SLADue: 24, SLAMet: 21, SLABreached: 2, SLAPending: 1, Visits: i64(48_210),
}

func funnelFor(t *testing.T, period, source, owner string, c handoff.FunnelCounts) handoff.Funnel {
	t.Helper()
	policy := reportPolicy(t)
	p, err := handoff.ParsePeriod(period, reportNow, policy.Location)
	if err != nil {
		t.Fatal(err)
	}
	f := handoff.FunnelFilter{Period: p, Source: source, Owner: owner, Now: reportNow}
	return handoff.NewFunnel(f, c, policy)
}

// golden compares with a golden file in testdata/ (go test -update rewrites it).
func golden(t *testing.T, name string, got []byte) { t.Helper(); goldenfile.File(t, name, got) }

func TestWriteTable(t *testing.T) {
	cases := []struct {
		name string
		f    handoff.Funnel
	}{
		{"last_month", funnelFor(t, "last-month", "", "", octoberCounts)},
		{"week_in_progress", funnelFor(t, "week", "", "", handoff.FunnelCounts{
			Leads: 250, MQLs: 120, SQLs: 3, Claimed: 3, Contacted: 2, Won: 1, RevenueMinor: 3_200_000,
			MedianClaimMs: f64(40_000), MedianContactMs: f64(3_600_000), MedianFirstOrderMs: f64(0),
			SLADue: 3, SLAMet: 1, SLAPending: 2})},
		{"empty_year", funnelFor(t, "2025", "", "", handoff.FunnelCounts{})},
		{"filtered", funnelFor(t, "2026-Q4", "organic", "rep1@example.com", handoff.FunnelCounts{
			Leads: 12, MQLs: 5, SQLs: 2, Claimed: 2, Contacted: 1, SLADue: 2, SLAMet: 1, SLABreached: 1})},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := report.WriteTable(&b, tc.f); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name+".txt", b.Bytes())
		})
	}
}

func TestWriteCSV(t *testing.T) {
	var b bytes.Buffer
	if err := report.WriteCSV(&b, funnelFor(t, "last-month", "", "", octoberCounts), true); err != nil {
		t.Fatal(err)
	}
	if err := report.WriteCSV(&b, funnelFor(t, "2025", "", "", handoff.FunnelCounts{}), false); err != nil {
		t.Fatal(err)
	}
	golden(t, "funnel.csv", b.Bytes())
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("got %d lines, want header and two rows", len(lines))
	}
	for i, l := range lines {
		if n := strings.Count(l, ",") + 1; n != len(report.CSVHeader) {
			t.Errorf("line %d has %d cells, want %d", i, n, len(report.CSVHeader))
		}
	}
}

func TestWriteJSONMatchesTheAPI(t *testing.T) {
	f := funnelFor(t, "last-month", "", "", octoberCounts)
	var b bytes.Buffer
	if err := report.Write(&b, f, "json"); err != nil {
		t.Fatal(err)
	}
	want, _ := json.MarshalIndent(f, "", "  ")
	if strings.TrimSpace(b.String()) != string(want) {
		t.Errorf("JSON = %s\nwant %s", b.String(), want)
	}
	if err := report.Write(&b, f, "xml"); handoff.ErrorCode(err) != handoff.EINVALID {
		t.Errorf("format xml: %v, want EINVALID", err)
	}
}

// fakeCounter is the store at the edge of the command: it records the
// filter it was asked for and answers fixed counts.
type fakeCounter struct {
	got    handoff.FunnelFilter
	counts handoff.FunnelCounts
	err    error
}

func (f *fakeCounter) FunnelCounts(ctx context.Context, filter handoff.FunnelFilter) (handoff.FunnelCounts, error) {
	f.got = filter
	return f.counts, f.err
}

func TestRunFunnelCommand(t *testing.T) {
	ctx := context.Background()
	policy := reportPolicy(t)

	t.Run("TableIsTheDefault", func(t *testing.T) {
		store := &fakeCounter{counts: octoberCounts}
		var out bytes.Buffer
		if err := report.RunFunnelCommand(ctx, []string{"--period", "last-month"}, store, policy, reportNow, &out); err != nil {
			t.Fatal(err)
		}
		if store.got.Period.Label != "2026-10" || !store.got.Now.Equal(reportNow) {
			t.Errorf("filter = %+v", store.got)
		}
		golden(t, "last_month.txt", out.Bytes())
	})

	t.Run("DefaultPeriodIsThisMonth", func(t *testing.T) {
		store := &fakeCounter{}
		if err := report.RunFunnelCommand(ctx, nil, store, policy, reportNow, &bytes.Buffer{}); err != nil {
			t.Fatal(err)
		}
		if store.got.Period.Label != "2026-11" {
			t.Errorf("period = %s, want 2026-11", store.got.Period.Label)
		}
	})

	t.Run("FiltersAndCSVWithoutHeader", func(t *testing.T) {
		store := &fakeCounter{counts: octoberCounts}
		var out bytes.Buffer
		args := []string{"-period=2026-W47", "-source", "organic", "--owner", "U1", "--format", "csv", "--header=false"}
		if err := report.RunFunnelCommand(ctx, args, store, policy, reportNow, &out); err != nil {
			t.Fatal(err)
		}
		if store.got.Source != "organic" || store.got.Owner != "U1" || store.got.Period.Label != "2026-W47" {
			t.Errorf("filter = %+v", store.got)
		}
		if !strings.HasPrefix(out.String(), "2026-W47,2026-11-16,2026-11-22,organic,U1,DKK,") || strings.Count(out.String(), "\n") != 1 {
			t.Errorf("csv = %q", out.String())
		}
	})

	t.Run("JSON", func(t *testing.T) {
		var out bytes.Buffer
		if err := report.RunFunnelCommand(ctx, []string{"--format", "json"}, &fakeCounter{}, policy, reportNow, &out); err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(out.Bytes(), &m); err != nil || m["leads"] != 0.0 || m["lead_to_mql"] != nil {
			t.Errorf("json = %s (%v)", out.String(), err)
		}
	})

	t.Run("Help", func(t *testing.T) {
		var out bytes.Buffer
		if err := report.RunFunnelCommand(ctx, []string{"-h"}, &fakeCounter{}, policy, reportNow, &out); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "Usage: handoff funnel") || !strings.Contains(out.String(), "-period") {
			t.Errorf("help = %s", out.String())
		}
	})

	t.Run("BadInput", func(t *testing.T) {
		for _, args := range [][]string{
			{"--period", "fortnight"},
			{"--format", "xlsx"},
			{"--colour"},
			{"month"},
		} {
			var out bytes.Buffer
			err := report.RunFunnelCommand(ctx, args, &fakeCounter{}, policy, reportNow, &out)
			if handoff.ErrorCode(err) != handoff.EINVALID {
				t.Errorf("%v: error %v, want EINVALID", args, err)
			}
			if out.Len() != 0 {
				t.Errorf("%v wrote %q", args, out.String())
			}
		}
		err := report.RunFunnelCommand(ctx, []string{"--period", "fortnight"}, &fakeCounter{}, policy, reportNow, &bytes.Buffer{})
		if !strings.Contains(err.Error(), "last-month") {
			t.Errorf("error %q does not list the periods", err)
		}
	})

	t.Run("StoreFailure", func(t *testing.T) {
		boom := errors.New("database is gone")
		err := report.RunFunnelCommand(ctx, nil, &fakeCounter{err: boom}, policy, reportNow, &bytes.Buffer{})
		if !errors.Is(err, boom) {
			t.Errorf("error %v, want it to wrap the store's", err)
		}
	})
}
