package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/bot/teams/teamstest"
	"github.com/handoff/handoff/storage/storagetest"
)

// apiCall sends an authorised API request and returns the status and the
// decoded JSON answer.
func (s *server) apiCall(t *testing.T, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, s.base+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out
}

// TestEndToEndLeadComesBack: a lead claimed, recycled to marketing and
// sent again as an SQL is announced anew with Claim in Slack and in Teams,
// on a fresh SLA clock, and counted once in the month's funnel.
func TestEndToEndLeadComesBack(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			bf := teamstest.New(t)
			slack := slacktest.New(e2eToken)
			defer slack.Close()
			vars := slackAndTeamsVars(t, dialect, bf, slack)
			slack.SetMembers(e2eSales, "UANN", "UBOB")
			e := startTeams(t, bf, vars)
			e.install()

			e.srv.postLead(t, `{"external_id":"b-1","name":"Ann Berg","company":"Berg ApS","score":80}`)
			e.waitCalls("Teams announcement", 1, e2ePatience, postedTo(teamsSalesID))
			slack.Wait("chat.postMessage", 1, e2ePatience)
			firstTS := e.chatPost(1, "slack")
			e.srv.click(t, slack, "UANN", firstTS, bot.ActionClaim, "1")
			if l := e.waitOwnerEmail(1, "uann@example.com"); l.Owner.UserID != "UANN" {
				t.Fatalf("owner = %+v", l.Owner)
			}
			if code, _ := e.srv.apiCall(t, "POST", "/api/leads", `{"external_id":"b-1","stage":"recycled","reason":"No budget before Q1"}`); code != 200 {
				t.Fatalf("recycle = %d", code)
			}
			_, before := e.srv.apiCall(t, "GET", "/api/leads/b-1", "")

			if code, _ := e.srv.apiCall(t, "POST", "/api/leads", `{"external_id":"b-1","stage":"sql"}`); code != 200 {
				t.Fatalf("back as SQL = %d", code)
			}
			teamsCards := e.waitCalls("second Teams announcement", 2, e2ePatience, postedTo(teamsSalesID))
			if len(teamsCards) != 2 || !strings.Contains(jsonText(teamsCards[1].Body), bot.ActionClaim) {
				t.Fatalf("Teams sales channel got %d cards, want a second one with Claim", len(teamsCards))
			}
			var slackCards []slacktest.Call
			for deadline := time.Now().Add(e2ePatience); len(slackCards) < 2 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
				slackCards = slackCards[:0]
				for _, c := range slack.Calls("chat.postMessage") {
					if c.Param("channel") == e2eSales {
						slackCards = append(slackCards, c)
					}
				}
			}
			if len(slackCards) != 2 || !strings.Contains(slackCards[1].Param("blocks"), bot.ActionClaim) {
				t.Fatalf("Slack sales channel got %d cards, want a second one with Claim", len(slackCards))
			}

			_, lead := e.srv.apiCall(t, "GET", "/api/leads/b-1", "")
			if lead["stage"] != "sql" || (lead["owner"] != nil && lead["owner"] != "") || lead["claimed_at"] != nil || lead["sla_breached"] != false {
				t.Fatalf("returned lead = %v, want an unclaimed SQL", lead)
			}
			at := func(m map[string]any, key string) time.Time {
				v, _ := m[key].(string)
				tm, err := time.Parse(time.RFC3339Nano, v)
				if err != nil {
					t.Fatalf("%s = %v: %v", key, m[key], err)
				}
				return tm
			}
			if sqlAt := at(lead, "sql_at"); !sqlAt.After(at(before, "sql_at")) || !at(lead, "contact_due_at").Equal(sqlAt.Add(2*time.Hour)) {
				t.Fatalf("SLA clock after the return: sql_at %v, contact_due_at %v; before %v", lead["sql_at"], lead["contact_due_at"], before["sql_at"])
			}
			// The new card is claimable again.
			secondTS := e.chatPost(1, "slack")
			if secondTS == firstTS {
				t.Fatalf("the lead's card is still the first one (%s)", firstTS)
			}
			e.srv.click(t, slack, "UBOB", secondTS, bot.ActionClaim, "1")
			if l := e.lead(1); l.Owner.UserID != "UBOB" {
				t.Fatalf("owner after claiming the new card = %+v", l.Owner)
			}
			if code, funnel := e.srv.apiCall(t, "GET", "/api/funnel?period=month", ""); code != 200 || funnel["sqls"] != float64(1) {
				t.Fatalf("funnel = %d %v, want the lead counted once", code, funnel)
			}
		})
	}
}
