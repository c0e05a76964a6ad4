package storage_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestOnQueuedForANotesRefresh: a change of a known SQL's owner, name or
// company alone, through the API, a CRM or an import, records no event
// but queues the refresh of its chat messages that renders the managers'
// notes naming it (handoff.NotesRefresh), and the store's hook is called
// for it, as for any other chat work: the outbox worker delivers it now,
// not at its next look.
func TestOnQueuedForANotesRefresh(t *testing.T) {
	policy := handoff.DefaultPolicy()
	tests := []struct {
		name string
		in   handoff.LeadInput // of the SQL "sql"
		save func(s *storage.Store, in handoff.LeadInput) error
	}{
		{"an owner from the API", handoff.LeadInput{OwnerEmail: "bo@acme.dk"}, apiSave},
		{"renamed by a CRM", handoff.LeadInput{Name: "Bo Berg"}, crmSave},
		{"another company in an import", handoff.LeadInput{Company: "Berg & Co"}, importSave},
		{"an owner in an import", handoff.LeadInput{OwnerEmail: "bo@acme.dk"}, importSave},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			storagetest.Each(t, func(t *testing.T, s *storage.Store) {
				ctx := context.Background()
				score := 80
				res, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: "sql", Name: "Ann", Company: "Acme", Score: &score}, policy, t0, handoff.ActorAPI)
				if err != nil {
					t.Fatal(err)
				}
				if res.Lead.SQLAt == nil {
					t.Fatalf("lead %+v is not an SQL", res.Lead)
				}
				before, err := s.OutboxMessages(ctx, res.Lead.ID)
				if err != nil {
					t.Fatal(err)
				}
				var calls atomic.Int64
				s.OnQueued(func() { calls.Add(1) })
				in := tt.in
				in.ExternalID = "sql"
				if err := tt.save(s, in); err != nil {
					t.Fatal(err)
				}
				msgs, err := s.OutboxMessages(ctx, res.Lead.ID)
				if err != nil {
					t.Fatal(err)
				}
				added := msgs[len(before):]
				if len(added) != 1 || added[0].Kind != handoff.OutboxRefreshLead {
					t.Fatalf("queued %+v, want the refresh of the lead's chat messages", added)
				}
				if got := calls.Load(); got != 1 {
					t.Errorf("the hook was called %d times for the refresh, want once", got)
				}
			})
		})
	}
}

// apiSave, crmSave and importSave save in through the API's SaveLead, a
// CRM's versioned save and an import's SaveLeads, an hour after t0.
func apiSave(s *storage.Store, in handoff.LeadInput) error {
	_, err := s.SaveLead(context.Background(), in, handoff.DefaultPolicy(), t0.Add(time.Hour), handoff.ActorAPI)
	return err
}

func crmSave(s *storage.Store, in handoff.LeadInput) error {
	at := t0.Add(time.Hour)
	_, _, err := s.SaveLeadVersion(context.Background(), in, handoff.DefaultPolicy(), at, handoff.ActorSalesforce, handoff.ActorSalesforce, handoff.CRMVersion{Modified: at})
	return err
}

func importSave(s *storage.Store, in handoff.LeadInput) error {
	_, errs, err := s.SaveLeads(context.Background(), []handoff.LeadInput{in}, handoff.DefaultPolicy(), t0.Add(time.Hour), handoff.ActorImport)
	if err != nil {
		return err
	}
	return errs[0]
}
