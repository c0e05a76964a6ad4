package bot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/internal/fixtures"
)

// A closed card's "Closed" line is when the lead left, as its history
// dates it (StageAt: a CRM's date for its late change), which an update
// of the closed lead since (a rescore, an attribute: UpdatedAt) does not
// move; a lead stored before that was kept is dated by its last update.
func TestClosedCardDatedWhenTheLeadLeft(t *testing.T) {
	p := copenhagen(t)
	left := time.Date(2026, 11, 20, 13, 5, 0, 0, time.UTC)   // Friday 14:05 in Copenhagen
	updated := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC) // Monday 09:00
	owner := handoff.Owner{Platform: "slack", UserID: "U0REP42"}
	for _, st := range []handoff.Stage{handoff.StageWon, handoff.StageLost, handoff.StageRecycled} {
		for _, c := range []struct {
			name    string
			stageAt *time.Time
			want    string
		}{
			{"updated since", &left, "Closed Fri 14:05"},
			{"stored before its time was kept", nil, "Closed Mon 09:00"},
		} {
			t.Run(string(st)+", "+c.name, func(t *testing.T) {
				l := fixtures.OwnedLead(p, st, owner)
				l.StageAt, l.UpdatedAt = c.stageAt, updated
				if got := strings.Join(bot.ClosedCard(l, fixtures.Now, p).Context, "\n"); got != c.want {
					t.Errorf("context %q, want %q", got, c.want)
				}
			})
		}
	}
}
