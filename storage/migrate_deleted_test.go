package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/connector"
	"github.com/handoff/handoff/storage/storagetest"
)

// Migrate records as deleted the HubSpot contacts an earlier version took
// a contact.deletion of before crm_versions kept deleted_ms: one whose
// lead the deletion closed (lost as deleted in HubSpot), and one whose
// won lead, or lead lost for another reason, it left as it was, known by
// the deletion's digest; a contact sent again since its deletion
// (restored) and a live one are not. It does so once: a contact restored
// after the upgrade, whose lead stays lost as deleted, is not marked
// again by a later Migrate.
func TestMigrateRecordsDeletedContacts(t *testing.T) {
	const email = "eva@dahl.dk"
	hubspot, policy := handoff.ActorHubSpot, handoff.DefaultPolicy()
	arrived := t0.Add(2 * time.Hour)
	cases := []struct {
		id string
		// before are what the earlier version took after the contact was
		// sent as an SQL at t0; after, what this one takes between two
		// Migrates: "won" (its lifecycle stage set to customer), "lost"
		// (a rep closes its lead for another reason), "deleted",
		// "restored" (sent again after the deletion) and "sent" (sent
		// again without its stage).
		before, after []string
		erased        bool
	}{
		{"801", []string{"deleted"}, nil, true},
		{"802", []string{"won", "deleted"}, nil, true},
		{"803", []string{"lost", "deleted"}, nil, true},
		{"804", []string{"deleted", "restored"}, nil, false},
		{"805", []string{"won"}, nil, false},
		{"806", []string{"deleted"}, []string{"sent"}, false},
	}
	for _, d := range storagetest.Dialects {
		t.Run(d, func(t *testing.T) {
			ctx := context.Background()
			s, raw := storagetest.OpenRaw(t, d)
			// save saves in as the hubspot connector does, at v.
			save := func(in handoff.LeadInput, v handoff.CRMVersion) {
				t.Helper()
				if _, _, err := connector.Save(func(in handoff.LeadInput) (handoff.SaveResult, error) {
					res, _, err := s.SaveLeadVersion(ctx, in, policy, arrived, hubspot, hubspot, v)
					return res, err
				}, in); err != nil {
					t.Fatalf("save %s: %v", in.ExternalID, err)
				}
			}
			// take takes step i of contact id, dated t0 + 10(i+1) minutes,
			// recording no deletion, as the earlier version did.
			take := func(id string, i int, step string) {
				t.Helper()
				at := t0.Add(time.Duration(10*(i+1)) * time.Minute)
				switch step {
				case "won":
					in := handoff.LeadInput{ExternalID: id, KnownOnly: true, Stage: handoff.StageWon, ChangedAt: &at}
					save(in, handoff.VersionOf(in, at))
				case "lost":
					in := handoff.LeadInput{ExternalID: id, Stage: handoff.StageLost, Reason: "went with a competitor"}
					if _, err := s.SaveLead(ctx, in, policy, arrived, handoff.ActorAPI); err != nil {
						t.Fatal(err)
					}
				case "deleted":
					in := handoff.HubSpotDeletion(id, at)
					save(in, handoff.VersionOf(in, at))
				case "restored", "sent":
					in := handoff.LeadInput{ExternalID: id, Email: email, Name: "Person " + id, Stage: handoff.StageSQL}
					if step == "sent" {
						in.Stage = ""
					}
					save(in, handoff.VersionOf(in, at))
				}
			}
			ids := map[string]int64{"800": savePersonLead(t, s, personLead{"800", email, hubspot, true}, nil, t0)}
			for _, c := range cases {
				ids[c.id] = savePersonLead(t, s, personLead{c.id, email, hubspot, c.erased}, nil, t0)
				for i, step := range c.before {
					take(c.id, i, step)
				}
			}
			for _, q := range []string{
				"ALTER TABLE crm_versions DROP COLUMN deleted_ms",
				"DELETE FROM data_migrations WHERE name = 'crm-versions-deleted'",
			} {
				if _, err := raw.Exec(q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			if err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			for _, c := range cases {
				for i, step := range c.after {
					take(c.id, len(c.before)+i, step)
				}
			}
			if err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			if n, err := s.ForgetCRMPerson(ctx, hubspot, "800", policy, t0.Add(3*time.Hour), hubspot); err != nil || n != 4 {
				t.Errorf("ForgetCRMPerson(800) = %d, %v; want 4 erased (800, 801, 802, 803)", n, err)
			}
			for _, c := range cases {
				got, err := s.Lead(ctx, ids[c.id])
				if err != nil {
					t.Fatal(err)
				}
				if erased := got.ErasedAt != nil; erased != c.erased {
					t.Errorf("lead of contact %s (%v): erased %v, stage %s, reason %q; want erased %v",
						c.id, c.before, erased, got.Stage, got.Reason, c.erased)
				}
			}
		})
	}
}
