package handlers_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/teams"
	"github.com/handoff/handoff/internal/testkit"
	"github.com/handoff/handoff/storage/storagetest"
)

// claimAgainCase is a click delivered twice, to each replica once, and
// what it must have done: before runs before its first delivery, between
// after it.
type claimAgainCase struct {
	name            string
	before, between func(e *teamsEnv, id int64)
	user, userName  string
	owner           string    // the lead's owner at the end ("" for none)
	claims          int       // the lead's claimed events at the end
	refusals        int       // private refusals sent (refusalTexts)
	answers         [2]string // what each delivery's card shows (invokes)
}

// clickForms are the two ways a Teams client sends a card's click: an
// Action.Execute invoke, answered with the card, and an Action.Submit
// message (clients without Universal Actions), answered through the outbox.
var clickForms = []string{"invoke", "submit"}

// clickAs is user's click with data on a card in the sales channel, as
// the client of form sends it.
func (e *teamsEnv) clickAs(form, user, name string, data map[string]any) map[string]any {
	if form == "invoke" {
		return e.clickActivity(user, name, data)
	}
	a := e.activity("message", user, name, salesID+";messageid=1001")
	a["replyToId"] = "1001"
	a["value"] = data
	return a
}

// refusalTexts are the words of the private notices that refuse a claim.
var refusalTexts = []string{"Too late", "can no longer be claimed", "moved on", "is offered to"}

// refusalsSent counts the sends among calls that are refusals of a claim.
func refusalsSent(calls []string) int {
	n := 0
	for _, c := range calls {
		for _, w := range refusalTexts {
			if strings.Contains(c, w) {
				n++
				break
			}
		}
	}
	return n
}

// sendsSince are the texts of the cards each of es sent after the first
// since[i] of its sends, and how many each has sent now.
func sendsSince(es []*teamsEnv, since []int) (texts []string, now []int) {
	for i, e := range es {
		sends := callsOf(e.bf, "send")
		for _, c := range sends[since[i]:] {
			texts = append(texts, cardText(c))
		}
		now = append(now, len(sends))
	}
	return texts, now
}

// runClaimAgain delivers the click of data (its lead from newLead) of each
// case in each click form twice, to e1 and then to e2, and checks what it
// did.
func runClaimAgain(t *testing.T, e1, e2 *teamsEnv, newLead func(ext string) int64, data func(id int64) map[string]any, cases []claimAgainCase) {
	t.Helper()
	for _, form := range clickForms {
		for i, tt := range cases {
			t.Run(form+"/"+tt.name, func(t *testing.T) {
				id := newLead(fmt.Sprintf("again-%s-%d", form, i))
				e1.deliver()
				if tt.before != nil {
					tt.before(e1, id)
				}
				replicas := []*teamsEnv{e1, e2}
				_, sent := sendsSince(replicas, []int{0, 0})
				click := e1.clickAs(form, tt.user, tt.userName, data(id))
				for k, e := range replicas {
					if k == 1 && tt.between != nil {
						tt.between(e1, id)
					}
					res := e.redeliver(click)
					if form == "invoke" && (res.StatusCode != 200 || res.Type != teams.CardContentType || !strings.Contains(res.raw, tt.answers[k])) {
						t.Fatalf("delivery %d: %s, want the card with %q", k+1, res.raw, tt.answers[k])
					}
				}
				e1.deliver()
				texts, _ := sendsSince(replicas, sent)
				refusals := refusalsSent(texts)
				l := e1.lead(id)
				if claims := testkit.ClaimEvents(t, e1.store, id); claims != tt.claims || l.Owner.UserID != tt.owner || refusals != tt.refusals {
					t.Fatalf("claims %d, owner %q, refusals %d; want %d, %q, %d", claims, l.Owner.UserID, refusals, tt.claims, tt.owner, tt.refusals)
				}
				if tt.owner == "" && l.Stage != handoff.StageSQL {
					t.Fatalf("stage %s, want an unclaimed SQL", l.Stage)
				}
			})
		}
	}
}

// ritaReleases is Rita's Release of lead id, clicked on e.
func ritaReleases(e *teamsEnv, id int64) {
	e.invoke(ritaID, "Rita Rep", map[string]any{"action": bot.ActionRelease, "value": fmt.Sprint(id)})
}

// A Claim that Teams delivers again (same conversation and activity id),
// to the other replica, as an invoke or an Action.Submit message, claims
// at most once and writes nothing more: the winner's click again is
// answered with the card it claimed, a losing click's again without a
// second "Too late", a click delivered again after its claim was released
// does not claim the lead back, and neither does the owner's own click,
// which changed nothing, delivered again after a release.
func TestTeamsClaimDeliveredAgain(t *testing.T) {
	claim := func(id int64) map[string]any {
		return map[string]any{"action": bot.ActionClaim, "value": fmt.Sprint(id)}
	}
	ritaClaims := func(e *teamsEnv, id int64) { e.invoke(ritaID, "Rita Rep", claim(id)) }
	cases := []claimAgainCase{
		{name: "Won", user: ritaID, userName: "Rita Rep", owner: ritaID, claims: 1,
			answers: [2]string{"Claimed by", "Claimed by"}},
		{name: "Lost", user: bobID, userName: "Bob", owner: ritaID, claims: 1, refusals: 1,
			before: ritaClaims, answers: [2]string{"Rita Rep", "Rita Rep"}},
		{name: "ReleasedBetween", user: ritaID, userName: "Rita Rep", claims: 1,
			between: ritaReleases, answers: [2]string{"Claimed by", bot.ActionClaim}},
		{name: "OwnersClickReleasedBetween", user: ritaID, userName: "Rita Rep", claims: 1,
			before: ritaClaims, between: ritaReleases, answers: [2]string{"Claimed by", bot.ActionClaim}},
	}
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			e1, e2 := teamsReplicas(t, dialect, nil)
			e1.install()
			runClaimAgain(t, e1, e2, e1.newSQL, claim, cases)
		})
	}
}
