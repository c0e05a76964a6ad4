package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/internal/webhooktest"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// hubspotPost sends body to the server as a signed HubSpot workflow
// webhook and fails the test unless it is stored.
func (s *server) hubspotPost(t *testing.T, secret, body string) {
	t.Helper()
	if status := s.hubspotPostStatus(t, secret, body); status != 200 {
		t.Fatalf("POST /hooks/hubspot = %d", status)
	}
}

// hubspotPostStatus posts body signed as HubSpot signs it and returns the
// answer's status.
func (s *server) hubspotPostStatus(t *testing.T, secret, body string) int {
	t.Helper()
	ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("POST" + s.base + "/hooks/hubspot" + body + ts))
	req, _ := http.NewRequest("POST", s.base+"/hooks/hubspot", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-HubSpot-Request-Timestamp", ts)
	req.Header.Set("X-HubSpot-Signature-v3", base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// rawTrace reads every row of every table of the database at dbURL with
// database/sql (no code of Handoff's) and returns "table: row" for each
// row that holds one of texts, ignoring case, as it is, JSON-escaped or
// as a reader of the row would see it (asShown: chat markup's &amp; and
// &#95; decoded).
func rawTrace(t *testing.T, dialect, dbURL string, texts ...string) []string {
	t.Helper()
	driver, list := "pgx", "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
	if dialect == storage.DialectSQLite {
		driver, list = "sqlite3", "SELECT name FROM sqlite_master WHERE type = 'table'"
	}
	db, err := sql.Open(driver, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var tables []string
	rows, err := db.Query(list)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	if len(tables) < 10 {
		t.Fatalf("tables = %v: the dump reads the wrong database", tables)
	}
	var forms []string
	for _, text := range texts {
		forms = append(forms, strings.ToLower(text), strings.ToLower(strings.Trim(strconv.QuoteToASCII(text), `"`)))
	}
	var found []string
	for _, table := range tables {
		rows, err := db.Query(`SELECT * FROM "` + table + `"`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			var row []string
			for _, v := range vals {
				if b, ok := v.([]byte); ok {
					v = string(b)
				}
				row = append(row, fmt.Sprint(v))
			}
			joined := strings.Join(row, " | ")
			line := strings.ToLower(joined) + "\n" + strings.ToLower(asShown(joined))
			for _, f := range forms {
				if strings.Contains(line, f) {
					found = append(found, table+": "+strings.Join(row, " | "))
					break
				}
			}
		}
		rows.Close()
	}
	return found
}

// TestEraseEndToEndLeavesNoTrace sends one person through every path that
// stores personal data on the real server (a HubSpot contact, website
// activities whose URL names the person, the sales channel's card, a
// claim with the owner's DM, a /leads answer, a recycle with a note, and
// webhooks out, one endpoint of which keeps failing), erases the lead
// through the API and then reads every row of every table: no name,
// email, phone, company or note is left anywhere, and what Slack shows of
// the lead is the anonymous view. A click on the old card after the
// erasure brings nothing back.
func TestEraseEndToEndLeavesNoTrace(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			slack := slacktest.New(e2eToken)
			defer slack.Close()
			slack.SetMembers(e2eSales, "UANN")
			ok := webhooktest.New(t, testWebhookSecret, time.Now)
			failing := make([]int, 100)
			for i := range failing {
				failing[i] = 500
			}
			broken := webhooktest.New(t, testWebhookSecret, time.Now, failing...)
			vars := map[string]string{
				"DATABASE_URL": storagetest.URL(t, dialect), "HANDOFF_API_TOKEN": "tok", "HUBSPOT_CLIENT_SECRET": "hs-secret",
				"HANDOFF_WEBHOOK_SECRET": testWebhookSecret, "HANDOFF_CONFIG": writeAgreement(t, ok.URL+"/in", broken.URL+"/in"),
				"SLACK_BOT_TOKEN": e2eToken, "SLACK_SIGNING_SECRET": e2eSecret, "SLACK_API_URL": slack.APIURL(),
				"SLACK_SALES_CHANNEL": e2eSales, "SLACK_MANAGER_CHANNEL": e2eManager,
			}
			srv := startServer(t, vars)
			person := []string{"Annika", "Bergström", "annika@bergstrom-consult.dk", "+45 2233 4455", "Bergström Consult ApS",
				"wait until January"}
			srv.hubspotPost(t, "hs-secret", `{"hs_object_id":"gdpr-e2e","firstname":"Annika","lastname":"Bergström",`+
				`"email":"annika@bergstrom-consult.dk","phone":"+45 2233 4455","company":"Bergström Consult ApS","jobtitle":"CEO",`+
				`"lifecyclestage":"salesqualifiedlead"}`)
			if code, _ := srv.apiCall(t, "POST", "/api/leads/gdpr-e2e/activities",
				`{"type":"page_view","url":"https://example.com/pricing?email=annika@bergstrom-consult.dk"}`); code != 200 {
				t.Fatalf("activities = %d", code)
			}
			card := waitSlackMessage(t, slack, e2eSales, "Bergström Consult ApS")
			srv.clickIn(t, slack, "UANN", e2eSales, card.TS, bot.ActionClaim, "1")
			waitSlackMessage(t, slack, "DUANN", "+45 2233 4455")
			if answer := srv.slackSend(t, "/slack/commands", slacktest.CommandBody("UANN", e2eSales, "/leads", "open", slack.ResponseURL("leads"))); !strings.Contains(answer, "Bergström") {
				t.Fatalf("/leads open = %s", answer)
			}
			srv.clickIn(t, slack, "UANN", e2eSales, card.TS, bot.ActionLogContact, "1")
			srv.clickIn(t, slack, "UANN", e2eSales, card.TS, bot.ActionRecycle, "1")
			var view map[string]any
			for _, c := range slack.Wait("views.open", 1, e2ePatience) {
				view, _ = c.JSON["view"].(map[string]any)
			}
			callback, _ := view["callback_id"].(string)
			state, _ := view["private_metadata"].(string)
			if answer := srv.slackSend(t, "/slack/interactions", slacktest.SubmitPayload("UANN", callback, state,
				map[string]string{"select:reason": "bad timing", "note": "Annika asked us to wait until January"})); strings.TrimSpace(answer) != "" {
				t.Fatalf("the recycle form was refused: %s", answer)
			}
			srv.waitJSON(t, "/api/leads/gdpr-e2e", func(m map[string]any) bool { return m["stage"] == string(handoff.StageRecycled) })
			ok.Wait(4, e2ePatience) // announced, claimed, contacted, recycled
			db := storagetest.OpenURL(t, vars["DATABASE_URL"], storage.Options{})
			if found := rawTrace(t, dialect, vars["DATABASE_URL"], person...); len(found) == 0 {
				t.Fatal("before the erasure the dump finds nothing of the person")
			}

			if code, _ := srv.apiCall(t, "DELETE", "/api/leads/gdpr-e2e", ""); code != http.StatusNoContent {
				t.Fatalf("DELETE = %d", code)
			}
			settled(t, db, []string{handoff.OutboxEraseLead, handoff.OutboxRefreshLead, handoff.OutboxPrivate, handoff.OutboxDirect}, 1)
			// The old card, clicked again (Slack redelivers, a rep
			// scrolls back): nothing of the person comes back.
			srv.clickIn(t, slack, "UANN", e2eSales, card.TS, bot.ActionClaim, "1")
			settled(t, db, []string{handoff.OutboxPrivate, handoff.OutboxRefreshLead}, 0, 1)
			for _, row := range rawTrace(t, dialect, vars["DATABASE_URL"], person...) {
				t.Errorf("after the erasure: %s", row)
			}
			for _, ch := range []string{e2eSales, "DUANN"} {
				for deadline := time.Now().Add(e2ePatience); ; time.Sleep(20 * time.Millisecond) {
					shows := ""
					for _, m := range slack.Messages(ch) {
						shows += slackShows(m)
					}
					if !strings.Contains(shows, "Bergström") {
						break
					}
					if time.Now().After(deadline) {
						t.Fatalf("%s still shows the person: %s", ch, shows)
					}
				}
			}
		})
	}
}
