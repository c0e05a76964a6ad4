package handoff_test

import (
	"testing"
	"time"

	"github.com/handoff/handoff"
)

// TestClaimKeepsTheContactDeadline: a claim never sets the contact
// deadline. The promise runs from the SQL's arrival (the README: the
// same SLA clock, which runs from the SQL time; DOMAIN.md: contacted
// within 48 hours of receiving it), so a claim leaves a deadline as it
// was, under business hours, across a weekend and a release too; and an
// unclaimed SQL held to none, its person erased after its claim deadline
// (StopSLAOnErasure), stays held to none once claimed: not a deadline
// that passed at its arrival, which the next tick would escalate as a
// breach. storage's TestClaimPathsKeepTheContactDeadline claims the same
// leads through the store.
func TestClaimKeepsTheContactDeadline(t *testing.T) {
	cph, err := time.LoadLocation("Europe/Copenhagen")
	if err != nil {
		t.Fatal(err)
	}
	weekdays := &handoff.BusinessHours{Days: [7]bool{false, true, true, true, true, true, false}, Start: 8 * time.Hour, End: 17 * time.Hour}
	office := handoff.Policy{Location: cph, ClaimWithin: 2 * time.Hour, ContactWithin: 16 * time.Hour,
		RemindBefore: []time.Duration{4 * time.Hour}, BusinessHours: weekdays}
	allDay := handoff.DefaultPolicy()
	allDay.RemindBefore = []time.Duration{6 * time.Hour}
	released := allDay
	released.ReleaseOnBreach = true
	// Friday 20 November 2026, 15:00 in Copenhagen: the office's deadlines
	// run into Monday and Tuesday.
	arrival := time.Date(2026, 11, 20, 15, 0, 0, 0, cph)
	at := func(d time.Duration) time.Time { return arrival.Add(d) }
	type step struct {
		do string // "claim", "erase", "release" or "tick"
		at time.Duration
	}
	for _, c := range []struct {
		name    string
		policy  handoff.Policy
		before  []step        // after the SQL's arrival, before the claim
		claimAt time.Duration // after the arrival
		// held is whether the claimed lead is held to the policy's
		// deadline from the arrival; escalate whether the claim's tick
		// escalates it (its deadline passed before the claim).
		held, escalate bool
	}{
		{"claimed in time", allDay, nil, time.Hour, true, false},
		{"claimed after the weekend, business hours", office, nil, 66 * time.Hour, true, false},
		{"claimed after its contact deadline", allDay, nil, 50 * time.Hour, true, true},
		{"claimed, released, claimed again", office, []step{{"claim", time.Hour}, {"release", 64 * time.Hour}}, 65 * time.Hour, true, false},
		{"released at its breach, claimed again", released, []step{{"claim", time.Hour}, {"tick", 49 * time.Hour}}, 50 * time.Hour, true, false},
		{"erased after its claim deadline", allDay, []step{{"erase", 3 * time.Hour}}, 4 * time.Hour, false, false},
		{"erased after its claim deadline, claimed after its contact deadline", allDay, []step{{"erase", 3 * time.Hour}}, 60 * time.Hour, false, false},
		{"erased while claimed, released, claimed again", allDay, []step{{"claim", time.Hour}, {"erase", 3 * time.Hour}, {"release", 4 * time.Hour}}, 5 * time.Hour, false, false},
		{"erased in business hours, claimed on Monday", office, []step{{"erase", 2*time.Hour + 30*time.Minute}}, 66 * time.Hour, false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			in, err := handoff.ParseLeadInput(map[string]any{"external_id": "x", "stage": "sql"}, arrival)
			if err != nil {
				t.Fatal(err)
			}
			l := &handoff.Lead{}
			if _, _, err := in.Apply(l, arrival, handoff.ActorAPI, c.policy); err != nil {
				t.Fatal(err)
			}
			rep := handoff.Owner{Platform: "slack", UserID: "U1"}
			for _, s := range c.before {
				switch s.do {
				case "claim":
					if _, ok := l.Claim(rep, at(s.at), handoff.Policy{}, "slack:U1"); !ok {
						t.Fatalf("claim at +%s lost", s.at)
					}
				case "erase":
					l.StopSLAOnErasure(at(s.at), c.policy)
				case "release":
					if l.Release(at(s.at), "slack:U1", nil) == nil {
						t.Fatalf("release at +%s did nothing", s.at)
					}
				case "tick":
					l.TickSLA(at(s.at), c.policy)
				}
			}
			if l.Stage != handoff.StageSQL {
				t.Fatalf("before the claim: stage %s, want sql", l.Stage)
			}
			before := *l
			claimAt := at(c.claimAt)
			if _, ok := l.Claim(handoff.Owner{Platform: "slack", UserID: "U2"}, claimAt, handoff.Policy{}, "slack:U2"); !ok {
				t.Fatal("the claim lost")
			}
			var want *time.Time
			if c.held {
				due := c.policy.ContactDue(arrival)
				want = &due
			}
			if !sameTime(l.ContactDueAt, want) {
				t.Errorf("contact due %v, want %v (before the claim: %v)", l.ContactDueAt, want, before.ContactDueAt)
			}
			if c.held && claimAt.Before(*want) {
				if fromClaim := c.policy.ContactDue(claimAt); fromClaim.Equal(*want) {
					t.Fatalf("the case cannot tell the arrival's deadline from the claim's: both %s", fromClaim)
				}
			}
			if !sameTime(l.ClaimDueAt, before.ClaimDueAt) || !sameTime(l.ContactEscalatedAt, before.ContactEscalatedAt) {
				t.Errorf("the claim moved the claim deadline (%v → %v) or the contact escalation (%v → %v)",
					before.ClaimDueAt, l.ClaimDueAt, before.ContactEscalatedAt, l.ContactEscalatedAt)
			}
			if !c.held {
				if got, _ := handoff.SettleSLA(l.ContactDueAt, l.ContactedAt, claimAt); got != handoff.SLANone {
					t.Errorf("erased, its contact promise settles as %d once claimed, want none", got)
				}
				if !sameTime(l.SLASetAt, before.SLASetAt) {
					t.Errorf("the claim set a deadline: SLASetAt %v → %v", before.SLASetAt, l.SLASetAt)
				}
			}
			escalated := false
			for _, a := range l.TickSLA(claimAt, c.policy) {
				escalated = escalated || a.Kind == handoff.SLAEscalateContact
			}
			if escalated != c.escalate {
				t.Errorf("the claim's tick escalated the contact deadline: %v, want %v", escalated, c.escalate)
			}
		})
	}
}
