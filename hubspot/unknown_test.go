package hubspot_test

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/connector"
	"github.com/handoff/handoff/internal/testkit"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// An event of HubSpot's webhooks API about a contact Handoff has no lead
// of carries no contact to make one of (no name, no email): a
// lifecycle stage change to SQL, above all, would post a card for sales
// with nobody on it. It is answered 200 with "unknown" and writes
// nothing, as before, but no longer silently: it is counted as ignored
// (connector.IgnoredUnknown, not as refused) and logged with the event's
// kind, id and stage, never the contact's id; a stage change is logged as
// a warning, as it may be a lead missing from chat until the contact
// itself is sent (a workflow's Send a webhook), which then makes it.
func TestHubSpotEventOfUnknownContactCounted(t *testing.T) {
	changed := now.Add(-time.Hour)
	cases := []struct {
		name, body string
		level      string
		logged     []string
	}{
		{"stage change", propertyChange(7301, "lifecyclestage", "salesqualifiedlead", changed), "WARN",
			[]string{`"contact.propertyChange 11301"`, "stage=sql"}},
		{"deletion", "[" + contactEvent("contact.deletion", 7302, changed) + "]", "INFO",
			[]string{`"contact.deletion 10302"`}},
		{"erasure", "[" + contactEvent("contact.privacyDeletion", 7303, changed) + "]", "INFO",
			[]string{`"contact.privacyDeletion 10303"`}},
	}
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				var told tally
				logs := &testkit.LogBuffer{}
				h := told.handler()
				h.Logger = slog.New(slog.NewTextHandler(logs, nil))
				srv := newServerOf(t, s, h)
				status, ans := send(t, srv, "/hooks/hubspot", c.body, "", now, secret)
				if leads, _ := ans["leads"].([]any); status != 200 || len(leads) != 1 || leads[0].(map[string]any)["unknown"] != true {
					t.Errorf("%d %v, want 200 with the contact unknown", status, ans)
				}
				if refused, ignored := told.take(); len(refused) > 0 || !slices.Equal(ignored, []string{connector.IgnoredUnknown}) {
					t.Errorf("refused %v, ignored %v; want ignored [%s] alone", refused, ignored, connector.IgnoredUnknown)
				}
				line := logs.String()
				for _, want := range append([]string{"level=" + c.level}, c.logged...) {
					if !strings.Contains(line, want) {
						t.Errorf("log %q lacks %s", line, want)
					}
				}
				for _, id := range []string{"7301", "7302", "7303"} {
					if strings.Contains(line, id) {
						t.Errorf("log %q names contact %s", line, id)
					}
				}
			})
		}
		for _, id := range []string{"7301", "7302", "7303"} {
			if _, err := s.LeadByExternalID(ctx, id); handoff.ErrorCode(err) != handoff.ENOTFOUND {
				t.Errorf("an event made lead %s: %v", id, err)
			}
		}
		// The contact itself, sent by a workflow, makes the lead.
		_, post := clockedServer(t, s, now)
		post(sqlContact(7301, changed))
		if _, err := s.LeadByExternalID(ctx, "7301"); err != nil {
			t.Errorf("contact 7301 sent whole: %v, want its lead made", err)
		}
	})
}
