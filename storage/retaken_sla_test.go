package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// A CRM's SQL dated three hours before it arrived, recycled before
// contact and taken up again, is held to the contact deadline it was
// given on arrival, read back from the store: the clock's start is kept
// with the lead (sla_from_ms) between the saves.
func TestRetakenCRMSQLKeepsItsDeadline(t *testing.T) {
	policy := handoff.DefaultPolicy()
	arrival := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	made := arrival.Add(-3 * time.Hour)
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		save := func(in handoff.LeadInput, now time.Time) *handoff.Lead {
			t.Helper()
			if _, err := s.SaveLead(ctx, in, policy, now, handoff.ActorSalesforce); err != nil {
				t.Fatalf("%s: %v", in.Stage, err)
			}
			l, err := s.LeadByExternalID(ctx, in.ExternalID)
			if err != nil {
				t.Fatal(err)
			}
			return l
		}
		l := save(handoff.LeadInput{ExternalID: "00Q5g00000Ret", Email: "ret@x.dk", Stage: handoff.StageSQL, ChangedAt: &made}, arrival)
		if l.SQLAt == nil || !l.SQLAt.Equal(made) || l.SLAFrom == nil || !l.SLAFrom.Equal(arrival) {
			t.Fatalf("SQL at %v, clock from %v; want %s and %s", l.SQLAt, l.SLAFrom, made, arrival)
		}
		given := *l.ContactDueAt
		save(handoff.LeadInput{ExternalID: "00Q5g00000Ret", Stage: handoff.StageRecycled, Reason: "not now"}, arrival.Add(time.Hour))
		l = save(handoff.LeadInput{ExternalID: "00Q5g00000Ret", Stage: handoff.StageClaimed}, arrival.Add(2*time.Hour))
		if l.ContactDueAt == nil || !l.ContactDueAt.Equal(given) || !given.Equal(policy.ContactDue(arrival)) {
			t.Errorf("taken up again: contact due %v, want %s, the deadline given on arrival", l.ContactDueAt, given)
		}
	})
}
