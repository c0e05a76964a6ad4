package main

import (
	"net/http"
	"testing"
	"time"

	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/bot/teams/teamstest"
	"github.com/handoff/handoff/internal/webhooktest"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestSignaturesOnTheMachinesClock: a server whose database's clock is 10
// minutes behind this machine's (serve keeps the database's time) checks
// and dates signed timestamps on this machine's clock, which the senders
// and receivers, NTP-synced, keep: a Slack request signed now, a Bot
// Framework token valid from a minute ago and a HubSpot v3 request signed
// now are taken, and the announcement of a lead posted to the API reaches
// the agreement's webhook endpoint signed now. On the database's clock HubSpot's request was
// refused (401) and every webhook was refused by its receiver. One
// subtest per verifier, on SQLite and PostgreSQL.
func TestSignaturesOnTheMachinesClock(t *testing.T) {
	const dbOff = -10 * time.Minute
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			slack := slacktest.New(e2eToken)
			defer slack.Close()
			bf := teamstest.New(t)
			rcv := webhooktest.New(t, testWebhookSecret, time.Now)
			vars := slackAndTeamsVars(t, dialect, bf, slack)
			vars["HUBSPOT_CLIENT_SECRET"], vars["HANDOFF_WEBHOOK_SECRET"] = "hs-secret", testWebhookSecret
			vars["HANDOFF_CONFIG"] = writeAgreement(t, rcv.URL+"/in")
			srv := startServerAt(t, vars, &testClock{dbOff: dbOff})
			if gap := srv.app.now().Sub(time.Now()); (gap - dbOff).Abs() > time.Second {
				t.Fatalf("the server runs %s off this machine's clock, want the database's %s", gap.Round(time.Second), dbOff)
			}
			e := &teamsE2E{t: t, srv: srv, bf: bf, vars: vars}
			t.Run("HubSpot v3 timestamp", func(t *testing.T) {
				body := `{"hs_object_id":"clock-hs-1","firstname":"Ann","lastname":"Berg","email":"ann@berg.dk","lifecyclestage":"salesqualifiedlead"}`
				if status := srv.hubspotPostStatus(t, "hs-secret", body); status != http.StatusOK {
					t.Errorf("POST /hooks/hubspot signed now = %d, want 200", status)
				}
			})
			t.Run("Standard Webhooks timestamp", func(t *testing.T) {
				srv.postLead(t, `{"external_id":"clock-api-1","name":"Bo Holm","company":"Holm A/S"}`)
				got := rcv.Wait(1, e2ePatience)
				if _, bad, _ := rcv.Got(); len(got) == 0 || bad != 0 {
					t.Errorf("the webhook receiver took %d messages and refused %d signatures, want the announcement taken", len(got), bad)
				}
			})
			t.Run("Slack signature timestamp", func(t *testing.T) {
				body := slacktest.CommandBody("UANN", e2eSales, "/funnel", "help", slack.ResponseURL("funnel"))
				resp, err := http.DefaultClient.Do(slacktest.SignedRequest(srv.base+"/slack/commands", e2eSecret, time.Now(), body))
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Errorf("a slash command signed now = %d, want 200", resp.StatusCode)
				}
			})
			t.Run("Bot Framework token exp and nbf", func(t *testing.T) {
				if status, body := e.post(e.installActivity(), e.token()); status != http.StatusOK {
					t.Errorf("an activity with a token valid from a minute ago = %d %s, want 200", status, body)
				}
			})
		})
	}
}
