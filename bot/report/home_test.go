package report_test

import (
	"context"
	"testing"

	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/report"
	slackbot "github.com/handoff/handoff/bot/slack"
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestHomes builds homes from the report month (see reports_test.go) on
// each database: rep1's week (16–22 Nov) has one claim (dansk) and one
// contact deadline still pending, no contact yet; their one open lead is
// dansk; a manager also sees gorm, the open breach.
func TestHomes(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		p := buildReportLog(t, s)
		homes := &report.Homes{Store: s, Policy: p, Now: reports(s, p).Now,
			Managers: map[string]bot.Managers{"slack": slackbot.NewManagers(nil, []string{"UBOSS"}, "", slacktest.ClientTimeout)}}
		ctx := context.Background()

		h, err := homes.Home(ctx, "slack", "U1")
		if err != nil {
			t.Fatal(err)
		}
		for key, want := range map[string]string{"Claimed": "1", "Contacted in time": "– · 1 pending", "Median time to contact": "–"} {
			if got := fieldOf(t, h.Week, key); got != want {
				t.Errorf("%s = %q, want %q", key, got, want)
			}
		}
		if len(h.Leads) != 1 || h.Leads[0].Sections[0].Text[:len("*Dansk Data (dansk)*")] != "*Dansk Data (dansk)*" || len(h.Leads[0].Buttons) == 0 {
			t.Errorf("leads = %+v, want dansk with its card's buttons", h.Leads)
		}
		if h.Breaches != nil {
			t.Errorf("a rep sees the team's breaches: %+v", h.Breaches)
		}

		boss, err := homes.Home(ctx, "slack", "UBOSS")
		if err != nil {
			t.Fatal(err)
		}
		if boss.Breaches == nil {
			t.Fatal("a manager's home lacks the team's breaches")
		}
		wantRows(t, tableOf(t, *boss.Breaches, "Breached"), [][]string{{"Gorm &amp; Co (gorm)", "unclaimed", "contact by Thu 12 Nov 01:00", "8 d 9 h"}})
		if len(boss.Leads) != 0 || fieldOf(t, boss.Week, "Claimed") != "0" {
			t.Errorf("the manager's own week and leads = %+v %+v", boss.Week, boss.Leads)
		}
	})
}
