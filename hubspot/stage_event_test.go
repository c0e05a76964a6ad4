package hubspot_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// propertyChange is a contact.propertyChange event of HubSpot's webhooks
// API: property of contact id set to value at occurred.
func propertyChange(id int, property, value string, occurred time.Time) string {
	return fmt.Sprintf(`[{"eventId": %d, "subscriptionId": 45, "portalId": 62515, "appId": 7, "occurredAt": %d,
		"subscriptionType": "contact.propertyChange", "attemptNumber": 0, "objectId": %d, "propertyName": %q,
		"propertyValue": %q, "changeSource": "CRM_UI", "sourceId": "userId:5"}]`, 4000+id, occurred.UnixMilli(), id, property, value)
}

// A contact.propertyChange of lifecyclestage moves the contact's lead to
// the stage it names, dated when HubSpot changed it (occurredAt), as a
// contact's own stage dates are, while an SQL so made is held to its
// deadlines from its arrival; a late delivery of the contact from before
// the change does not move it back. A change of another property is
// answered 200 and ignored, one of a contact Handoff has no lead of writes
// nothing, and an unknown stage is refused naming [0].propertyValue.
func TestHubSpotLifecycleStageChangeEvent(t *testing.T) {
	start := now.Add(-5 * time.Hour) // the lead is made then
	before, changed := start.Add(-time.Minute), now.Add(-3*time.Hour)
	policy := handoff.DefaultPolicy()
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		srv, post := clockedServer(t, s, start)
		post(fmt.Sprintf(`{"hs_object_id": 401, "email": "eva@x.dk", "lifecyclestage": "marketingqualifiedlead", "hs_lastmodifieddate": %d}`, before.UnixMilli()))
		srv.clock.Store(now.UnixMilli())

		post(propertyChange(401, "lifecyclestage", "salesqualifiedlead", changed))
		l, err := s.LeadByExternalID(ctx, "401")
		if err != nil {
			t.Fatal(err)
		}
		if l.Stage != handoff.StageSQL || l.SQLAt == nil || !l.SQLAt.Equal(changed) {
			t.Errorf("lead: stage %s, SQL at %v; want sql at %s (HubSpot's time)", l.Stage, l.SQLAt, changed)
		}
		if l.ContactDueAt == nil || !l.ContactDueAt.Equal(policy.ContactDue(now)) {
			t.Errorf("contact due %v, want %s (from its arrival)", l.ContactDueAt, policy.ContactDue(now))
		}
		post(fmt.Sprintf(`{"hs_object_id": 401, "email": "eva@x.dk", "lifecyclestage": "marketingqualifiedlead", "hs_lastmodifieddate": %d}`, changed.Add(-time.Minute).UnixMilli()))
		if again, _ := s.LeadByExternalID(ctx, "401"); again == nil || again.Stage != handoff.StageSQL {
			t.Errorf("after a late delivery from before the change: %+v, want it an SQL", again)
		}

		// Another property: taken, nothing changes.
		events, _ := s.Events(ctx, l.ID)
		ans := post(propertyChange(401, "email", "other@x.dk", now.Add(-time.Minute)))
		if leads, _ := ans["leads"].([]any); len(leads) != 1 || leads[0].(map[string]any)["ignored"] != true {
			t.Errorf("answer %v, want the change ignored", ans)
		}
		if evs, _ := s.Events(ctx, l.ID); len(evs) != len(events) {
			t.Errorf("%d events after an ignored change, want %d", len(evs), len(events))
		}
		if after, _ := s.LeadByExternalID(ctx, "401"); after == nil || after.Email != "eva@x.dk" {
			t.Errorf("lead after an ignored change: %+v", after)
		}

		// A contact Handoff has no lead of: nothing written.
		post(propertyChange(499, "lifecyclestage", "salesqualifiedlead", changed))
		if _, err := s.LeadByExternalID(ctx, "499"); handoff.ErrorCode(err) != handoff.ENOTFOUND {
			t.Errorf("a stage change made lead 499: %v", err)
		}

		// An unknown stage is refused, naming the value.
		status, bad := send(t, srv.server, "/hooks/hubspot", propertyChange(401, "lifecyclestage", "bogus", now), "", now, secret)
		if fields, _ := bad["fields"].(map[string]any); status != 400 || fields["[0].propertyValue"] == nil {
			t.Errorf("unknown stage: %d %v, want 400 naming [0].propertyValue", status, bad)
		}
	})
}
