package slack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/outbox"
	"github.com/handoff/handoff/bot/report"
	slackbot "github.com/handoff/handoff/bot/slack"
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/internal/testkit"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

const (
	appToken     = "xapp-1-A0001-1-test"
	salesChannel = "CSALES"
	ackPatience  = 30 * time.Second // how long a test waits for an ack
	// pingInterval is how long the runner lets a connection be silent, on
	// the rig's clock, which stands still unless a test moves it.
	// slack-go's own check (four intervals of the wall clock) is a backstop
	// that fires in no test run.
	pingInterval = 10 * time.Minute
)

// socketRig is Handoff wired to a fake Slack over Socket Mode: the store,
// the bot, the outbox dispatcher and the Socket Mode runner.
type socketRig struct {
	store  *storage.Store
	slack  *slacktest.Server
	disp   *outbox.Dispatcher
	runner *slackbot.SocketMode
	log    *testkit.LogBuffer // the runner's and the App's log
	// members is the bot's sales channel members (not shared: Share them
	// before start).
	members *slackbot.SalesMembers
	// workspace is the App's (not shared: Share it before start).
	workspace *slackbot.Workspace
	// clock is the runner's; checks receives the ticks of each
	// connection's liveness check, in the order of the connections.
	clock  *testkit.Clock
	checks chan chan time.Time
	// answerDue ends the App's AnswerWithin when the test sends on it (it
	// never ends otherwise); release lets a "slow …" command's answer go.
	answerDue chan time.Time
	release   chan struct{}

	cancel context.CancelFunc
	done   chan error
}

// newSocketRig builds the rig on a fake Slack over plain HTTP and ws://;
// the runner connects with appTok.
func newSocketRig(t testing.TB, s *storage.Store, appTok string) *socketRig {
	t.Helper()
	return newSocketRigOn(t, s, appTok, slacktest.New(token), nil, slacktest.ClientTimeout)
}

// newSocketRigOn builds the rig on fake (closed when the test ends); web,
// when set, makes the Web API calls (a client that trusts a TLS fake);
// timeout is SLACK_TIMEOUT.
func newSocketRigOn(t testing.TB, s *storage.Store, appTok string, fake *slacktest.Server, web *http.Client, timeout time.Duration) *socketRig {
	t.Helper()
	t.Cleanup(fake.Close)
	fake.EnableSocketMode(appToken)
	fake.SetMembers(salesChannel, "UANN", "UBEN", "UCAT", "UREP", "U1", "U00099")
	api := slackbot.NewClient(token, appTok, fake.APIURL(), timeout)
	if web != nil {
		slackapi.OptionHTTPClient(web)(api)
	}
	platform := slackbot.NewPlatform(api)
	policy := handoff.DefaultPolicy()
	quiet := slog.New(slog.DiscardHandler)
	disp := outbox.New(outbox.Config{Store: s, Targets: []bot.Target{{Platform: platform, SalesChannel: salesChannel}},
		Policy: policy, Logger: quiet})
	s.OnQueued(disp.Wake)
	members := slackbot.NewSalesMembers(api, salesChannel, slacktest.ClientTimeout)
	b := bot.New(bot.Config{Store: s, Policy: policy, Logger: quiet,
		Managers:     map[string]bot.Managers{slackbot.Name: slackbot.NewManagers(api, nil, "SMANAGERS", slacktest.ClientTimeout)},
		Directory:    map[string]bot.Directory{slackbot.Name: platform},
		SalesMembers: map[string]bot.SalesMembers{slackbot.Name: members}})
	answerDue, release := make(chan time.Time, 1), make(chan struct{})
	answerer := slowWhenAsked{&report.Reports{Store: s, Policy: policy}, release}
	logs := &testkit.LogBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	workspace := slackbot.NewWorkspace(api, slacktest.ClientTimeout)
	app := slackbot.NewApp(slackbot.AppConfig{Bot: b, Platform: platform, Workspace: workspace, Answerer: answerer, Dedup: s, Logger: logger,
		AnswerTimer: func(time.Duration) (<-chan time.Time, func()) { return answerDue, func() {} }})
	r := &socketRig{store: s, slack: fake, disp: disp, runner: slackbot.NewSocketMode(api, app, logger, timeout), log: logs, members: members,
		workspace: workspace, clock: testkit.NewClock(testkit.T0), checks: make(chan chan time.Time, 64), answerDue: answerDue, release: release}
	r.runner.PingInterval, r.runner.Now = pingInterval, r.clock.Now
	r.runner.Ticker = func(time.Duration) (<-chan time.Time, func()) {
		tick := make(chan time.Time)
		r.checks <- tick
		return tick, func() {}
	}
	return r
}

// start runs the runner until the test ends (or stop).
func (r *socketRig) start(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel, r.done = cancel, make(chan error, 1)
	go func() { r.done <- r.runner.Run(ctx) }()
	t.Cleanup(func() { r.stop(t) })
}

// stop cancels the runner and checks that Run returns nil (a Run that
// never returns fails the test after ackPatience: a hang, not a speed).
func (r *socketRig) stop(t *testing.T) {
	t.Helper()
	if r.cancel == nil {
		return
	}
	r.cancel()
	r.cancel = nil
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("Run = %v, want nil after cancel", err)
		}
	case <-time.After(ackPatience):
		t.Error("Run did not return after cancel")
	}
}

// reconnectWaits are the waits before reconnecting that the runner logged.
func (r *socketRig) reconnectWaits(t *testing.T) []time.Duration {
	t.Helper()
	var waits []time.Duration
	for _, m := range regexp.MustCompile(`reconnect_in=(\S+)`).FindAllStringSubmatch(r.log.String(), -1) {
		d, err := time.ParseDuration(m[1])
		if err != nil {
			t.Fatalf("reconnect_in=%s: %v", m[1], err)
		}
		waits = append(waits, d)
	}
	return waits
}

// exited reports whether Run has returned (without consuming its result
// for stop when it has not).
func (r *socketRig) exited() bool {
	select {
	case err := <-r.done:
		r.done <- err
		return true
	default:
		return false
	}
}

// drain delivers everything due in the outbox.
func (r *socketRig) drain(t *testing.T) {
	t.Helper()
	testkit.Drain(t, r.disp)
}

// announced saves a new SQL through the store and posts it.
func (r *socketRig) announced(t *testing.T, ext string) *handoff.Lead {
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

func (r *socketRig) lead(t *testing.T, id int64) *handoff.Lead {
	t.Helper()
	l, err := r.store.Lead(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// conn waits for the n-th Socket Mode connection.
func (r *socketRig) conn(t *testing.T, n int) *slacktest.SocketConn {
	t.Helper()
	c := r.slack.WaitSocket(n, ackPatience)
	if c == nil {
		t.Fatalf("no Socket Mode connection #%d (apps.connections.open calls: %d); log:\n%s",
			n, len(r.slack.Calls("apps.connections.open")), r.log.String())
	}
	return c
}

// greeted waits until the runner has seen hello on n connections: then
// it has read everything the fake sent so far on them.
func (r *socketRig) greeted(t *testing.T, n int) {
	t.Helper()
	for deadline := time.Now().Add(ackPatience); strings.Count(r.log.String(), "state=hello") < n && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if got := strings.Count(r.log.String(), "state=hello"); got < n {
		t.Fatalf("the runner saw hello %d times, want %d; log:\n%s", got, n, r.log.String())
	}
}

// check returns the ticks of the n-th connection's liveness check.
func (r *socketRig) check(t *testing.T, n int) chan<- time.Time {
	t.Helper()
	select {
	case tick := <-r.checks:
		return tick
	case <-time.After(ackPatience):
		t.Fatalf("connection %d has no liveness check", n)
		return nil
	}
}

// tick runs c's liveness check at the clock's time and reports whether it
// closed c. The ticks are unbuffered: the second is taken only when the
// check of the first is done, unless that check closed the connection.
func (r *socketRig) tick(t *testing.T, check chan<- time.Time, c *slacktest.SocketConn) (closed bool) {
	t.Helper()
	for range 2 {
		select {
		case check <- r.clock.Now():
		case <-c.Done():
			return true
		case <-time.After(ackPatience):
			t.Fatalf("the liveness check of connection %d neither ticks nor closes it", c.N)
		}
	}
	return false
}

// acked waits for n acknowledgements of id and returns them. Slack wants
// each within 3 s; how fast they are depends on the machine's load, so the
// latency is logged, not asserted (speed is in the benchmarks).
func (r *socketRig) acked(t *testing.T, id string, n int) []slacktest.SocketAck {
	t.Helper()
	acks := r.slack.WaitSocketAcks(id, n, ackPatience)
	if len(acks) < n {
		t.Fatalf("envelope %s acknowledged %d times, want %d; log:\n%s", id, len(acks), n, r.log.String())
	}
	for _, a := range acks {
		if a.Latency <= 0 {
			t.Fatalf("envelope %s acknowledged with latency %s, want it measured", id, a.Latency)
		}
		t.Logf("envelope %s acknowledged after %s", id, a.Latency)
	}
	return acks
}

// claim clicks Claim on l as user over c, and returns the envelope id.
func (r *socketRig) claim(t *testing.T, c *slacktest.SocketConn, user string, l *handoff.Lead) string {
	t.Helper()
	id, err := c.Interactive(slacktest.ClickPayload(user, salesChannel, "1700000000.000001", bot.ActionClaim, fmt.Sprint(l.ID), r.slack.ResponseURL(user)))
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// claimedBy checks that l is claimed by user and that its card was updated
// exactly once to say so.
func (r *socketRig) claimedBy(t *testing.T, l *handoff.Lead, user string) {
	t.Helper()
	got := r.lead(t, l.ID)
	if got.Stage != handoff.StageClaimed || got.Owner.UserID != user || got.Owner.Platform != slackbot.Name {
		t.Fatalf("lead %d = %s owned by %+v, want claimed by %s", l.ID, got.Stage, got.Owner, user)
	}
	var updates int
	for _, c := range r.slack.Calls("chat.update") {
		if strings.Contains(c.Param("text"), "<@"+user+">") && strings.Contains(c.Param("text"), "Co "+l.ExternalID) {
			updates++
		}
	}
	if updates != 1 {
		t.Fatalf("card of lead %d updated %d times naming <@%s>, want once; updates: %+v", l.ID, updates, user, r.slack.Calls("chat.update"))
	}
}

// slowWhenAsked answers "slow …" once release is closed (after its
// acknowledgement) and "long-history" with 100 events in ten sections (a
// lead's long history: an answer over Socket Mode's 20 KB acknowledgement
// limit, whose tables an acknowledgement shows as text); the
// reports answer the rest.
type slowWhenAsked struct {
	bot.CommandAnswerer
	release chan struct{}
}

func (a slowWhenAsked) Answer(ctx context.Context, cmd bot.Command) (bot.Message, error) {
	if rest, ok := strings.CutPrefix(cmd.Text, "slow "); ok {
		select {
		case <-a.release:
		case <-ctx.Done():
			return bot.Message{}, ctx.Err()
		}
		cmd.Text = rest
	}
	if cmd.Text == "long-history" {
		m := bot.Message{Summary: "History of hs-7 (100 events)", Header: "hs-7", Private: true}
		for i := range 100 { // ten sections of ten events, each line about 250 bytes
			if i%10 == 0 {
				m.Sections = append(m.Sections, bot.Section{})
			}
			s := &m.Sections[len(m.Sections)-1]
			s.Text += fmt.Sprintf("2026-11-%02d 12:%02d contact logged by <@U%05d>: %s\n", 1+i%28, i%60, i, strings.Repeat("called again ", 16))
		}
		return m, nil
	}
	return a.CommandAnswerer.Answer(ctx, cmd)
}

// TestSocketModeClaim: the runner opens a connection with the app-level
// token, is greeted, and handles a Claim click delivered twice (a retry):
// both deliveries are acknowledged within 3 s and the lead is claimed once.
func TestSocketModeClaim(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		r := newSocketRig(t, s, appToken)
		var claimAcks atomic.Int64 // the claim latency metric's observations
		r.runner.OnClaimAck = func(time.Duration) { claimAcks.Add(1) }
		l := r.announced(t, "sock-claim")
		r.start(t)
		c := r.conn(t, 1)
		if opens := r.slack.Calls("apps.connections.open"); len(opens) != 1 {
			t.Fatalf("apps.connections.open calls = %d, want 1", len(opens))
		}
		r.greeted(t, 1)

		id := r.claim(t, c, "UREP", l)
		if err := c.Redeliver(id); err != nil { // Slack retries; both are in flight at once
			t.Fatal(err)
		}
		for _, a := range r.acked(t, id, 2) {
			if a.Payload != nil || a.Conn != 1 {
				t.Fatalf("ack = %+v, want an empty ack on connection 1", a)
			}
		}
		// Both acknowledgements are measured, as over HTTP.
		for deadline := time.Now().Add(ackPatience); claimAcks.Load() < 2 && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
		if n := claimAcks.Load(); n != 2 {
			t.Fatalf("claim acknowledgements measured = %d, want 2", n)
		}
		r.drain(t)
		r.claimedBy(t, l, "UREP")
		got := r.lead(t, l.ID)
		if got.Owner.Email != "urep@example.com" {
			t.Fatalf("owner email = %q, want urep@example.com", got.Owner.Email)
		}
		if eph := r.slack.Calls("chat.postEphemeral"); len(eph) != 0 {
			t.Fatalf("private notices = %+v, want none for the owner's own retry", eph)
		}
		if dms := r.slack.Calls("conversations.open"); len(dms) != 1 || dms[0].Param("users") != "UREP" {
			t.Fatalf("DMs opened = %+v, want one to UREP", dms)
		}
		if len(r.slack.SocketConns()) != 1 {
			t.Fatalf("connections = %d, want 1", len(r.slack.SocketConns()))
		}
	})
}

// TestSocketModeCommandsAndEvents: a slash command is answered in its
// acknowledgement, a slow one is acknowledged at once and answered through
// response_url, and a retried event is acknowledged each time but handled
// once.
func TestSocketModeCommandsAndEvents(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		r := newSocketRig(t, s, appToken)
		r.start(t)
		c := r.conn(t, 1)

		id, err := c.SlashCommand(slacktest.CommandBody("U1", "C1", "/funnel", "help", r.slack.ResponseURL("help")))
		if err != nil {
			t.Fatal(err)
		}
		ack := r.acked(t, id, 1)[0]
		var answer struct {
			ResponseType string           `json:"response_type"`
			Text         string           `json:"text"`
			Blocks       []map[string]any `json:"blocks"`
		}
		if err := json.Unmarshal(ack.Payload, &answer); err != nil {
			t.Fatalf("ack payload %s: %v", ack.Payload, err)
		}
		if answer.ResponseType != "ephemeral" || !strings.Contains(answer.Text, "How to use /funnel") || !strings.Contains(string(ack.Payload), "/funnel [period] [source] [public]") {
			t.Fatalf("ack payload = %s, want the private /funnel help", ack.Payload)
		}

		r.answerDue <- time.Now() // AnswerWithin ends before the answer comes
		id, err = c.SlashCommand(slacktest.CommandBody("U1", "C1", "/funnel", "slow help", r.slack.ResponseURL("slow")))
		if err != nil {
			t.Fatal(err)
		}
		if ack := r.acked(t, id, 1)[0]; !strings.Contains(string(ack.Payload), "Working on") {
			t.Fatalf("slow command ack = %s after %s, want \"Working on\"", ack.Payload, ack.Latency)
		}
		close(r.release)
		deadline := time.Now().Add(ackPatience)
		for len(r.slack.Responses("slow")) == 0 && time.Now().Before(deadline) {
			r.drain(t)
			time.Sleep(20 * time.Millisecond)
		}
		if late := r.slack.Responses("slow"); len(late) != 1 || !strings.Contains(late[0].Text, "How to use /funnel") {
			t.Fatalf("late answers = %+v, want the /funnel help through response_url", late)
		}
		if len(r.slack.Responses("help")) != 0 {
			t.Fatal("the quick answer also went through response_url")
		}

		// An answer too big for an acknowledgement (20 KB) still reaches the
		// user, through response_url.
		id, err = c.SlashCommand(slacktest.CommandBody("U1", "C1", "/leads", "long-history", r.slack.ResponseURL("big")))
		if err != nil {
			t.Fatal(err)
		}
		if ack := r.acked(t, id, 1)[0]; len(ack.Payload) >= 20*1024 {
			t.Fatalf("ack of %d bytes, over Slack's 20 KB", len(ack.Payload))
		}
		if !strings.Contains(r.log.String(), "20480-byte") {
			t.Fatalf("the answer fitted in an acknowledgement; the test needs a bigger one. log:\n%s", r.log.String())
		}
		deadline = time.Now().Add(ackPatience)
		for len(r.slack.Responses("big")) == 0 && time.Now().Before(deadline) {
			r.drain(t)
			time.Sleep(20 * time.Millisecond)
		}
		if big := r.slack.Responses("big"); len(big) != 1 || !strings.Contains(big[0].Text, "History of hs-7") || !strings.Contains(fmt.Sprint(big[0].Blocks), "U00099") {
			t.Fatalf("answers through response_url = %+v, want the whole history", big)
		}

		event := `{"type":"event_callback","team_id":"T0001","api_app_id":"A0001","event_id":"Ev0SOCKET1","event_time":1700000000,"event":{"type":"tokens_revoked","tokens":{"bot":["UBOT"]}}}`
		id, err = c.EventsAPI(event)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Redeliver(id); err != nil {
			t.Fatal(err)
		}
		r.acked(t, id, 2)
		first, err := s.MarkProcessed(context.Background(), slackbot.Name, "Ev0SOCKET1", time.Now())
		if err != nil || first {
			t.Fatalf("MarkProcessed after deliveries = %v, %v; want already processed", first, err)
		}
	})
}

// TestSocketModeResponseURLGivesUpAfterTheConfiguredTimeout: SLACK_TIMEOUT
// bounds the post of a command's answer too big for an acknowledgement to
// its response_url, as it bounds a Web API call. With the setting at 1s
// and Slack holding the post, the runner gives up (the fake sees its
// request's context end) and logs the answer's failure as the client's
// timeout: "Client.Timeout exceeded" when net/http's timer wins, "context
// deadline exceeded" when the request's context ends first (with a
// RoundTripper outside net/http, as testkit.Deadlines, either can); the
// post was sent with at most the setting left to wait (read
// from the request, testkit.Deadlines, never timed).
func TestSocketModeResponseURLGivesUpAfterTheConfiguredTimeout(t *testing.T) {
	const setting = time.Second
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		r := newSocketRigOn(t, s, appToken, slacktest.New(token), nil, setting)
		deadlines := &testkit.Deadlines{}
		slackbot.ResponsesVia(r.runner, deadlines)
		_, gaveUp, release := r.slack.Hold("response_url")
		t.Cleanup(release)
		r.start(t)
		c := r.conn(t, 1)
		id, err := c.SlashCommand(slacktest.CommandBody("U1", "C1", "/leads", "long-history", r.slack.ResponseURL("big")))
		if err != nil {
			t.Fatal(err)
		}
		if ack := r.acked(t, id, 1)[0]; len(ack.Payload) >= 20*1024 {
			t.Fatalf("ack of %d bytes, over Slack's 20 KB", len(ack.Payload))
		}
		<-gaveUp  // the fake saw the runner give up
		r.stop(t) // the runner has handled the command: its log is written
		const failed = "slack socket mode: answer through response_url"
		if lines := r.log.Lines(failed); len(lines) != 1 || !timedOut(lines[0]) {
			t.Fatalf("log lines %q = %q, want one with the client's timeout; log:\n%s", failed, lines, r.log.String())
		}
		seen := deadlines.Seen()
		if len(seen) != 1 || seen[0].Path != "/response/big" {
			t.Fatalf("posts to response_url = %+v, want the one to /response/big", seen)
		}
		if left := seen[0].Left(); left <= 0 || left > setting {
			t.Errorf("the post was sent with %s left to wait, want at most the setting, %s", left, setting)
		}
	})
}

// timedOut reports whether an error's text is that of an http.Client's
// Timeout, in either of the two forms net/http gives it.
func timedOut(text string) bool {
	return strings.Contains(text, "Client.Timeout exceeded") || strings.Contains(text, "context deadline exceeded")
}

// TestSocketModeReconnects: after a disconnect request and after the
// socket drops, the runner asks apps.connections.open for a new URL and
// goes on handling clicks; an envelope redelivered on the new connection
// is acknowledged again and changes nothing.
func TestSocketModeReconnects(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		r := newSocketRig(t, s, appToken)
		l1, l2, l3 := r.announced(t, "sock-1"), r.announced(t, "sock-2"), r.announced(t, "sock-3")
		r.start(t)

		c1 := r.conn(t, 1)
		id1 := r.claim(t, c1, "UANN", l1)
		r.acked(t, id1, 1)
		if err := c1.Disconnect("refresh_requested"); err != nil {
			t.Fatal(err)
		}
		c2 := r.conn(t, 2)
		select {
		case <-c1.Done():
		case <-time.After(ackPatience):
			t.Fatal("the runner kept the old connection open after disconnect")
		}
		if opens := r.slack.Calls("apps.connections.open"); len(opens) != 2 {
			t.Fatalf("apps.connections.open calls = %d, want 2 (a new URL per connection)", len(opens))
		}
		if err := c2.Redeliver(id1); err != nil {
			t.Fatal(err)
		}
		id2 := r.claim(t, c2, "UBEN", l2)
		r.acked(t, id2, 1)
		if acks := r.acked(t, id1, 2); acks[1].Conn != 2 {
			t.Fatalf("redelivered envelope acknowledged on connection %d, want 2", acks[1].Conn)
		}

		c2.Drop() // no disconnect message, no close frame
		c3 := r.conn(t, 3)
		id3 := r.claim(t, c3, "UCAT", l3)
		if acks := r.acked(t, id3, 1); acks[0].Conn != 3 {
			t.Fatalf("ack on connection %d, want 3", acks[0].Conn)
		}
		if opens := r.slack.Calls("apps.connections.open"); len(opens) != 3 {
			t.Fatalf("apps.connections.open calls = %d, want 3", len(opens))
		}
		r.drain(t)
		r.claimedBy(t, l1, "UANN")
		r.claimedBy(t, l2, "UBEN")
		r.claimedBy(t, l3, "UCAT")
		if n := len(r.slack.Calls("chat.update")); n != 3 {
			t.Fatalf("chat.update calls = %d, want 3", n)
		}
		if r.exited() {
			t.Fatal("Run returned")
		}
	})
}

// TestSocketModeInvalidAuth: apps.connections.open answering invalid_auth
// is fatal to slack-go's RunContext; the runner retries with growing,
// jittered waits instead of exiting, connects once the token works, and
// stops when cancelled.
func TestSocketModeInvalidAuth(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		r := newSocketRig(t, s, appToken)
		l := r.announced(t, "sock-auth")
		r.slack.RefuseConnections(2)
		r.start(t)
		c := r.conn(t, 1)
		opens := r.slack.Calls("apps.connections.open")
		if len(opens) != 3 {
			t.Fatalf("apps.connections.open calls = %d, want 3 (two refused)", len(opens))
		}
		// The waits the runner chose (not how long they took on this machine):
		// jittered in the upper half of 1 s, then of 2 s.
		waits := r.reconnectWaits(t)
		if len(waits) != 2 || waits[0] < 500*time.Millisecond || waits[0] > time.Second || waits[1] < time.Second || waits[1] > 2*time.Second {
			t.Fatalf("waits before reconnecting = %v, want one in [0.5 s, 1 s], then one in [1 s, 2 s]", waits)
		}
		if !strings.Contains(r.log.String(), "invalid_auth") {
			t.Fatalf("the refusal was not logged:\n%s", r.log.String())
		}
		id := r.claim(t, c, "UREP", l)
		r.acked(t, id, 1)
		r.drain(t)
		r.claimedBy(t, l, "UREP")
		r.stop(t)
		select {
		case <-c.Done():
		case <-time.After(ackPatience):
			t.Fatal("the connection stayed open after Run returned")
		}
	})
}

// TestSocketModeBackoffStartsOver: a connection that lasted over a minute
// on the runner's clock resets the backoff, so the refusal after it waits
// as the first one did, not twice as long.
func TestSocketModeBackoffStartsOver(t *testing.T) {
	s := storagetest.Open(t, storage.DialectSQLite)
	r := newSocketRig(t, s, appToken)
	r.slack.RefuseConnections(1)
	r.start(t)
	c := r.conn(t, 1)
	r.clock.Advance(2 * time.Minute)
	r.slack.RefuseConnections(1)
	c.Drop()
	r.conn(t, 2)
	waits := r.reconnectWaits(t)
	if len(waits) != 2 || waits[1] < 500*time.Millisecond || waits[1] > time.Second {
		t.Fatalf("waits before reconnecting = %v, want the second in [0.5 s, 1 s] again", waits)
	}
}

// TestSocketModeStopsWhileRefused: with a token Slack always refuses, the
// runner does not return by itself but waits to retry, and returns nil
// when cancelled in the middle of that wait: the wait is at least half an
// hour here, so returning at all means it was cut short.
func TestSocketModeStopsWhileRefused(t *testing.T) {
	s := storagetest.Open(t, storage.DialectSQLite)
	r := newSocketRig(t, s, "xapp-1-A0001-1-revoked")
	r.runner.Backoff = time.Hour
	r.start(t)
	for deadline := time.Now().Add(ackPatience); len(r.reconnectWaits(t)) == 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if waits := r.reconnectWaits(t); len(waits) != 1 || waits[0] < 30*time.Minute {
		t.Fatalf("waits before reconnecting = %v, want the runner in one wait of at least 30 min", waits)
	}
	if r.exited() {
		t.Fatal("Run returned on invalid_auth")
	}
	r.stop(t)
	if n := len(r.slack.SocketConns()); n != 0 {
		t.Fatalf("connections = %d with a refused token", n)
	}
}

// TestSocketModeSilentConnection: a connection Slack stops pinging is
// replaced after the ping interval; a pinged one is kept. Time is the
// rig's clock: the test moves it and ticks the liveness check itself, and
// the fake pings only when told, so the outcome is the same however slow
// the machine.
func TestSocketModeSilentConnection(t *testing.T) {
	s := storagetest.Open(t, storage.DialectSQLite)
	t.Run("Pinged", func(t *testing.T) {
		t.Parallel()
		r := newSocketRig(t, s, appToken)
		r.slack.SetSocketPing(-1)
		r.start(t)
		c, check := r.conn(t, 1), r.check(t, 1)
		r.greeted(t, 1)
		// Four intervals, each a whole interval after the last PING (the
		// first after hello): the connection is kept throughout.
		for i := range 4 {
			r.clock.Advance(pingInterval)
			if r.tick(t, check, c) {
				t.Fatalf("the connection was closed %d intervals after connecting, each pinged; log:\n%s", i+1, r.log.String())
			}
			if err := c.Ping(); err != nil {
				t.Fatal(err)
			}
			if n := c.WaitPongs(i+1, ackPatience); n < i+1 {
				t.Fatalf("PINGs answered = %d, want %d", n, i+1)
			}
		}
		if n := len(r.slack.SocketConns()); n != 1 || strings.Contains(r.log.String(), "nothing heard") {
			t.Fatalf("connections = %d, want the pinged one kept; log:\n%s", n, r.log.String())
		}
	})
	t.Run("Silent", func(t *testing.T) {
		t.Parallel()
		r := newSocketRig(t, s, appToken)
		r.slack.SetSocketPing(-1)
		r.start(t)
		c1, check := r.conn(t, 1), r.check(t, 1)
		r.greeted(t, 1)
		r.clock.Advance(pingInterval)
		if r.tick(t, check, c1) {
			t.Fatal("the connection was closed when silent for exactly the ping interval")
		}
		r.clock.Advance(time.Second)
		if !r.tick(t, check, c1) {
			t.Fatal("the connection silent for longer than the ping interval was kept")
		}
		r.conn(t, 2)
		r.check(t, 2)
		if !strings.Contains(r.log.String(), "nothing heard from Slack") {
			t.Fatalf("the runner did not say why it closed the connection; log:\n%s", r.log.String())
		}
		if opens := r.slack.Calls("apps.connections.open"); len(opens) != 2 {
			t.Fatalf("apps.connections.open calls = %d, want a new URL", len(opens))
		}
	})
}
