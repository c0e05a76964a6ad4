package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/outbox"
	slackbot "github.com/handoff/handoff/bot/slack"
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/handlers"
	"github.com/handoff/handoff/internal/testkit"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

const (
	signingSecret  = "8f742231b10e8888abcd99yyyzzz85a5"
	slackToken     = "xoxb-test"
	salesChannel   = "CSALES"
	managerChannel = "CMANAGERS"
)

// slackRig is Handoff wired to a fake Slack: the store, the bot, the outbox
// dispatcher, and the HTTP endpoints on a test server.
type slackRig struct {
	store *storage.Store
	slack *slacktest.Server
	disp  *outbox.Dispatcher
	srv   *httptest.Server
	// answerDue ends the App's AnswerWithin when the test sends on it; it
	// never ends otherwise.
	answerDue chan time.Time
	logs      *testkit.LogBuffer     // the Slack app's log
	lost      *atomic.Int32          // calls of the App's OnChannelLost
	back      *channelsBack          // the App's calls of OnChannelBack
	reqLogs   *testkit.LogBuffer     // the HTTP handlers' log (failed requests)
	levels    *testkit.Records       // both logs' records, with their levels
	members   *slackbot.SalesMembers // the App's and the bot's, not shared
	workspace *slackbot.Workspace    // the App's, not shared
}

// channelsBack records the channels of OnChannelBack's calls.
type channelsBack struct {
	mu       sync.Mutex
	channels []string
}

func (b *channelsBack) add(_ context.Context, channel string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.channels = append(b.channels, channel)
}

// list returns the channels so far, in the order of the calls.
func (b *channelsBack) list() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.channels)
}

func newSlackRig(t testing.TB, s *storage.Store, answerer bot.CommandAnswerer) *slackRig {
	t.Helper()
	return newSlackRigWith(t, s, answerer, 0)
}

// newSlackRigWith is newSlackRig whose Workspace (users.info, auth.test)
// asks Slack with a Web API client of that timeout, when not 0 (a short
// one).
func newSlackRigWith(t testing.TB, s *storage.Store, answerer bot.CommandAnswerer, timeout time.Duration) *slackRig {
	t.Helper()
	return newSlackRigOf(t, s, answerer, timeout, 0)
}

// newSlackRigOf is newSlackRigWith whose App opens forms (views.open)
// with a Web API client of formTimeout, when not 0 (a short one); the
// outbox posts with the rig's usual client.
func newSlackRigOf(t testing.TB, s *storage.Store, answerer bot.CommandAnswerer, timeout, formTimeout time.Duration) *slackRig {
	t.Helper()
	return newSlackRigUnder(t, s, answerer, timeout, formTimeout, handoff.DefaultPolicy())
}

// newSlackRigUnder is newSlackRigOf whose bot and outbox run under policy.
func newSlackRigUnder(t testing.TB, s *storage.Store, answerer bot.CommandAnswerer, timeout, formTimeout time.Duration, policy handoff.Policy) *slackRig {
	t.Helper()
	fake := slacktest.New(slackToken)
	t.Cleanup(fake.Close)
	fake.SetGroup("SMANAGERS", "UBOSS")
	sales := []string{"UREP", "UOWNER", "UNEW", "U1"}
	for i := range 1000 {
		sales = append(sales, fmt.Sprintf("UREP%d", i), fmt.Sprintf("UREP%03d", i))
	}
	fake.SetMembers(salesChannel, sales...)
	api := slackbot.NewClient(slackToken, "", fake.APIURL(), slacktest.ClientTimeout)
	platform := slackbot.NewPlatform(api)
	members, managers := slackbot.NewSalesMembers(api, salesChannel, slacktest.ClientTimeout), slackbot.NewManagers(api, nil, "SMANAGERS", slacktest.ClientTimeout)
	disp := outbox.New(outbox.Config{Store: s, Targets: []bot.Target{{Platform: platform, SalesChannel: salesChannel}},
		Policy: policy, Logger: discardLogger()})
	s.OnQueued(disp.Wake)
	b := bot.New(bot.Config{Store: s, Reps: s, Policy: policy, Logger: discardLogger(),
		Managers:     map[string]bot.Managers{slackbot.Name: managers},
		Directory:    map[string]bot.Directory{slackbot.Name: platform},
		SalesMembers: map[string]bot.SalesMembers{slackbot.Name: members}})
	if answerer != nil {
		answerer = b.Readers(answerer)
	}
	answerDue := make(chan time.Time, 1)
	logs, reqLogs, lost, back := &testkit.LogBuffer{}, &testkit.LogBuffer{}, &atomic.Int32{}, &channelsBack{}
	levels := testkit.NewRecords()
	workspaceAPI, workspaceTimeout := api, slacktest.ClientTimeout
	if timeout != 0 {
		workspaceAPI, workspaceTimeout = slackbot.NewClient(slackToken, "", fake.APIURL(), timeout), timeout
	}
	workspace := slackbot.NewWorkspace(workspaceAPI, workspaceTimeout)
	appPlatform := platform
	if formTimeout != 0 {
		appPlatform = slackbot.NewPlatform(slackbot.NewClient(slackToken, "", fake.APIURL(), formTimeout))
	}
	app := slackbot.NewApp(slackbot.AppConfig{Bot: b, Platform: appPlatform, Workspace: workspace, Answerer: answerer,
		Members: members, Managers: managers, SalesChannel: salesChannel, ManagerChannel: managerChannel, OnChannelLost: func() { lost.Add(1) }, OnChannelBack: back.add,
		Dedup: s, Logger: slog.New(slog.NewMultiHandler(slog.NewTextHandler(logs, nil), levels)), AnswerTimer: func(time.Duration) (<-chan time.Time, func()) { return answerDue, func() {} }})
	mux := http.NewServeMux()
	(&handlers.Slack{SigningSecret: signingSecret, App: app, Logger: slog.New(slog.NewMultiHandler(slog.NewTextHandler(reqLogs, nil), levels))}).Register(mux)
	srv := httptest.NewServer(handlers.Middleware(discardLogger(), mux, mux))
	t.Cleanup(srv.Close)
	return &slackRig{store: s, slack: fake, disp: disp, srv: srv, answerDue: answerDue, logs: logs, reqLogs: reqLogs, levels: levels, members: members,
		workspace: workspace, lost: lost, back: back}
}

// send posts body to path signed at ts with secret, and returns the status
// and the body.
func (r *slackRig) send(t testing.TB, path, secret string, ts time.Time, body string) (int, string) {
	t.Helper()
	req := slacktest.SignedRequest(r.srv.URL+path, secret, ts, body)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

func (r *slackRig) click(t testing.TB, user, action string, leadID int64) (int, string) {
	t.Helper()
	return r.send(t, "/slack/interactions", signingSecret, time.Now(),
		slacktest.ClickPayload(user, salesChannel, "1700000000.000001", action, fmt.Sprint(leadID), r.slack.ResponseURL(user)))
}

// drain delivers everything due in the outbox.
func (r *slackRig) drain(t testing.TB) {
	t.Helper()
	testkit.Drain(t, r.disp)
}

// announced saves a new SQL and posts it to the sales channel.
func (r *slackRig) announced(t testing.TB, ext string) *handoff.Lead {
	t.Helper()
	score := 75
	res, err := r.store.SaveLead(context.Background(), handoff.LeadInput{ExternalID: ext, Company: "Co " + ext, Name: "Bo", Score: &score},
		handoff.DefaultPolicy(), time.Now().UTC(), handoff.ActorAPI)
	if err != nil {
		t.Fatal(err)
	}
	r.drain(t)
	return res.Lead
}

func (r *slackRig) lead(t testing.TB, id int64) *handoff.Lead {
	t.Helper()
	l, err := r.store.Lead(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func ephemeralsTo(calls []slacktest.Call, user string) []string {
	var out []string
	for _, c := range calls {
		if c.Param("user") == user {
			out = append(out, c.Param("text"))
		}
	}
	return out
}

func TestSlackClaimRace(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		r := newSlackRig(t, s, nil)
		l := r.announced(t, "race")
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if status, body := r.click(t, fmt.Sprintf("UREP%d", i), bot.ActionClaim, l.ID); status != http.StatusOK {
					t.Errorf("click %d: %d %s", i, status, body)
				}
			}()
		}
		wg.Wait()
		r.drain(t)
		got := r.lead(t, l.ID)
		owner := got.Owner.UserID
		if got.Stage != handoff.StageClaimed || !strings.HasPrefix(owner, "UREP") || got.Owner.Email != strings.ToLower(owner)+"@example.com" {
			t.Fatalf("lead = %s, owner %+v; want claimed by one rep with their email", got.Stage, got.Owner)
		}
		updates := r.slack.Calls("chat.update")
		if len(updates) != 1 || !strings.Contains(updates[0].Param("text"), "<@"+owner+">") {
			t.Fatalf("chat.update calls = %d (%v), want one naming <@%s>", len(updates), updates, owner)
		}
		if !strings.Contains(updates[0].Param("blocks"), bot.ActionLogContact) {
			t.Fatal("updated card has no Log contact button")
		}
		eph := r.slack.Calls("chat.postEphemeral")
		if len(eph) != 7 {
			t.Fatalf("ephemerals = %d, want 7", len(eph))
		}
		for _, e := range eph {
			if e.Param("user") == owner || !strings.Contains(e.Param("text"), "<@"+owner+">") {
				t.Errorf("ephemeral to %s = %q, want a loser told the owner", e.Param("user"), e.Param("text"))
			}
		}
		if dms := r.slack.Calls("conversations.open"); len(dms) != 1 || dms[0].Param("users") != owner {
			t.Fatalf("DMs opened = %+v, want one to the owner", dms)
		}
		// The owner's double click is harmless.
		if status, _ := r.click(t, owner, bot.ActionClaim, l.ID); status != http.StatusOK {
			t.Fatalf("double click status = %d", status)
		}
		r.drain(t)
		if len(r.slack.Calls("chat.update")) != 1 || len(r.slack.Calls("chat.postEphemeral")) != 7 {
			t.Fatal("the owner's double click changed something")
		}
	})
}

func TestSlackPermissions(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		r := newSlackRig(t, s, nil)
		l := r.announced(t, "perm")
		if status, _ := r.click(t, "UOWNER", bot.ActionClaim, l.ID); status != http.StatusOK {
			t.Fatal(status)
		}
		r.drain(t)
		tests := []struct {
			name, user, action string
			wantStage          handoff.Stage
			wantRefusal        bool
			wantModal          bool
		}{
			{"OtherRepLogContact", "UOTHER", bot.ActionLogContact, handoff.StageClaimed, true, false},
			{"OtherRepRelease", "UOTHER", bot.ActionRelease, handoff.StageClaimed, true, false},
			{"OtherRepWon", "UOTHER", bot.ActionWon, handoff.StageClaimed, true, false},
			{"RepReassign", "UOWNER", bot.ActionReassign, handoff.StageClaimed, true, false},
			{"ManagerReassign", "UBOSS", bot.ActionReassign, handoff.StageClaimed, false, true},
			{"OwnerLogContact", "UOWNER", bot.ActionLogContact, handoff.StageContacted, false, false},
			{"OwnerWon", "UOWNER", bot.ActionWon, handoff.StageContacted, false, true},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				eph, views := len(ephemeralsTo(r.slack.Calls("chat.postEphemeral"), tt.user)), len(r.slack.Calls("views.open"))
				if status, body := r.click(t, tt.user, tt.action, l.ID); status != http.StatusOK {
					t.Fatalf("status = %d %s", status, body)
				}
				r.drain(t)
				if got := r.lead(t, l.ID); got.Stage != tt.wantStage || got.Owner.UserID != "UOWNER" {
					t.Fatalf("lead = %s owned by %s, want %s owned by UOWNER", got.Stage, got.Owner.UserID, tt.wantStage)
				}
				refusals := ephemeralsTo(r.slack.Calls("chat.postEphemeral"), tt.user)[eph:]
				if (len(refusals) > 0) != tt.wantRefusal {
					t.Fatalf("private notices = %q, want refusal %v", refusals, tt.wantRefusal)
				}
				opened := r.slack.Calls("views.open")[views:]
				if (len(opened) > 0) != tt.wantModal {
					t.Fatalf("modals opened = %d, want %v", len(opened), tt.wantModal)
				}
				if tt.wantModal {
					var view struct {
						CallbackID string `json:"callback_id"`
					}
					raw, _ := json.Marshal(opened[0].JSON["view"])
					if err := json.Unmarshal(raw, &view); err != nil || view.CallbackID != tt.action || opened[0].Param("trigger_id") != "trigger-"+tt.user {
						t.Fatalf("views.open = %+v", opened[0].JSON)
					}
				}
			})
		}
	})
}

func TestSlackModals(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		r := newSlackRig(t, s, nil)
		l := r.announced(t, "modal")
		state := fmt.Sprintf(`{"lead":%d,"channel":%q}`, l.ID, salesChannel)
		submit := func(user, form string, answers map[string]string) (int, string) {
			return r.send(t, "/slack/interactions", signingSecret, time.Now(), slacktest.SubmitPayload(user, form, state, answers))
		}
		// Not a fit: anyone may while it is unclaimed, but a reason is needed.
		if status, body := submit("UREP", bot.ActionNotAFit, map[string]string{"reason": " "}); status != http.StatusOK || !strings.Contains(body, `"response_action": "errors"`) || !strings.Contains(body, `"reason"`) {
			t.Fatalf("empty reason: %d %s, want errors on reason", status, body)
		}
		// The reason must come from the agreement's list.
		if status, body := submit("UREP", bot.ActionNotAFit, map[string]string{"select:reason": "too cheap"}); status != http.StatusOK || !strings.Contains(body, "Pick a reason from the list.") {
			t.Fatalf("reason not in the list: %d %s, want errors on reason", status, body)
		}
		// Another lead goes back with a reason from the list and a note.
		other := r.announced(t, "modal-2")
		otherState := fmt.Sprintf(`{"lead":%d,"channel":%q}`, other.ID, salesChannel)
		answers := map[string]string{"select:reason": "outside our segment", "note": "A three-person workshop"}
		if status, body := r.send(t, "/slack/interactions", signingSecret, time.Now(), slacktest.SubmitPayload("UREP", bot.ActionNotAFit, otherState, answers)); status != http.StatusOK || body != "" {
			t.Fatalf("not a fit: %d %q", status, body)
		}
		if got := r.lead(t, other.ID); got.Stage != handoff.StageRecycled || got.Reason != "outside our segment: A three-person workshop" {
			t.Fatalf("returned lead = %s %q", got.Stage, got.Reason)
		}
		events, err := s.Events(context.Background(), other.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d := events[len(events)-1].Details; d["reason_code"] != "outside our segment" || d["not_a_fit"] != "true" || d["note"] != "A three-person workshop" {
			t.Fatalf("not-a-fit event details = %v", d)
		}
		r.click(t, "UREP", bot.ActionClaim, l.ID)
		r.click(t, "UREP", bot.ActionLogContact, l.ID)
		// A manager reassigns; the new owner wins it.
		if status, body := submit("UBOSS", bot.ActionReassign, map[string]string{"user:owner": "UNEW"}); status != http.StatusOK || body != "" {
			t.Fatalf("reassign: %d %q", status, body)
		}
		if status, body := submit("UREP", bot.ActionWon, map[string]string{"amount": "1000"}); status != http.StatusOK || !strings.Contains(body, "errors") {
			t.Fatalf("won by the former owner: %d %s, want errors", status, body)
		}
		if status, body := submit("UNEW", bot.ActionWon, map[string]string{"amount": "12,5x"}); !strings.Contains(body, `"amount"`) {
			t.Fatalf("bad amount: %d %s, want errors on amount", status, body)
		}
		if status, body := submit("UNEW", bot.ActionWon, map[string]string{"amount": "40000"}); status != http.StatusOK || body != "" {
			t.Fatalf("won: %d %q", status, body)
		}
		r.drain(t)
		got := r.lead(t, l.ID)
		if got.Stage != handoff.StageWon || got.AmountMinor != 4_000_000 || got.Owner.UserID != "UNEW" {
			t.Fatalf("lead = %s %d owned by %s, want won 4000000 by UNEW", got.Stage, got.AmountMinor, got.Owner.UserID)
		}
		updates := r.slack.Calls("chat.update")
		if last := updates[len(updates)-1]; !strings.Contains(last.Param("text"), "DKK 40,000") {
			t.Fatalf("last card = %q, want the won amount", last.Param("text"))
		}
		if dms := r.slack.Calls("conversations.open"); len(dms) != 2 || dms[1].Param("users") != "UNEW" {
			t.Fatalf("DMs opened = %+v, want the claimer and then the new owner", dms)
		}
	})
}

func TestSlackSignatures(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		r := newSlackRig(t, s, nil)
		l := r.announced(t, "sig")
		click := slacktest.ClickPayload("UREP", salesChannel, "1.1", bot.ActionClaim, fmt.Sprint(l.ID), "")
		tests := []struct {
			name       string
			path       string
			secret     string
			ts         time.Time
			body       string
			tamper     func(*http.Request)
			wantStatus int
		}{
			{"ForgedSecret", "/slack/interactions", "not-the-secret", time.Now(), click, nil, http.StatusUnauthorized},
			{"Replayed", "/slack/interactions", signingSecret, time.Now().Add(-6 * time.Minute), click, nil, http.StatusUnauthorized},
			{"FromTheFuture", "/slack/interactions", signingSecret, time.Now().Add(6 * time.Minute), click, nil, http.StatusUnauthorized},
			{"NoSignature", "/slack/interactions", signingSecret, time.Now(), click, func(r *http.Request) { r.Header.Del("X-Slack-Signature") }, http.StatusUnauthorized},
			{"BodyChanged", "/slack/commands", signingSecret, time.Now(), "command=%2Ffunnel&user_id=U1", func(r *http.Request) {
				r.Body = io.NopCloser(strings.NewReader("command=%2Ffunnel&user_id=U2"))
			}, http.StatusUnauthorized},
			{"ForgedEvent", "/slack/events", "nope", time.Now(), `{"type":"url_verification","challenge":"x"}`, nil, http.StatusUnauthorized},
			{"MalformedInteraction", "/slack/interactions", signingSecret, time.Now(), "payload=%7Bnot+json", nil, http.StatusBadRequest},
			{"EmptyInteraction", "/slack/interactions", signingSecret, time.Now(), "", nil, http.StatusBadRequest},
			{"MalformedCommand", "/slack/commands", signingSecret, time.Now(), "text=hi", nil, http.StatusBadRequest},
			{"MalformedEvent", "/slack/events", signingSecret, time.Now(), `{"type":`, nil, http.StatusBadRequest},
			{"EventWithoutID", "/slack/events", signingSecret, time.Now(), `{"type":"event_callback","event":{"type":"app_home_opened"}}`, nil, http.StatusBadRequest},
			{"UnknownAction", "/slack/interactions", signingSecret, time.Now(), slacktest.ClickPayload("UREP", salesChannel, "1.1", "lead.bogus", "1", ""), nil, http.StatusBadRequest},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				req := slacktest.SignedRequest(r.srv.URL+tt.path, tt.secret, tt.ts, tt.body)
				if tt.tamper != nil {
					tt.tamper(req)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != tt.wantStatus {
					t.Fatalf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
				}
				r.drain(t)
				if got := r.lead(t, l.ID); got.Stage != handoff.StageSQL || !got.Owner.IsZero() {
					t.Fatalf("lead changed to %s owned by %+v", got.Stage, got.Owner)
				}
				if n := len(r.slack.Calls("chat.postEphemeral")) + len(r.slack.Calls("chat.update")); n != 0 {
					t.Fatalf("Slack was called %d times", n)
				}
			})
		}
	})
}

func TestSlackEvents(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		r := newSlackRig(t, s, nil)
		status, body := r.send(t, "/slack/events", signingSecret, time.Now(), `{"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`)
		if status != http.StatusOK || !strings.Contains(body, "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P") {
			t.Fatalf("url_verification: %d %s", status, body)
		}
		event := `{"type":"event_callback","team_id":"T0001","event_id":"Ev0PV52K21","event_time":1700000000,"event":{"type":"tokens_revoked"}}`
		for i := range 3 { // Slack retries with the same event_id
			if status, body := r.send(t, "/slack/events", signingSecret, time.Now(), event); status != http.StatusOK {
				t.Fatalf("delivery %d: %d %s", i, status, body)
			}
		}
		first, err := s.MarkProcessed(context.Background(), slackbot.Name, "Ev0PV52K21", time.Now())
		if err != nil || first {
			t.Fatalf("MarkProcessed after deliveries = %v, %v; want already processed", first, err)
		}
		// An event_id longer than the store remembers is refused, naming
		// it, on both databases (PostgreSQL's column answered 500).
		long := `{"type":"event_callback","team_id":"T0001","event_id":"E` + strings.Repeat("P", handoff.MaxEventIDLen) + `","event_time":1700000000,"event":{"type":"tokens_revoked"}}`
		if status, body := r.send(t, "/slack/events", signingSecret, time.Now(), long); status != http.StatusBadRequest || !strings.Contains(body, "event_id is longer than 200 characters") {
			t.Errorf("an overlong event_id: %d %s, want 400 naming event_id", status, body)
		}
	})
}

// slowAnswerer answers once release is closed, at once when it is nil.
type slowAnswerer struct{ release chan struct{} }

func (a slowAnswerer) Answer(ctx context.Context, cmd bot.Command) (bot.Message, error) {
	if a.release != nil {
		select {
		case <-a.release:
		case <-ctx.Done():
			return bot.Message{}, ctx.Err()
		}
	}
	if cmd.Text == "bad" {
		return bot.Message{}, handoff.Errorf(handoff.EINVALID, "usage: /%s [month]", cmd.Name)
	}
	return bot.Notice("Funnel for " + bot.Escape(cmd.Text)), nil
}

func TestSlackCommands(t *testing.T) {
	s := storagetest.Open(t, storage.DialectSQLite)
	tests := []struct {
		name     string
		answerer bot.CommandAnswerer
		command  string
		text     string
		want     string // in the ack
		wantLate string // through response_url
	}{
		{"NoAnswerer", nil, "/funnel", "month", "is not available yet", ""},
		{"Answered", slowAnswerer{}, "/funnel", "month", "Funnel for month", ""},
		{"UsageError", slowAnswerer{}, "/sla", "bad", "usage: /sla [month]", ""},
		{"Unknown", nil, "/nope", "", "I don't know", ""},
		// The answer waits until the ack has arrived: the ack cannot wait for it.
		{"Slow", slowAnswerer{make(chan struct{})}, "/leads", "week", "Working on", "Funnel for week"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newSlackRig(t, s, tt.answerer)
			if tt.wantLate != "" {
				r.answerDue <- time.Now() // AnswerWithin ends before the answer comes
			}
			status, body := r.send(t, "/slack/commands", signingSecret, time.Now(), slacktest.CommandBody("U1", "C1", tt.command, tt.text, r.slack.ResponseURL("cmd")))
			if status != http.StatusOK || !strings.Contains(body, tt.want) || !strings.Contains(body, `"response_type": "ephemeral"`) {
				t.Fatalf("ack = %d %s, want ephemeral containing %q", status, body, tt.want)
			}
			if tt.wantLate == "" {
				return
			}
			close(tt.answerer.(slowAnswerer).release)
			deadline := time.Now().Add(30 * time.Second)
			for len(r.slack.Calls("response_url")) == 0 && time.Now().Before(deadline) {
				r.drain(t)
				time.Sleep(20 * time.Millisecond)
			}
			late := r.slack.Calls("response_url")
			if len(late) != 1 || !strings.Contains(late[0].Param("text"), tt.wantLate) {
				t.Fatalf("late answers = %+v, want one with %q", late, tt.wantLate)
			}
		})
	}
}
