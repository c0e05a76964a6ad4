package report_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestReportsLeadsExcuseAnUnshownCard: with sla.excuse_system_delay, an
// SQL whose claim deadline passed while its card was never shown in chat
// (ild: SQL Fri 20 Nov 06:00Z, claim due 08:00Z, now 09:00Z) is listed by
// /leads open with the claim deadline the SLA clock moves it to (its 3 h
// of system delay added: 11:00Z, 12:00 in Copenhagen), by /sla among the
// unclaimed, after fyn, whose deadline comes first, and not by /leads
// breached; the clock ticking then changes none of it. gorm, never shown
// either, stays breached by its contact deadline, which its list row now
// names: its claim deadline moves past it. Without the excuse ild is
// listed as breached, its claim overdue by an hour.
func TestReportsLeadsExcuseAnUnshownCard(t *testing.T) {
	dansk := []string{"Dansk Data (dansk)", "claimed", rep1Ref, "contact by Sat 13:00 (1 d 3 h left)"}
	fyn := []string{"Fyn Fisk (fyn)", "sql", "unclaimed", "claim by Fri 11:30 (1 h 30 min left)"}
	gormBreached := []string{"Gorm &amp; Co (gorm)", "unclaimed", "contact by Thu 12 Nov 01:00", "8 d 9 h"}
	fynUnclaimed := []string{"Fyn Fisk (fyn)", "30 min", "Fri 11:30", "1 h 30 min"}
	for _, tc := range []struct {
		name                      string
		excuse                    bool
		open, breached, unclaimed [][]string
	}{
		{"with the excuse", true,
			[][]string{{"Gorm &amp; Co (gorm)", "sql", "unclaimed", "⚠️ contact overdue by 8 d 9 h"}, dansk,
				{"Ild A/S (ild)", "sql", "unclaimed", "claim by Fri 12:00 (2 h left)"}, fyn},
			[][]string{gormBreached},
			[][]string{fynUnclaimed, {"Ild A/S (ild)", "3 h", "Fri 12:00", "2 h"}}},
		{"without the excuse", false,
			[][]string{{"Gorm &amp; Co (gorm)", "sql", "unclaimed", "⚠️ claim overdue by 10 d 7 h"}, dansk,
				{"Ild A/S (ild)", "sql", "unclaimed", "⚠️ claim overdue by 1 h"}, fyn},
			[][]string{gormBreached, {"Ild A/S (ild)", "unclaimed", "claim by Fri 09:00", "1 h"}},
			[][]string{fynUnclaimed}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			storagetest.Each(t, func(t *testing.T, s *storage.Store) {
				p := buildReportLog(t, s)
				p.ExcuseSystemDelay = tc.excuse
				reportLog{t: t, s: s, p: p}.move("ild", "sql", "2026-11-20T06:00:00Z", map[string]any{"company": "Ild A/S"})
				r := reports(s, p)
				check := func(when string) {
					t.Helper()
					wantRows(t, tableOf(t, ask(t, r, "leads", "open"), "Open leads (4)"), tc.open)
					// The titles count the totals, not only the rows listed.
					breached := ask(t, r, "leads", "breached")
					wantRows(t, tableOf(t, breached, fmt.Sprintf("Breached (%d)", len(tc.breached))), tc.breached)
					if want := fmt.Sprintf("Breached leads: %d", len(tc.breached)); breached.Summary != want {
						t.Errorf("%s: /leads breached summary %q, want %q", when, breached.Summary, want)
					}
					wantRows(t, tableOf(t, ask(t, r, "sla", ""), fmt.Sprintf("Unclaimed (%d)", len(tc.unclaimed))), tc.unclaimed)
				}
				check("before the clock")
				if !tc.excuse {
					return
				}
				if _, _, err := s.FireSLA(context.Background(), reportNow, p, 100); err != nil {
					t.Fatal(err)
				}
				check("after the clock")
				ild, err := s.LeadByExternalID(context.Background(), "ild")
				if err != nil {
					t.Fatal(err)
				}
				if ild.SLABreached || ild.ClaimEscalatedAt != nil {
					t.Errorf("the clock breached ild: %+v", ild)
				}
			})
		})
	}
}
