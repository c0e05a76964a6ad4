package report_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestFunnelSourceKeepsItsCase asks /funnel for a source spelled as the
// CRM spells it, with capitals: the chat answer must count what the API
// (FunnelCounts with the same source) counts, not look for the source in
// lower case and find nothing.
func TestFunnelSourceKeepsItsCase(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		p := buildReportLog(t, s)
		l := reportLog{t: t, s: s, p: p}
		l.move("ida", "sql", "2026-11-09T09:00:00Z", map[string]any{"company": "Ida IT", "source": "LinkedIn"})
		l.move("jens", "sql", "2026-11-10T09:00:00Z", map[string]any{"company": "Jens El", "source": "LinkedIn"})
		r := reports(s, p)

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
