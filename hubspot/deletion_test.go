package hubspot_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/hubspot"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// contactEvent is one event of HubSpot's webhooks API (an app's
// subscription) about contact id, made at occurred.
func contactEvent(kind string, id int, occurred time.Time) string {
	return fmt.Sprintf(`{"eventId": %d, "subscriptionId": 44, "portalId": 62515, "appId": 7, "occurredAt": %d,
		"subscriptionType": %q, "attemptNumber": 0, "objectId": %d, "changeSource": "CRM_UI"}`, 3000+id, occurred.UnixMilli(), kind, id)
}

// sqlContact is a chosen-properties body of contact id, an SQL with an
// email of its own, last modified at modified.
func sqlContact(id int, modified time.Time) string {
	return fmt.Sprintf(`{"hs_object_id": %d, "firstname": "Ann", "email": "c%d@berg.dk", "lifecyclestage": "salesqualifiedlead",
		"hs_lastmodifieddate": %d}`, id, id, modified.UnixMilli())
}

// clockedServer is newServerOf with a clock the test moves (clock, in
// Unix milliseconds), starting at start, and post, which sends a body
// signed at that clock and wants 200.
func clockedServer(t *testing.T, s *storage.Store, start time.Time) (*clocked, func(string) map[string]any) {
	t.Helper()
	c := &clocked{}
	c.clock.Store(start.UnixMilli())
	at := func() time.Time { return time.UnixMilli(c.clock.Load()).UTC() }
	c.server = newServerOf(t, s, hubspot.Handler{Now: at})
	return c, func(body string) map[string]any {
		t.Helper()
		status, ans := send(t, c.server, "/hooks/hubspot", body, "", at(), secret)
		if status != 200 {
			t.Fatalf("%d %v", status, ans)
		}
		return ans
	}
}

// clocked is a server whose handler reads clock.
type clocked struct {
	*server
	clock atomic.Int64
}

// A contact deleted in HubSpot (contact.deletion) closes its open lead:
// lost with the reason "deleted in HubSpot", dated when HubSpot deleted
// it, its SLA clock stopped and its card updated, its data kept; a late
// delivery of the contact from before the deletion does not bring it
// back. A contact erased at the person's request (contact.privacyDeletion,
// which HubSpot follows or precedes with a contact.deletion) has its lead
// erased as Handoff's own erasure does, HubSpot recorded as who asked.
// Events about contacts Handoff has no lead of are answered 200 and write
// nothing: a delivery of such a contact from before the event still makes
// its lead.
func TestHubSpotDeletionEvents(t *testing.T) {
	start := now.Add(-2 * time.Hour) // the leads are made then
	before, deleted := start.Add(-time.Minute), now.Add(-10*time.Minute)
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		srv, post := clockedServer(t, s, start)
		for _, id := range []int{301, 302, 303} {
			post(sqlContact(id, before))
		}
		srv.clock.Store(now.UnixMilli())
		open, err := s.LeadByExternalID(ctx, "301")
		if err != nil {
			t.Fatal(err)
		}
		_, refreshed := announcements(t, s, open.ID)

		// 301 deleted: lost, kept, its clock stopped, its card updated.
		post("[" + contactEvent("contact.deletion", 301, deleted) + "]")
		closed, err := s.LeadByExternalID(ctx, "301")
		if err != nil {
			t.Fatalf("lead of 301: %v", err)
		}
		if closed.Stage != handoff.StageLost || closed.Reason != hubspot.DeletedReason || closed.ErasedAt != nil || closed.Email != "c301@berg.dk" {
			t.Errorf("lead of 301: stage %s, reason %q, erased %v, email %q; want lost, %q, its data kept",
				closed.Stage, closed.Reason, closed.ErasedAt, closed.Email, hubspot.DeletedReason)
		}
		if due, pending := closed.NextSLADue(); pending {
			t.Errorf("deleted lead's SLA clock still due at %s", due)
		}
		if _, r := announcements(t, s, closed.ID); r <= refreshed {
			t.Errorf("deleted lead's card not updated: %d refreshes, %d before", r, refreshed)
		}
		events, err := s.Events(ctx, closed.ID)
		if err != nil {
			t.Fatal(err)
		}
		last := events[len(events)-1]
		if last.Stage != handoff.StageLost || !last.At.Equal(deleted) || last.Actor != hubspot.Actor {
			t.Errorf("last event %+v, want lost at %s by %s", last, deleted, hubspot.Actor)
		}
		// Delivered again, and a late delivery from before: nothing moves.
		post("[" + contactEvent("contact.deletion", 301, deleted) + "]")
		post(sqlContact(301, before.Add(time.Minute)))
		if again, _ := s.LeadByExternalID(ctx, "301"); again == nil || again.Stage != handoff.StageLost {
			t.Errorf("lead of 301 after a late delivery: %+v, want it lost", again)
		}
		if evs, _ := s.Events(ctx, closed.ID); len(evs) != len(events) {
			t.Errorf("%d events after the repeat and the late delivery, want %d", len(evs), len(events))
		}

		// 302 and 303 erased at the person's request, the deletion event
		// before and after the erasure's, in one body each.
		for _, body := range []string{
			"[" + contactEvent("contact.privacyDeletion", 302, deleted) + "," + contactEvent("contact.deletion", 302, deleted) + "]",
			"[" + contactEvent("contact.deletion", 303, deleted) + "," + contactEvent("contact.privacyDeletion", 303, deleted) + "]",
		} {
			post(body)
		}
		for _, id := range []string{"302", "303"} {
			if _, err := s.LeadByExternalID(ctx, id); handoff.ErrorCode(err) != handoff.ENOTFOUND {
				t.Errorf("lead of %s: %v, want it erased", id, err)
			}
			erased, err := s.ErasedLeadByExternalID(ctx, id)
			if err != nil || erased.ErasedAt == nil || erased.Email != "" {
				t.Fatalf("erased lead of %s: %+v, %v", id, erased, err)
			}
			evs, err := s.Events(ctx, erased.ID)
			if err != nil {
				t.Fatal(err)
			}
			if e := evs[len(evs)-1]; e.Kind != handoff.EventErased || e.Actor != hubspot.Actor {
				t.Errorf("lead of %s: last event %s by %q, want erased by %s", id, e.Kind, e.Actor, hubspot.Actor)
			}
		}

		// Unknown contacts: 200, nothing written.
		ans := post("[" + contactEvent("contact.deletion", 404, deleted) + "," + contactEvent("contact.privacyDeletion", 405, deleted) + "]")
		if leads, _ := ans["leads"].([]any); len(leads) != 2 || leads[0].(map[string]any)["unknown"] != true || leads[1].(map[string]any)["unknown"] != true {
			t.Errorf("answer %v, want both contacts unknown", ans)
		}
		for _, id := range []string{"404", "405"} {
			if _, err := s.LeadByExternalID(ctx, id); handoff.ErrorCode(err) != handoff.ENOTFOUND {
				t.Errorf("event made lead %s: %v", id, err)
			}
		}
		post(sqlContact(404, before))
		if _, err := s.LeadByExternalID(ctx, "404"); err != nil {
			t.Errorf("contact 404 from before the deletion of an unknown contact: %v, want its lead made", err)
		}

		// An event without its contact's id or time is refused, naming it.
		status, bad := send(t, srv.server, "/hooks/hubspot", `[{"subscriptionType": "contact.deletion", "objectId": "x", "portalId": 62515}]`, "", now, secret)
		if fields, _ := bad["fields"].(map[string]any); status != 400 || fields["[0].objectId"] == nil || fields["[0].occurredAt"] == nil {
			t.Errorf("bad deletion event: %d %v, want 400 naming [0].objectId and [0].occurredAt", status, bad)
		}
	})
}
