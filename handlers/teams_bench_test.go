package handlers_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/teams"
	"github.com/handoff/handoff/bot/teams/teamstest"
	"github.com/handoff/handoff/internal/testkit"
	"github.com/handoff/handoff/storage/storagetest"
)

// BenchmarkTeamsClaimClicks is BenchmarkSlackClaimClicks for Teams: 200
// concurrent Claim clicks (Action.Execute invokes, 10 reps on each of 20
// new leads) per iteration at the messaging endpoint, each activity with
// a Bot Framework token the endpoint validates, and each answered with
// the lead's card. A first round, outside the figures, lets the app learn
// the reps (RememberUser, their membership of the sales team); the token
// is signed once, as the Bot Framework reuses its token.
//
//	go test ./handlers/ -run '^$' -bench TeamsClaimClicks -benchtime 20x
func BenchmarkTeamsClaimClicks(b *testing.B) {
	benchTeamsClicks(b, "invoke")
}

// BenchmarkTeamsSubmitClaimClicks is BenchmarkTeamsClaimClicks for clients
// without Universal Actions: each Claim an Action.Submit message,
// answered with an empty 200 (the card is refreshed through the outbox).
//
//	go test ./handlers/ -run '^$' -bench TeamsSubmitClaimClicks -benchtime 20x
func BenchmarkTeamsSubmitClaimClicks(b *testing.B) {
	benchTeamsClicks(b, "submit")
}

// benchTeamsClicks runs the Teams Claim clicks sent as the client of form
// (clickForms) sends them.
func benchTeamsClicks(b *testing.B, form string) {
	for _, dialect := range storagetest.Dialects {
		b.Run(dialect, func(b *testing.B) {
			e := newTeamsEnv(b, storagetest.Open(b, dialect), nil)
			e.install()
			token := e.token()
			claimClicks{
				warm: true,
				announce: func(b *testing.B, ext string) int64 {
					id := e.newSQL(ext)
					testkit.Drain(b, e.disp)
					return id
				},
				click: func(b *testing.B, rep int, id int64) string {
					a := e.clickAs(form, fmt.Sprintf("29:rep%03d", rep), fmt.Sprintf("Rep %03d", rep), map[string]any{"action": bot.ActionClaim, "value": fmt.Sprint(id)})
					status, body := teamstest.Post(b, e.srv.URL, a, token)
					if form == "submit" {
						if status != http.StatusOK || len(body) != 0 {
							return fmt.Sprintf("HTTP %d %s", status, body)
						}
						return ""
					}
					var res teamsInvokeResponse
					if status != http.StatusOK || json.Unmarshal(body, &res) != nil || res.StatusCode != http.StatusOK || res.Type != teams.CardContentType {
						return fmt.Sprintf("HTTP %d %s", status, body)
					}
					return ""
				},
				drain: func(b *testing.B) { testkit.Drain(b, e.disp) },
			}.run(b)
		})
	}
}

// BenchmarkTeamsOwnerClaimAgain is the owner of a lead clicking its Claim
// again, one click at a time (each a new activity, an Action.Execute
// invoke answered with the card): a click that changes nothing, whose
// delivery is recorded alone so that Teams delivering it again after a
// release claims nothing.
//
//	go test ./handlers/ -run '^$' -bench TeamsOwnerClaimAgain -benchtime 2000x
func BenchmarkTeamsOwnerClaimAgain(b *testing.B) {
	for _, dialect := range storagetest.Dialects {
		b.Run(dialect, func(b *testing.B) {
			e := newTeamsEnv(b, storagetest.Open(b, dialect), nil)
			e.install()
			token := e.token()
			id := e.newSQL("owner-again")
			claim := map[string]any{"action": bot.ActionClaim, "value": fmt.Sprint(id)}
			e.invoke(ritaID, "Rita Rep", claim)
			testkit.Drain(b, e.disp)
			b.ResetTimer()
			for range b.N {
				status, body := teamstest.Post(b, e.srv.URL, e.clickActivity(ritaID, "Rita Rep", claim), token)
				var res teamsInvokeResponse
				if status != http.StatusOK || json.Unmarshal(body, &res) != nil || res.StatusCode != http.StatusOK {
					b.Fatalf("HTTP %d %s", status, body)
				}
			}
		})
	}
}
