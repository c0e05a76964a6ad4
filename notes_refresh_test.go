package handoff

import "testing"

// TestNotesRefresh: a change made in chat that gives the lead another
// owner, or takes it out of sales, updates the notes that name it; any
// other change does not.
func TestNotesRefresh(t *testing.T) {
	rep := Owner{Platform: "slack", UserID: "UREP1"}
	bo := Owner{Platform: "slack", UserID: "UBO", Email: "bo@acme.dk"}
	tests := []struct {
		name    string
		before  Owner
		wasOpen bool
		owner   Owner
		stage   Stage
		want    bool
	}{
		{"reassigned", rep, true, bo, StageContacted, true},
		{"an SQL reassigned", Owner{}, true, bo, StageClaimed, true},
		{"released", bo, true, Owner{}, StageSQL, true},
		{"lost", rep, true, rep, StageLost, true},
		{"won", rep, true, rep, StageWon, true},
		{"recycled, not a fit", Owner{}, true, Owner{}, StageRecycled, true},
		{"contacted", bo, true, bo, StageContacted, false},
		{"an opportunity", rep, true, rep, StageOpportunity, false},
		{"changed while closed", rep, false, rep, StageLost, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &Lead{ID: 7, Owner: tt.owner, Stage: tt.stage}
			m := NotesRefresh(l, tt.before, tt.wasOpen)
			if got := m != nil; got != tt.want {
				t.Fatalf("NotesRefresh = %+v, want a message: %v", m, tt.want)
			}
			if m != nil && (m.Kind != OutboxNotesOfLead || m.LeadID != 7 || m.Platform != "") {
				t.Errorf("NotesRefresh = %+v, want the notes of lead 7 on every platform", m)
			}
		})
	}
}
