package main

import (
	"context"
	"database/sql"
	"html"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
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

// e2eSalesforceToken and e2eSalesforceOrg are the Salesforce connector's
// settings in the erasure's end-to-end test.
const (
	e2eSalesforceToken = "sf-outbound-token-e2e"
	e2eSalesforceOrg   = "00D5g000004XyZq"
)

// salesforcePost sends one Outbound Message of a Lead to the server and
// fails the test unless Salesforce would read its answer as acknowledged.
func (s *server) salesforcePost(t *testing.T, id, modified, email, first, last, company string) {
	t.Helper()
	status, answer := s.salesforcePostAnswer(t, e2eSalesforceToken, salesforceMessage(id, modified, email, first, last, company))
	if status != 200 || !strings.Contains(answer, "<Ack>true</Ack>") {
		t.Fatalf("POST /hooks/salesforce = %d %s", status, answer)
	}
}

// salesforceMessage is an Outbound Message of one Lead, as Salesforce
// sends it for the org e2eSalesforceOrg.
func salesforceMessage(id, modified, email, first, last, company string) string {
	x := html.EscapeString
	return `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <soapenv:Body>
  <notifications xmlns="http://soap.sforce.com/2005/09/outbound">
   <OrganizationId>` + e2eSalesforceOrg + `EAK</OrganizationId>
   <ActionId>04k5g000000AbCdAAK</ActionId>
   <Notification>
    <Id>04l5g00000DEF12AAB</Id>
    <sObject xsi:type="sf:Lead" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">
     <sf:Id>` + id + `</sf:Id>
     <sf:Company>` + x(company) + `</sf:Company>
     <sf:Email>` + x(email) + `</sf:Email>
     <sf:FirstName>` + x(first) + `</sf:FirstName>
     <sf:LastModifiedDate>` + modified + `</sf:LastModifiedDate>
     <sf:LastName>` + x(last) + `</sf:LastName>
     <sf:Status>Open - Not Contacted</sf:Status>
    </sObject>
   </Notification>
  </notifications>
 </soapenv:Body>
</soapenv:Envelope>`
}

// salesforcePostAnswer posts body to the server's Outbound Message
// endpoint with token in its URL, as Salesforce does, and returns the
// answer's status and body.
func (s *server) salesforcePostAnswer(t *testing.T, token, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", s.base+"/hooks/salesforce?token="+url.QueryEscape(token), strings.NewReader(body))
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.Header.Set("SOAPAction", `""`)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, string(answer)
}

// handoffCLI runs one handoff command against the test's environment and
// returns its exit code and output.
func handoffCLI(vars map[string]string, args ...string) (int, string) {
	e, out, errOut := testEnv(vars, args...)
	code := run(context.Background(), e)
	return code, out.String() + errOut.String()
}

// rawCount reads one count with database/sql.
func rawCount(t *testing.T, dialect, dbURL, query string) int {
	t.Helper()
	db := rawDB(t, dialect, dbURL)
	defer db.Close()
	var n int
	if err := db.QueryRow(query).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// rawDB opens the database at dbURL with database/sql (no code of
// Handoff's); the caller closes it.
func rawDB(t *testing.T, dialect, dbURL string) *sql.DB {
	t.Helper()
	driver := "pgx"
	if dialect == storage.DialectSQLite {
		driver = "sqlite3"
	}
	db, err := sql.Open(driver, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// TestEraseEveryPathLeavesNoTrace sends one person in through every path
// that takes personal data on the real server: the API (their email
// address as the external id, attributes, activities whose URL names
// them), a CSV import, a HubSpot contact (merged in HubSpot into a contact
// Handoff did not know, whose id its lead then takes) and a Salesforce
// lead. The API's
// lead is claimed in Slack (the owner's DM with the contact details), its
// contact logged, recycled with a note and sent again as an SQL (a
// finished SLA cycle), listed by /leads open and told to a webhook
// endpoint. Their email has an _ and their company an &, which chat text
// writes as &#95; and &amp;. `handoff forget --email` then erases all four
// leads, and every row of every table, read with database/sql, holds
// nothing of the person in any form (as written, JSON-escaped, or in chat
// markup). The CRMs resending what they sent and the same CSV imported
// again bring nobody back.
func TestEraseEveryPathLeavesNoTrace(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			slack := slacktest.New(e2eToken)
			defer slack.Close()
			slack.SetMembers(e2eSales, "UANN")
			hook := webhooktest.New(t, testWebhookSecret, time.Now)
			vars := map[string]string{
				"DATABASE_URL": storagetest.URL(t, dialect), "HANDOFF_API_TOKEN": "tok", "HUBSPOT_CLIENT_SECRET": "hs-secret",
				"SALESFORCE_ORG_ID": e2eSalesforceOrg, "SALESFORCE_OUTBOUND_TOKEN": e2eSalesforceToken,
				"HANDOFF_WEBHOOK_SECRET": testWebhookSecret, "HANDOFF_CONFIG": writeAgreement(t, hook.URL+"/in"),
				"SLACK_BOT_TOKEN": e2eToken, "SLACK_SIGNING_SECRET": e2eSecret, "SLACK_API_URL": slack.APIURL(),
				"SLACK_SALES_CHANNEL": e2eSales, "SLACK_MANAGER_CHANNEL": e2eManager,
			}
			srv := startServer(t, vars)
			db := storagetest.OpenURL(t, vars["DATABASE_URL"], storage.Options{})
			const (
				email   = "annika_berg@bergstrom-consult.dk"
				company = "Bergström & Co ApS"
				phone   = "+45 2233 4455"
				note    = "Annika asked us to wait until January"
				sfID    = "00Q5g00000ABCDeEAP"
			)
			person := []string{email, "Annika", "Bergström", company, phone, note, "linkedin.com/in/annika-bergstrom"}

			// The API: the email address is the external id.
			if code, _ := srv.apiCall(t, "POST", "/api/leads", `{"external_id":"`+email+`","name":"Annika Bergström","email":"`+email+
				`","phone":"`+phone+`","company":"`+company+`","title":"CEO","stage":"sql",`+
				`"attributes":{"linkedin":"https://linkedin.com/in/annika-bergstrom"}}`); code != http.StatusCreated {
				t.Fatalf("POST /api/leads = %d", code)
			}
			if code, _ := srv.apiCall(t, "POST", "/api/leads/"+url.PathEscape(email)+"/activities",
				`{"type":"page_view","url":"https://example.com/pricing?email=`+email+`"}`); code/100 != 2 {
				t.Fatalf("activities = %d", code)
			}
			apiLead, err := db.LeadByExternalID(ctx, email)
			if err != nil {
				t.Fatal(err)
			}
			card := waitSlackMessage(t, slack, e2eSales, "Bergström")
			id := strconv.FormatInt(apiLead.ID, 10)
			srv.clickIn(t, slack, "UANN", e2eSales, card.TS, bot.ActionClaim, id)
			waitSlackMessage(t, slack, "DUANN", phone)
			srv.clickIn(t, slack, "UANN", e2eSales, card.TS, bot.ActionLogContact, id)
			srv.waitJSON(t, "/api/leads/"+url.PathEscape(email), func(m map[string]any) bool { return m["stage"] == string(handoff.StageContacted) })
			for _, body := range []string{`{"external_id":"` + email + `","stage":"recycled","reason":"` + note + `"}`, `{"external_id":"` + email + `","stage":"sql"}`} {
				if code, _ := srv.apiCall(t, "POST", "/api/leads", body); code != 200 {
					t.Fatalf("POST %s = %d", body, code)
				}
			}
			if n := rawCount(t, dialect, vars["DATABASE_URL"], "SELECT COUNT(*) FROM sla_cycles"); n == 0 {
				t.Fatal("sla_cycles holds no row, want the finished cycle")
			}
			if answer := srv.slackSend(t, "/slack/commands", slacktest.CommandBody("UANN", e2eSales, "/leads", "open", slack.ResponseURL("leads"))); !strings.Contains(answer, "Bergstr") {
				t.Fatalf("/leads open = %s", answer)
			}

			// A CSV file.
			csvFile := filepath.Join(t.TempDir(), "leads.csv")
			if err := os.WriteFile(csvFile, []byte("external_id,name,email,phone,company,stage\n"+
				"csv-annika,Annika Bergström,"+email+","+phone+",\""+company+"\",mql\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if code, out := handoffCLI(vars, "import", "--quiet", csvFile); code != 0 {
				t.Fatalf("import = %d: %s", code, out)
			}
			// HubSpot and Salesforce.
			contact := `{"hs_object_id":"9001","firstname":"Annika","lastname":"Bergström","email":"` + email + `","phone":"` + phone +
				`","company":"` + company + `","lifecyclestage":"marketingqualifiedlead","lastmodifieddate":"1764000000000"}`
			survivor := `{"hs_object_id":"9002","firstname":"Annika","email":"` + email + `","lifecyclestage":"marketingqualifiedlead",` +
				`"lastmodifieddate":"1764000100000","hs_merged_object_ids":"9001"}`
			srv.hubspotPost(t, "hs-secret", contact)
			srv.hubspotPost(t, "hs-secret", survivor)
			srv.salesforcePost(t, sfID, "2026-11-20T08:55:00.000Z", email, "Annika", "Bergström", company)

			var ids []int64
			for _, ext := range []string{email, "csv-annika", "9002", sfID} {
				l, err := db.LeadByExternalID(ctx, ext)
				if err != nil {
					t.Fatalf("lead %s: %v", ext, err)
				}
				ids = append(ids, l.ID)
			}
			settled(t, db, []string{handoff.OutboxAnnounceLead, handoff.OutboxRefreshLead, handoff.OutboxDirect, handoff.OutboxWebhook}, ids...)
			if found := rawTrace(t, dialect, vars["DATABASE_URL"], person...); len(found) == 0 {
				t.Fatal("before the erasure the dump finds nothing of the person")
			}

			if code, out := handoffCLI(vars, "forget", "--email", email); code != 0 || !strings.Contains(out, "erased 4 lead(s)") {
				t.Fatalf("forget = %d: %s", code, out)
			}
			srv.app.queued() // the erasure's updates, queued by another process: the server finds them now, not at its next idle look
			settled(t, db, []string{handoff.OutboxEraseLead, handoff.OutboxRefreshLead, handoff.OutboxWebhook}, ids...)
			for _, row := range rawTrace(t, dialect, vars["DATABASE_URL"], append(person, "csv-annika", sfID)...) {
				t.Errorf("after the erasure: %s", row)
			}
			// The CRMs' versions stay, under the ids' keyed hashes, without
			// the digests of what the CRMs sent (hashes of the person's data),
			// the merged contact's too.
			if n := rawCount(t, dialect, vars["DATABASE_URL"], "SELECT COUNT(*) FROM crm_versions WHERE digests <> '' OR external_id IN ('9001', '9002', '"+sfID+"')"); n != 0 {
				t.Errorf("crm_versions keeps %d rows with a digest or the record's id after the erasure", n)
			}

			// What the CRMs sent, sent again, and the same file imported
			// again: nobody comes back.
			srv.hubspotPost(t, "hs-secret", contact)
			srv.hubspotPost(t, "hs-secret", survivor)
			srv.salesforcePost(t, sfID, "2026-11-20T08:55:00.000Z", email, "Annika", "Bergström", company)
			if code, out := handoffCLI(vars, "import", "--quiet", csvFile); code != 1 || !strings.Contains(out, "was erased") {
				t.Errorf("import again = %d: %s, want its row rejected as erased", code, out)
			}
			for _, ext := range []string{email, "csv-annika", "9001", "9002", sfID} {
				if _, err := db.LeadByExternalID(ctx, ext); handoff.ErrorCode(err) != handoff.ENOTFOUND {
					t.Errorf("lead %s after the resends: %v, want not found", ext, err)
				}
			}
			for _, row := range rawTrace(t, dialect, vars["DATABASE_URL"], append(person, "csv-annika", sfID)...) {
				t.Errorf("after the resends: %s", row)
			}
		})
	}
}

// jsonEscape matches a JSON \u escape.
var jsonEscape = regexp.MustCompile(`\\u[0-9a-fA-F]{4}`)

// asShown is text with JSON's \u escapes and HTML's character references
// decoded, as a reader would see what a payload holds.
func asShown(text string) string {
	text = jsonEscape.ReplaceAllStringFunc(text, func(e string) string {
		r, _ := strconv.ParseUint(e[2:], 16, 32)
		return string(rune(r))
	})
	return html.UnescapeString(strings.ReplaceAll(text, `\"`, `"`))
}
