package salesforce_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/config"
	"github.com/handoff/handoff/csvimport"
	"github.com/handoff/handoff/salesforce"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

const (
	token = "5f1c0d9e8b7a6f5e4d3c2b1a"
	orgID = "00D5g000004XyZq" // configured in the 15-character form; messages carry 18
	leadA = "00Q5g00000ABCDeEAP"
)

var now = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

// lead renders one Notification as Salesforce writes it: the sObject's
// fields in alphabetical order with the sf: prefix, nulls as xsi:nil.
func lead(notificationID, id, modified, status, phone string) string {
	return `
   <Notification>
    <Id>` + notificationID + `</Id>
    <sObject xsi:type="sf:Lead" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">
     <sf:Id>` + id + `</sf:Id>
     <sf:Company>Berg ApS</sf:Company>
     <sf:Email>ann@berg.dk</sf:Email>
     <sf:FirstName>Ann</sf:FirstName>
     <sf:LastModifiedDate>` + modified + `</sf:LastModifiedDate>
     <sf:LastName>Berg</sf:LastName>
     <sf:LeadSource>Web</sf:LeadSource>
     <sf:MobilePhone xsi:nil="true"/>
     <sf:Phone>` + phone + `</sf:Phone>
     <sf:Rating>Hot</sf:Rating>
     <sf:Status>` + status + `</sf:Status>
     <sf:Title>IT-chef</sf:Title>
    </sObject>
   </Notification>`
}

// envelope wraps notifications in the SOAP message an Outbound Message sends.
func envelope(org string, notifications ...string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <soapenv:Body>
  <notifications xmlns="http://soap.sforce.com/2005/09/outbound">
   <OrganizationId>` + org + `</OrganizationId>
   <ActionId>04k5g000000AbCdAAK</ActionId>
   <SessionId xsi:nil="true"/>
   <EnterpriseUrl>https://acme.my.salesforce.com/services/Soap/c/62.0/00D5g000004XyZq</EnterpriseUrl>
   <PartnerUrl>https://acme.my.salesforce.com/services/Soap/u/62.0/00D5g000004XyZq</PartnerUrl>` +
		strings.Join(notifications, "") + `
  </notifications>
 </soapenv:Body>
</soapenv:Envelope>`
}

func newServer(t testing.TB, s *storage.Store, status map[string]handoff.Stage) *httptest.Server {
	t.Helper()
	return newServerAt(t, s, status, func() time.Time { return now })
}

// newServerAt is newServer with the clock clock.
func newServerAt(t testing.TB, s *storage.Store, status map[string]handoff.Stage, clock func() time.Time) *httptest.Server {
	t.Helper()
	return serve(t, &salesforce.Handler{Status: status, Store: s, Now: clock})
}

// serve serves h for the test's org and token, under the default policy
// and status table (when h has none), logging nowhere.
func serve(t testing.TB, h *salesforce.Handler) *httptest.Server {
	t.Helper()
	if h.Status == nil {
		h.Status = config.DefaultSalesforceStatus()
	}
	h.OrgID, h.Token, h.Policy, h.Logger = orgID, token, handoff.DefaultPolicy(), slog.New(slog.NewTextHandler(io.Discard, nil))
	mux := http.NewServeMux()
	h.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func send(t *testing.T, srv *httptest.Server, tok, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", srv.URL+"/hooks/salesforce?token="+tok, strings.NewReader(body))
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.Header.Set("SOAPAction", `""`)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func acked(status int, body string) bool {
	return status == 200 && strings.Contains(body, "<Ack>true</Ack>") && strings.Contains(body, "notificationsResponse")
}

func TestOutboundMessageStoresLeads(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		srv := newServer(t, s, nil)
		msg := envelope("00D5g000004XyZqEAK",
			lead("04l5g00000DEF12AAB", leadA, "2026-11-20T08:55:00.000Z", "Open - Not Contacted", "+45 12 34 56 78"),
			lead("04l5g00000DEF13AAB", "00Q5g00000ABCDf", "2026-11-20T08:56:00.000Z", "Closed - Not Converted", "+45 11 11 11 11"))
		if st, body := send(t, srv, token, msg); !acked(st, body) {
			t.Fatalf("not acknowledged: %d %s", st, body)
		}
		l, err := s.LeadByExternalID(ctx, leadA)
		if err != nil {
			t.Fatal(err)
		}
		if l.Name != "Ann Berg" || l.Company != "Berg ApS" || l.Email != "ann@berg.dk" || l.Title != "IT-chef" ||
			l.Phone != "+45 12 34 56 78" || l.Source != "Web" || l.Stage != handoff.StageSQL || l.Attributes["rating"] != "Hot" {
			t.Fatalf("lead = %+v", l)
		}
		// The 15-character id is stored in its 18-character form.
		l2, err := s.LeadByExternalID(ctx, "00Q5g00000ABCDfEAP")
		if err != nil || l2.Stage != handoff.StageLost || l2.Reason != "Salesforce status: Closed - Not Converted" {
			t.Fatalf("second lead = %+v, %v", l2, err)
		}
		events, _ := s.Events(ctx, l.ID)
		if events[len(events)-1].Actor != salesforce.Actor {
			t.Fatalf("events = %+v", events)
		}

		// Salesforce resends the same message: nothing changes.
		if st, body := send(t, srv, token, msg); !acked(st, body) {
			t.Fatalf("repeat not acknowledged: %d %s", st, body)
		}
		again, _ := s.Events(ctx, l.ID)
		if len(again) != len(events) {
			t.Fatalf("a repeated notification added events: %d → %d", len(events), len(again))
		}

		// A newer state, then a late delivery of an older one: the newer stays.
		newer := envelope(orgID, lead("04l5g00000DEF20AAB", leadA, "2026-11-20T09:10:00.000Z", "Working - Contacted", "+45 22 22 22 22"))
		older := envelope(orgID, lead("04l5g00000DEF19AAB", leadA, "2026-11-20T09:05:00.000Z", "Open - Not Contacted", "+45 99 99 99 99"))
		for _, m := range []string{newer, older} {
			if st, body := send(t, srv, token, m); !acked(st, body) {
				t.Fatalf("not acknowledged: %d %s", st, body)
			}
		}
		l, _ = s.LeadByExternalID(ctx, leadA)
		if l.Stage != handoff.StageContacted || l.Phone != "+45 22 22 22 22" {
			t.Fatalf("after an older state arrived late: stage %s phone %s", l.Stage, l.Phone)
		}
	})
}

func TestOutboundMessageRefused(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		srv := newServer(t, s, nil)
		good := lead("04l5g00000DEF12AAB", leadA, "2026-11-20T08:55:00.000Z", "Open - Not Contacted", "1")
		badEmail := strings.Replace(lead("04l5g00000DEF14AAB", "00Q5g00000ABCDg", "2026-11-20T08:55:00.000Z", "Open - Not Contacted", "2"),
			"ann@berg.dk", "ann-at-berg", 1)
		goodB := lead("04l5g00000DEF15AAB", "00Q5g00000ABCDj", "2026-11-20T08:55:00.000Z", "Open - Not Contacted", "4")
		var hundredAndOne []string
		for i := 0; i < 101; i++ {
			hundredAndOne = append(hundredAndOne, lead(fmt.Sprintf("04l5g00000N%07d", i), fmt.Sprintf("00Q5g0000%06d", i), "2026-11-20T08:55:00.000Z", "Open - Not Contacted", "3"))
		}
		tests := []struct {
			name, token, body, want string
		}{
			{"no token", "", envelope(orgID, good), "token"},
			{"wrong token", "5f1c0d9e8b7a6f5e4d3c2b1b", envelope(orgID, good), "token"},
			{"other org", token, envelope("00D5g000004XyZr", good), "OrganizationId"},
			{"one bad notification", token, envelope(orgID, goodB, badEmail), "Email"},
			{"one bad notification, sent again", token, envelope(orgID, goodB, badEmail), "Email"},
			{"unknown status", token, envelope(orgID, strings.Replace(good, "Open - Not Contacted", "Nurturing", 1)), "salesforce.status"},
			{"not a Lead", token, envelope(orgID, strings.Replace(good, "sf:Lead", "sf:Contact", 1)), "only Lead"},
			{"no LastModifiedDate", token, envelope(orgID, strings.Replace(good, "<sf:LastModifiedDate>2026-11-20T08:55:00.000Z</sf:LastModifiedDate>", "", 1)), "LastModifiedDate"},
			{"101 notifications", token, envelope(orgID, hundredAndOne...), "101 notifications"},
			{"not SOAP", token, `{"Id": "00Q5g00000ABCDe"}`, "SOAP"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				st, body := send(t, srv, tt.token, tt.body)
				if st != 500 || !strings.Contains(body, "<soapenv:Fault>") || !strings.Contains(body, tt.want) || strings.Contains(body, "<Ack>") {
					t.Fatalf("want a SOAP fault naming %q, got %d %s", tt.want, st, body)
				}
			})
		}
		for _, id := range []string{leadA, "00Q5g00000ABCDgEAP", "00Q5g0000000000AAA"} {
			if _, err := s.LeadByExternalID(context.Background(), id); err == nil {
				t.Errorf("lead %s stored by a refused message", id)
			}
		}
		// The bad notification does not keep the good one of its message
		// out; sent again, the good one changes nothing.
		idB, _ := salesforce.ID18("00Q5g00000ABCDj")
		l, err := s.LeadByExternalID(context.Background(), idB)
		if err != nil {
			t.Fatalf("the valid notification of a message with a bad one was not stored: %v", err)
		}
		if events, _ := s.Events(context.Background(), l.ID); len(events) != 3 { // lead, mql, sql
			t.Errorf("events of the valid notification sent twice = %+v", events)
		}
	})
}

func TestStatusTableFromAgreement(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		table := config.DefaultSalesforceStatus()
		table["Nurturing"] = handoff.StageRecycled
		srv := newServer(t, s, table)
		msg := envelope(orgID, lead("04l5g00000DEF12AAB", leadA, "2026-11-20T08:55:00.000Z", "Nurturing", "1"))
		if st, body := send(t, srv, token, msg); !acked(st, body) {
			t.Fatalf("not acknowledged: %d %s", st, body)
		}
		l, err := s.LeadByExternalID(context.Background(), leadA)
		if err != nil || l.Stage != handoff.StageRecycled || l.Reason != "Salesforce status: Nurturing" {
			t.Fatalf("lead = %+v, %v", l, err)
		}
	})
}

// A lead imported from a Salesforce report export (15-character Lead ID)
// and later sent by an Outbound Message is one lead; chat ahead of
// Salesforce keeps its stage while the fields update.
func TestOutboundMessageMeetsCSVImport(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		im := &csvimport.Importer{Store: s, Policy: handoff.DefaultPolicy(), Now: func() time.Time { return now }}
		csv := "Lead ID,First Name,Last Name,Company,Email,Lead Status\n00Q5g00000ABCDe,Ann,Berg,Berg ApS,ann@berg.dk,Open - Not Contacted\n"
		if sum, err := im.Import(ctx, strings.NewReader(csv), 0); err != nil || sum.Created != 1 {
			t.Fatalf("import: %+v, %v", sum, err)
		}
		if _, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: leadA, Stage: handoff.StageClaimed}, handoff.DefaultPolicy(), now, "U1"); err != nil {
			t.Fatal(err)
		}
		srv := newServer(t, s, nil)
		msg := envelope(orgID, lead("04l5g00000DEF12AAB", leadA, "2026-11-20T08:55:00.000Z", "Open - Not Contacted", "+45 12 34 56 78"))
		if st, body := send(t, srv, token, msg); !acked(st, body) {
			t.Fatalf("not acknowledged: %d %s", st, body)
		}
		l, err := s.LeadByExternalID(ctx, leadA)
		if err != nil || l.Stage != handoff.StageClaimed || l.Phone != "+45 12 34 56 78" {
			t.Fatalf("lead = %+v, %v", l, err)
		}
	})
}
