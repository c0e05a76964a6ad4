package slack_test

import (
	"encoding/json"
	"fmt"
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
		"home_rep":     report.HomeOf("U0REP42", week, activity, report.LeadList{Leads: []*handoff.Lead{claimed, contacted}}, nil, now, p),
		"home_manager": report.HomeOf("U0REP42", week, activity, report.LeadList{Leads: []*handoff.Lead{claimed, contacted}}, open, now, p),
		"home_empty":   report.HomeOf("U0NEW", week, nil, report.LeadList{}, nil, now, p),
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

// TestRenderHomeKeepsToTheBlockLimit renders homes of more leads than
// Slack's 100 blocks hold, and of more leads than the home read: the view
// keeps to the limit with whole leads (each with its buttons), the
// manager's breaches stay, and a line says how many leads it leaves out
// and where to read them, instead of Slack's view ending mid-lead without
// a word.
func TestRenderHomeKeepsToTheBlockLimit(t *testing.T) {
	p := fixtures.Policy(t)
	now := time.Date(2026, 11, 24, 9, 30, 0, 0, time.UTC)
	week, err := handoff.ParsePeriod("week", now, p.Location)
	if err != nil {
		t.Fatal(err)
	}
	leads := func(n int) []*handoff.Lead {
		var out []*handoff.Lead
		for i := range n {
			l := lead(p, handoff.StageClaimed)
			l.ID, l.ExternalID = int64(100+i), fmt.Sprintf("hs-%d", 100+i)
			out = append(out, l)
		}
		return out
	}
	late := lead(p, handoff.StageSQL)
	late.ID, late.ExternalID, late.SLABreached = 44, "hs-44", true
	open := &handoff.OpenSQLs{Breached: []*handoff.Lead{late}, BreachedTotal: 1}
	for _, tc := range []struct {
		name      string
		list      report.LeadList
		open      *handoff.OpenSQLs
		wantShown int // -1: as many as fit, fewer than listed
		wantMore  string
	}{
		{"60 leads, a manager", report.LeadList{Leads: leads(60), Total: 60}, open, -1, ""},
		{"60 leads, a rep", report.LeadList{Leads: leads(60), Total: 60}, nil, -1, ""},
		{"15 read of 40", report.LeadList{Leads: leads(15), Total: 40}, open, 15, "Not shown here: 25 more open leads"},
		{"all 15", report.LeadList{Leads: leads(15), Total: 15}, open, 15, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := report.HomeOf("U0REP42", week, nil, tc.list, tc.open, now, p)
			raw, err := json.Marshal(slackbot.RenderHome(h))
			if err != nil {
				t.Fatal(err)
			}
			var view struct {
				Blocks []struct {
					Type     string           `json:"type"`
					BlockID  string           `json:"block_id"`
					Elements []map[string]any `json:"elements"`
				} `json:"blocks"`
			}
			if err := json.Unmarshal(raw, &view); err != nil {
				t.Fatal(err)
			}
			if len(view.Blocks) > 100 {
				t.Fatalf("%d blocks; Slack refuses a view of more than 100", len(view.Blocks))
			}
			shown, more, team := 0, "", false
			for _, b := range view.Blocks {
				switch {
				case strings.HasSuffix(b.BlockID, "_"+slackbot.ActionsBlockID) && strings.HasPrefix(b.BlockID, "lead_"):
					shown++
				case b.BlockID == "leads_more":
					more = fmt.Sprint(b.Elements[0]["text"])
				case b.BlockID == "team_header":
					team = true
				}
			}
			if team != (tc.open != nil) {
				t.Errorf("the team's breaches shown: %v, want %v", team, tc.open != nil)
			}
			want := tc.wantShown
			if want < 0 {
				if shown == 0 || shown >= len(tc.list.Leads) {
					t.Errorf("%d leads shown with their buttons, want some, fewer than %d", shown, len(tc.list.Leads))
				}
				want = shown
			} else if shown != want {
				t.Errorf("%d leads shown with their buttons, want %d", shown, want)
			}
			wantMore := tc.wantMore
			if tc.wantShown < 0 {
				wantMore = fmt.Sprintf("Not shown here: %d more open leads", tc.list.Total-want)
			}
			switch {
			case wantMore == "" && more != "":
				t.Errorf("says %q, with every lead shown", more)
			case wantMore != "" && !strings.HasPrefix(more, wantMore):
				t.Errorf("the line under the leads is %q, want it to start %q", more, wantMore)
			case wantMore != "" && !strings.Contains(more, "/leads mine"):
				t.Errorf("the line under the leads %q does not say where to read the rest", more)
			}
		})
	}
}
