package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/outbox"
	"github.com/handoff/handoff/bot/teams"
	"github.com/handoff/handoff/bot/teams/teamstest"
	"github.com/handoff/handoff/handlers"
	"github.com/handoff/handoff/internal/testkit"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

const (
	teamID     = "19:general@thread.tacv2"
	salesID    = "19:sales@thread.tacv2"
	managersID = "19:managers@thread.tacv2"
	tenantID   = "tenant-1"
	groupID    = "6f1c2e7a-0b4d-4c55-9a4e-2d0f3b9e8c11" // the team's Microsoft 365 group
	botID      = "28:" + teamstest.AppID
	ritaID     = "29:rita"
	bobID      = "29:bob"
	managerID  = "29:boss"
)

// teamsEnv is Handoff's Teams side over a real store, wired as in
// production, against the fake Bot Framework.
type teamsEnv struct {
	t         testing.TB
	srv       *httptest.Server
	bf        *teamstest.Server
	store     *storage.Store
	bot       *bot.Bot
	disp      *outbox.Dispatcher
	platform  *teams.Platform
	validator *teams.Validator
	clock     *testkit.Clock
	policy    handoff.Policy
	logs      *testkit.LogBuffer  // the Teams app's log
	lost      *atomic.Int32       // calls of the App's OnChannelLost
	back      *channelsBack       // the App's calls of OnChannelBack
	members   *teams.SalesMembers // the App's and the bot's, not shared
	reqLogs   *testkit.LogBuffer  // the HTTP handler's log (failed requests)
	levels    *testkit.Records    // both logs' records, with their levels
}

func newTeamsEnv(t testing.TB, s *storage.Store, answerer bot.CommandAnswerer) *teamsEnv {
	t.Helper()
	return newTeamsEnvWith(t, s, answerer, handoff.DefaultPolicy())
}

// newTeamsEnvWith is newTeamsEnv under the agreement's policy, with
// managers as TEAMS_MANAGERS (managerID when none).
func newTeamsEnvWith(t testing.TB, s *storage.Store, answerer bot.CommandAnswerer, policy handoff.Policy, managers ...string) *teamsEnv {
	t.Helper()
	return newTeamsEnvOn(t, s, s, answerer, policy, managers...)
}

// newTeamsEnvOn is newTeamsEnvWith whose Platform reads and writes the
// stored channels and users through ps (s, or a store over it).
func newTeamsEnvOn(t testing.TB, s *storage.Store, ps teams.Store, answerer bot.CommandAnswerer, policy handoff.Policy, managers ...string) *teamsEnv {
	t.Helper()
	return newTeamsEnvTimed(t, s, ps, answerer, policy, teamstest.ClientTimeout, managers...)
}

// newTeamsEnvTimed is newTeamsEnvOn whose calls to the Bot Connector
// give up after timeout (TEAMS_TIMEOUT).
func newTeamsEnvTimed(t testing.TB, s *storage.Store, ps teams.Store, answerer bot.CommandAnswerer, policy handoff.Policy, timeout time.Duration, managers ...string) *teamsEnv {
	t.Helper()
	if len(managers) == 0 {
		managers = []string{managerID}
	}
	bf := teamstest.New(t)
	clk := testkit.NewClock(time.Now().UTC())
	conn := teams.NewConnector(teamstest.AppID, teamstest.AppSecret, bf.TokenURL(), nil, timeout)
	platform := teams.NewPlatform(conn, ps, tenantID)
	members := teams.NewSalesMembers(platform, "Sales")
	b := bot.New(bot.Config{Store: s, Policy: policy, Now: clk.Now, Logger: discardLogger(),
		Managers:     map[string]bot.Managers{teams.Name: teams.NewManagers(platform, managers)},
		Directory:    map[string]bot.Directory{teams.Name: platform},
		SalesMembers: map[string]bot.SalesMembers{teams.Name: members}})
	disp := outbox.New(outbox.Config{Store: s, Policy: policy, Now: clk.Now, Logger: discardLogger(),
		Targets: []bot.Target{{Platform: platform, SalesChannel: "Sales"}}, BaseBackoff: time.Second, MaxBackoff: 2 * time.Second})
	if answerer != nil {
		answerer = b.Readers(answerer)
	}
	logs, reqLogs, levels := &testkit.LogBuffer{}, &testkit.LogBuffer{}, testkit.NewRecords()
	lost, back := &atomic.Int32{}, &channelsBack{}
	app := teams.NewApp(teams.AppConfig{Bot: b, Leads: s, Store: s, Dedup: s, Platform: platform, Members: members, Policy: policy, Answerer: answerer, Now: clk.Now,
		SalesChannel: "Sales", ManagerChannel: managersID, OnChannelLost: func() { lost.Add(1) }, OnChannelBack: back.add,
		Logger: slog.New(slog.NewMultiHandler(slog.NewTextHandler(logs, nil), levels))})
	v := teams.NewValidator(teamstest.AppID, bf.MetadataURL(), nil, teamstest.ClientTimeout)
	v.MinRefetch = 0
	mux := http.NewServeMux()
	handlers.NewTeams(v, app, []string{tenantID}, slog.New(slog.NewMultiHandler(slog.NewTextHandler(reqLogs, nil), levels))).Register(mux)
	srv := httptest.NewServer(handlers.Middleware(discardLogger(), mux, mux))
	t.Cleanup(srv.Close)
	return &teamsEnv{t: t, srv: srv, bf: bf, store: s, bot: b, disp: disp, platform: platform, validator: v, clock: clk, policy: policy, logs: logs, lost: lost, back: back,
		members: members, reqLogs: reqLogs, levels: levels}
}

// token is a valid Bot Framework token for the fake's service URL.
func (e *teamsEnv) token() string {
	return teamstest.Sign(e.t, e.bf.Key(), teamstest.Claims(teamstest.AppID, e.bf.ServiceURL(), time.Now()))
}

// tokenWith is a token of the fake's key, issued at now, whose claims mod
// changes from a valid token's.
func (e *teamsEnv) tokenWith(now time.Time, mod func(c map[string]any)) string {
	c := teamstest.Claims(teamstest.AppID, e.bf.ServiceURL(), now)
	mod(c)
	return teamstest.Sign(e.t, e.bf.Key(), c)
}

// team is the Teams team the test's activities come from.
func (e *teamsEnv) team() teamstest.Team {
	return teamstest.Team{Tenant: tenantID, ID: teamID, Name: "Sales Team", GroupID: groupID, BotID: botID, ServiceURL: e.bf.ServiceURL()}
}

// post sends an activity with the token ("" for none) and returns the
// status and body.
func (e *teamsEnv) post(activity map[string]any, token string) (int, []byte) {
	e.t.Helper()
	return teamstest.Post(e.t, e.srv.URL, activity, token)
}

// activity is a Teams activity from user in conversation.
func (e *teamsEnv) activity(typ, user, name, conversation string) map[string]any {
	return e.team().Activity(typ, user, name, conversation)
}

func (e *teamsEnv) installActivity() map[string]any { return e.team().Installed() }

func (e *teamsEnv) channelCreated() map[string]any { return e.team().ChannelCreated(salesID, "Sales") }

// install adds the app to the team and creates the Sales channel.
func (e *teamsEnv) install() {
	e.t.Helper()
	for _, a := range []map[string]any{e.installActivity(), e.channelCreated()} {
		if status, body := e.post(a, e.token()); status != 200 {
			e.t.Fatalf("install: %d %s", status, body)
		}
	}
}

// clickActivity is user's Action.Execute click with data on a card in
// the sales channel.
func (e *teamsEnv) clickActivity(user, name string, data map[string]any) map[string]any {
	a := e.activity("invoke", user, name, salesID+";messageid=1001")
	a["name"] = "adaptiveCard/action"
	a["value"] = map[string]any{"action": map[string]any{"type": "Action.Execute", "verb": data["action"], "data": data}, "trigger": "manual"}
	return a
}

// invoke clicks an Action.Execute with data and returns the invoke response.
func (e *teamsEnv) invoke(user, name string, data map[string]any) teamsInvokeResponse {
	e.t.Helper()
	return e.invokeActivity(e.clickActivity(user, name, data))
}

// invokeActivity posts an invoke activity and returns its invoke response.
func (e *teamsEnv) invokeActivity(a map[string]any) teamsInvokeResponse {
	e.t.Helper()
	status, body := e.post(a, e.token())
	if status != 200 {
		e.t.Fatalf("invoke %v: HTTP %d %s", a["value"], status, body)
	}
	var res teamsInvokeResponse
	if err := json.Unmarshal(body, &res); err != nil {
		e.t.Fatalf("invoke answer %s: %v", body, err)
	}
	res.raw = string(body)
	return res
}

type teamsInvokeResponse struct {
	StatusCode int             `json:"statusCode"`
	Type       string          `json:"type"`
	Value      json.RawMessage `json:"value"`
	raw        string
}

// newSQL stores a new SQL and returns its id.
func (e *teamsEnv) newSQL(ext string) int64 {
	e.t.Helper()
	in, err := handoff.ParseLeadInput(map[string]any{"external_id": ext, "name": "Ann Jensen", "company": "Acme " + ext, "email": ext + "@acme.dk", "stage": "sql", "score": 80.0}, e.clock.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	res, err := e.store.SaveLead(context.Background(), in, e.policy, e.clock.Now(), handoff.ActorAPI)
	if err != nil {
		e.t.Fatal(err)
	}
	return res.Lead.ID
}

// deliver runs the dispatcher once.
func (e *teamsEnv) deliver() {
	e.t.Helper()
	if _, err := e.disp.RunOnce(context.Background()); err != nil {
		e.t.Fatal(err)
	}
}

func (e *teamsEnv) lead(id int64) *handoff.Lead {
	e.t.Helper()
	l, err := e.store.Lead(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return l
}

// say sends text from user in their personal chat with the bot, delivers
// the outbox and returns the one answer, which must come to that chat.
func (e *teamsEnv) say(user, name, personal, text string) string {
	e.t.Helper()
	a := e.activity("message", user, name, personal)
	a["text"] = text
	if status, body := e.post(a, e.token()); status != 200 {
		e.t.Fatalf("%q: HTTP %d %s", text, status, body)
	}
	before := len(callsOf(e.bf, "send"))
	e.deliver()
	sends := callsOf(e.bf, "send")
	if len(sends) != before+1 {
		e.t.Fatalf("%q: %d answers, want 1", text, len(sends)-before)
	}
	if sends[len(sends)-1].ConversationID != personal {
		e.t.Fatalf("%q answered in %s, want the personal chat", text, sends[len(sends)-1].ConversationID)
	}
	return cardText(sends[len(sends)-1])
}

// callsOf returns the connector calls of one kind.
func callsOf(bf *teamstest.Server, op string) []teamstest.Call {
	var out []teamstest.Call
	for _, c := range bf.Calls() {
		if c.Op == op {
			out = append(out, c)
		}
	}
	return out
}

func cardText(c teamstest.Call) string {
	raw, _ := json.Marshal(c.Body)
	return string(raw)
}

func TestTeamsAuth(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		e := newTeamsEnv(t, s, nil)
		now := time.Now()
		claims := func(mod func(c map[string]any)) string { return e.tokenWith(now, mod) }
		stranger := teamstest.NewKey(t, "stranger")
		tests := []struct {
			name     string
			token    string
			activity func(a map[string]any)
			want     int
		}{
			{"Missing", "", nil, 401},
			{"Garbage", "not-a-jwt", nil, 401},
			{"Expired", claims(func(c map[string]any) { c["exp"] = now.Add(-10 * time.Minute).Unix() }), nil, 401},
			{"WrongIssuer", claims(func(c map[string]any) { c["iss"] = "https://login.microsoftonline.com/x/v2.0" }), nil, 401},
			{"UnknownKey", teamstest.Sign(t, stranger, teamstest.Claims(teamstest.AppID, e.bf.ServiceURL(), now)), nil, 401},
			{"WrongAudience", claims(func(c map[string]any) { c["aud"] = "someone-else" }), nil, 403},
			{"WrongServiceURL", claims(func(c map[string]any) { c["serviceurl"] = "https://smba.example/evil/" }), nil, 403},
			{"ActivityServiceURLSwapped", e.token(), func(a map[string]any) { a["serviceUrl"] = "https://evil.example/" }, 403},
			{"NotEndorsedForChannel", e.token(), func(a map[string]any) { a["channelId"] = "webchat" }, 403},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				a := e.installActivity()
				if tt.activity != nil {
					tt.activity(a)
				}
				status, body := e.post(a, tt.token)
				if status != tt.want {
					t.Fatalf("status = %d (%s), want %d", status, body, tt.want)
				}
				if _, err := s.LatestTeamsConversation(context.Background()); handoff.ErrorCode(err) != handoff.ENOTFOUND {
					t.Fatalf("a refused activity changed the store: %v", err)
				}
			})
		}

		t.Run("RotatedKeyIsFetched", func(t *testing.T) {
			k := e.bf.Rotate(t, "key-2")
			tok := teamstest.Sign(t, k, teamstest.Claims(teamstest.AppID, e.bf.ServiceURL(), now))
			if status, body := e.post(e.installActivity(), tok); status != 200 {
				t.Fatalf("status = %d (%s), want 200 after refetching the keys", status, body)
			}
			ref, err := s.TeamsConversation(context.Background(), teamID)
			if err != nil {
				t.Fatal(err)
			}
			if ref.ServiceURL != e.bf.ServiceURL() || ref.TenantID != tenantID || ref.TeamName != "Sales Team" || ref.BotID != botID || ref.ChannelName != "General" ||
				ref.GroupID != groupID {
				t.Fatalf("stored reference = %+v", ref)
			}
		})

		t.Run("BodyTooLarge", func(t *testing.T) {
			a := e.installActivity()
			a["text"] = strings.Repeat("x", handlers.MaxBodyBytes)
			if status, _ := e.post(a, e.token()); status != http.StatusRequestEntityTooLarge {
				t.Fatalf("status = %d, want 413", status)
			}
		})
	})
}

func TestTeamsLeadFlow(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		e := newTeamsEnv(t, s, nil)
		ctx := context.Background()
		e.install()
		if ref, err := s.TeamsConversation(ctx, "Sales Team/Sales"); err != nil || ref.ConversationID != salesID {
			t.Fatalf("Sales channel = %+v, %v", ref, err)
		}

		id := e.newSQL("t1")
		e.deliver()
		creates := callsOf(e.bf, "create")
		if len(creates) != 1 {
			t.Fatalf("create calls = %d, want 1 (the lead's thread)", len(creates))
		}
		post := creates[0]
		if ch := post.Body["channelData"].(map[string]any)["channel"].(map[string]any)["id"]; ch != salesID {
			t.Fatalf("posted to channel %v, want %s", ch, salesID)
		}
		if !strings.Contains(cardText(post), `"contentType":"application/vnd.microsoft.card.adaptive"`) || !strings.Contains(cardText(post), "New SQL: Acme t1") {
			t.Fatalf("post is not the lead card: %s", cardText(post))
		}
		posts, err := s.ChatPosts(ctx, id)
		if err != nil || len(posts) != 1 || posts[0].Platform != teams.Name || posts[0].MessageID != post.ActivityID {
			t.Fatalf("chat posts = %+v, %v; want the activity id %s", posts, err, post.ActivityID)
		}

		// Rita claims with Action.Execute: the answer is the refreshed card.
		res := e.invoke(ritaID, "Rita Rep", map[string]any{"action": bot.ActionClaim, "value": fmt.Sprint(id)})
		if res.StatusCode != 200 || res.Type != teams.CardContentType || !strings.Contains(res.raw, `Claimed by \u003cat\u003eRita Rep\u003c/at\u003e`) {
			t.Fatalf("claim answer = %s", res.raw)
		}
		e.deliver() // the owner's email is looked up after the acknowledgement
		l := e.lead(id)
		if l.Stage != handoff.StageClaimed || l.Owner.Platform != teams.Name || l.Owner.UserID != ritaID || l.Owner.Email != "rep@example.com" {
			t.Fatalf("lead after claim = %+v", l)
		}

		// Bob is too late: his card names Rita, and he is told privately.
		res = e.invoke(bobID, "Bob", map[string]any{"action": bot.ActionClaim, "value": fmt.Sprint(id)})
		if !strings.Contains(res.raw, "Rita Rep") {
			t.Fatalf("late claim answer = %s", res.raw)
		}
		if l := e.lead(id); l.Owner.UserID != ritaID {
			t.Fatalf("owner = %+v after a late claim", l.Owner)
		}

		e.deliver()
		updates := callsOf(e.bf, "update")
		if len(updates) != 1 || updates[0].ActivityID != post.ActivityID || updates[0].ConversationID != salesID+";messageid="+post.ActivityID {
			t.Fatalf("updates = %+v, want the posted card", updates)
		}
		if !strings.Contains(cardText(updates[0]), "Rita Rep") {
			t.Fatalf("updated card does not name the owner: %s", cardText(updates[0]))
		}
		// One-to-one chats: Rita's DM with the lead, Bob's notice.
		var dmTo []string
		for _, c := range callsOf(e.bf, "create") {
			if m, ok := c.Body["members"].([]any); ok {
				dmTo = append(dmTo, fmt.Sprint(m[0].(map[string]any)["id"]))
				if c.Body["tenantId"] != tenantID {
					t.Errorf("1:1 chat without the tenant: %v", c.Body)
				}
			}
		}
		if strings.Join(dmTo, ",") != ritaID+","+bobID && strings.Join(dmTo, ",") != bobID+","+ritaID {
			t.Fatalf("1:1 chats created for %v, want Rita and Bob", dmTo)
		}
		var sawTooLate, sawDM bool
		for _, c := range callsOf(e.bf, "send") {
			sawTooLate = sawTooLate || strings.Contains(cardText(c), "Too late")
			sawDM = sawDM || strings.Contains(cardText(c), "You claimed Acme t1")
		}
		if !sawTooLate || !sawDM {
			t.Fatalf("sends: too late %v, owner DM %v: %+v", sawTooLate, sawDM, callsOf(e.bf, "send"))
		}

		// Log contact, then Won through its form.
		e.invoke(ritaID, "Rita Rep", map[string]any{"action": bot.ActionLogContact, "value": fmt.Sprint(id)})
		form := e.invoke(ritaID, "Rita Rep", map[string]any{"action": bot.ActionWon, "value": fmt.Sprint(id)})
		if !strings.Contains(form.raw, "Input.Number") || !strings.Contains(form.raw, teams.VerbFormSubmit) {
			t.Fatalf("won form = %s", form.raw)
		}
		var card struct {
			Body []struct {
				Type    string `json:"type"`
				Actions []struct {
					Data map[string]any `json:"data"`
				} `json:"actions"`
			} `json:"body"`
		}
		if err := json.Unmarshal(form.Value, &card); err != nil {
			t.Fatal(err)
		}
		submit := card.Body[len(card.Body)-1].Actions[0].Data
		bad := map[string]any{"in_amount": "12.345"}
		for k, v := range submit {
			bad[k] = v
		}
		again := e.invoke(ritaID, "Rita Rep", bad)
		if !strings.Contains(again.raw, "at most two decimals") {
			t.Fatalf("invalid amount answer = %s", again.raw)
		}
		submit["in_amount"] = "40000"
		done := e.invoke(ritaID, "Rita Rep", submit)
		if !strings.Contains(done.raw, "Won: Acme t1") {
			t.Fatalf("won answer = %s", done.raw)
		}
		if l := e.lead(id); l.Stage != handoff.StageWon || l.AmountMinor != 4_000_000 {
			t.Fatalf("lead = %s %d, want won 4000000", l.Stage, l.AmountMinor)
		}
	})
}

func TestTeamsClaimedInSlackCannotBeClaimedInTeams(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		e := newTeamsEnv(t, s, nil)
		e.install()
		id := e.newSQL("t2")
		if err := e.bot.Claim(context.Background(), bot.Actor{Platform: "slack", UserID: "U0SLACK"}, id); err != nil {
			t.Fatal(err)
		}
		res := e.invoke(ritaID, "Rita Rep", map[string]any{"action": bot.ActionClaim, "value": fmt.Sprint(id)})
		if res.StatusCode != 200 || !strings.Contains(res.raw, "Claimed by a Slack user") {
			t.Fatalf("answer = %s", res.raw)
		}
		if l := e.lead(id); l.Owner.Platform != "slack" || l.Owner.UserID != "U0SLACK" {
			t.Fatalf("owner = %+v, want the Slack rep", l.Owner)
		}
	})
}

func TestTeamsConcurrentClaims(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		e := newTeamsEnv(t, s, nil)
		e.install()
		id := e.newSQL("t3")
		var wg sync.WaitGroup
		for i := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				e.invoke(fmt.Sprintf("29:rep%d", i), fmt.Sprintf("Rep %d", i), map[string]any{"action": bot.ActionClaim, "value": fmt.Sprint(id)})
			}()
		}
		wg.Wait()
		claims := testkit.ClaimEvents(t, s, id)
		if claims != 1 {
			t.Fatalf("claimed events = %d, want exactly 1", claims)
		}
	})
}

func TestTeamsDeliveryRetries(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		e := newTeamsEnv(t, s, nil)
		e.install()

		t.Run("RateLimitedThenPosted", func(t *testing.T) {
			e.bf.RateLimit(1, "3")
			id := e.newSQL("r1")
			e.deliver()
			if posts, _ := s.ChatPosts(context.Background(), id); len(posts) != 0 {
				t.Fatalf("posted despite 429: %+v", posts)
			}
			e.clock.Advance(2 * time.Second)
			e.deliver()
			if posts, _ := s.ChatPosts(context.Background(), id); len(posts) != 0 {
				t.Fatal("retried before Retry-After")
			}
			e.clock.Advance(2 * time.Second)
			e.deliver()
			posts, _ := s.ChatPosts(context.Background(), id)
			if len(posts) != 1 || posts[0].MessageID == "" {
				t.Fatalf("after Retry-After: posts = %+v", posts)
			}
		})

		t.Run("TokenFailureRetriedNotCached", func(t *testing.T) {
			before := e.bf.TokenCalls()
			e.bf.FailToken(1)
			// Force a fresh token: a new connector, as after a restart.
			conn := teams.NewConnector(teamstest.AppID, teamstest.AppSecret, e.bf.TokenURL(), nil, teamstest.ClientTimeout)
			platform := teams.NewPlatform(conn, s, tenantID)
			disp := outbox.New(outbox.Config{Store: s, Policy: e.policy, Now: e.clock.Now, Logger: discardLogger(),
				Targets: []bot.Target{{Platform: platform, SalesChannel: "Sales"}}, BaseBackoff: time.Second, MaxBackoff: 2 * time.Second})
			id := e.newSQL("r2")
			if _, err := disp.RunOnce(context.Background()); err != nil {
				t.Fatal(err)
			}
			if posts, _ := s.ChatPosts(context.Background(), id); len(posts) != 0 {
				t.Fatal("posted without a token")
			}
			e.clock.Advance(3 * time.Second)
			if _, err := disp.RunOnce(context.Background()); err != nil {
				t.Fatal(err)
			}
			if posts, _ := s.ChatPosts(context.Background(), id); len(posts) != 1 {
				t.Fatalf("posts after the token endpoint recovered = %+v", posts)
			}
			if n := e.bf.TokenCalls() - before; n != 2 {
				t.Fatalf("token calls = %d, want 2 (the failure was retried, not cached)", n)
			}
		})
	})
}

type fixedAnswerer struct{}

func (fixedAnswerer) Answer(ctx context.Context, cmd bot.Command) (bot.Message, error) {
	if cmd.Text == "bad" {
		return bot.Message{}, handoff.Errorf(handoff.EINVALID, "Usage: funnel week|month")
	}
	msg := bot.Notice("*" + cmd.Name + "* " + cmd.Text + " for " + bot.Mention(cmd.UserID))
	msg.Private = !strings.HasSuffix(cmd.Text, "public")
	return msg, nil
}

func TestTeamsMessages(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		e := newTeamsEnv(t, s, fixedAnswerer{})
		e.install()
		personal := "a:rita-personal"
		say := func(text string) string { return e.say(ritaID, "Rita Rep", personal, text) }
		if got := say("help"); !strings.Contains(got, "funnel month") {
			t.Errorf("help = %s", got)
		}
		if got := say("<at>Handoff</at> funnel month"); !strings.Contains(got, "**funnel** month for") || !strings.Contains(got, "Rita Rep") {
			t.Errorf("funnel month = %s", got)
		}
		if got := say("funnel bad"); !strings.Contains(got, "Usage: funnel") {
			t.Errorf("funnel bad = %s", got)
		}
		if got := say("dance"); !strings.Contains(got, "I don't know") {
			t.Errorf("unknown = %s", got)
		}
		if len(callsOf(e.bf, "create")) != 0 {
			t.Error("a 1:1 chat was created although the personal chat is known")
		}

		t.Run("PublicInChannel", func(t *testing.T) {
			ask := func(text string) []teamstest.Call {
				t.Helper()
				a := e.activity("message", ritaID, "Rita Rep", salesID+";messageid=77")
				a["text"] = "<at>Handoff</at> " + text
				if status, body := e.post(a, e.token()); status != 200 {
					t.Fatalf("%q: HTTP %d %s", text, status, body)
				}
				before := len(e.bf.Calls())
				e.deliver()
				return e.bf.Calls()[before:]
			}
			shared := ask("funnel month public")
			if len(shared) != 1 || shared[0].Op != "create" || !strings.Contains(cardText(shared[0]), salesID) || !strings.Contains(cardText(shared[0]), "month public for") {
				t.Fatalf("shared answer calls = %+v, want one new thread in the sales channel", shared)
			}
			private := ask("funnel month")
			if len(private) != 1 || private[0].ConversationID != personal {
				t.Fatalf("private answer calls = %+v, want one in Rita's personal chat", private)
			}
		})

		t.Run("NoAnswerer", func(t *testing.T) {
			e2 := newTeamsEnv(t, s, nil)
			a := e2.activity("message", ritaID, "Rita Rep", personal)
			a["text"] = "sla"
			if status, _ := e2.post(a, e2.token()); status != 200 {
				t.Fatal(status)
			}
			e2.deliver()
			sends := callsOf(e2.bf, "send")
			if len(sends) != 1 || !strings.Contains(cardText(sends[0]), "not available yet") {
				t.Fatalf("sends = %+v", sends)
			}
		})

		t.Run("ActionSubmitClaims", func(t *testing.T) {
			id := e.newSQL("m1")
			a := e.activity("message", bobID, "Bob", salesID+";messageid=99")
			a["replyToId"] = "99"
			a["value"] = map[string]any{"action": bot.ActionClaim, "value": fmt.Sprint(id)}
			if status, body := e.post(a, e.token()); status != 200 || len(body) != 0 {
				t.Fatalf("submit: %d %s", status, body)
			}
			if l := e.lead(id); l.Owner.UserID != bobID {
				t.Fatalf("owner = %+v", l.Owner)
			}
		})

		t.Run("NonObjectValue", func(t *testing.T) {
			a := e.activity("message", bobID, "Bob", salesID)
			a["value"] = "just text"
			if status, _ := e.post(a, e.token()); status != 400 {
				t.Fatalf("status = %d, want 400", status)
			}
			inv := e.activity("invoke", bobID, "Bob", salesID)
			inv["name"] = "adaptiveCard/action"
			inv["value"] = map[string]any{"action": map[string]any{"verb": "lead.claim", "data": 17}}
			status, body := e.post(inv, e.token())
			if status != 200 || !strings.Contains(string(body), `"statusCode": 400`) {
				t.Fatalf("invoke with non-object data: %d %s", status, body)
			}
		})
	})
}

// Teams delivers an activity again when its first delivery took over 15 s
// or failed, with the same id, to whichever replica the load balancer
// picks: a command is answered once, and a card action runs once, its
// delivery again answered with the lead's card as it stands. The two
// apps share one database (on PostgreSQL two stores, as two replicas).
func TestTeamsActivityDeliveredAgain(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			e1, e2 := teamsReplicas(t, dialect, fixedAnswerer{})
			e1.install()
			deliveries := []*teamsEnv{e1, e2, e1}

			ask := e1.activity("message", ritaID, "Rita Rep", "a:rita-personal")
			ask["text"] = "funnel month"
			for _, e := range deliveries {
				e.redeliver(ask)
			}
			if n := len(callsOf(e1.bf, "send")) + len(callsOf(e2.bf, "send")); n != 1 {
				t.Fatalf("a command delivered %d times answered %d times, want once", len(deliveries), n)
			}

			id := e1.newSQL("again-1")
			e1.deliver()
			click := e1.clickActivity(ritaID, "Rita Rep", map[string]any{"action": bot.ActionClaim, "value": fmt.Sprint(id)})
			for i, e := range deliveries {
				res := e.redeliver(click)
				if res.StatusCode != 200 || res.Type != teams.CardContentType || !strings.Contains(string(res.Value), "Rita Rep") {
					t.Fatalf("delivery %d of the claim: %d %s %s, want the card claimed by Rita", i+1, res.StatusCode, res.Type, res.Value)
				}
			}
			if l, claims := e1.lead(id), testkit.ClaimEvents(t, e1.store, id); claims != 1 || l.Owner.UserID != ritaID {
				t.Fatalf("claimed events = %d, owner %+v; want one claim by Rita", claims, l.Owner)
			}
		})
	}
}

// teamsReplicas are two apps on one database of dialect, as two replicas
// behind a load balancer (on PostgreSQL two stores).
func teamsReplicas(t *testing.T, dialect string, answerer bot.CommandAnswerer) (e1, e2 *teamsEnv) {
	t.Helper()
	return teamsReplicasWith(t, dialect, answerer, handoff.DefaultPolicy())
}

// teamsReplicasWith is teamsReplicas under the agreement's policy.
func teamsReplicasWith(t *testing.T, dialect string, answerer bot.CommandAnswerer, policy handoff.Policy) (e1, e2 *teamsEnv) {
	t.Helper()
	s1 := storagetest.Open(t, dialect)
	s2 := s1
	if dialect == storage.DialectPostgres {
		u := storagetest.URL(t, dialect)
		s1, s2 = storagetest.OpenURL(t, u, storage.Options{}), storagetest.OpenURL(t, u, storage.Options{})
	}
	return newTeamsEnvWith(t, s1, answerer, policy), newTeamsEnvWith(t, s2, answerer, policy)
}

// redeliver posts activity a (perhaps already delivered to another
// replica) to e, with e's service URL as its token has it, delivers e's
// outbox and returns the answer (empty unless a was an invoke).
func (e *teamsEnv) redeliver(a map[string]any) teamsInvokeResponse {
	e.t.Helper()
	again := maps.Clone(a)
	again["serviceUrl"] = e.bf.ServiceURL()
	status, body := e.post(again, e.token())
	if status != 200 {
		e.t.Fatalf("HTTP %d %s", status, body)
	}
	e.deliver()
	var res teamsInvokeResponse
	if len(body) > 0 {
		if err := json.Unmarshal(body, &res); err != nil {
			e.t.Fatalf("answer %s: %v", body, err)
		}
		res.raw = string(body)
	}
	return res
}
