package slack_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/report"
	slackbot "github.com/handoff/handoff/bot/slack"
	"github.com/handoff/handoff/internal/fixtures"
)

// homes are the App Home views the golden files show: a rep with two open
// leads and a week's activity, a manager who also sees the team's breaches,
// and a new rep with nothing yet.
func homes(t *testing.T) map[string]bot.Home {
	t.Helper()
	p := fixtures.Policy(t)
	now := time.Date(2026, 11, 24, 9, 30, 0, 0, time.UTC) // Tuesday 10:30 in Copenhagen
	week, err := handoff.ParsePeriod("week", now, p.Location)
	if err != nil {
		t.Fatal(err)
	}
	claimed := lead(p, handoff.StageClaimed)
	contacted := lead(p, handoff.StageContacted)
	contacted.ID, contacted.ExternalID, contacted.Company, contacted.Name = 43, "hs-43", "Berg ApS", "Bo Berg"
	median := 3 * 3600 * 1000.0
	activity := &handoff.RepActivity{Owner: claimed.Owner, Claimed: 2, Contacted: 1,
		SLAStats: handoff.SLAStats{Due: 2, Met: 1, Pending: 1, Compliance: handoff.Rate(1, 1)}, MedianContactMs: &median}
	late := lead(p, handoff.StageSQL)
	late.ID, late.ExternalID, late.Company, late.SLABreached = 44, "hs-44", "Gorm & Co", true
	open := &handoff.OpenSQLs{Breached: []*handoff.Lead{late}, BreachedTotal: 1}
	return map[string]bot.Home{
		"home_rep":     report.HomeOf("U0REP42", week, activity, []*handoff.Lead{claimed, contacted}, nil, now, p),
		"home_manager": report.HomeOf("U0REP42", week, activity, []*handoff.Lead{claimed, contacted}, open, now, p),
		"home_empty":   report.HomeOf("U0NEW", week, nil, nil, nil, now, p),
	}
}

func TestRenderHomeGolden(t *testing.T) {
	for name, h := range homes(t) {
		t.Run(name, func(t *testing.T) {
			v := slackbot.RenderHome(h)
			golden(t, name, v)
			raw, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			var view struct {
				Type   string           `json:"type"`
				Blocks []map[string]any `json:"blocks"`
			}
			if err := json.Unmarshal(raw, &view); err != nil {
				t.Fatal(err)
			}
			if view.Type != "home" || len(view.Blocks) == 0 || len(view.Blocks) > 100 {
				t.Fatalf("view type %q with %d blocks", view.Type, len(view.Blocks))
			}
			ids := map[string]bool{}
			for _, b := range view.Blocks {
				id, _ := b["block_id"].(string)
				if id != "" && ids[id] {
					t.Errorf("block id %q repeats; Slack refuses the view", id)
				}
				ids[id] = true
				if b["type"] == "data_table" || b["type"] == "data_visualization" {
					t.Errorf("block %q is a %s, which views do not take", id, b["type"])
				}
			}
		})
	}
}

// The home offers the same actions as each lead's card.
func TestHomeButtonsAreTheCards(t *testing.T) {
	h := homes(t)["home_rep"]
	raw, _ := json.Marshal(slackbot.RenderHome(h))
	for _, want := range []string{`"action_id":"` + bot.ActionLogContact + `","value":"42"`, `"action_id":"` + bot.ActionRelease + `","value":"42"`,
		`"action_id":"` + bot.ActionWon + `","value":"43"`, `"block_id":"lead_1_lead_actions"`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("home lacks %s", want)
		}
	}
}
