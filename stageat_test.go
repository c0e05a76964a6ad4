package handoff_test

import (
	"testing"
	"time"

	"github.com/handoff/handoff"
)

// Every path that changes a lead's stage records when it entered it
// (StageAt) as its history dates it: the time of the event it records for
// it, a CRM's date for a CRM's change; a change that leaves the stage
// (an attribute, a rescore) leaves StageAt.
func TestStageAtOnEveryStageChange(t *testing.T) {
	policy := handoff.DefaultPolicy()
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	now := t0.Add(5 * time.Hour)
	crm := now.Add(-2 * time.Hour)
	newLead := func(t *testing.T, stage handoff.Stage) *handoff.Lead {
		t.Helper()
		l := &handoff.Lead{}
		if _, _, err := (handoff.LeadInput{ExternalID: "x", Email: "a@x.dk", Stage: stage}).Apply(l, t0, handoff.ActorAPI, policy); err != nil {
			t.Fatal(err)
		}
		l.ID = 1
		return l
	}
	apply := func(in handoff.LeadInput) func(*handoff.Lead) []handoff.Event {
		return func(l *handoff.Lead) []handoff.Event {
			in.ExternalID = l.ExternalID
			_, events, err := in.Apply(l, now, handoff.ActorHubSpot, policy)
			if err != nil {
				t.Fatal(err)
			}
			return events
		}
	}
	released := policy
	released.ReleaseOnBreach = true
	for _, c := range []struct {
		name  string
		from  handoff.Stage
		do    func(*handoff.Lead) []handoff.Event
		stage handoff.Stage
		want  time.Time // zero: StageAt as it was (t0)
	}{
		{"intake, a stage change", handoff.StageSQL, apply(handoff.LeadInput{Stage: handoff.StageLost, Reason: "budget"}), handoff.StageLost, now},
		{"intake, a CRM's late stage change", handoff.StageSQL, apply(handoff.LeadInput{Stage: handoff.StageLost, Reason: "budget", ChangedAt: &crm}), handoff.StageLost, crm},
		{"intake, a stated occurred_at", handoff.StageSQL, apply(handoff.LeadInput{Stage: handoff.StageWon, OccurredAt: &crm}), handoff.StageWon, crm},
		{"intake, an attribute only", handoff.StageLost, apply(handoff.LeadInput{Attributes: map[string]any{"plan": "pro"}}), handoff.StageLost, time.Time{}},
		{"HubSpot's deletion", handoff.StageClaimed, apply(handoff.HubSpotDeletion("x", crm)), handoff.StageLost, crm},
		{"claim", handoff.StageSQL, func(l *handoff.Lead) []handoff.Event {
			change, _ := l.Claim(handoff.Owner{Platform: "slack", UserID: "U1"}, now, handoff.Policy{}, "slack:U1")
			return change.Events
		}, handoff.StageClaimed, now},
		{"release", handoff.StageClaimed, func(l *handoff.Lead) []handoff.Event {
			return l.Release(now, "slack:U1", nil)
		}, handoff.StageSQL, now},
		{"release on breach", handoff.StageClaimed, func(l *handoff.Lead) []handoff.Event {
			late := policy.ContactDue(t0).Add(time.Minute)
			change, _, err := l.FireSLA(late, released)
			if err != nil {
				t.Fatal(err)
			}
			now = late
			return change.Events
		}, handoff.StageSQL, policy.ContactDue(t0).Add(time.Minute)},
		{"CRM merge", handoff.StageSQL, func(l *handoff.Lead) []handoff.Event {
			return l.MergeInto(now, handoff.ActorHubSpot, policy).Events
		}, handoff.StageLost, now},
		{"scoring", handoff.StageLead, func(l *handoff.Lead) []handoff.Event {
			plan, err := handoff.PlanTransition(l.Stage, l.Reached, handoff.StageMQL)
			if err != nil {
				t.Fatal(err)
			}
			return l.EnterStages(plan, now, handoff.ActorScoring, nil, policy)
		}, handoff.StageMQL, now},
	} {
		t.Run(c.name, func(t *testing.T) {
			now = t0.Add(5 * time.Hour)
			l := newLead(t, c.from)
			if l.StageAt == nil || !l.StageAt.Equal(t0) {
				t.Fatalf("new lead: stage at %v, want %s", l.StageAt, t0)
			}
			events := c.do(l)
			want := c.want
			if want.IsZero() {
				want = t0
			}
			if l.Stage != c.stage || l.StageAt == nil || !l.StageAt.Equal(want) {
				t.Fatalf("%s at %v, want %s at %s", l.Stage, l.StageAt, c.stage, want)
			}
			if !c.want.IsZero() {
				last := events[len(events)-1]
				if last.Stage != c.stage || !last.At.Equal(*l.StageAt) {
					t.Errorf("last event %s %s at %s, want the lead's stage at %s", last.Kind, last.Stage, last.At, l.StageAt)
				}
			}
		})
	}
}
