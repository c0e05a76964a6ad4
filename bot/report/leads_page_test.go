package report_test

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	slackbot "github.com/handoff/handoff/bot/slack"
	"github.com/handoff/handoff/bot/teams"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestReportsLeadsPages lists 45 open SQLs, 20 a page: the title counts
// all 45 (not the 20 it read), the line under each page's table says which
// of them it shows and the command that shows the next, the pages together
// list every lead once, and a page past the end or not a number is
// corrected.
func TestReportsLeadsPages(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		p := reportPolicy(t)
		ctx := context.Background()
		for i := range 45 {
			at := reportNow.Add(-time.Duration(45-i) * time.Minute)
			in, err := handoff.ParseLeadInput(map[string]any{"external_id": fmt.Sprintf("lead-%02d", i), "stage": "sql",
				"company": fmt.Sprintf("Firma %02d", i), "occurred_at": at.Format(time.RFC3339)}, at)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.SaveLead(ctx, in, p, at, handoff.ActorAPI); err != nil {
				t.Fatal(err)
			}
		}
		r := reports(s, p)
		seen := map[string]bool{}
		for _, tc := range []struct {
			text, title string
			rows        int
			line        string
		}{
			{"open", "Open leads (45)", 20, "Showing 1–20 of 45, most urgent first. `/leads open 2` shows the next 20."},
			{"open 2", "Open leads (45)", 20, "Showing 21–40 of 45, most urgent first. `/leads open 3` shows the next 5."},
			{"open 3", "Open leads (45)", 5, "Showing 41–45 of 45, most urgent first. `/leads open 2` shows the ones before."},
			{"mine", "Your open leads (0)", 0, ""},
		} {
			m := ask(t, r, "leads", tc.text)
			tb := tableOf(t, m, "")
			if tb.Title != tc.title || len(tb.Rows) != tc.rows {
				t.Errorf("/leads %s: table %q of %d rows, want %q of %d", tc.text, tb.Title, len(tb.Rows), tc.title, tc.rows)
			}
			if line := tb.Below(len(tb.Rows)); line != tc.line {
				t.Errorf("/leads %s: the line under the table is %q, want %q", tc.text, line, tc.line)
			}
			if len(m.Context) != 1 {
				t.Errorf("/leads %s: context %q, want only the hint and time zone", tc.text, m.Context)
			}
			if strings.HasPrefix(tc.text, "open") {
				for _, row := range tb.Rows {
					if seen[row[0]] {
						t.Errorf("/leads %s lists %s again", tc.text, row[0])
					}
					seen[row[0]] = true
				}
			}
		}
		if len(seen) != 45 {
			t.Errorf("the pages list %d leads, want all 45", len(seen))
		}
		for _, tc := range []struct{ text, want string }{
			{"open 4", "`/leads open 3` is the last page"},
			{"open from 46", "There is no lead 46 in the list"},
			{"open from 0", "`0` is not a lead's place in the list"},
			{"open since 3", "Use `/leads"},
			{"open 0", "The page `0` is not a page number"},
			{"open two", "The page `two` is not a page number"},
			{"breached 2", "Use `/leads"},
		} {
			_, err := r.Answer(ctx, bot.Command{Platform: "slack", Name: "leads", Text: tc.text, UserID: "U1", SeesLeads: true})
			if handoff.ErrorCode(err) != handoff.EINVALID || !strings.Contains(handoff.ErrorMessage(err), tc.want) {
				t.Errorf("/leads %s: err = %v, want EINVALID saying %q", tc.text, err, tc.want)
			}
		}
	})
}

// TestLeadsPagesCutShortLoseNoLead lists 45 open SQLs whose names are as
// long as intake takes, page by page as each platform shows them: Slack's
// text tables (3,000 characters), its native tables (10,000 across a
// message) and a Teams card (about 28 KB) show only the first leads of a
// page. The line under each page names the command that shows the next
// leads from the first one it left out: following it from the first page
// shows every lead exactly once.
func TestLeadsPagesCutShortLoseNoLead(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		p := reportPolicy(t)
		ctx := context.Background()
		const n = 45
		for i := range n {
			at := reportNow.Add(-time.Duration(n-i) * time.Minute)
			company := fmt.Sprintf("Firma %02d ", i) + strings.Repeat("<&>", (handoff.MaxFieldLen-9)/3)
			in, err := handoff.ParseLeadInput(map[string]any{"external_id": fmt.Sprintf("lead%02d", i), "stage": "sql",
				"company": company, "occurred_at": at.Format(time.RFC3339)}, at)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.SaveLead(ctx, in, p, at, handoff.ActorAPI); err != nil {
				t.Fatal(err)
			}
		}
		r := reports(s, p)
		next := regexp.MustCompile(`/leads (open(?: from)? [0-9]+)[^/]*?shows the next`)
		lead := regexp.MustCompile(`lead([0-9]{2})`)
		for _, tc := range []struct {
			name   string
			render func(bot.Message) any
		}{
			{"slack text", func(m bot.Message) any { return slackbot.RenderClassicBlocks(m) }},
			{"slack native", func(m bot.Message) any { return slackbot.RenderBlocks(m) }},
			{"teams", func(m bot.Message) any { return teams.RenderCard(m, nil) }},
		} {
			t.Run(tc.name, func(t *testing.T) {
				seen := map[string]int{}
				cut := false
				for pages, text := 0, "open"; text != ""; pages++ {
					if pages > n {
						t.Fatalf("more than %d pages", n)
					}
					m := ask(t, r, "leads", text)
					raw, err := json.Marshal(tc.render(m))
					if err != nil {
						t.Fatal(err)
					}
					shown := lead.FindAllStringSubmatch(string(raw), -1)
					cut = cut || len(shown) < len(tableOf(t, m, "").Rows)
					for _, l := range shown {
						seen[l[1]]++
					}
					text = ""
					if c := next.FindStringSubmatch(string(raw)); c != nil {
						text = c[1]
					}
				}
				if !cut {
					t.Fatal("no page was cut short: the test needs longer leads")
				}
				for i := range n {
					if c := seen[fmt.Sprintf("%02d", i)]; c != 1 {
						t.Errorf("lead%02d is shown on %d pages, want 1", i, c)
					}
				}
			})
		}
	})
}
