package salesforce_test

import (
	"context"
	"testing"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// LastModifiedDate has whole seconds: a second change to a lead within the
// same second carries the time of the first. It is saved, while a resend of
// either state (same time, same fields) and an older state change nothing.
func TestChangesWithinOneSecond(t *testing.T) {
	const second = "2026-11-20T08:55:07.000Z"
	first := envelope(orgID, lead("04l5g00000DEF31AAB", leadA, second, "Open - Not Contacted", "+45 11 11 11 11"))
	changed := envelope(orgID, lead("04l5g00000DEF32AAB", leadA, second, "Working - Contacted", "+45 22 22 22 22"))
	older := envelope(orgID, lead("04l5g00000DEF30AAB", leadA, "2026-11-20T08:55:06.000Z", "Open - Not Contacted", "+45 33 33 33 33"))
	steps := []struct {
		name      string
		msg       string
		stage     handoff.Stage
		phone     string
		newEvents bool
	}{
		{"first change", first, handoff.StageSQL, "+45 11 11 11 11", true},
		{"second change, same second", changed, handoff.StageContacted, "+45 22 22 22 22", true},
		{"resend of the first", first, handoff.StageContacted, "+45 22 22 22 22", false},
		{"resend of the second", changed, handoff.StageContacted, "+45 22 22 22 22", false},
		{"older state", older, handoff.StageContacted, "+45 22 22 22 22", false},
	}
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		srv := newServer(t, s, nil)
		events := 0
		for _, st := range steps {
			if code, body := send(t, srv, token, st.msg); !acked(code, body) {
				t.Fatalf("%s: not acknowledged: %d %s", st.name, code, body)
			}
			l, err := s.LeadByExternalID(ctx, leadA)
			if err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			if l.Stage != st.stage || l.Phone != st.phone {
				t.Errorf("%s: stage %s, phone %s; want %s, %s", st.name, l.Stage, l.Phone, st.stage, st.phone)
			}
			evs, err := s.Events(ctx, l.ID)
			if err != nil {
				t.Fatal(err)
			}
			if added := len(evs) > events; added != st.newEvents {
				t.Errorf("%s: events %d → %d; want new events %v", st.name, events, len(evs), st.newEvents)
			}
			events = len(evs)
		}
	})
}
