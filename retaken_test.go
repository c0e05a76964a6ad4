package handoff_test

import (
	"testing"
	"time"

	"github.com/handoff/handoff"
)

// A CRM's SQL dated by the CRM before it arrived, returned before contact
// and within its deadline, then taken up again without a new SQL, gets
// back the contact deadline it had: counted from its arrival, when its
// SLA clock started, not from the CRM's date of the SQL, which gave it
// back early by the delivery's delay. An SQL from the API, whose clock
// starts at its SQL, gets it back from there; a lead saved before the
// clock's start was kept (SLAFrom nil) too.
func TestRetakenDeadlineRunsFromArrival(t *testing.T) {
	policy := handoff.DefaultPolicy()
	arrival := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name    string
		delay   time.Duration // the CRM's SQL, made this long before its arrival
		byCRM   bool          // the retake comes from the CRM too, dated by it
		unkept  bool          // the lead predates SLAFrom
		wantDue time.Time
	}{
		{"API SQL, taken up in chat", 0, false, false, policy.ContactDue(arrival)},
		{"CRM SQL 3 hours late, taken up in chat", 3 * time.Hour, false, false, policy.ContactDue(arrival)},
		{"CRM SQL a day late, taken up in chat", 24 * time.Hour, false, false, policy.ContactDue(arrival)},
		{"CRM SQL 3 hours late, taken up in the CRM", 3 * time.Hour, true, false, policy.ContactDue(arrival)},
		{"saved before SLAFrom was kept", 0, false, true, policy.ContactDue(arrival)},
	} {
		t.Run(c.name, func(t *testing.T) {
			in, err := handoff.ParseLeadInput(map[string]any{"external_id": "x", "stage": "sql"}, arrival)
			if err != nil {
				t.Fatal(err)
			}
			made := arrival.Add(-c.delay)
			in.ChangedAt = &made
			l := &handoff.Lead{}
			if _, _, err := in.Apply(l, arrival, handoff.ActorSalesforce, policy); err != nil {
				t.Fatal(err)
			}
			given := *l.ContactDueAt
			if c.unkept {
				l.SLAFrom = nil
			}
			move := func(to handoff.Stage, at time.Time) {
				t.Helper()
				if c.byCRM {
					in := handoff.LeadInput{ExternalID: "x", Stage: to, ChangedAt: &at}
					if to == handoff.StageRecycled {
						in.Reason = "not now"
					}
					if _, _, err := in.Apply(l, at.Add(time.Hour), handoff.ActorSalesforce, policy); err != nil {
						t.Fatalf("→ %s: %v", to, err)
					}
					return
				}
				plan, err := handoff.PlanTransition(l.Stage, l.Reached, to)
				if err != nil {
					t.Fatalf("→ %s: %v", to, err)
				}
				l.EnterStages(plan, at, "slack:UREP", map[string]string{"reason": "not now"}, policy)
			}
			move(handoff.StageRecycled, arrival.Add(time.Hour))
			if l.ContactDueAt != nil {
				t.Fatalf("returned in time, still held to %s", l.ContactDueAt)
			}
			move(handoff.StageClaimed, arrival.Add(2*time.Hour))
			if l.ContactDueAt == nil || !l.ContactDueAt.Equal(c.wantDue) {
				t.Errorf("taken up again: contact due %v, want %s (given at arrival: %s)", l.ContactDueAt, c.wantDue, given)
			}
		})
	}
}
