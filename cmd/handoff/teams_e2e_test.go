package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/bot/teams"
	"github.com/handoff/handoff/bot/teams/teamstest"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// The Teams tenant the fake Bot Framework serves: a team whose General
// channel is the team's id, and the Sales and Managers channels created in
// it after installation.
const (
	teamsTeamID    = "19:general@thread.tacv2"
	teamsTeamName  = "Sales Team"
	teamsSalesID   = "19:sales@thread.tacv2"
	teamsManagerID = "19:managers@thread.tacv2"
	teamsTenant    = "tenant-e2e"
	teamsBotID     = "28:" + teamstest.AppID
	teamsRita      = "29:rita"
	teamsBob       = "29:bob"
)

// teamsE2E is a running handoff serve with Teams enabled against a fake
// Bot Framework, and a store on the same database for checks.
type teamsE2E struct {
	t     *testing.T
	srv   *server
	bf    *teamstest.Server
	store *storage.Store
	vars  map[string]string
}

// teamsPolicy writes an agreement with the deadlines and returns its path.
func teamsPolicy(t *testing.T, claimWithin, contactWithin string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "handoff.yml")
	if err := os.WriteFile(path, []byte("sla:\n  claim_within: "+claimWithin+"\n  contact_within: "+contactWithin+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// slackAndTeamsVars are the settings of a server on both platforms, the
// stand-ins slack and bf, under an agreement of 1 h to claim and 2 h to
// contact.
func slackAndTeamsVars(t *testing.T, dialect string, bf *teamstest.Server, slack *slacktest.Server) map[string]string {
	t.Helper()
	vars := teamsVars(t, dialect, bf)
	vars["HANDOFF_CONFIG"] = teamsPolicy(t, "1h", "2h")
	for k, v := range map[string]string{"SLACK_BOT_TOKEN": e2eToken, "SLACK_SIGNING_SECRET": e2eSecret, "SLACK_API_URL": slack.APIURL(),
		"SLACK_SALES_CHANNEL": e2eSales, "SLACK_MANAGER_CHANNEL": e2eManager} {
		vars[k] = v
	}
	return vars
}

// teamsVars is the environment of a server with Teams wired to bf and an
// agreement of 1 h to claim and 2 h to contact, which fall due only when a
// test skips its clock to them. The
// sales channel is named as an admin would ("team/channel"); the managers'
// channel by its conversation id.
func teamsVars(t *testing.T, dialect string, bf *teamstest.Server) map[string]string {
	return map[string]string{
		"DATABASE_URL": storagetest.URL(t, dialect), "HANDOFF_API_TOKEN": "tok", "HANDOFF_CONFIG": teamsPolicy(t, "1h", "2h"),
		"TEAMS_APP_ID": teamstest.AppID, "TEAMS_APP_PASSWORD": teamstest.AppSecret, "TEAMS_TENANT_ID": teamsTenant,
		"TEAMS_TOKEN_URL": bf.TokenURL(), "TEAMS_OPENID_METADATA_URL": bf.MetadataURL(),
		"TEAMS_SALES_CHANNEL": teamsTeamName + "/Sales", "TEAMS_MANAGER_CHANNEL": teamsManagerID,
	}
}

// startTeams starts the server with vars (which point at bf) and opens a
// second store on its database.
func startTeams(t *testing.T, bf *teamstest.Server, vars map[string]string) *teamsE2E {
	t.Helper()
	srv := startServer(t, vars)
	s := storagetest.OpenURL(t, vars["DATABASE_URL"], storage.Options{})
	return &teamsE2E{t: t, srv: srv, bf: bf, store: s, vars: vars}
}

// restart stops the server gracefully and starts a new one on the same
// database and fake.
func (e *teamsE2E) restart() {
	e.t.Helper()
	e.srv.stop()
	e.srv = startServerAt(e.t, e.vars, e.srv.clock)
}

// claims are valid Bot Connector claims for the fake's service URL.
func (e *teamsE2E) claims() map[string]any {
	return teamstest.Claims(teamstest.AppID, e.bf.ServiceURL(), time.Now())
}

// token is a valid Bot Connector token.
func (e *teamsE2E) token() string { return teamstest.Sign(e.t, e.bf.Key(), e.claims()) }

// forged returns a token signed with the real key whose claims mod changed.
func (e *teamsE2E) forged(mod func(map[string]any)) string {
	c := e.claims()
	mod(c)
	return teamstest.Sign(e.t, e.bf.Key(), c)
}

// team is the Teams team the activities come from.
func (e *teamsE2E) team() teamstest.Team {
	return teamstest.Team{Tenant: teamsTenant, ID: teamsTeamID, Name: teamsTeamName, BotID: teamsBotID, ServiceURL: e.bf.ServiceURL()}
}

// activity is a Teams activity from user in conversation.
func (e *teamsE2E) activity(typ, user, name, conversation string) map[string]any {
	return e.team().Activity(typ, user, name, conversation)
}

// post sends an activity to POST /api/messages with token ("" for none).
func (e *teamsE2E) post(activity map[string]any, token string) (int, string) {
	e.t.Helper()
	status, body := teamstest.Post(e.t, e.srv.base, activity, token)
	return status, string(body)
}

// installActivity is the conversationUpdate Teams sends when the app is
// added to the team (in its General channel).
func (e *teamsE2E) installActivity() map[string]any { return e.team().Installed() }

// channelCreated is the conversationUpdate for a new channel of the team.
func (e *teamsE2E) channelCreated(id, name string) map[string]any {
	return e.team().ChannelCreated(id, name)
}

// install adds the app to the team and creates the Sales and Managers
// channels, each activity signed, and checks the references were stored.
func (e *teamsE2E) install() {
	e.t.Helper()
	for _, a := range []map[string]any{e.installActivity(), e.channelCreated(teamsSalesID, "Sales"), e.channelCreated(teamsManagerID, "Managers")} {
		if status, body := e.post(a, e.token()); status != 200 {
			e.t.Fatalf("install: HTTP %d %s", status, body)
		}
	}
	ctx := context.Background()
	for key, want := range map[string]string{teamsTeamID: teamsTeamID, teamsTeamName + "/General": teamsTeamID,
		teamsTeamName + "/Sales": teamsSalesID, teamsManagerID: teamsManagerID} {
		ref, err := e.store.TeamsConversation(ctx, key)
		if err != nil || ref.ConversationID != want || ref.ServiceURL != e.bf.ServiceURL() || ref.TenantID != teamsTenant || ref.BotID != teamsBotID {
			e.t.Fatalf("stored reference %q = %+v, %v; want conversation %s", key, ref, err, want)
		}
	}
}

// invokeActivity is an Action.Execute click on the card activityID in the
// sales channel.
func (e *teamsE2E) invokeActivity(user, name, activityID, action string, lead int64) map[string]any {
	a := e.activity("invoke", user, name, teamsSalesID+";messageid="+activityID)
	a["replyToId"] = activityID
	a["name"] = "adaptiveCard/action"
	data := map[string]any{"action": action, "value": fmt.Sprint(lead)}
	a["value"] = map[string]any{"action": map[string]any{"type": "Action.Execute", "verb": action, "data": data}, "trigger": "manual"}
	return a
}

// invoke clicks action on lead's card and returns the invoke response
// (checked to be a card) as text, with <, > and & unescaped.
func (e *teamsE2E) invoke(user, name, activityID, action string, lead int64) string {
	e.t.Helper()
	return e.invokeCard(e.invokeActivity(user, name, activityID, action, lead))
}

// invokeCard sends the invoke activity a, signed, and returns the invoke
// response (checked to be a card) as text.
func (e *teamsE2E) invokeCard(a map[string]any) string {
	e.t.Helper()
	from, _ := a["from"].(map[string]any)
	user, action := from["id"], a["value"]
	status, body := e.post(a, e.token())
	if status != 200 {
		e.t.Fatalf("invoke %v by %s: HTTP %d %s", action, user, status, body)
	}
	var res struct {
		StatusCode int    `json:"statusCode"`
		Type       string `json:"type"`
		Value      any    `json:"value"`
	}
	if err := json.Unmarshal([]byte(body), &res); err != nil {
		e.t.Fatalf("invoke answer %s: %v", body, err)
	}
	if res.StatusCode != 200 || res.Type != teams.CardContentType {
		e.t.Fatalf("invoke %v by %s answered %s, want a card", action, user, body)
	}
	return jsonText(res.Value)
}

// lead reads a lead from the store.
func (e *teamsE2E) lead(id int64) *handoff.Lead {
	e.t.Helper()
	l, err := e.store.Lead(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return l
}

// waitOwnerEmail waits (up to e2ePatience) until the lead's owner email,
// looked up after the claim was acknowledged, is recorded, and returns the
// lead.
func (e *teamsE2E) waitOwnerEmail(id int64, email string) *handoff.Lead {
	e.t.Helper()
	deadline := time.Now().Add(e2ePatience)
	for {
		l := e.lead(id)
		if l.Owner.Email == email || time.Now().After(deadline) {
			return l
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitCalls polls the fake until n connector calls match, or fails after
// timeout; it returns the matching calls.
func (e *teamsE2E) waitCalls(what string, n int, timeout time.Duration, match func(teamstest.Call) bool) []teamstest.Call {
	e.t.Helper()
	var got []teamstest.Call
	for deadline := time.Now().Add(timeout); ; time.Sleep(10 * time.Millisecond) {
		got = e.calls(match)
		if len(got) >= n || time.Now().After(deadline) {
			break
		}
	}
	if len(got) < n {
		e.t.Fatalf("%s: %d connector calls after %v, want %d; all calls: %s", what, len(got), timeout, n, jsonText(e.bf.Calls()))
	}
	return got
}

// calls returns the connector calls that match.
func (e *teamsE2E) calls(match func(teamstest.Call) bool) []teamstest.Call {
	var out []teamstest.Call
	for _, c := range e.bf.Calls() {
		if match(c) {
			out = append(out, c)
		}
	}
	return out
}

// postedTo matches a new thread (POST v3/conversations) in channel.
func postedTo(channel string) func(teamstest.Call) bool {
	return func(c teamstest.Call) bool {
		if c.Op != "create" {
			return false
		}
		cd, _ := c.Body["channelData"].(map[string]any)
		ch, _ := cd["channel"].(map[string]any)
		return ch != nil && ch["id"] == channel
	}
}

// sentContaining matches a message to an existing conversation (a 1:1 chat)
// whose JSON contains text.
func sentContaining(text string) func(teamstest.Call) bool {
	return func(c teamstest.Call) bool { return c.Op == "send" && strings.Contains(jsonText(c.Body), text) }
}

// jsonText is v as JSON without HTML escaping, for substring checks.
func jsonText(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return b.String()
}

// chatPost returns the message id of lead's post on platform, waiting for
// the outbox to record it.
func (e *teamsE2E) chatPost(lead int64, platform string) string {
	e.t.Helper()
	for deadline := time.Now().Add(e2ePatience); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		posts, err := e.store.ChatPosts(context.Background(), lead)
		if err != nil {
			e.t.Fatal(err)
		}
		for _, p := range posts {
			if p.Platform == platform {
				return p.MessageID
			}
		}
	}
	e.t.Fatalf("lead %d has no %s post", lead, platform)
	return ""
}

// TestTeamsEndToEnd runs the real server with Teams against the fake Bot
// Framework, on each database: installation, a lead posted as an Adaptive
// Card, refused forged tokens, a won and a lost Action.Execute claim, the
// channel card updated in place, and an unclaimed lead escalated to the
// managers' channel once, when the test clock reaches its deadline.
func TestTeamsEndToEnd(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			bf := teamstest.New(t)
			e := startTeams(t, bf, teamsVars(t, dialect, bf))
			ctx := context.Background()

			// Forged tokens are refused before anything is stored.
			forgedTokens := []struct {
				name  string
				token string
				want  int
			}{
				{"WrongAudience", e.forged(func(c map[string]any) { c["aud"] = "another-bot" }), 403},
				{"Expired", e.forged(func(c map[string]any) { c["exp"] = time.Now().Add(-10 * time.Minute).Unix() }), 401},
				{"WrongServiceURL", e.forged(func(c map[string]any) { c["serviceurl"] = "https://evil.example/" }), 403},
				{"UnknownKey", teamstest.Sign(t, teamstest.NewKey(t, "stranger"), e.claims()), 401},
			}
			for _, f := range forgedTokens {
				if status, body := e.post(e.installActivity(), f.token); status != f.want {
					t.Fatalf("install with %s token: HTTP %d %s, want %d", f.name, status, body, f.want)
				}
			}
			if _, err := e.store.LatestTeamsConversation(ctx); handoff.ErrorCode(err) != handoff.ENOTFOUND {
				t.Fatalf("a refused installation stored a conversation: %v", err)
			}

			// 1. Installation stores the team's channels.
			e.install()

			// 2. A lead is posted to the sales channel as an Adaptive Card
			// with a Claim action.
			e.srv.postLead(t, `{"external_id":"t-1","name":"Ann Berg","company":"Berg ApS","email":"ann@berg.dk","score":80}`)
			post := e.waitCalls("announcement", 1, e2ePatience, postedTo(teamsSalesID))[0]
			card := jsonText(post.Body)
			for _, want := range []string{`"contentType":"` + teams.CardContentType + `"`, "Berg ApS", `"type":"Action.Execute"`, `"verb":"` + bot.ActionClaim + `"`} {
				if !strings.Contains(card, want) {
					t.Fatalf("announcement lacks %s: %s", want, card)
				}
			}
			if post.ActivityID == "" || post.Body["isGroup"] != true || post.Body["tenantId"] != teamsTenant {
				t.Fatalf("announcement = %+v", post)
			}
			if id := e.chatPost(1, teams.Name); id != post.ActivityID {
				t.Fatalf("stored Teams post of lead 1 = %q, want the activity id %q", id, post.ActivityID)
			}

			// 5. A forged claim changes nothing and calls nothing.
			before := len(bf.Calls())
			queued, err := e.store.OutboxMessages(ctx, 1)
			if err != nil {
				t.Fatal(err)
			}
			claim := e.invokeActivity(teamsBob, "Bob", post.ActivityID, bot.ActionClaim, 1)
			for _, f := range forgedTokens {
				if status, body := e.post(claim, f.token); status != f.want {
					t.Fatalf("claim with %s token: HTTP %d %s, want %d", f.name, status, body, f.want)
				}
			}
			// A refused activity queues nothing before it is answered.
			if after, err := e.store.OutboxMessages(ctx, 1); err != nil || len(after) != len(queued) {
				t.Fatalf("forged claims queued %d outbox messages (%v)", len(after)-len(queued), err)
			}
			if l := e.lead(1); l.Stage != handoff.StageSQL || !l.Owner.IsZero() {
				t.Fatalf("a forged claim changed the lead: %s %+v", l.Stage, l.Owner)
			}
			if after := len(bf.Calls()); after != before {
				t.Fatalf("forged claims caused %d connector calls", after-before)
			}
			if _, err := e.store.TeamsUser(ctx, teamsBob); handoff.ErrorCode(err) != handoff.ENOTFOUND {
				t.Fatalf("a forged activity stored its sender: %v", err)
			}

			// 3. Rita claims: the HTTP answer is the refreshed card naming her.
			got := e.invoke(teamsRita, "Rita Rep", post.ActivityID, bot.ActionClaim, 1)
			if !strings.Contains(got, "Claimed by <at>Rita Rep</at>") {
				t.Fatalf("claim answer = %s", got)
			}
			l := e.waitOwnerEmail(1, "rep@example.com")
			if l.Stage != handoff.StageClaimed || l.Owner.Platform != teams.Name || l.Owner.UserID != teamsRita || l.Owner.Email != "rep@example.com" {
				t.Fatalf("lead after the claim = %s %+v", l.Stage, l.Owner)
			}
			// The channel card is replaced in place, and Rita gets the lead.
			e.waitCalls("card update", 1, e2ePatience, func(c teamstest.Call) bool { return c.Op == "update" })
			e.waitCalls("owner DM", 1, e2ePatience, sentContaining("You claimed Berg ApS"))

			// The second lead stays unclaimed (step 4).
			e.srv.postLead(t, `{"external_id":"t-2","name":"Carl Dahl","company":"Dahl A/S","score":80}`)
			second := e.waitCalls("second announcement", 2, e2ePatience, postedTo(teamsSalesID))[1]

			// A restart: the references, users and deadlines live in the
			// database; the new process fetches keys and a token afresh.
			e.restart()

			// Bob is too late: his card names Rita, and he is told privately.
			got = e.invoke(teamsBob, "Bob", post.ActivityID, bot.ActionClaim, 1)
			if !strings.Contains(got, "Claimed by <at>Rita Rep</at>") {
				t.Fatalf("late claim answer = %s", got)
			}
			if l := e.lead(1); l.Owner.UserID != teamsRita {
				t.Fatalf("owner after a late claim = %+v", l.Owner)
			}
			notice := e.waitCalls("too-late notice", 1, e2ePatience, sentContaining("Too late"))
			if txt := jsonText(notice[0].Body); !strings.Contains(txt, "Rita Rep") || !strings.Contains(notice[0].ConversationID, "a:dm-") {
				t.Fatalf("too-late notice = %s in %s", txt, notice[0].ConversationID)
			}
			// Every update replaces the claimed card in place; the
			// second lead's card is not updated before its deadline.
			var updates []teamstest.Call
			for _, u := range e.calls(func(c teamstest.Call) bool { return c.Op == "update" }) {
				if u.Method != http.MethodPut || u.ActivityID != post.ActivityID || u.ConversationID != teamsSalesID+";messageid="+post.ActivityID {
					t.Fatalf("update = %s %s/%s, want PUT of the posted card %s (second %s)", u.Method, u.ConversationID, u.ActivityID, post.ActivityID, second.ActivityID)
				}
				updates = append(updates, u)
			}
			if txt := jsonText(updates[len(updates)-1].Body); !strings.Contains(txt, "Claimed by <at>Rita Rep</at>") {
				t.Fatalf("updated card does not name the owner: %s", txt)
			}

			// 4. The unclaimed lead is escalated to the managers' channel
			// once its claim deadline comes on the test clock, and its
			// card is updated in place.
			due := *e.lead(2).ClaimDueAt
			isClaimBreach := func(c teamstest.Call) bool {
				txt := jsonText(c.Body)
				return postedTo(teamsManagerID)(c) && strings.Contains(txt, "Dahl A/S") && strings.Contains(txt, "was not claimed")
			}
			isContactBreach := func(c teamstest.Call) bool {
				return postedTo(teamsManagerID)(c) && strings.Contains(jsonText(c.Body), "was not contacted")
			}
			e.srv.skipTo(due)
			e.waitCalls("claim escalation", 1, e2ePatience, isClaimBreach)
			e.waitCalls("second card's update", 1, e2ePatience, func(c teamstest.Call) bool {
				return c.Op == "update" && c.ActivityID == second.ActivityID && c.ConversationID == teamsSalesID+";messageid="+second.ActivityID
			})
			if n := len(e.calls(isContactBreach)); n != 0 {
				t.Fatalf("%d contact escalations before the contact deadlines", n)
			}
			// Past both leads' contact deadlines: each is escalated for
			// contact once, and the claim breach is not repeated.
			contactDue := *e.lead(2).ContactDueAt
			if first := *e.lead(1).ContactDueAt; first.After(contactDue) {
				contactDue = first
			}
			e.srv.skipTo(contactDue)
			e.waitCalls("contact escalations", 2, e2ePatience, isContactBreach)
			settled(t, e.store, slaPosts, 1, 2)
			if n := len(e.calls(isClaimBreach)); n != 1 {
				t.Fatalf("claim escalations of lead 2 = %d, want 1", n)
			}
			if n := len(e.calls(isContactBreach)); n != 2 {
				t.Fatalf("contact escalations = %d, want 2 (one per lead)", n)
			}
			claimedBreach := func(c teamstest.Call) bool {
				txt := jsonText(c.Body)
				return postedTo(teamsManagerID)(c) && strings.Contains(txt, "Berg ApS") && strings.Contains(txt, "was not claimed")
			}
			if n := len(e.calls(claimedBreach)); n != 0 {
				t.Fatalf("the claimed lead was escalated for its claim %d times", n)
			}
			e.srv.metricsContain(t, `handoff_sla_breaches_total{deadline="claim"} 1`, `handoff_sla_breaches_total{deadline="contact"} 2`,
				`handoff_chat_calls_total{method="post",outcome="ok",platform="teams"}`, `handoff_claim_ack_duration_seconds_count{platform="teams"} 1`)
		})
	}
}

// TestTeamsAndSlackEndToEnd runs one server with both Slack and Teams: a
// lead is announced on both, a claim in one makes a later claim in the
// other lose, and each platform's card names the other's owner by email.
func TestTeamsAndSlackEndToEnd(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			bf := teamstest.New(t)
			slack := slacktest.New(e2eToken)
			defer slack.Close()
			slack.SetMembers(e2eSales, "UANN", "UBOB")
			vars := teamsVars(t, dialect, bf)
			vars["HANDOFF_CONFIG"] = teamsPolicy(t, "1h", "2h") // no deadline falls during the test
			for k, v := range map[string]string{"SLACK_BOT_TOKEN": e2eToken, "SLACK_SIGNING_SECRET": e2eSecret, "SLACK_API_URL": slack.APIURL(),
				"SLACK_SALES_CHANNEL": e2eSales, "SLACK_MANAGER_CHANNEL": e2eManager} {
				vars[k] = v
			}
			e := startTeams(t, bf, vars)
			e.install()

			// Claimed in Slack first: the Teams claim loses.
			e.srv.postLead(t, `{"external_id":"m-1","name":"Ann Berg","company":"Berg ApS","score":80}`)
			teamsPost := e.waitCalls("Teams announcement", 1, e2ePatience, postedTo(teamsSalesID))[0]
			if posts := slack.Wait("chat.postMessage", 1, e2ePatience); len(posts) != 1 || posts[0].Param("channel") != e2eSales || !strings.Contains(posts[0].Param("blocks"), "Claim") {
				t.Fatalf("Slack announcement = %+v", posts)
			}
			ts := e.chatPost(1, "slack")
			e.srv.click(t, slack, "UANN", ts, bot.ActionClaim, "1")
			if l := e.waitOwnerEmail(1, "uann@example.com"); l.Owner.Platform != "slack" || l.Owner.UserID != "UANN" || l.Owner.Email != "uann@example.com" {
				t.Fatalf("owner after the Slack claim = %+v", l.Owner)
			}
			got := e.invoke(teamsRita, "Rita Rep", teamsPost.ActivityID, bot.ActionClaim, 1)
			if !strings.Contains(got, "Claimed by uann@example.com") || strings.Contains(got, "UANN") || strings.Contains(got, "<@") {
				t.Fatalf("Teams claim answer after the Slack claim = %s", got)
			}
			if l := e.lead(1); l.Owner.Platform != "slack" || l.Owner.UserID != "UANN" {
				t.Fatalf("owner after the late Teams claim = %+v", l.Owner)
			}
			notice := e.waitCalls("too-late notice", 1, e2ePatience, sentContaining("Too late"))
			if txt := jsonText(notice[0].Body); !strings.Contains(txt, "uann@example.com") || strings.Contains(txt, "UANN") {
				t.Fatalf("too-late notice = %s", txt)
			}
			update := e.waitCalls("Teams card update", 1, e2ePatience, func(c teamstest.Call) bool {
				return c.Op == "update" && c.ActivityID == teamsPost.ActivityID
			})
			if txt := jsonText(update[len(update)-1].Body); !strings.Contains(txt, "Claimed by uann@example.com") || strings.Contains(txt, "UANN") {
				t.Fatalf("Teams card after the Slack claim = %s", txt)
			}
			if up := slack.Wait("chat.update", 1, e2ePatience); len(up) != 1 || !strings.Contains(up[0].Param("text"), "<@UANN>") {
				t.Fatalf("Slack card after the claim = %+v", up)
			}

			// Claimed in Teams first: the Slack claim loses, and the Slack
			// card names the Teams owner by email.
			e.srv.postLead(t, `{"external_id":"m-2","name":"Carl Dahl","company":"Dahl A/S","score":80}`)
			teamsPost2 := e.waitCalls("second Teams announcement", 2, e2ePatience, postedTo(teamsSalesID))[1]
			ts2 := e.chatPost(2, "slack")
			got = e.invoke(teamsRita, "Rita Rep", teamsPost2.ActivityID, bot.ActionClaim, 2)
			if !strings.Contains(got, "Claimed by <at>Rita Rep</at>") {
				t.Fatalf("Teams claim answer = %s", got)
			}
			e.waitOwnerEmail(2, "rep@example.com") // looked up after the acknowledgement
			e.srv.click(t, slack, "UBOB", ts2, bot.ActionClaim, "2")
			if l := e.lead(2); l.Owner.Platform != teams.Name || l.Owner.UserID != teamsRita {
				t.Fatalf("owner after the late Slack claim = %+v", l.Owner)
			}
			var slackCard string
			// The first refresh may still say "a Teams user"; the email's arrival refreshes it again.
			for deadline := time.Now().Add(e2ePatience); !strings.Contains(slackCard, "rep@example.com") && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
				for _, c := range slack.Calls("chat.update") {
					if c.Param("ts") == ts2 {
						slackCard = c.Param("text") + c.Param("blocks")
					}
				}
			}
			if !strings.Contains(slackCard, "rep@example.com") || strings.Contains(slackCard, "29:rita") {
				t.Fatalf("Slack card after the Teams claim = %q", slackCard)
			}
			var tooLate string
			for deadline := time.Now().Add(e2ePatience); tooLate == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
				for _, c := range slack.Calls("") {
					if txt := c.Param("text") + c.Param("blocks"); strings.Contains(txt, "Too late") {
						tooLate = txt
					}
				}
			}
			if !strings.Contains(tooLate, "rep@example.com") || strings.Contains(tooLate, "29:rita") {
				t.Fatalf("Slack too-late notice = %q", tooLate)
			}
		})
	}
}

// TestTeamsEndToEndRateLimited: a 429 from the Bot Connector delays the
// lead's post by its Retry-After, and the lead is posted once.
func TestTeamsEndToEndRateLimited(t *testing.T) {
	t.Parallel()
	bf := teamstest.New(t)
	vars := teamsVars(t, storage.DialectSQLite, bf)
	vars["HANDOFF_CONFIG"] = teamsPolicy(t, "1h", "2h")
	e := startTeams(t, bf, vars)
	e.install()
	bf.RateLimit(1, "1")
	e.srv.postLead(t, `{"external_id":"r-1","name":"Ann Berg","company":"Berg ApS","score":80}`)
	// That the retry waits for Retry-After is TestDispatchRateLimit's, on
	// a test clock; here: refused once, then posted once.
	e.waitCalls("announcement after 429", 1, e2ePatience, postedTo(teamsSalesID))
	settled(t, e.store, []string{handoff.OutboxAnnounceLead}, 1)
	if n := len(e.calls(postedTo(teamsSalesID))); n != 1 {
		t.Fatalf("lead posted %d times, want 1", n)
	}
	e.srv.metricsContain(t, `handoff_chat_calls_total{method="post",outcome="rate_limited",platform="teams"} 1`,
		`handoff_chat_calls_total{method="post",outcome="ok",platform="teams"} 1`)
}
