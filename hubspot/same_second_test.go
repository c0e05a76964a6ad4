package hubspot_test

import (
	"context"
	"testing"

	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// A customized body's hs_lastmodifieddate in RFC 3339 may have whole
// seconds: a second change to a contact within the same second carries
// the time of the first. It is saved, while a repeat of either state and
// an older state change nothing.
func TestHubSpotChangesWithinOneSecond(t *testing.T) {
	body := func(title, modified string) string {
		return `{"hs_object_id": 404, "email": "di@x.dk", "lifecyclestage": "salesqualifiedlead", "jobtitle": "` + title +
			`", "hs_lastmodifieddate": "` + modified + `"}`
	}
	const second = "2026-11-20T08:55:07Z"
	steps := []struct {
		name  string
		body  string
		stale bool
		title string
	}{
		{"first change", body("CTO", second), false, "CTO"},
		{"second change, same second", body("CEO", second), false, "CEO"},
		{"repeat of the first", body("CTO", second), true, "CEO"},
		{"repeat of the second", body("CEO", second), true, "CEO"},
		{"older state", body("CFO", "2026-11-20T08:55:06Z"), true, "CEO"},
	}
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		srv := newServer(t, s, "")
		for _, st := range steps {
			status, ans := send(t, srv, "/hooks/hubspot", st.body, "", now, secret)
			if status != 200 {
				t.Fatalf("%s: %d %v", st.name, status, ans)
			}
			res := ans["leads"].([]any)[0].(map[string]any)
			if stale := res["stale"] == true; stale != st.stale {
				t.Errorf("%s: answer %v, want stale %v", st.name, ans, st.stale)
			}
			l, err := s.LeadByExternalID(ctx, "404")
			if err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			if l.Title != st.title {
				t.Errorf("%s: title %q, want %q", st.name, l.Title, st.title)
			}
		}
	})
}
