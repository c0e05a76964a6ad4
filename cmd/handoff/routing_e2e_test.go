package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/bot/teams/teamstest"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// The reps of the Slack routing rotation, in the agreement's order.
const (
	rrAnn  = "UANNROUTE"
	rrBo   = "UBOROUTE"
	rrCarl = "UCARLROUTE"
)

// routingPolicy writes an agreement with a round-robin rotation of reps
// ("slack: U…" or "teams: …"), each offer lasting 15 minutes, two offers
// before the lead opens to the channel, and deadlines of an hour or more:
// none runs out unless the test skips its clock to it.
func routingPolicy(t *testing.T, reps ...string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("sla:\n  claim_within: 1h\n  contact_within: 2h\nrouting:\n  mode: round_robin\n  offer_for: 15m\n  offer_rounds: 2\n  reps:\n")
	for _, r := range reps {
		b.WriteString("    - " + r + "\n")
	}
	return agreementFile(t, b.String())
}

// agreementFile writes text as an agreement file (handoff.yml) in a
// temporary directory and returns its path.
func agreementFile(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "handoff.yml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// slackShows is a Slack message's fallback text and blocks, for substring
// checks.
func slackShows(m slacktest.Message) string { return m.Text + jsonText(m.Blocks) }

// waitSlackMessage polls what channel shows until a message contains every
// one of want, and returns it.
func waitSlackMessage(t *testing.T, slack *slacktest.Server, channel string, want ...string) slacktest.Message {
	t.Helper()
	var shown []string
	for deadline := time.Now().Add(e2ePatience); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		shown = shown[:0]
		for _, m := range slack.Messages(channel) {
			txt := slackShows(m)
			shown = append(shown, txt)
			ok := true
			for _, w := range want {
				ok = ok && strings.Contains(txt, w)
			}
			if ok {
				return m
			}
		}
	}
	t.Fatalf("%s never showed a message with %q; it shows %q", channel, want, shown)
	return slacktest.Message{}
}

// slackSend posts a signed Slack request body to path and returns the
// answer's body.
func (s *server) slackSend(t *testing.T, path, body string) string {
	t.Helper()
	resp, err := http.DefaultClient.Do(slacktest.SignedRequest(s.base+path, e2eSecret, time.Now(), body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("POST %s = %d %s", path, resp.StatusCode, b)
	}
	return string(b)
}

// clickIn is a signed block_actions click by user on the message ts in
// channel (a DM's "D…" or the sales channel).
func (s *server) clickIn(t *testing.T, slack *slacktest.Server, user, channel, ts, action, value string) {
	t.Helper()
	s.slackSend(t, "/slack/interactions", slacktest.ClickPayload(user, channel, ts, action, value, slack.ResponseURL(user)))
}

// waitJSON polls GET path until ok accepts the decoded answer, and
// returns it.
func (s *server) waitJSON(t *testing.T, path string, ok func(map[string]any) bool) map[string]any {
	t.Helper()
	var got map[string]any
	for deadline := time.Now().Add(e2ePatience); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		var code int
		if code, got = s.apiCall(t, "GET", path, ""); code == 200 && ok(got) {
			return got
		}
	}
	t.Fatalf("GET %s never answered as expected; last answer %s", path, jsonText(got))
	return nil
}

// repRow finds the row of rep (its key) in a list of objects keyed "rep".
func repRow(t *testing.T, rows any, rep string) map[string]any {
	t.Helper()
	list, _ := rows.([]any)
	for _, r := range list {
		if m, _ := r.(map[string]any); m["rep"] == rep {
			return m
		}
	}
	t.Fatalf("no row for %s in %s", rep, jsonText(rows))
	return nil
}

// startSlackRouting starts a server on dialect under round-robin routing
// of Ann, Bo and Carl (routingPolicy) against a new stand-in Slack, and
// returns them with the server's environment.
func startSlackRouting(t *testing.T, dialect string) (*server, *slacktest.Server, map[string]string) {
	t.Helper()
	slack := slacktest.New(e2eToken)
	t.Cleanup(slack.Close)
	slack.SetMembers(e2eSales, rrAnn, rrBo, rrCarl)
	vars := map[string]string{
		"DATABASE_URL": storagetest.URL(t, dialect), "HANDOFF_API_TOKEN": "tok",
		"HANDOFF_CONFIG":  routingPolicy(t, "slack: "+rrAnn, "slack: "+rrBo, "slack: "+rrCarl),
		"SLACK_BOT_TOKEN": e2eToken, "SLACK_SIGNING_SECRET": e2eSecret, "SLACK_API_URL": slack.APIURL(),
		"SLACK_SALES_CHANNEL": e2eSales, "SLACK_MANAGER_CHANNEL": e2eManager,
	}
	return startServer(t, vars), slack, vars
}

// TestRoutingEndToEndSlack runs the real server under round-robin routing
// against the stand-in Slack, on each database: a new SQL is offered to
// the first rep by DM with Accept and Pass (the channel card names them,
// and a third rep's Claim is refused), the rep passes with a reason
// through the form, the next rep is offered it and accepts with a signed
// click, and the lead, GET /api/routing and the funnel's routing figures
// say so over HTTP.
func TestRoutingEndToEndSlack(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			srv, slack, _ := startSlackRouting(t, dialect)
			srv.postLead(t, `{"external_id":"rr-1","name":"Dorte Holm","company":"Holm ApS","email":"dorte@holm.dk","score":80}`)

			// 1. Ann, first in the rotation, is offered the lead by DM; the
			// channel card says so.
			annDM := waitSlackMessage(t, slack, "D"+rrAnn, "Offered to you", bot.ActionAccept, bot.ActionPass, "Holm ApS")
			card := waitSlackMessage(t, slack, e2eSales, "Offered to <@"+rrAnn+">")
			if txt := slackShows(card); strings.Contains(txt, `"action_id":"`+bot.ActionClaim+`"`) && !strings.Contains(txt, "Only they") {
				t.Fatalf("channel card during the offer = %s", txt)
			}
			if dms := slack.Messages("D" + rrBo); len(dms) != 0 {
				t.Fatalf("Bo got a DM before Ann passed: %+v", dms)
			}

			// Carl's Claim on the channel card is refused while Ann has it.
			srv.clickIn(t, slack, rrCarl, e2eSales, card.TS, bot.ActionClaim, "1")
			refused := false
			for deadline := time.Now().Add(e2ePatience); !refused && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
				for _, m := range append(slack.Responses(rrCarl), slack.Ephemeral()...) {
					refused = refused || strings.Contains(slackShows(m), "is offered to <@"+rrAnn+">")
				}
			}
			if !refused {
				t.Fatalf("Carl was not told the lead is offered to Ann; calls: %s", jsonText(slack.Calls("")))
			}

			// 2. Ann passes: the button opens the form, the submission
			// carries her reason.
			srv.clickIn(t, slack, rrAnn, "D"+rrAnn, annDM.TS, bot.ActionPass, "1")
			var view map[string]any
			for _, c := range slack.Wait("views.open", 1, e2ePatience) {
				if c.Param("trigger_id") == "trigger-"+rrAnn {
					view, _ = c.JSON["view"].(map[string]any)
				}
			}
			callback, _ := view["callback_id"].(string)
			state, _ := view["private_metadata"].(string)
			if callback != bot.ActionPass {
				t.Fatalf("the Pass button opened %s", jsonText(view))
			}
			const reason = "At a customer in Aarhus all day"
			if answer := srv.slackSend(t, "/slack/interactions", slacktest.SubmitPayload(rrAnn, callback, state, map[string]string{"reason": reason})); strings.TrimSpace(answer) != "" {
				t.Fatalf("the pass form was refused: %s", answer)
			}

			// 3. Bo is offered it next; Ann's DM and the channel card change.
			boDM := waitSlackMessage(t, slack, "D"+rrBo, "Offered to you", bot.ActionAccept, bot.ActionPass)
			waitSlackMessage(t, slack, "D"+rrAnn, "Passed")
			waitSlackMessage(t, slack, e2eSales, "Offered to <@"+rrBo+">")

			// 4. Five minutes into his offer (the test clock skips them),
			// Bo accepts in his DM: the lead is his.
			const beforeAccept = 5 * time.Minute
			srv.skipTo(srv.clock.Now().Add(beforeAccept))
			srv.clickIn(t, slack, rrBo, "D"+rrBo, boDM.TS, bot.ActionAccept, "1")
			lead := srv.waitJSON(t, "/api/leads/rr-1", func(l map[string]any) bool { return l["stage"] == "claimed" })
			if lead["owner"] != rrBo || lead["owner_platform"] != "slack" {
				t.Fatalf("lead after the accept = %s", jsonText(lead))
			}
			var routed []map[string]any
			for _, e := range lead["events"].([]any) {
				if ev := e.(map[string]any); ev["kind"] == "routed" {
					routed = append(routed, ev)
				}
			}
			if len(routed) != 2 || !strings.Contains(jsonText(routed[1]), reason) {
				t.Fatalf("routed events = %s, want two, the second with Ann's reason", jsonText(routed))
			}
			waitSlackMessage(t, slack, "D"+rrBo, "Accepted")
			waitSlackMessage(t, slack, e2eSales, "Claimed by <@"+rrBo+">")

			// 5. The routing overview and the funnel count it over HTTP.
			_, overview := srv.apiCall(t, "GET", "/api/routing", "")
			if overview["mode"] != "round_robin" || overview["received"] != float64(1) {
				t.Fatalf("GET /api/routing = %s", jsonText(overview))
			}
			for rep, want := range map[string]float64{rrAnn: 0, rrBo: 1, rrCarl: 0} {
				if row := repRow(t, overview["reps"], "slack:"+rep); row["received"] != want || row["available"] != true {
					t.Fatalf("GET /api/routing row of %s = %s, want received %v", rep, jsonText(row), want)
				}
			}
			code, funnel := srv.apiCall(t, "GET", "/api/funnel?period=month", "")
			routing, _ := funnel["routing"].(map[string]any)
			if code != 200 || routing == nil || routing["opened_to_channel"] != float64(0) {
				t.Fatalf("GET /api/funnel = %d %s", code, jsonText(funnel))
			}
			ann, bo := repRow(t, routing["per_rep"], "slack:"+rrAnn), repRow(t, routing["per_rep"], "slack:"+rrBo)
			if ann["offered"] != float64(1) || ann["passed"] != float64(1) || ann["accepted"] != float64(0) || ann["median_offer_to_accept_seconds"] != nil {
				t.Fatalf("funnel routing of Ann = %s", jsonText(ann))
			}
			if bo["offered"] != float64(1) || bo["accepted"] != float64(1) || bo["passed"] != float64(0) || bo["timed_out"] != float64(0) {
				t.Fatalf("funnel routing of Bo = %s", jsonText(bo))
			}
			// At least the five skipped minutes, less than the 15-minute
			// offer he accepted within.
			if s, ok := bo["median_offer_to_accept_seconds"].(float64); !ok || s < beforeAccept.Seconds() || s >= (15*time.Minute).Seconds() {
				t.Fatalf("Bo's median offer-to-accept = %v, want at least %v and under the 15-minute offer", bo["median_offer_to_accept_seconds"], beforeAccept)
			}
			for _, r := range routing["per_rep"].([]any) {
				if r.(map[string]any)["rep"] == "slack:"+rrCarl {
					t.Fatalf("Carl was never offered the lead but has a funnel row: %s", jsonText(r))
				}
			}
		})
	}
}

// TestRoutingOfferRunsOutEndToEnd runs the real server under round-robin
// routing against the stand-in Slack, on each database: nobody answers
// an offer, so when the test clock passes its end the next rep is
// offered the lead, and after the second the lead opens to the channel,
// where a rep who was never offered it claims it.
func TestRoutingOfferRunsOutEndToEnd(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			srv, slack, vars := startSlackRouting(t, dialect)
			db := storagetest.OpenURL(t, vars["DATABASE_URL"], storage.Options{})
			srv.postLead(t, `{"external_id":"rr-out","name":"Dorte Holm","company":"Holm ApS","score":80}`)

			// 1. Ann is offered the lead; until her offer ends, nobody else is.
			waitSlackMessage(t, slack, "D"+rrAnn, "Offered to you", "Holm ApS")
			waitSlackMessage(t, slack, e2eSales, "Offered to <@"+rrAnn+">")
			settled(t, db, routingPosts, 1)
			annUntil := offeredUntil(t, db, rrAnn)
			if dms := slack.Messages("D" + rrBo); len(dms) != 0 {
				t.Fatalf("Bo got a DM while Ann's offer ran: %+v", dms)
			}

			// 2. Ann's offer runs out: Bo is offered it, Ann's DM says so.
			srv.skipTo(annUntil)
			waitSlackMessage(t, slack, "D"+rrBo, "Offered to you", bot.ActionAccept, bot.ActionPass)
			waitSlackMessage(t, slack, "D"+rrAnn, "Offer ran out")
			waitSlackMessage(t, slack, e2eSales, "Offered to <@"+rrBo+">")
			settled(t, db, routingPosts, 1)
			boUntil := offeredUntil(t, db, rrBo)
			if !boUntil.After(annUntil) {
				t.Fatalf("Bo's offer ends %v, not after Ann's %v", boUntil, annUntil)
			}

			// 3. Bo's runs out too: after two offers the lead is open to
			// the channel, and Carl, never offered it, claims it there.
			srv.skipTo(boUntil)
			card := waitSlackMessage(t, slack, e2eSales, "Open to everyone", "did not answer in time")
			waitSlackMessage(t, slack, "D"+rrBo, "Offer ran out")
			if dms := slack.Messages("D" + rrCarl); len(dms) != 0 {
				t.Fatalf("Carl was offered the lead after offer_rounds: %+v", dms)
			}
			settled(t, db, routingPosts, 1)
			l := lead1(t, db)
			if l.Offer == nil || l.Offer.State != handoff.OfferOpen || len(l.Offer.Tried) != 2 ||
				l.Offer.Tried[0].Rep.ID != rrAnn || l.Offer.Tried[0].Ending != handoff.SkipTimedOut ||
				l.Offer.Tried[1].Rep.ID != rrBo || l.Offer.Tried[1].Ending != handoff.SkipTimedOut {
				t.Fatalf("lead 1's offer after two ran out = %+v, want open after Ann's and Bo's timed out", l.Offer)
			}
			srv.clickIn(t, slack, rrCarl, e2eSales, card.TS, bot.ActionClaim, "1")
			lead := srv.waitJSON(t, "/api/leads/rr-out", func(l map[string]any) bool { return l["stage"] == "claimed" })
			if lead["owner"] != rrCarl {
				t.Fatalf("lead after Carl's claim = %s", jsonText(lead))
			}
		})
	}
}

// routingPosts are the outbox kinds a routing step queues.
var routingPosts = []string{handoff.OutboxRouteLead, handoff.OutboxOffer, handoff.OutboxAnnounceLead, handoff.OutboxRefreshLead}

// offeredUntil reads when lead 1's offer to rep (a Slack user) ends, and
// fails unless it is offered to them.
func offeredUntil(t *testing.T, db *storage.Store, rep string) time.Time {
	t.Helper()
	l := lead1(t, db)
	if l.Offer == nil || !l.Offer.Offered() || l.Offer.Rep.ID != rep {
		t.Fatalf("lead 1's offer = %+v, want one to %s", l.Offer, rep)
	}
	return l.Offer.Until
}

// The Teams reps of the routing rotation, named in the agreement by Entra
// object id.
const (
	rrRitaAAD = "6f1c2d3e-4a5b-4c6d-8e7f-000000000001"
	rrBobAAD  = "6f1c2d3e-4a5b-4c6d-8e7f-000000000002"
)

// personalInvoke is an Action.Execute click by user (with Entra object id
// aad) on the card activityID in the user's one-to-one chat conversation.
func (e *teamsE2E) personalInvoke(user, name, aad, conversation, activityID, action string, lead int64) map[string]any {
	a := e.activity("invoke", user, name, conversation)
	a["from"].(map[string]any)["aadObjectId"] = aad
	a["replyToId"] = activityID
	a["name"] = "adaptiveCard/action"
	data := map[string]any{"action": action, "value": strconv.FormatInt(lead, 10)}
	a["value"] = map[string]any{"action": map[string]any{"type": "Action.Execute", "verb": action, "data": data}, "trigger": "manual"}
	return a
}

// TestRoutingEndToEndTeams runs the real server under round-robin routing
// with Teams against the stand-in Bot Framework, on each database: the
// first rep of the rotation (named by Entra object id) gets the offer as
// a card in their one-to-one chat, the channel card says it is offered,
// the rep accepts with a signed Action.Execute, and the DM, the channel
// card, the lead and GET /api/routing show the accept.
func TestRoutingEndToEndTeams(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			bf := teamstest.New(t)
			vars := teamsVars(t, dialect, bf)
			vars["HANDOFF_CONFIG"] = routingPolicy(t, "teams: "+rrRitaAAD, "teams: "+rrBobAAD)
			e := startTeams(t, bf, vars)
			e.install()

			e.srv.postLead(t, `{"external_id":"rt-1","name":"Dorte Holm","company":"Holm ApS","email":"dorte@holm.dk","score":80}`)
			dm := e.waitCalls("offer DM", 1, e2ePatience, sentContaining("Offered to you"))[0]
			if txt := jsonText(dm.Body); !strings.Contains(txt, `"verb":"`+bot.ActionAccept+`"`) || !strings.Contains(txt, `"verb":"`+bot.ActionPass+`"`) || !strings.Contains(txt, "Holm ApS") {
				t.Fatalf("offer DM = %s", txt)
			}
			if !strings.HasPrefix(dm.ConversationID, "a:dm-") {
				t.Fatalf("offer sent to %s, want a one-to-one chat", dm.ConversationID)
			}
			created := e.calls(func(c teamstest.Call) bool { return c.Op == "create" && c.ConversationID == dm.ConversationID })
			if len(created) != 1 || !strings.Contains(jsonText(created[0].Body["members"]), rrRitaAAD) {
				t.Fatalf("the offer's chat was created as %s, want one with Rita", jsonText(created))
			}
			card := e.waitCalls("channel card", 1, e2ePatience, postedTo(teamsSalesID))[0]
			if txt := jsonText(card.Body); !strings.Contains(txt, "Offered to a Teams user") {
				t.Fatalf("channel card = %s", txt)
			}

			got := e.invokeCard(e.personalInvoke(teamsRita, "Rita Rep", rrRitaAAD, dm.ConversationID, dm.ActivityID, bot.ActionAccept, 1))
			if !strings.Contains(got, "Claimed by <at>Rita Rep</at>") {
				t.Fatalf("accept answer = %s", got)
			}
			lead := e.srv.waitJSON(t, "/api/leads/rt-1", func(l map[string]any) bool { return l["stage"] == "claimed" })
			if lead["owner"] != teamsRita || lead["owner_platform"] != "teams" {
				t.Fatalf("lead after the accept = %s", jsonText(lead))
			}
			e.waitCalls("accepted DM", 1, e2ePatience, func(c teamstest.Call) bool {
				return c.Op == "update" && c.ConversationID == dm.ConversationID && c.ActivityID == dm.ActivityID && strings.Contains(jsonText(c.Body), "Accepted")
			})
			e.waitCalls("claimed channel card", 1, e2ePatience, func(c teamstest.Call) bool {
				return c.Op == "update" && c.ActivityID == card.ActivityID && strings.Contains(jsonText(c.Body), "Claimed by <at>Rita Rep</at>")
			})
			if n := len(e.calls(sentContaining("Offered to you"))); n != 1 {
				t.Fatalf("%d offer DMs, want 1 (Bob is never offered an accepted lead)", n)
			}
			_, overview := e.srv.apiCall(t, "GET", "/api/routing", "")
			if row := repRow(t, overview["reps"], "teams:"+rrRitaAAD); row["received"] != float64(1) || overview["received"] != float64(1) {
				t.Fatalf("GET /api/routing = %s", jsonText(overview))
			}
			_, funnel := e.srv.apiCall(t, "GET", "/api/funnel?period=month", "")
			routing, _ := funnel["routing"].(map[string]any)
			if rita := repRow(t, routing["per_rep"], "teams:"+rrRitaAAD); rita["offered"] != float64(1) || rita["accepted"] != float64(1) {
				t.Fatalf("funnel routing of Rita = %s", jsonText(rita))
			}
		})
	}
}
