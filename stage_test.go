package handoff_test

import (
	"fmt"
	"testing"

	"github.com/handoff/handoff"
)

func TestPlanTransition(t *testing.T) {
	tests := []struct {
		name     string
		from     handoff.Stage
		reached  int
		to       handoff.Stage
		wantErr  string
		entered  string
		unchaged bool
	}{
		{"NewLeadToSQLImpliesEarlier", "", -1, handoff.StageSQL, "", "[lead mql sql]", false},
		{"NewLeadToLead", "", -1, handoff.StageLead, "", "[lead]", false},
		{"NewLeadToWon", "", -1, handoff.StageWon, "", "[lead mql sql claimed contacted opportunity won]", false},
		{"SameStage", handoff.StageSQL, 2, handoff.StageSQL, "", "[]", true},
		{"Forward", handoff.StageSQL, 2, handoff.StageContacted, "", "[claimed contacted]", false},
		{"Backwards", handoff.StageContacted, 4, handoff.StageMQL, handoff.ECONFLICT, "", false},
		{"RecycleFromClaimed", handoff.StageClaimed, 3, handoff.StageRecycled, "", "[recycled]", false},
		{"RequalifyAfterRecycle", handoff.StageRecycled, 3, handoff.StageSQL, "", "[sql]", false},
		{"LostFromSQL", handoff.StageSQL, 2, handoff.StageLost, "", "[lost]", false},
		{"LostAfterWon", handoff.StageWon, 6, handoff.StageLost, handoff.ECONFLICT, "", false},
		{"NewLeadLost", "", -1, handoff.StageLost, "", "[lost]", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := handoff.PlanTransition(tc.from, tc.reached, tc.to)
			if tc.wantErr != "" {
				if handoff.ErrorCode(err) != tc.wantErr {
					t.Fatalf("err = %v, want code %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got.Entered) != tc.entered || got.Changed == tc.unchaged {
				t.Fatalf("entered %v changed %v; want %s changed %v", got.Entered, got.Changed, tc.entered, !tc.unchaged)
			}
		})
	}
}

func TestParseStage(t *testing.T) {
	for _, s := range []string{"lead", "MQL", " sql ", "Won", "recycled"} {
		if _, err := handoff.ParseStage(s); err != nil {
			t.Errorf("ParseStage(%q): %v", s, err)
		}
	}
	if _, err := handoff.ParseStage("banana"); err == nil || err.Error() != `unknown stage "banana"` {
		t.Errorf("ParseStage(banana) err = %v", err)
	}
}
