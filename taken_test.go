package handoff

import "testing"

// TestHowTaken: the last event that gave the lead an owner, or took it
// away, says how its owner took it, when it names them.
func TestHowTaken(t *testing.T) {
	bo := Owner{Platform: "slack", UserID: "UBO", Email: "bo@acme.dk"}
	claimed := func(actor string) Event { return Event{Kind: EventStage, Stage: StageClaimed, Actor: actor} }
	reassigned := func(to string) Event {
		e := Event{Kind: EventReassign, Stage: StageContacted, Actor: "slack:UBOSS"}
		if to != "" {
			e.Details = map[string]string{"from": "slack:UREP1", "to": to}
		}
		return e
	}
	sql := Event{Kind: EventStage, Stage: StageSQL, Actor: ActorAPI}
	released := Event{Kind: EventRelease, Stage: StageSQL, Actor: ActorSystem}
	contacted := Event{Kind: EventStage, Stage: StageContacted, Actor: "slack:UBO"}
	reminded := Event{Kind: EventReminder, Stage: StageClaimed, Actor: ActorSystem}
	tests := []struct {
		name   string
		events []Event
		owner  Owner
		want   Taking
	}{
		{"claimed by the owner", []Event{sql, claimed("slack:UBO"), reminded, contacted}, bo, TakenByClaim},
		{"claimed again after a release", []Event{sql, claimed("slack:UREP1"), released, claimed("slack:UBO")}, bo, TakenByClaim},
		{"reassigned to the owner", []Event{sql, claimed("slack:UREP1"), contacted, reassigned("slack:UBO")}, bo, TakenByReassign},
		{"an SQL reassigned: the manager's claimed stage, then the reassign",
			[]Event{sql, released, claimed("slack:UBOSS"), reassigned("slack:UBO")}, bo, TakenByReassign},
		{"reassigned after they claimed it", []Event{sql, claimed("slack:UBO"), reassigned("slack:UBO")}, bo, TakenByReassign},
		{"claimed after a reassign to someone else", []Event{sql, claimed("slack:UREP1"), reassigned("slack:UCY"), released, claimed("slack:UBO")}, bo, TakenByClaim},
		{"a reassign whose details an erasure removed", []Event{sql, claimed("slack:UREP1"), reassigned("")}, bo, TakenByReassign},
		{"the last reassign names someone else", []Event{sql, claimed("slack:UREP1"), reassigned("slack:UCY")}, bo, TakenUnrecorded},
		{"the last claim is someone else's", []Event{sql, claimed("slack:UREP1"), contacted}, bo, TakenUnrecorded},
		{"claimed by a CRM", []Event{sql, claimed(ActorHubSpot)}, bo, TakenUnrecorded},
		{"released since", []Event{sql, claimed("slack:UBO"), released}, bo, TakenUnrecorded},
		{"an SQL again since", []Event{sql, claimed("slack:UBO"), sql}, bo, TakenUnrecorded},
		{"no history", nil, bo, TakenUnrecorded},
		{"an owner known by email alone", []Event{sql, reassigned("")}, Owner{Email: "bo@acme.dk"}, TakenUnrecorded},
		{"on another platform", []Event{sql, claimed("slack:UBO")}, Owner{Platform: "teams", UserID: "UBO"}, TakenUnrecorded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := HowTaken(tt.events, tt.owner); got != tt.want {
				t.Errorf("HowTaken = %d, want %d", got, tt.want)
			}
		})
	}
}
