package storage_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// Teams reps the agreement names by email, who claim as Bot Framework
// users 29:ann and 29:bo.
var (
	annByEmail = handoff.RepRef{Platform: "teams", ID: "ann.berg@example.com"}
	boByEmail  = handoff.RepRef{Platform: "teams", ID: "bo.lund@example.com"}
)

// emailedLeadOf stores an SQL of company (its contact's email
// "buyer@<company>.example", saveSQL's) offered to rep at at and claimed
// two minutes later by Teams user claimer, the lead's owner, whose email
// is not known yet: the claim accepts the offer once it is (as
// RecordOwnerEmail gives it).
func emailedLeadOf(t *testing.T, s *storage.Store, ext, company string, rep handoff.RepRef, claimer string, at time.Time) *handoff.Lead {
	t.Helper()
	lead := saveSQL(t, s, ext, company, at)
	d, err := json.Marshal(handoff.RouteDecision{At: at, Offered: rep, Candidates: []handoff.Availability{{Rep: rep}}})
	if err != nil {
		t.Fatal(err)
	}
	offer := handoff.Event{Kind: handoff.EventRouted, Stage: handoff.StageSQL, At: at, Actor: handoff.ActorSystem,
		Details: map[string]string{"offered": rep.Key(), "decision": string(d)}}
	claim := handoff.Event{Kind: handoff.EventStage, Stage: handoff.StageClaimed, At: at.Add(2 * time.Minute), Actor: "teams:" + claimer}
	_, err = s.UpdateLead(context.Background(), lead.ID, at.Add(2*time.Minute), func(l *handoff.Lead) (handoff.LeadChange, error) {
		l.Owner = handoff.Owner{Platform: "teams", UserID: claimer}
		return handoff.LeadChange{Events: []handoff.Event{offer, claim}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return lead
}

// setOwner gives lead id the owner o (a new email, a new user id).
func setOwner(s *storage.Store, id int64, o handoff.Owner, now time.Time) error {
	_, err := s.UpdateLead(context.Background(), id, now, func(l *handoff.Lead) (handoff.LeadChange, error) {
		l.Owner = o
		return handoff.LeadChange{}, nil
	})
	return err
}

// namesNoEmail fails t when err is nil, names one of the addresses, or
// does not hold want (what failed, naming the rep as RepLogKey does).
func namesNoEmail(t *testing.T, what string, err error, want string, addresses ...string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error", what)
		return
	}
	for _, a := range addresses {
		if strings.Contains(strings.ToLower(err.Error()), a) {
			t.Errorf("%s: the error names %s: %v", what, a, err)
			return
		}
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("%s: error %q does not say %q", what, err, want)
	}
}

// TestRoutingMedianErrorsNameNoEmail: the routing measure's medians name
// the rep whose accepts they could not read; a rep the agreement names by
// email is named "teams:(email)", and a failed read of the delays names
// no rep. The day's counts (routing_days) are made to disagree with the
// delays (routing_facts) by deleting the rep's facts under the store, and
// then the delays' table is renamed away.
func TestRoutingMedianErrorsNameNoEmail(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			s, raw := storagetest.OpenRaw(t, dialect)
			ctx := context.Background()
			day := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
			lead := emailedLeadOf(t, s, "med-email", "Acme", annByEmail, "29:ann", day.Add(10*time.Hour))
			if err := setOwner(s, lead.ID, handoff.Owner{Platform: "teams", UserID: "29:ann", Email: annByEmail.ID}, day.Add(11*time.Hour)); err != nil {
				t.Fatal(err)
			}
			got, err := s.RoutingStats(ctx, day, day.Add(24*time.Hour)) // one whole day: its counts from routing_days
			if err != nil || len(got.PerRep) != 1 || got.PerRep[0].Rep != annByEmail || got.PerRep[0].MedianOfferToAccept != 2*time.Minute {
				t.Fatalf("routing stats = %+v, %v; want %s's offer accepted in 2m", got.PerRep, err, annByEmail.Key())
			}
			if _, err := raw.Exec("DELETE FROM routing_facts WHERE rep = '" + annByEmail.Key() + "'"); err != nil {
				t.Fatal(err)
			}
			_, err = s.RoutingStats(ctx, day, day.Add(24*time.Hour))
			namesNoEmail(t, "an accept whose delay is gone", err, "median of teams:(email): 0 middle values of 1 accepts", annByEmail.ID)
			if _, err := raw.Exec("ALTER TABLE routing_facts RENAME TO routing_facts_gone"); err != nil {
				t.Fatal(err)
			}
			_, err = s.RoutingStats(ctx, day, day.Add(24*time.Hour))
			namesNoEmail(t, "the delays' table gone", err, "storage: routing stats: medians: ", annByEmail.ID)
		})
	}
}

// TestRoutingRefreshErrorsNameNoEmail: the writes that count a Teams
// rep's routed leads anew (the owner's email learnt, the user's Entra id
// learnt, a lead owned by a rep named by address, an erasure) fail when
// the routing rollup's facts table is gone from under the store; their
// errors name the Teams user by Bot Framework id, a rep of an address as
// "teams:(email)", and neither the rep's address nor the lead's.
func TestRoutingRefreshErrorsNameNoEmail(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			s, raw := storagetest.OpenRaw(t, dialect)
			at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
			lead := emailedLeadOf(t, s, "refresh-email", "Acme", boByEmail, "29:bo", at)
			addresses := []string{boByEmail.ID, "buyer@acme.example"}
			if _, err := raw.Exec("ALTER TABLE routing_facts RENAME TO routing_facts_gone"); err != nil {
				t.Fatal(err)
			}
			later := at.Add(time.Hour)
			err := setOwner(s, lead.ID, handoff.Owner{Platform: "teams", UserID: "29:bo", Email: boByEmail.ID}, later)
			namesNoEmail(t, "the owner's email learnt", err, "rollup: routed leads of teams:29:bo: ", addresses...)
			err = s.SaveTeamsUser(context.Background(), handoff.TeamsUser{ID: "29:bo", AADObjectID: "0f3a6e1c-8d2b-4c55-9a11-2b3c4d5e6f70"}, later)
			namesNoEmail(t, "the user's Entra id learnt", err, "rollup: routed leads of teams:29:bo: ", addresses...)
			err = setOwner(s, lead.ID, handoff.Owner{Platform: "teams", UserID: boByEmail.ID, Email: boByEmail.ID}, later)
			namesNoEmail(t, "an owner named by address", err, "rollup: routed leads of teams:(email): ", addresses...)
			err = s.ForgetLead(context.Background(), "refresh-email", handoff.DefaultPolicy(), later)
			namesNoEmail(t, "the lead erased", err, "rollup: routing facts: ", addresses...)
		})
	}
}
