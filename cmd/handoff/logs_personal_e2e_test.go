package main

import (
	"bufio"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/bot/teams/teamstest"
	"github.com/handoff/handoff/internal/testkit"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestLogsHoldNoPersonalData runs a day's flow through the real server
// with its JSON log captured: leads through the API (one refused for its
// email), a claim by a signed Slack click, a late claim by a Teams
// activity, HubSpot contacts (one stored, one refused for its email, one
// with a wrong signature), a lead read by its email, and both leads
// erased. No line of the log may hold a person's name, email, phone or
// external id (the log outlives an erasure, and who reads it may not see
// the leads), and every line about a request carries its request id.
func TestLogsHoldNoPersonalData(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			bf := teamstest.New(t)
			slack := slacktest.New(e2eToken)
			defer slack.Close()
			slack.SetMembers(e2eSales, "UANN")
			vars := slackAndTeamsVars(t, dialect, bf, slack)
			vars["HUBSPOT_CLIENT_SECRET"] = "hs-secret"
			logs := &testkit.LogBuffer{}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			srv := startServerLogging(t, vars, ln, "http://", &testClock{}, logs)
			db := storagetest.OpenURL(t, vars["DATABASE_URL"], storage.Options{})
			e := &teamsE2E{t: t, srv: srv, bf: bf, store: db, vars: vars}
			e.install()

			// The people: what of each must never reach the log.
			personal := []string{
				"annika.bergstrom@berg.example", "annika.bergstrom%40berg.example", "Annika", "Bergström", "+45 2030 4050",
				"annika.bergstrom(at)berg.example",
				"83019477", "Carla", "Dahlgren", "carla.dahlgren@dahl.example", "+45 6070 8090",
				"83019478", "Dora", "dora.dahlgren(at)dahl.example",
			}
			srv.postLead(t, `{"external_id":"annika.bergstrom@berg.example","name":"Annika Bergström","email":"annika.bergstrom@berg.example",`+
				`"phone":"+45 2030 4050","company":"Bergström Design ApS","score":80}`)
			if code, _ := srv.apiCall(t, "POST", "/api/leads", `{"external_id":"annika.bergstrom(at)berg.example","name":"Annika Bergström",`+
				`"email":"annika.bergstrom(at)berg.example"}`); code != http.StatusBadRequest {
				t.Fatalf("a lead with a bad email = %d, want 400", code)
			}

			card := waitSlackMessage(t, slack, e2eSales, "Bergström Design ApS")
			srv.clickIn(t, slack, "UANN", e2eSales, card.TS, bot.ActionClaim, "1")
			e.waitOwnerEmail(1, "uann@example.com")
			teamsCard := e.waitCalls("Teams announcement", 1, e2ePatience, postedTo(teamsSalesID))[0]
			e.invoke(teamsRita, "Rita Rep", teamsCard.ActivityID, bot.ActionClaim, 1)

			srv.hubspotPost(t, "hs-secret", `{"hs_object_id":"83019477","firstname":"Carla","lastname":"Dahlgren",`+
				`"email":"carla.dahlgren@dahl.example","phone":"+45 6070 8090","company":"Dahlgren Byg","lifecyclestage":"salesqualifiedlead"}`)
			if code := srv.hubspotPostStatus(t, "hs-secret", `{"hs_object_id":"83019478","firstname":"Dora","lastname":"Dahlgren",`+
				`"email":"dora.dahlgren(at)dahl.example","lifecyclestage":"salesqualifiedlead"}`); code != http.StatusBadRequest {
				t.Fatalf("a HubSpot contact with a bad email = %d, want 400", code)
			}
			if code := srv.hubspotPostStatus(t, "rotated", `{"hs_object_id":"83019478","firstname":"Dora","email":"dora@dahl.example"}`); code != http.StatusUnauthorized {
				t.Fatalf("a HubSpot contact signed with another secret = %d, want 401", code)
			}
			waitSlackMessage(t, slack, e2eSales, "Dahlgren Byg")

			if code, _ := srv.apiCall(t, "GET", "/api/leads/"+url.PathEscape("annika.bergstrom@berg.example"), ""); code != http.StatusOK {
				t.Fatalf("GET the lead by its email = %d", code)
			}
			for _, id := range []string{"annika.bergstrom@berg.example", "83019477"} {
				if code, _ := srv.apiCall(t, "DELETE", "/api/leads/"+url.PathEscape(id), ""); code != http.StatusNoContent {
					t.Fatalf("DELETE %s = %d", id, code)
				}
			}
			settled(t, db, []string{handoff.OutboxEraseLead, handoff.OutboxRefreshLead, handoff.OutboxPrivate, handoff.OutboxDirect}, 1, 2)
			srv.stop()

			lines := 0
			sc := bufio.NewScanner(strings.NewReader(logs.String()))
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				line := sc.Text()
				lines++
				var rec map[string]any
				if err := json.Unmarshal([]byte(line), &rec); err != nil {
					t.Errorf("not a JSON line: %s", line)
					continue
				}
				if _, ok := rec["method"]; ok && rec["request_id"] == nil {
					t.Errorf("a request's line without its request_id: %s", line)
				}
				for _, p := range personal {
					if strings.Contains(strings.ToLower(line), strings.ToLower(p)) {
						t.Errorf("the log holds %q: %s", p, line)
					}
				}
			}
			if lines < 10 {
				t.Fatalf("only %d log lines: the flow logged nothing?\n%s", lines, logs.String())
			}
		})
	}
}
