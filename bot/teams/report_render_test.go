package teams_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/report"
	"github.com/handoff/handoff/bot/teams"
	"github.com/handoff/handoff/internal/fixtures"
)

func TestRenderReportGolden(t *testing.T) {
	p := fixtures.Policy(t)
	for name, msg := range fixtures.ReportMessages(t, p, handoff.Owner{Platform: "teams", UserID: repID}) {
		t.Run(name, func(t *testing.T) {
			golden(t, name, teams.RenderCard(msg, names))
		})
	}
}

func TestRenderTableMentions(t *testing.T) {
	msg := bot.Message{Summary: "x", Tables: []bot.Table{{Title: "Reps", Columns: []string{"Rep", "N"}, Numeric: []bool{false, true},
		Rows: [][]string{{bot.Mention(repID), "3"}}}}}
	raw, err := json.Marshal(teams.RenderCard(msg, names))
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	for _, want := range []string{`"type":"Table"`, `"horizontalCellContentAlignment":"Right"`, `\u003cat\u003eRita Rep\u003c/at\u003e`, `"type":"mention"`} {
		if !strings.Contains(s, want) {
			t.Errorf("card lacks %s: %s", want, s)
		}
	}
}

// teamsMessageLimit is what Teams takes in one message, card and activity
// together: about 28 KB; over it the Bot Connector refuses the post (413),
// for good.
const teamsMessageLimit = 28 * 1024

// activityRoom is what the activity around a card takes at most: the
// addresses, ids and channel data.
const activityRoom = 2 * 1024

// TestRenderCardFitsTeams renders big answers (a digest of 200 reps, 20
// leads with names as long as the intake takes, written in characters JSON
// escapes) and checks that each card fits in a Teams message, showing the
// first rows of its tables and saying how many it leaves out and where to
// read them all.
func TestRenderCardFitsTeams(t *testing.T) {
	p := fixtures.Policy(t)
	now := fixtures.Now
	var reps []handoff.RepActivity
	for i := range 200 {
		reps = append(reps, handoff.RepActivity{Owner: handoff.Owner{Platform: "teams", UserID: fmt.Sprintf("29:rep-%03d", i), Email: fmt.Sprintf("rep%03d@acme.dk", i)},
			Claimed: 3, Contacted: 2, SLAStats: handoff.SLAStats{Due: 3, Met: 2, Breached: 1}})
	}
	week, err := handoff.ParsePeriod("2026-W47", now, p.Location)
	if err != nil {
		t.Fatal(err)
	}
	digest := report.DigestMessage(handoff.NewFunnel(handoff.FunnelFilter{Period: week, Now: now}, handoff.FunnelCounts{}, p), reps, handoff.OpenSQLs{}, nil, nil, now, p)

	var leads []*handoff.Lead
	for i := range 20 {
		l := lead(p, handoff.StageClaimed)
		l.ID, l.ExternalID, l.Company = int64(100+i), fmt.Sprintf("hs-%d", i), strings.Repeat("<", handoff.MaxFieldLen)
		leads = append(leads, l)
	}
	list := report.LeadsMessage("Open leads", leads, true, now, p)

	names := func(id string) (string, bool) {
		return "Rep " + strings.TrimPrefix(id, "29:rep-"), strings.HasPrefix(id, "29:rep-")
	}
	for _, tc := range []struct {
		name  string
		msg   bot.Message
		first string // the first row's lead or rep, shown
		more  string // the note on the rows left out
	}{
		{"digest of 200 reps", digest, "Rep 000", "`handoff digest --week 2026-W47 --print` shows every rep."},
		{"20 leads with long names", list, strings.Repeat(`\\<`, 100), "more rows."}, // each < backslash-escaped, in JSON
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw, err := json.Marshal(teams.RenderCard(tc.msg, names))
			if err != nil {
				t.Fatal(err)
			}
			if len(raw) > teamsMessageLimit-activityRoom {
				t.Errorf("card is %d bytes; Teams takes %d in a message, the activity included", len(raw), teamsMessageLimit)
			}
			var readable strings.Builder
			enc := json.NewEncoder(&readable)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(teams.RenderCard(tc.msg, names)); err != nil {
				t.Fatal(err)
			}
			all := readable.String()
			for _, want := range []string{tc.first, "Not shown here: ", tc.more} {
				if !strings.Contains(all, want) {
					t.Errorf("card lacks %q", want)
				}
			}
		})
	}
}
