package handoff

import (
	"testing"
	"time"
)

// TestErasedLeadIsNotTakenUp: a lead whose person was erased is never
// given to a rep: its claim loses, changing nothing, and TakeUpRefused
// says why in an ECONFLICT naming the lead as bot.LeadRef names an erased
// one. A lead with its personal data is taken up as before.
func TestErasedLeadIsNotTakenUp(t *testing.T) {
	sqlAt := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	erased := sqlAt.Add(time.Hour)
	owner := Owner{Platform: "slack", UserID: "U1"}
	tests := []struct {
		name    string
		stage   Stage
		erased  *time.Time
		verb    string
		wantWon bool
		wantErr string // "" for none
	}{
		{"unclaimed SQL", StageSQL, nil, "claimed", true, ""},
		{"erased unclaimed SQL", StageSQL, &erased, "claimed", false,
			"Lead 42 (personal data erased) cannot be claimed: there is no one to contact any more."},
		{"erased claimed lead, reassigned", StageClaimed, &erased, "reassigned", false,
			"Lead 42 (personal data erased) cannot be reassigned: there is no one to contact any more."},
		{"claimed lead, reassigned", StageClaimed, nil, "reassigned", false, ""},
		{"erased won lead", StageWon, &erased, "claimed", false,
			"Lead 42 (personal data erased) cannot be claimed: there is no one to contact any more."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			due := sqlAt.Add(2 * time.Hour)
			l := &Lead{ID: 42, Stage: tc.stage, Reached: tc.stage.Rank(), SQLAt: &sqlAt, ClaimDueAt: &due, ErasedAt: tc.erased}
			err := l.TakeUpRefused(tc.verb)
			if got := ErrorMessage(err); tc.wantErr != "" && got != tc.wantErr {
				t.Errorf("refusal %q, want %q", got, tc.wantErr)
			}
			if tc.wantErr != "" && ErrorCode(err) != ECONFLICT {
				t.Errorf("refusal code %q, want %q", ErrorCode(err), ECONFLICT)
			}
			if tc.wantErr == "" && err != nil {
				t.Errorf("refused: %v", err)
			}
			before := *l
			change, won := l.Claim(owner, sqlAt.Add(3*time.Hour), Policy{}, "slack:U1")
			if won != tc.wantWon {
				t.Fatalf("claim won %v, want %v", won, tc.wantWon)
			}
			if !won && (l.Stage != before.Stage || !l.Owner.IsZero() || len(change.Events) != 0 || len(change.Outbox) != 0) {
				t.Errorf("a refused claim changed the lead: %+v, change %+v", l, change)
			}
		})
	}
}
