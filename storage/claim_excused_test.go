package storage_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestClaimExcusesAnUnshownCard claims, on each of the store's claim paths
// (a transaction of its own, decided in the batch's writer, decided on the
// read before the batch) and on both databases, an SQL past its stored
// claim deadline before the SLA clock's tick moved it: with
// sla.excuse_system_delay, one whose card has not been shown in its SQL
// cycle (never, or only in an earlier one) is claimed in time, as the
// clock holds its deadline moved past the claim; one shown in this cycle,
// one whose claim was escalated already, and any without the excuse are
// claimed late. The lead the store returns and the one it stored agree,
// and keep the claim deadline the clock held the lead to at the claim: an
// excused one moved on to the claim window counted from the claim, so the
// claim is not after it; any other the stored one.
func TestClaimExcusesAnUnshownCard(t *testing.T) {
	sqlAt := t0
	due := sqlAt.Add(2 * time.Hour) // the default claim window
	late, early := due.Add(30*time.Minute), due.Add(-time.Minute)
	shownEarlier, shownSince := sqlAt.Add(-24*time.Hour), sqlAt.Add(5*time.Minute)
	cases := []struct {
		name     string
		shown    *time.Time
		claimEsc *time.Time
		claimAt  time.Time
		excuse   bool
		breached bool
		claimDue time.Time // as the claim leaves it
	}{
		{"never shown, excused", nil, nil, late, true, false, late.Add(2 * time.Hour)},
		{"shown in an earlier cycle, excused", &shownEarlier, nil, late, true, false, late.Add(2 * time.Hour)},
		{"never shown, without the excuse", nil, nil, late, false, true, due},
		{"shown in this cycle", &shownSince, nil, late, true, true, due},
		{"escalated already", nil, &due, late, true, true, due},
		{"before the deadline, never shown", nil, nil, early, true, false, due},
		{"before the deadline, without the excuse", nil, nil, early, false, false, due},
	}
	for _, d := range storagetest.Dialects {
		for _, path := range []string{"transaction", "batch", "read first"} {
			t.Run(d+"/"+path, func(t *testing.T) {
				ctx := context.Background()
				s := storagetest.Open(t, d)
				if path == "transaction" {
					s.ClaimInTransaction()
				}
				rep := handoff.Owner{Platform: "slack", UserID: "U1"}
				for i, c := range cases {
					p := handoff.DefaultPolicy()
					p.ExcuseSystemDelay = c.excuse
					contactDue := p.ContactDue(sqlAt)
					l := ruleLead{stage: handoff.StageSQL, reached: handoff.StageSQL, claimDue: &due, contactDue: &contactDue, shown: c.shown, claimEsc: c.claimEsc, breached: c.claimEsc != nil}
					id, err := s.PutOnlyLead(ctx, l.lead(fmt.Sprint("excused-", i), sqlAt))
					if err != nil {
						t.Fatal(err)
					}
					var returned *handoff.Lead
					var won bool
					if path == "read first" {
						returned, won, err = s.ClaimLeadIf(ctx, id, rep, c.claimAt, p, "slack:U1", handoff.Delivery{}, func(*handoff.Lead) error { return nil }, nil)
					} else {
						returned, won, err = s.ClaimLead(ctx, id, rep, c.claimAt, p, "slack:U1")
					}
					if err != nil || !won {
						t.Fatalf("%s: claim won %v, err %v", c.name, won, err)
					}
					stored, err := s.Lead(ctx, id)
					if err != nil {
						t.Fatal(err)
					}
					if returned.SLABreached != c.breached || stored.SLABreached != c.breached {
						t.Errorf("%s: breached %v as returned, %v as stored; want %v", c.name, returned.SLABreached, stored.SLABreached, c.breached)
					}
					for what, l := range map[string]*handoff.Lead{"returned": returned, "stored": stored} {
						if l.ClaimDueAt == nil || !l.ClaimDueAt.Equal(c.claimDue) {
							t.Errorf("%s: claim due %v as %s, want %s", c.name, l.ClaimDueAt, what, c.claimDue)
						}
					}
				}
			})
		}
	}
}
