package hubspot_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/connector"
	"github.com/handoff/handoff/hubspot"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// tally records what a handler tells its Refused and Ignored funcs.
type tally struct {
	mu               sync.Mutex
	refused, ignored []string
}

func (t *tally) handler() hubspot.Handler {
	return hubspot.Handler{
		Refused: func(r string) { t.mu.Lock(); t.refused = append(t.refused, r); t.mu.Unlock() },
		Ignored: func(r string) { t.mu.Lock(); t.ignored = append(t.ignored, r); t.mu.Unlock() },
	}
}

// take returns what was told since the last call, and forgets it.
func (t *tally) take() (refused, ignored []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	refused, ignored = t.refused, t.ignored
	t.refused, t.ignored = nil, nil
	return refused, ignored
}

// A contact.creation event of HubSpot's webhooks API carries none of the
// contact's properties: it is taken (200, so HubSpot does not retry it)
// and ignored, counted as ignored and not as refused (which would raise
// the refused alert), and writes nothing, whether Handoff knows the
// contact or not; one without its contact's id is still refused, naming
// it.
func TestHubSpotCreationEventIgnored(t *testing.T) {
	creation := func(id int) string {
		return fmt.Sprintf(`{"eventId": %d, "subscriptionId": 46, "portalId": 62515, "appId": 7, "occurredAt": %d,
			"subscriptionType": "contact.creation", "attemptNumber": 0, "objectId": %d, "changeFlag": "CREATED",
			"changeSource": "CRM_UI", "sourceId": "userId:5"}`, 5000+id, now.UnixMilli(), id)
	}
	cases := []struct {
		name    string
		body    string
		status  int
		ignored []string
		refused []string
		field   string
	}{
		{"unknown contact", "[" + creation(601) + "]", 200, []string{connector.IgnoredCreation}, nil, ""},
		{"known contact", "[" + creation(602) + "]", 200, []string{connector.IgnoredCreation}, nil, ""},
		{"with a property change", "[" + creation(603) + "," + propertyChange(603, "email", "x@y.dk", now)[1:],
			200, []string{connector.IgnoredCreation, connector.IgnoredProperty}, nil, ""},
		{"without its id", `[{"subscriptionType": "contact.creation", "objectId": "x", "portalId": 62515, "occurredAt": 1}]`,
			400, nil, []string{connector.RefusedInvalid}, "[0].objectId"},
	}
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		var told tally
		srv := newServerOf(t, s, told.handler())
		if status, ans := send(t, srv, "/hooks/hubspot", sqlContact(602, now.Add(-time.Minute)), "", now, secret); status != 200 {
			t.Fatalf("contact 602: %d %v", status, ans)
		}
		known, err := s.LeadByExternalID(ctx, "602")
		if err != nil {
			t.Fatal(err)
		}
		events, _ := s.Events(ctx, known.ID)
		told.take()
		for _, c := range cases {
			status, ans := send(t, srv, "/hooks/hubspot", c.body, "", now, secret)
			refused, ignored := told.take()
			if status != c.status || !slices.Equal(ignored, c.ignored) || !slices.Equal(refused, c.refused) {
				t.Errorf("%s: %d %v, ignored %v, refused %v; want %d, ignored %v, refused %v",
					c.name, status, ans, ignored, refused, c.status, c.ignored, c.refused)
			}
			if fields, _ := ans["fields"].(map[string]any); c.field != "" && fields[c.field] == nil {
				t.Errorf("%s: %v, want %s named", c.name, ans, c.field)
			}
			if leads, _ := ans["leads"].([]any); c.status == 200 && (len(leads) != len(c.ignored) || leads[0].(map[string]any)["ignored"] != true) {
				t.Errorf("%s: answer %v, want every event ignored", c.name, ans)
			}
		}
		for _, id := range []string{"601", "603"} {
			if _, err := s.LeadByExternalID(ctx, id); handoff.ErrorCode(err) != handoff.ENOTFOUND {
				t.Errorf("a creation event made lead %s: %v", id, err)
			}
		}
		if evs, _ := s.Events(ctx, known.ID); len(evs) != len(events) {
			t.Errorf("known lead: %d events after its creation event, want %d", len(evs), len(events))
		}
	})
}
