package report_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/report"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestFunnelSourceKeepsItsCase asks /funnel for a source spelled as the
// CRM spells it, with capitals: the chat answer must count what the API
// (FunnelCounts with the same source) counts, not look for the source in
// lower case and find nothing.
func TestFunnelSourceKeepsItsCase(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		r, p := sourcedReports(t, s, [2]string{"ida", "LinkedIn"}, [2]string{"jens", "LinkedIn"})

		period, err := handoff.ParsePeriod("2026-11", reportNow, p.Location)
		if err != nil {
			t.Fatal(err)
		}
		api, err := s.FunnelCounts(context.Background(), handoff.FunnelFilter{Period: period, Source: "LinkedIn", Now: reportNow})
		if err != nil {
			t.Fatal(err)
		}
		if api.SQLs != 2 {
			t.Fatalf("FunnelCounts(source LinkedIn).SQLs = %d, want 2", api.SQLs)
		}
		for _, text := range []string{"2026-11 LinkedIn", "LinkedIn 2026-11 PUBLIC", "source=LinkedIn 2026-11"} {
			m := ask(t, r, "funnel", text)
			if m.Header != "📊 Funnel 2026-11 · LinkedIn" {
				t.Errorf("/funnel %s: header = %q, want the source as given", text, m.Header)
			}
			if got := tableOf(t, m, "Funnel").Rows[2]; !reflect.DeepEqual(got, []string{"SQLs", "2", "100%"}) {
				t.Errorf("/funnel %s: SQLs row = %q, want the 2 SQLs the API counts for LinkedIn", text, got)
			}
		}
		if m := ask(t, r, "funnel", "LinkedIn 2026-11 PUBLIC"); m.Private {
			t.Errorf("/funnel LinkedIn 2026-11 PUBLIC answered privately; want it shared")
		}
	})
}

// TestFunnelSourceWithDigits filters /funnel on sources whose names hold
// digits (G2, 6sense), start like a period (weekly-newsletter) or read as
// a period when given with source=: chat counts them as the API does,
// while words that were meant as a period are still refused with the
// forms.
func TestFunnelSourceWithDigits(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		r, _ := sourcedReports(t, s, [2]string{"g2-1", "G2"}, [2]string{"six-1", "6sense"}, [2]string{"yr-1", "2026"},
			[2]string{"nl-1", "weekly-newsletter"})
		for _, tc := range []struct{ text, source, sqls string }{ // sqls: "" when the period has none
			{"2026-11 G2", "G2", "1"},
			{"6sense last-month", "6sense", ""},
			{"2026-11 source=2026", "2026", "1"},
			{"weekly-newsletter 2026-11", "weekly-newsletter", "1"},
		} {
			m, err := r.Answer(context.Background(), bot.Command{Name: "funnel", Text: tc.text, UserID: "U1", SeesLeads: true})
			if err != nil {
				t.Errorf("/funnel %s: %v", tc.text, err)
				continue
			}
			if !strings.HasSuffix(m.Header, " · "+tc.source) {
				t.Errorf("/funnel %s: header = %q, want the funnel of %s", tc.text, m.Header, tc.source)
			}
			if got := tableOf(t, m, "Funnel").Rows[2]; tc.sqls != "" && !reflect.DeepEqual(got, []string{"SQLs", tc.sqls, "100%"}) {
				t.Errorf("/funnel %s: SQLs row = %q, want the %s SQL of %s", tc.text, got, tc.sqls, tc.source)
			}
		}
		for _, text := range []string{"lastmonth", "last-30-days", "2026-13", "q5", "w60", "months"} {
			_, err := r.Answer(context.Background(), bot.Command{Name: "funnel", Text: text, UserID: "U1"})
			if handoff.ErrorCode(err) != handoff.EINVALID || !strings.Contains(handoff.ErrorMessage(err), "I don't know the period") {
				t.Errorf("/funnel %s: err = %v, want the period refused", text, err)
			}
		}
	})
}

// sourcedReports writes the report log and, for each external id of
// sources in order, an SQL of 9 November from that source, and returns the
// reports on them.
func sourcedReports(t *testing.T, s *storage.Store, sources ...[2]string) (*report.Reports, handoff.Policy) {
	t.Helper()
	p := buildReportLog(t, s)
	l := reportLog{t: t, s: s, p: p}
	for i, es := range sources {
		at := time.Date(2026, 11, 9, 9, i, 0, 0, time.UTC).Format(time.RFC3339)
		l.move(es[0], "sql", at, map[string]any{"company": "Co " + es[0], "source": es[1]})
	}
	return reports(s, p), p
}
