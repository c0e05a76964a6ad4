package handoff_test

import (
	"testing"
	"time"

	"github.com/handoff/handoff"
)

// TestOwnerAcrossStages: a lead keeps the rep who worked it when it is lost
// or recycled, so the reports still credit that rep with its claim and
// contact, and loses them when it becomes an SQL again, by whatever path.
func TestOwnerAcrossStages(t *testing.T) {
	rep := handoff.Owner{Platform: "slack", UserID: "UREP"}
	tests := []struct {
		name  string
		path  []handoff.Stage // stages after the lead is claimed by rep
		owned bool            // whether rep still owns it after path
	}{
		{"Contacted", []handoff.Stage{handoff.StageContacted}, true},
		{"Lost", []handoff.Stage{handoff.StageContacted, handoff.StageLost}, true},
		{"Recycled", []handoff.Stage{handoff.StageContacted, handoff.StageRecycled}, true},
		{"RecycledBackToMQL", []handoff.Stage{handoff.StageRecycled, handoff.StageMQL}, true},
		{"RecycledThenSQL", []handoff.Stage{handoff.StageRecycled, handoff.StageSQL}, false},
		{"RecycledThenMQLThenSQL", []handoff.Stage{handoff.StageRecycled, handoff.StageMQL, handoff.StageSQL}, false},
		{"LostThenSQL", []handoff.Stage{handoff.StageLost, handoff.StageSQL}, false},
		{"WonThenRecycled", []handoff.Stage{handoff.StageContacted, handoff.StageWon, handoff.StageRecycled}, true},
	}
	policy := handoff.DefaultPolicy()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
			l := &handoff.Lead{ID: 1, Reached: -1}
			move := func(to handoff.Stage) {
				t.Helper()
				plan, err := handoff.PlanTransition(l.Stage, l.Reached, to)
				if err != nil {
					t.Fatalf("%s → %s: %v", l.Stage, to, err)
				}
				at = at.Add(time.Hour)
				l.EnterStages(plan, at, "slack:UREP", nil, policy)
				l.Stage = to
			}
			move(handoff.StageSQL)
			l.Owner = rep
			move(handoff.StageClaimed)
			for _, st := range tt.path {
				move(st)
			}
			if got := l.Owner == rep; got != tt.owned {
				t.Errorf("after %v owner = %+v, want owned by the rep: %v", tt.path, l.Owner, tt.owned)
			}
			if !tt.owned && !l.Owner.IsZero() {
				t.Errorf("a new SQL has owner %+v, want none", l.Owner)
			}
		})
	}
}
