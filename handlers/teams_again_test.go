package handlers_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/teams"
	"github.com/handoff/handoff/storage/storagetest"
)

// A Claim that Teams delivers again (same conversation and activity id),
// to the other replica, claims at most once and writes nothing more: the
// winner's click again is answered with the card it claimed, a losing
// click's again without a second "Too late", and a click delivered again
// after its claim was released does not claim the lead back.
func TestTeamsClaimDeliveredAgain(t *testing.T) {
	claim := func(id int64) map[string]any {
		return map[string]any{"action": bot.ActionClaim, "value": fmt.Sprint(id)}
	}
	tests := []struct {
		name string
		// before runs before the click's first delivery, between after it.
		before, between  func(e *teamsEnv, id int64)
		user, userName   string
		owner            string // the lead's owner at the end ("" for none)
		claims, tooLates int
		answers          [2]string // what each delivery's card shows
	}{
		{name: "Won", user: ritaID, userName: "Rita Rep", owner: ritaID, claims: 1,
			answers: [2]string{"Claimed by", "Claimed by"}},
		{name: "Lost", user: bobID, userName: "Bob", owner: ritaID, claims: 1, tooLates: 1,
			before:  func(e *teamsEnv, id int64) { e.invoke(ritaID, "Rita Rep", claim(id)) },
			answers: [2]string{"Rita Rep", "Rita Rep"}},
		{name: "ReleasedBetween", user: ritaID, userName: "Rita Rep", claims: 1,
			between: func(e *teamsEnv, id int64) {
				e.invoke(ritaID, "Rita Rep", map[string]any{"action": bot.ActionRelease, "value": fmt.Sprint(id)})
			},
			answers: [2]string{"Claimed by", bot.ActionClaim}},
	}
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			e1, e2 := teamsReplicas(t, dialect, nil)
			e1.install()
			for i, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					id := e1.newSQL(fmt.Sprintf("claim-again-%d", i))
					e1.deliver()
					if tt.before != nil {
						tt.before(e1, id)
					}
					sent := len(callsOf(e1.bf, "send")) + len(callsOf(e2.bf, "send"))
					click := e1.clickActivity(tt.user, tt.userName, claim(id))
					for k, e := range []*teamsEnv{e1, e2} {
						if k == 1 && tt.between != nil {
							tt.between(e1, id)
						}
						res := e.redeliver(click)
						if res.StatusCode != 200 || res.Type != teams.CardContentType || !strings.Contains(res.raw, tt.answers[k]) {
							t.Fatalf("delivery %d: %s, want the card with %q", k+1, res.raw, tt.answers[k])
						}
					}
					e1.deliver()
					tooLates := 0
					for _, c := range append(callsOf(e1.bf, "send"), callsOf(e2.bf, "send")...)[sent:] {
						if strings.Contains(cardText(c), "Too late") {
							tooLates++
						}
					}
					l := e1.lead(id)
					if claims := claimEvents(t, e1.store, id); claims != tt.claims || l.Owner.UserID != tt.owner || tooLates != tt.tooLates {
						t.Fatalf("claims %d, owner %q, too-late notices %d; want %d, %q, %d", claims, l.Owner.UserID, tooLates, tt.claims, tt.owner, tt.tooLates)
					}
					if tt.owner == "" && l.Stage != handoff.StageSQL {
						t.Fatalf("stage %s, want an unclaimed SQL", l.Stage)
					}
				})
			}
		})
	}
}
