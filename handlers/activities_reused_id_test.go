package handlers_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// An activity's id makes a repeat of it harmless; the id sent again with
// another activity (another type or url) is refused, 409 naming the id,
// and nothing of its request is written, rather than answered 200 with
// the new activity dropped.
func TestActivityIDReusedForAnotherActivity(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		clock := now
		srv := scoringServer(t, s, scoringPolicy(), &clock)
		a := post(t, srv, `{"external_id":"re-1","title":"CTO"}`)
		if a.status != http.StatusCreated {
			t.Fatalf("lead = %d %v", a.status, a.body)
		}
		if a := postActivities(t, srv, "re-1", `{"id":"pv-1","type":"page_view","url":"/pricing"}`); a.status != http.StatusOK || a.body["added"] != 1.0 {
			t.Fatalf("first = %d %v", a.status, a.body)
		}
		for _, tc := range []struct {
			name, body string
			status     int
			field      string
		}{
			{"the same again", `{"id":"pv-1","type":"page_view","url":"/pricing"}`, 200, ""},
			{"the same, at another time", `{"id":"pv-1","type":"page_view","url":"/pricing","occurred_at":"2026-11-20T08:00:00Z"}`, 200, ""},
			{"another type", `{"id":"pv-1","type":"demo_request"}`, 409, "id"},
			{"another url, with a new one", `[{"id":"pv-2","type":"page_view"},{"id":"pv-1","type":"page_view","url":"/careers"}]`, 409, "[1].id"},
		} {
			a := postActivities(t, srv, "re-1", tc.body)
			if a.status != tc.status {
				t.Errorf("%s: status %d, want %d (%v)", tc.name, a.status, tc.status, a.body)
				continue
			}
			if tc.status == 200 && a.body["added"] != 0.0 {
				t.Errorf("%s: added %v, want 0", tc.name, a.body["added"])
			}
			if fields, _ := a.body["fields"].(map[string]any); tc.field != "" && fields[tc.field] == nil {
				t.Errorf("%s: fields %v do not name %q", tc.name, a.body["fields"], tc.field)
			}
		}
		l, err := s.LeadByExternalID(context.Background(), "re-1")
		if err != nil {
			t.Fatal(err)
		}
		acts, err := s.Activities(context.Background(), l.ID, nil, clock)
		if err != nil {
			t.Fatal(err)
		}
		if len(acts) != 1 || acts[0].URL != "/pricing" {
			t.Errorf("activities = %+v, want the first alone", acts)
		}
	})
}
