package salesforce_test

import (
	"reflect"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/config"
	"github.com/handoff/handoff/salesforce"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

var sfID = regexp.MustCompile(`<sf:Id>([^<]*)</sf:Id>`)

// stored is what the store holds of the Lead ids a message names and of
// the funnel, to tell whether a message wrote anything.
func stored(t *testing.T, s *storage.Store, body string) (map[string]string, handoff.FunnelCounts) {
	t.Helper()
	leads := map[string]string{}
	for _, m := range sfID.FindAllStringSubmatch(body, -1) {
		id, err := salesforce.ID18(strings.TrimSpace(m[1]))
		if err != nil || !utf8.ValidString(id) || strings.ContainsRune(id, 0) {
			continue
		}
		l, err := s.LeadByExternalID(t.Context(), id)
		if handoff.ErrorCode(err) == handoff.ENOTFOUND {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		leads[id] = l.UpdatedAt.String() + " " + string(l.Stage)
	}
	fc, err := s.FunnelCounts(t.Context(), handoff.FunnelFilter{Period: handoff.Period{Start: now.AddDate(-30, 0, 0), End: now.AddDate(1, 0, 0)}})
	if err != nil {
		t.Fatal(err)
	}
	return leads, fc
}

// FuzzOutboundMessage sends arbitrary bodies with the right token to the
// endpoint on a real store. The answer is the Ack, or a SOAP fault (500, as
// SOAP 1.1 sends every fault) whose code is soapenv:Client and whose reason
// is given: bad input is never a server fault. An Ack stores every Lead the
// message names; a fault stores the valid notifications and nothing else.
func FuzzOutboundMessage(f *testing.F) {
	for _, seed := range []string{
		envelope("00D5g000004XyZqEAK",
			lead("04l5g00000DEF12AAB", leadA, "2026-11-20T08:55:00.000Z", "Open - Not Contacted", "+45 12 34 56 78"),
			lead("04l5g00000DEF13AAB", "00Q5g00000ABCDf", "2026-11-20T08:56:00.000Z", "Closed - Not Converted", "+45 11 11 11 11")),
		envelope("00D5g000004XyZqEAK", lead("04l5g00000DEF14AAB", leadA, "2026-11-20T08:54:00.000Z", "Working - Contacted", "")),
		envelope("00D5g000004XyZqEAK", lead("04l5g00000DEF15AAB", "00Q5g00000ABCDg", "2026-11-20T08:57:00.000Z", "Banana", "")),
		envelope("00D5g000004XyZqEAK", lead("04l5g00000DEF16AAB", "00Q5g00000ABCDh", "yesterday", "Open - Not Contacted", "")),
		envelope("00D5g000004XyZqEAK", lead("04l5g00000DEF17AAB", "00Q5g00000ABCDi", "2026-11-20T08:57:00.000Z", "Open - Not Contacted", "&#27;[2J")),
		envelope("00D000000000001", lead("04l5g00000DEF18AAB", leadA, "2026-11-20T08:58:00.000Z", "Open - Not Contacted", "")),
		envelope("00D5g000004XyZqEAK",
			lead("04l5g00000DEF19AAB", "00Q5g00000ABCDk", "2026-11-20T08:58:00.000Z", "Open - Not Contacted", ""),
			lead("04l5g00000DEF20AAB", "00Q5g00000ABCDl", "2026-11-20T08:58:00.000Z", "Nurturing", "")),
		envelope("00D5g000004XyZqEAK"),
		`<?xml version="1.0" encoding="ISO-8859-1"?><a/>`,
		`<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body/></soapenv:Envelope>`,
		`not xml`,
	} {
		f.Add([]byte(seed))
	}
	s := storagetest.Open(f, storagetest.FuzzDialect())
	srv := newServer(f, s, nil)
	f.Fuzz(func(t *testing.T, body []byte) {
		leadsBefore, funnelBefore := stored(t, s, string(body))
		status, ans := send(t, srv, token, string(body))
		leadsAfter, funnelAfter := stored(t, s, string(body))
		if acked(status, ans) {
			for _, m := range sfID.FindAllStringSubmatch(string(body), -1) {
				if id, err := salesforce.ID18(strings.TrimSpace(m[1])); err == nil && leadsAfter[id] == "" {
					t.Fatalf("acknowledged, but Lead %q is not stored", id)
				}
			}
			return
		}
		if status != 500 || !strings.Contains(ans, "<faultcode>soapenv:Client</faultcode>") || strings.Contains(ans, "<faultstring></faultstring>") {
			t.Fatalf("not an Ack nor a client fault: %d %s", status, ans)
		}
		// The valid notifications of a message from our org are stored
		// despite a bad one; nothing else changed.
		valid := map[string]bool{}
		if msg, err := salesforce.Parse(body); err == nil && salesforce.SameOrg(msg.OrganizationID, orgID) {
			updates, _ := salesforce.Updates(msg, config.DefaultSalesforceStatus(), now)
			for _, u := range updates {
				valid[u.Input.ExternalID] = true
				if leadsAfter[u.Input.ExternalID] == "" {
					t.Fatalf("a fault, but the valid notification for %s is not stored: %s", u.Input.ExternalID, ans)
				}
			}
		}
		if len(valid) == 0 && !reflect.DeepEqual(funnelBefore, funnelAfter) {
			t.Fatalf("a fault storing nothing, but the funnel changed")
		}
		for id, v := range leadsBefore {
			if !valid[id] && leadsAfter[id] != v {
				t.Fatalf("a fault, but Lead %s of a bad notification changed: %s -> %s", id, v, leadsAfter[id])
			}
		}
	})
}
