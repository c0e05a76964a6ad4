package report_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot/report"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestReportsKeepPastWeekWhenSQLAgain: boomerang became an SQL on Mon 2
// Nov (W45), was claimed by rep1 and breached its contact deadline (Wed 4
// Nov), was recycled on 5 Nov and became an SQL again on Mon 16 Nov (W47),
// claimed by rep2 and contacted in time. What /sla, the digest and /funnel
// show for W45 does not change: rep1's claim and breach stay there, and
// W47 and November add rep2's deadline met.
func TestReportsKeepPastWeekWhenSQLAgain(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		l := reportLog{t: t, s: s, p: reportPolicy(t)}
		l.move("boomerang", "sql", "2026-11-02T09:00:00Z", map[string]any{"company": "Boomerang A/S"})
		l.claim("boomerang", rep1, "2026-11-02T10:00:00Z")
		l.move("boomerang", "recycled", "2026-11-05T09:00:00Z", map[string]any{"reason": "not now"})
		l.move("boomerang", "sql", "2026-11-16T09:00:00Z", nil)
		l.claim("boomerang", rep2, "2026-11-16T10:00:00Z")
		l.move("boomerang", "contacted", "2026-11-16T12:00:00Z", nil)
		r := reports(s, l.p)

		for _, tc := range []struct {
			period string
			rows   [][]string
		}{
			{"2026-W45", [][]string{{rep1Ref, "1", "0", "1", "0", "0%"}}},
			{"2026-W46", nil},
			{"2026-W47", [][]string{{rep2Ref, "1", "1", "0", "0", "100%"}}},
			{"2026-11", [][]string{{rep1Ref, "1", "0", "1", "0", "0%"}, {rep2Ref, "1", "1", "0", "0", "100%"}}},
		} {
			wantRows(t, tableOf(t, ask(t, r, "sla", tc.period), "Compliance per rep, "+tc.period), tc.rows)
		}
		if got := fieldOf(t, ask(t, r, "funnel", "2026-11"), "SLA: contacted in time"); got != "50% (1 of 2)" {
			t.Errorf("/funnel 2026-11 contacted in time = %q, want 50%% (1 of 2)", got)
		}

		for _, tc := range []struct {
			week     string
			inTime   string
			perRep   [][]string
			trend    []string
			trendPct []float64
		}{
			{"2026-W45", "0% (0 of 1)", [][]string{{rep1Ref, "1", "0", "0 of 1", "1", "–"}}, []string{"W45"}, []float64{0}},
			{"2026-W47", "100% (1 of 1)", [][]string{{rep2Ref, "1", "1", "1 of 1", "0", "3 h"}}, []string{"W45", "W47"}, []float64{0, 100}},
		} {
			week, err := handoff.ParsePeriod(tc.week, reportNow, l.p.Location)
			if err != nil {
				t.Fatal(err)
			}
			m, err := report.BuildDigest(context.Background(), s, l.p, handoff.DigestRequest{Week: week.Label, Start: week.Start, End: week.End}, reportNow)
			if err != nil {
				t.Fatal(err)
			}
			if got := fieldOf(t, m, "Contacted in time"); got != tc.inTime {
				t.Errorf("digest %s: contacted in time = %q, want %q", tc.week, got, tc.inTime)
			}
			wantRows(t, tableOf(t, m, "Per rep"), tc.perRep)
			if len(m.Charts) < 2 {
				t.Fatalf("digest %s: charts %+v, want the SLA trend", tc.week, m.Charts)
			}
			if sla := m.Charts[1]; !reflect.DeepEqual(sla.Categories, tc.trend) || !reflect.DeepEqual(sla.Series[0].Values, tc.trendPct) {
				t.Errorf("digest %s: in-time trend %q %v, want %q %v", tc.week, sla.Categories, sla.Series[0].Values, tc.trend, tc.trendPct)
			}
		}
	})
}
