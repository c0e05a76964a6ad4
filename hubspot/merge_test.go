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

// mergeContact is a chosen-properties body of contact id, an SQL last
// modified at modified, with the contacts merged into it (HubSpot's
// hs_merged_object_ids), or the whole contact's shape with merged-vids.
func mergeContact(id int, modified time.Time, classic bool, merged ...int) string {
	if classic {
		vids := ""
		for i, m := range merged {
			vids += map[bool]string{true: "", false: ", "}[i == 0] + fmt.Sprint(m)
		}
		return fmt.Sprintf(`{"vid": %d, "canonical-vid": %d, "merged-vids": [%s], "portal-id": 62515, "properties": {
			"email": {"value": "ann@berg.dk"}, "lifecyclestage": {"value": "salesqualifiedlead"},
			"lastmodifieddate": {"value": "%d"}}}`, id, id, vids, modified.UnixMilli())
	}
	ids := ""
	for i, m := range merged {
		ids += map[bool]string{true: "", false: ";"}[i == 0] + fmt.Sprint(m)
	}
	return fmt.Sprintf(`{"hs_object_id": %d, "email": "ann@berg.dk", "lifecyclestage": "salesqualifiedlead",
		"hs_lastmodifieddate": %d, "hs_merged_object_ids": %q}`, id, modified.UnixMilli(), ids)
}

// announcements counts the chat announcements queued for lead id.
func announcements(t *testing.T, s *storage.Store, id int64) (announce, refresh int) {
	t.Helper()
	msgs, err := s.OutboxMessages(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		switch m.Kind {
		case handoff.OutboxAnnounceLead:
			announce++
		case handoff.OutboxRefreshLead:
			refresh++
		}
	}
	return announce, refresh
}

// Two HubSpot contacts of one person, each an SQL with its card, merged
// in HubSpot: the person has one lead under the surviving contact's id,
// the one sales took first (its claim, owner and history), and the other
// is closed as merged, its card updated; no second card is announced,
// and the same merge delivered again, or a late delivery of the merged
// contact, changes nothing. A merged contact whose survivor Handoff does
// not know yet gives its lead the survivor's id: the survivor's delivery
// updates that lead rather than announce a second one.
func TestHubSpotMergeFoldsLeads(t *testing.T) {
	t1, t2, t3 := now.Add(-3*time.Minute), now.Add(-2*time.Minute), now.Add(-time.Minute)
	rep := handoff.Owner{Platform: "slack", UserID: "U0REP", Email: "rep@acme.dk"}
	for _, classic := range []bool{false, true} {
		t.Run(map[bool]string{false: "hs_merged_object_ids", true: "merged-vids"}[classic], func(t *testing.T) {
			storagetest.Each(t, func(t *testing.T, s *storage.Store) {
				ctx := context.Background()
				srv := newServer(t, s, "")
				post := func(body string) map[string]any {
					t.Helper()
					status, ans := send(t, srv, "/hooks/hubspot", body, "", now, secret)
					if status != 200 {
						t.Fatalf("%d %v", status, ans)
					}
					return ans
				}
				lead := func(id string) *handoff.Lead {
					t.Helper()
					l, err := s.LeadByExternalID(ctx, id)
					if err != nil {
						t.Fatalf("lead %s: %v", id, err)
					}
					return l
				}

				// 101 and 202 are SQLs with a card each; a rep claims 202.
				post(mergeContact(101, t1, classic))
				post(mergeContact(202, t1, classic))
				first, second := lead("101"), lead("202")
				if _, ok, err := s.ClaimLead(ctx, second.ID, rep, t2, handoff.Policy{}, "U0REP"); err != nil || !ok {
					t.Fatalf("claim: %v %v", ok, err)
				}

				// HubSpot merges 202 into 101.
				post(mergeContact(101, t3, classic, 202))
				kept, closed := lead("101"), lead("202")
				if kept.ID != second.ID || kept.Stage != handoff.StageClaimed || kept.Owner.UserID != rep.UserID {
					t.Errorf("lead of 101: id %d, stage %s, owner %+v; want the claimed lead %d, claimed, %s", kept.ID, kept.Stage, kept.Owner, second.ID, rep.UserID)
				}
				if closed.ID != first.ID || closed.Stage != handoff.StageLost || closed.Reason != handoff.MergedReason {
					t.Errorf("lead of 202: id %d, stage %s, reason %q; want lead %d lost as merged", closed.ID, closed.Stage, closed.Reason, first.ID)
				}
				if a, r := announcements(t, s, closed.ID); a != 1 || r == 0 {
					t.Errorf("closed lead: %d announcements, %d refreshes; want 1 and its card updated", a, r)
				}
				if a, _ := announcements(t, s, kept.ID); a != 1 {
					t.Errorf("kept lead: %d announcements, want 1", a)
				}
				events := map[int64]int{}
				for _, id := range []int64{kept.ID, closed.ID} {
					evs, err := s.Events(ctx, id)
					if err != nil {
						t.Fatal(err)
					}
					events[id] = len(evs)
				}

				// The same merge again (a newer state of 101), and a late
				// delivery of 202 from before the merge: nothing moves.
				post(mergeContact(101, now, classic, 202))
				if ans := post(mergeContact(202, t2, classic)); ans["leads"].([]any)[0].(map[string]any)["stale"] != true {
					t.Errorf("late delivery of the merged contact: %v, want stale", ans)
				}
				if again := lead("101"); again.ID != kept.ID || again.Stage != handoff.StageClaimed {
					t.Errorf("after the merge again: lead of 101 %d %s", again.ID, again.Stage)
				}
				if again := lead("202"); again.ID != closed.ID || again.Stage != handoff.StageLost {
					t.Errorf("after the merge again: lead of 202 %d %s", again.ID, again.Stage)
				}
				for id, n := range events {
					if evs, _ := s.Events(ctx, id); len(evs) != n {
						t.Errorf("lead %d: %d events after the merge again, want %d", id, len(evs), n)
					}
				}

				// 303 is known; HubSpot merges it into 404, which Handoff
				// never saw.
				post(mergeContact(303, t1, classic))
				third := lead("303")
				post(mergeContact(404, t3, classic, 303))
				if l := lead("404"); l.ID != third.ID {
					t.Errorf("lead of 404: id %d, want 303's lead %d", l.ID, third.ID)
				}
				if _, err := s.LeadByExternalID(ctx, "303"); handoff.ErrorCode(err) != handoff.ENOTFOUND {
					t.Errorf("lead of 303 after the merge: %v, want none", err)
				}
				if a, _ := announcements(t, s, third.ID); a != 1 {
					t.Errorf("303's lead: %d announcements, want 1", a)
				}
			})
		})
	}
}

// mergeEvent is a contact.merge event of HubSpot's webhooks API, as an
// app's subscription sends it (an array of events).
func mergeEvent(primary, newID int, merged ...int) string {
	ids := ""
	for i, m := range merged {
		ids += map[bool]string{true: "", false: ", "}[i == 0] + fmt.Sprint(m)
	}
	return fmt.Sprintf(`[{"eventId": 1001, "subscriptionId": 42, "portalId": 62515, "appId": 7, "occurredAt": %d,
		"subscriptionType": "contact.merge", "attemptNumber": 0, "objectId": %d, "changeFlag": "MERGED", "changeSource": "CRM_UI",
		"primaryObjectId": "%d", "mergedObjectIds": [%s], "newObjectId": %d, "numberOfPropertiesMoved": 4}]`,
		now.UnixMilli(), primary, primary, ids, newID)
}

// HubSpot's contact.merge event (an app's webhook subscription) folds the
// merged contacts' leads as the surviving contact's body does, into the
// new id HubSpot gave the merged contact when it gave one; it makes no
// lead of contacts Handoff does not know. An event of the webhooks API
// that Handoff does not take (a company's) is refused naming
// subscriptionType: it made an empty SQL with a card of its own.
func TestHubSpotMergeEvent(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		srv := newServer(t, s, "")
		// Other events carry no contact: none makes a lead.
		for _, kind := range []string{"company.propertyChange", "deal.creation"} {
			body := `[{"eventId": 1002, "subscriptionId": 43, "portalId": 62515, "appId": 7, "occurredAt": 1763620000000,
				"subscriptionType": "` + kind + `", "attemptNumber": 0, "objectId": 1111, "propertyName": "lifecyclestage",
				"propertyValue": "salesqualifiedlead", "changeSource": "CRM_UI"}]`
			status, ans := send(t, srv, "/hooks/hubspot", body, "", now, secret)
			if fields, _ := ans["fields"].(map[string]any); status != 400 || fields["[0].subscriptionType"] == nil {
				t.Errorf("%s event: %d %v, want 400 naming [0].subscriptionType", kind, status, ans)
			}
			if _, err := s.LeadByExternalID(ctx, "1111"); handoff.ErrorCode(err) != handoff.ENOTFOUND {
				t.Errorf("%s event made lead 1111: %v", kind, err)
			}
		}
		for _, id := range []int{505, 606} {
			if status, ans := send(t, srv, "/hooks/hubspot", mergeContact(id, now.Add(-time.Minute), false), "", now, secret); status != 200 {
				t.Fatalf("%d: %d %v", id, status, ans)
			}
		}
		first, _ := s.LeadByExternalID(ctx, "505")
		second, _ := s.LeadByExternalID(ctx, "606")

		// 505 and 606 merged into a contact of a new id, 707.
		if status, ans := send(t, srv, "/hooks/hubspot", mergeEvent(505, 707, 606), "", now, secret); status != 200 {
			t.Fatalf("merge event: %d %v", status, ans)
		}
		kept, err := s.LeadByExternalID(ctx, "707")
		if err != nil || kept.ID != first.ID {
			t.Fatalf("lead of 707: %+v, %v; want 505's lead %d (the earlier SQL)", kept, err, first.ID)
		}
		if closed, err := s.LeadByExternalID(ctx, "606"); err != nil || closed.ID != second.ID || !closed.MergedAway() {
			t.Errorf("lead of 606: %+v, %v; want %d closed as merged", closed, err, second.ID)
		}
		if _, err := s.LeadByExternalID(ctx, "505"); handoff.ErrorCode(err) != handoff.ENOTFOUND {
			t.Errorf("lead of 505: %v, want none (folded into 707)", err)
		}

		// A merge of contacts Handoff never saw makes no lead.
		if status, ans := send(t, srv, "/hooks/hubspot", mergeEvent(808, 0, 909), "", now, secret); status != 200 {
			t.Fatalf("merge of unknown contacts: %d %v", status, ans)
		}
		for _, id := range []string{"808", "909"} {
			if _, err := s.LeadByExternalID(ctx, id); handoff.ErrorCode(err) != handoff.ENOTFOUND {
				t.Errorf("lead of %s: %v, want none", id, err)
			}
		}

	})
}
