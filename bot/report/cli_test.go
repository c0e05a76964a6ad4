package report_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/handoff/handoff/internal/fixtures"
	goldenfile "github.com/handoff/handoff/internal/golden"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot/report"
)

func f64(v float64) *float64 { return &v }

// octoberCounts is a full month with traffic, every stage and every median.
var octoberCounts = fixtures.OctoberCounts

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

// TestFunnelReport renders `handoff funnel`'s table through the terminal
// renderer.
func TestFunnelReport(t *testing.T) {
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
		{"routed_week", funnelFor(t, "week", "", "", handoff.FunnelCounts{
			Leads: 40, MQLs: 12, SQLs: 6, Claimed: 5, Contacted: 4, MedianClaimMs: f64(600_000), MedianContactMs: f64(7_200_000),
			SLADue: 4, SLAMet: 4, Routing: fixtures.Routed})},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := report.Write(&b, tc.f, "table"); err != nil {
				t.Fatal(err)
			}
			if got := report.Render(report.FunnelReport(tc.f)); got != b.String() {
				t.Errorf("Write(table) is not Render(FunnelReport):\n%s\nwant:\n%s", b.String(), got)
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

// TestWriteCSVNeutralisesFormulas filters by a source and an owner that a
// spreadsheet would run as formulas: the text cells start with an
// apostrophe, the numbers stay numbers, and text that no spreadsheet reads
// as a formula is kept as it is. Every form of = + - @ is tried (ASCII,
// full-width, small), and each after leading white space and zero-width
// characters, which spreadsheets trim or strip before they decide that a
// cell is a formula.
func TestWriteCSVNeutralisesFormulas(t *testing.T) {
	for _, tc := range []struct {
		name, cell string
		formula    bool
	}{
		{"Equals", "=HYPERLINK(\"https://evil.example\",\"x\")", true},
		{"Plus", "+1+1", true},
		{"Minus", "-2+3", true},
		{"At", "@SUM(A1)", true},
		{"Tab", "\t=1", true},
		{"CarriageReturn", "\r=1", true},
		{"FullWidthEquals", "＝HYPERLINK(\"https://evil.example\")", true},
		{"FullWidthPlus", "＋1＋1", true},
		{"FullWidthMinus", "－2＋3", true},
		{"FullWidthAt", "＠SUM(A1)", true},
		{"SmallEquals", "\ufe66HYPERLINK(\"https://evil.example\")", true},
		{"SmallPlus", "\ufe621\ufe621", true},
		{"SmallMinus", "\ufe632\ufe623", true},
		{"SmallAt", "\ufe6bSUM(A1)", true},
		{"SpaceEquals", " =1+1", true},
		{"SpacesPlus", "   +1+1", true},
		{"SpaceMinus", " -2+3", true},
		{"SpaceAt", " @SUM(A1)", true},
		{"SpaceFullWidthEquals", " ＝1+1", true},
		{"SpaceSmallEquals", " \ufe661+1", true},
		{"SpaceSmallAt", " \ufe6bSUM(A1)", true},
		{"NoBreakSpaceEquals", "\u00a0=1+1", true},
		{"IdeographicSpaceFullWidthPlus", "\u3000＋1", true},
		{"NewlineEquals", "\n=1+1", true},
		{"SpaceTabEquals", " \t=1", true},
		{"ZeroWidthSpaceEquals", "\u200b=HYPERLINK(\"https://evil.example\")", true},
		{"ZeroWidthNonJoinerPlus", "\u200c+1+1", true},
		{"ZeroWidthJoinerMinus", "\u200d-2+3", true},
		{"WordJoinerAt", "\u2060@SUM(A1)", true},
		{"ByteOrderMarkEquals", "\ufeff=1+1", true},
		{"ZeroWidthsAndSpacesFullWidthEquals", " \u200b\u00a0\ufeff ＝1+1", true},
		{"ZeroWidthSmallAt", "\u200b\ufe6bSUM(A1)", true},
		{"ZeroWidthText", "\u200bweb", false},
		{"ZeroWidthEqualsInside", "a\u200b=b", false},
		{"Text", "web", false},
		{"SpaceText", " web", false},
		{"OnlySpaces", "   ", false},
		{"EqualsInside", "a=b", false},
		{"SpaceEqualsInside", " a =b", false},
		{"SmallEqualsInside", "a\ufe66b", false},
		{"SmallAmpersand", "\ufe60web", false},
		{"FullWidthLetter", "ｗｅｂ", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := report.WriteCSV(&b, funnelFor(t, "last-month", tc.cell, tc.cell, octoberCounts), false); err != nil {
				t.Fatal(err)
			}
			rec, err := csv.NewReader(&b).Read()
			if err != nil {
				t.Fatal(err)
			}
			want := tc.cell
			if tc.formula {
				want = "'" + tc.cell
			}
			source, owner, leads := rec[slices.Index(report.CSVHeader, "source")], rec[slices.Index(report.CSVHeader, "owner")], rec[slices.Index(report.CSVHeader, "leads")]
			if source != want || owner != want {
				t.Errorf("%q: source %q owner %q, want %q", tc.cell, source, owner, want)
			}
			if _, err := strconv.Atoi(leads); err != nil {
				t.Errorf("%q: leads cell %q is no longer a number", tc.cell, leads)
			}
		})
	}
}

// TestFunnelReportPrintsFiltersLiterally: a source or owner holding markup,
// entities or a terminal escape sequence is shown as typed, never sent to
// the terminal as a control sequence.
func TestFunnelReportPrintsFiltersLiterally(t *testing.T) {
	f := funnelFor(t, "2026-Q4", "*web* <a> &amp; \x1b]0;pwned\x07", "rep\u009b31m_1", handoff.FunnelCounts{})
	var b bytes.Buffer
	if err := report.Write(&b, f, "table"); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	for _, c := range []string{"\x1b", "\x07", "\u009b"} {
		if strings.Contains(got, c) {
			t.Fatalf("output holds %q:\n%q", c, got)
		}
	}
	for _, want := range []string{`Source  *web* <a> &amp; \x1b]0;pwned\x07`, `Owner   rep\u009b31m_1`} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
}
