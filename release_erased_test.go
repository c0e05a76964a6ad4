package handoff

import (
	"testing"
	"time"
)

// TestErasedLeadIsNotReleased: a claimed lead whose personal data was
// erased is not released: released, it would be an SQL nobody can claim
// (TakeUpRefused). Release leaves it as it is, and ReleaseRefused says why
// in an ECONFLICT telling the owner to close it instead. A claimed lead
// with its personal data is released as before.
func TestErasedLeadIsNotReleased(t *testing.T) {
	sqlAt := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	claimed, erased := sqlAt.Add(30*time.Minute), sqlAt.Add(time.Hour)
	owner := Owner{Platform: "slack", UserID: "U1"}
	tests := []struct {
		name         string
		stage        Stage
		erased       *time.Time
		wantReleased bool
		wantErr      string // "" for none
	}{
		{"claimed", StageClaimed, nil, true, ""},
		{"erased claimed", StageClaimed, &erased, false,
			"Lead 42 (personal data erased) cannot be released: nobody could claim it. Close it instead: Lost, with a reason."},
		{"erased contacted", StageContacted, &erased, false,
			"Lead 42 (personal data erased) cannot be released: nobody could claim it. Close it instead: Lost, with a reason."},
		{"contacted", StageContacted, nil, false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := &Lead{ID: 42, Stage: tc.stage, Reached: tc.stage.Rank(), SQLAt: &sqlAt, ClaimedAt: &claimed, Owner: owner, ErasedAt: tc.erased}
			err := l.ReleaseRefused()
			if got := ErrorMessage(err); tc.wantErr != "" && (got != tc.wantErr || ErrorCode(err) != ECONFLICT) {
				t.Errorf("refusal %q (%s), want ECONFLICT %q", got, ErrorCode(err), tc.wantErr)
			}
			if tc.wantErr == "" && err != nil {
				t.Errorf("refused: %v", err)
			}
			before := *l
			events := l.Release(erased.Add(time.Minute), "slack:U1", nil)
			if released := len(events) > 0; released != tc.wantReleased {
				t.Fatalf("released %v, want %v", released, tc.wantReleased)
			}
			if !tc.wantReleased && (l.Stage != before.Stage || l.Owner != before.Owner || l.ClaimedAt != before.ClaimedAt) {
				t.Errorf("a refused release changed the lead: %+v", l)
			}
		})
	}
}
