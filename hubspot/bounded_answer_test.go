package hubspot_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestWebhookAnswerIsBounded sends signed bodies within the 1 MiB limit
// that hold 10,000 bad contacts or events: each is refused with a 400 of
// at most 8 KiB (a 2,000-byte message and 10 fields of at most 564 bytes
// each, handoff.Bounded) that names the first 10 bad properties by name and says
// how many there are, as the API's answer does, instead of listing every
// one (a megabyte of answer), and nothing is stored.
func TestWebhookAnswerIsBounded(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		srv := newServer(t, s, "")
		many := func(format string) string {
			parts := make([]string, 10000)
			for i := range parts {
				parts[i] = fmt.Sprintf(format, 1000+i)
			}
			return "[" + strings.Join(parts, ",") + "]"
		}
		for _, tc := range []struct {
			name, body string
			fields     int // how many the body holds
		}{
			{"Contacts", many(`{"hs_object_id":"%d","email":"nope"}`), 10000},
			{"Events", many(`{"subscriptionType":"contact.deletion","objectId":"x%d","occurredAt":0}`), 20000},
			{"UnknownSubscriptions", many(`{"subscriptionType":"company.creation%d","objectId":1}`), 10000},
		} {
			t.Run(tc.name, func(t *testing.T) {
				status, raw := sendRaw(t, srv, "/hooks/hubspot", tc.body, "", now, secret)
				var ans struct {
					Error  string
					Fields map[string]string
				}
				if err := json.Unmarshal(raw, &ans); err != nil || status != 400 {
					t.Fatalf("status %d, err %v: %.300s", status, err, raw)
				}
				if len(raw) > 8<<10 {
					t.Errorf("the answer to a body of %d bytes is %d bytes, want at most 8 KiB: %.300s…", len(tc.body), len(raw), raw)
				}
				if len(ans.Fields) != 10 {
					t.Errorf("fields name %d, want 10", len(ans.Fields))
				}
				if want := fmt.Sprintf("(%d fields, the first 10 by name named in fields)", tc.fields); !strings.Contains(ans.Error, want) {
					t.Errorf("the message does not say how many fields (%s): %.300s…", want, ans.Error)
				}
			})
		}
		if n := countLeads(t, s, "1000", "5000", "10999"); n != 0 {
			t.Errorf("refused bodies stored %d leads", n)
		}
	})
}

// TestWebhookFailedContactsAnswerIsBounded: when the database fails to
// store many contacts of a body, the 500 names the first 10 and says how
// many more there are, instead of every one.
func TestWebhookFailedContactsAnswerIsBounded(t *testing.T) {
	storagetest.EachFailingInsertsOf(t, "666", func(t *testing.T, s *storage.Store) {
		srv := newServer(t, s, "")
		body := "[" + strings.TrimSuffix(strings.Repeat(`{"hs_object_id":"666"},`, 25), ",") + "]"
		status, ans := send(t, srv, "/hooks/hubspot", body, "", now, secret)
		msg, _ := ans["error"].(string)
		if status != 500 {
			t.Fatalf("status %d, want 500: %v", status, ans)
		}
		if n := strings.Count(msg, "666"); n != 10 || !strings.Contains(msg, "… and 15 more") {
			t.Errorf("the error names the contact not stored %d times, want the first 10 and how many more (15): %s", n, msg)
		}
	})
}

// TestWebhookTakenAnswerIsBounded sends a signed body of 1,000 events
// that are all taken (contact.creation, answered "ignored"): the 200
// lists the first 10 in leads and says how many more there are in
// more_leads, a few KiB, instead of one entry a contact.
func TestWebhookTakenAnswerIsBounded(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		srv := newServer(t, s, "")
		events := make([]string, 1000)
		for i := range events {
			events[i] = contactEvent("contact.creation", 20000+i, now)
		}
		status, raw := sendRaw(t, srv, "/hooks/hubspot", "["+strings.Join(events, ",")+"]", "", now, secret)
		var ans struct {
			Leads     []map[string]any
			MoreLeads int `json:"more_leads"`
		}
		if err := json.Unmarshal(raw, &ans); err != nil || status != 200 {
			t.Fatalf("status %d, err %v: %.300s", status, err, raw)
		}
		if len(raw) > 4<<10 {
			t.Errorf("the answer to 1,000 events is %d bytes, want at most 4 KiB: %.300s…", len(raw), raw)
		}
		if len(ans.Leads) != 10 || ans.MoreLeads != 990 {
			t.Errorf("leads lists %d and more_leads says %d, want the first 10 and 990 more", len(ans.Leads), ans.MoreLeads)
		}
		if len(ans.Leads) > 0 && (ans.Leads[0]["external_id"] != "20000" || ans.Leads[0]["ignored"] != true) {
			t.Errorf("the first lead listed is %v, want contact 20000 ignored", ans.Leads[0])
		}
	})
}
