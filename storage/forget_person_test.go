package storage_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// personLead is a lead of a ForgetCRMPerson test: its external id, its
// email and where it came from (a CRM, handoff.ActorHubSpot or
// handoff.ActorSalesforce, which saves it as that CRM's record; the API
// or an import, which link it to none), and whether the erasure takes it.
type personLead struct {
	id, email, from string
	erased          bool
}

// savePersonLead saves l as an SQL at now, as it comes from l.from.
func savePersonLead(t *testing.T, s *storage.Store, l personLead, merged []string, now time.Time) int64 {
	t.Helper()
	ctx := context.Background()
	in := input(t, map[string]any{"external_id": l.id, "email": l.email, "name": "Person " + l.id, "stage": "sql"})
	in.Merged = merged
	var res handoff.SaveResult
	var err error
	switch l.from {
	case handoff.ActorHubSpot, handoff.ActorSalesforce:
		res, _, err = s.SaveLeadVersion(ctx, in, handoff.DefaultPolicy(), now, l.from, l.from, handoff.CRMVersion{Modified: now})
	default:
		res, err = s.SaveLead(ctx, in, handoff.DefaultPolicy(), now, l.from)
	}
	if err != nil {
		t.Fatalf("save %s lead %s: %v", l.from, l.id, err)
	}
	return res.Lead.ID
}

// erasureNotices counts the erasure's messages of lead id in the outbox:
// the chat update to the erased view and the lead.erased webhooks.
func erasureNotices(t *testing.T, s *storage.Store, id int64) (cards, webhooks int) {
	t.Helper()
	msgs, err := s.OutboxMessages(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		var n handoff.WebhookNotice
		switch {
		case m.Kind == handoff.OutboxEraseLead:
			cards++
		case m.Kind == handoff.OutboxWebhook && json.Unmarshal([]byte(m.Payload), &n) == nil && n.Type == handoff.WebhookErased:
			webhooks++
		}
	}
	return cards, webhooks
}

// closeContact closes the lead of HubSpot contact id at at, lost for
// reason, as the hubspot connector stores a lifecycle stage change or,
// with handoff.HubSpotDeletedReason, a contact.deletion (the contact
// deleted: handoff.CRMVersion.Deleted).
func closeContact(t *testing.T, s *storage.Store, id, reason string, at time.Time) {
	t.Helper()
	in := handoff.LeadInput{ExternalID: id, KnownOnly: true, Stage: handoff.StageLost, Reason: reason, ChangedAt: &at}
	version := handoff.VersionOf(in, at)
	if reason == handoff.HubSpotDeletedReason {
		in = handoff.HubSpotDeletion(id, at)
		version = handoff.VersionOf(in, at)
		version.Deleted = true
	}
	if _, _, err := s.SaveLeadVersion(context.Background(), in, handoff.DefaultPolicy(), at, handoff.ActorHubSpot, handoff.ActorHubSpot,
		version); err != nil {
		t.Fatalf("close contact %s: %v", id, err)
	}
}

// A HubSpot contact's erasure takes the person's leads and no one else's:
// the contact's own, those of the contacts merged with it, and those
// with one of their email addresses that no CRM names as another live
// record (the API's, an import's, a HubSpot contact's deleted in HubSpot
// before); a lead another HubSpot contact or a Salesforce lead holds with
// the same address (info@ a company, shared) is another person's and
// stays, lost or not. Each lead erased has its chat cards
// updated and its lead.erased webhook queued; a lead kept has neither.
func TestForgetCRMPersonErasesThePersonOnly(t *testing.T) {
	const hubspot, salesforce, api, imported = handoff.ActorHubSpot, handoff.ActorSalesforce, handoff.ActorAPI, handoff.ActorImport
	const deleted = handoff.HubSpotDeletedReason
	cases := []struct {
		name  string
		leads []personLead
		merge map[string][]string // a contact saved again with the contacts merged into it
		// closed are the contacts whose leads were lost before the
		// erasure, by reason: handoff.HubSpotDeletedReason for a
		// contact deleted in HubSpot (contact.deletion).
		closed map[string]string
		erase  string
		wanted int
	}{
		{"shared address", []personLead{
			{"101", "info@berg.dk", hubspot, true},
			{"102", "info@berg.dk", hubspot, false},
			{"api-101", "info@berg.dk", api, true},
			{"csv-101", "info@berg.dk", imported, true},
			{"00Q5g00000AbCdEAAZ", "info@berg.dk", salesforce, false},
			{"api-102", "bo@berg.dk", api, false},
			{"103", "", hubspot, false},
		}, nil, nil, "101", 3},
		{"merged contact's address", []personLead{
			{"201", "a@holm.dk", hubspot, true},
			{"202", "b@holm.dk", hubspot, true},
			{"api-201", "b@holm.dk", api, true},
			{"203", "b@holm.dk", hubspot, false},
			{"00Q5g00000XyZwVAAZ", "a@holm.dk", salesforce, false},
		}, map[string][]string{"201": {"202"}}, nil, "201", 3},
		{"deleted contact's address", []personLead{
			{"401", "eva@dahl.dk", hubspot, true},
			{"402", "eva@dahl.dk", hubspot, true},
			{"403", "eva@dahl.dk", hubspot, false},
			{"404", "eva@dahl.dk", hubspot, false},
			{"405", "ib@dahl.dk", hubspot, false},
			{"api-401", "eva@dahl.dk", api, true},
			{"00Q5g00000DeLeTAAZ", "eva@dahl.dk", salesforce, false},
		}, nil, map[string]string{"402": deleted, "404": "went with a competitor", "405": deleted}, "401", 3},
	}
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		s.RouteWebhooks([]handoff.WebhookRoute{{Key: "wh:crm", Events: []handoff.WebhookEvent{handoff.WebhookErased}}})
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				ids := map[string]int64{}
				for _, l := range c.leads {
					ids[l.id] = savePersonLead(t, s, l, nil, t0)
				}
				for id, reason := range c.closed {
					closeContact(t, s, id, reason, t0.Add(30*time.Minute))
				}
				for survivor, merged := range c.merge {
					for _, l := range c.leads {
						if l.id == survivor {
							savePersonLead(t, s, l, merged, t0.Add(time.Minute))
						}
					}
				}
				n, err := s.ForgetCRMPerson(ctx, hubspot, c.erase, handoff.DefaultPolicy(), t0.Add(time.Hour), hubspot)
				if err != nil || n != c.wanted {
					t.Errorf("ForgetCRMPerson(%s) = %d, %v; want %d erased", c.erase, n, err, c.wanted)
				}
				for _, l := range c.leads {
					got, err := s.Lead(ctx, ids[l.id])
					if err != nil {
						t.Fatal(err)
					}
					if erased := got.ErasedAt != nil; erased != l.erased || erased != (got.Name == "") {
						t.Errorf("%s lead %s (%s): erased %v, name %q; want erased %v", l.from, l.id, l.email, erased, got.Name, l.erased)
					}
					want := 0
					if l.erased {
						want = 1
					}
					if cards, webhooks := erasureNotices(t, s, ids[l.id]); cards != want || webhooks != want {
						t.Errorf("%s lead %s: %d card updates to the erased view, %d lead.erased webhooks; want %d of each", l.from, l.id, cards, webhooks, want)
					}
				}
			})
		}
	})
}

// An erasure of a person's leads is one transaction: when the database
// refuses one of them, none is erased and no notice of it is queued, so
// the CRM's retry finds the person whole.
func TestForgetCRMPersonFailingErasesNone(t *testing.T) {
	for _, d := range storagetest.Dialects {
		t.Run(d, func(t *testing.T) {
			s, raw := storagetest.OpenRaw(t, d)
			s.RouteWebhooks([]handoff.WebhookRoute{{Key: "wh:crm", Events: []handoff.WebhookEvent{handoff.WebhookErased}}})
			ctx := context.Background()
			leads := []personLead{{"301", "c@dahl.dk", handoff.ActorHubSpot, true}, {"api-301", "c@dahl.dk", handoff.ActorAPI, true}}
			var ids []int64
			for _, l := range leads {
				ids = append(ids, savePersonLead(t, s, l, nil, t0))
			}
			// The last in the order of ids, erased after the contact's.
			storagetest.FailErasureOf(t, raw, d, "api-301")
			if n, err := s.ForgetCRMPerson(ctx, handoff.ActorHubSpot, "301", handoff.DefaultPolicy(), t0.Add(time.Hour), handoff.ActorHubSpot); err == nil || handoff.ErrorCode(err) == handoff.ENOTFOUND {
				t.Fatalf("ForgetCRMPerson = %d, %v; want the database's refusal", n, err)
			}
			for i, id := range ids {
				got, err := s.Lead(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if got.ErasedAt != nil || got.Name == "" || got.ExternalID != leads[i].id {
					t.Errorf("lead %s after the failed erasure: erased %v, name %q, id %q; want it whole", leads[i].id, got.ErasedAt, got.Name, got.ExternalID)
				}
				if cards, webhooks := erasureNotices(t, s, id); cards+webhooks != 0 {
					t.Errorf("lead %s: %d card updates and %d webhooks queued by a failed erasure", leads[i].id, cards, webhooks)
				}
			}
		})
	}
}
