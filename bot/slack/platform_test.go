package slack_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/handoff/handoff/bot"
	slackbot "github.com/handoff/handoff/bot/slack"
	"github.com/handoff/handoff/bot/slack/slacktest"
)

const token = "xoxb-test"

func TestPlatformErrors(t *testing.T) {
	fake := slacktest.New(token)
	defer fake.Close()
	p := slackbot.NewPlatform(slackbot.NewClient(token, "", fake.APIURL(), slacktest.ClientTimeout))
	wrong := slackbot.NewPlatform(slackbot.NewClient("xoxb-wrong", "", fake.APIURL(), slacktest.ClientTimeout))
	fake.ChannelNotFound("CGONE")
	msg := bot.Notice("hello")
	ctx := context.Background()
	tests := []struct {
		name          string
		setup         func()
		call          func() error
		wantRetry     time.Duration
		wantPermanent bool
		wantErr       bool
		wantSays      string // in the error's text: the fix of an error an admin can mend
		// wantRefusedBy is the channel that refused (bot.RefusedBy): what
		// it refused is queued again when the app is back there.
		wantRefusedBy string
	}{
		{"OK", nil, func() error { _, err := p.Post(ctx, "CSALES", msg); return err }, 0, false, false, "", ""},
		{"RateLimited", func() { fake.FailNext("chat.postMessage", 1, http.StatusTooManyRequests, 3) },
			func() error { _, err := p.Post(ctx, "CSALES", msg); return err }, 3 * time.Second, false, true, "", ""},
		{"ServerError", func() { fake.FailNext("chat.update", 1, http.StatusBadGateway, 0) },
			func() error { return p.Update(ctx, "CSALES", "1.2", msg) }, 0, false, true, "", ""},
		// Too many messages, answered with HTTP 200 and no Retry-After: a
		// rate limit like a 429's, waiting RateLimitedWait; not given up.
		{"PostedTooMany", func() { fake.ErrorNext("chat.postMessage", 1, "rate_limited") },
			func() error { _, err := p.Post(ctx, "CSALES", msg); return err }, slackbot.RateLimitedWait, false, true, "slack chat.postMessage: rate_limited", ""},
		{"EnterpriseMigration", func() { fake.ErrorNext("chat.update", 1, "org_login_required") },
			func() error { return p.Update(ctx, "CSALES", "1.2", msg) }, 0, false, true, "slack chat.update: org_login_required", ""},
		{"ChannelNotFound", nil, func() error { _, err := p.Post(ctx, "CGONE", msg); return err }, 0, true, true,
			"channel_not_found (no channel with that id is visible to the app: check the channel ids (SLACK_SALES_CHANNEL", "CGONE"},
		{"NotInChannel", func() { fake.RemoveBot("CKICKED") }, func() error { _, err := p.Post(ctx, "CKICKED", msg); return err }, 0, true, true,
			"slack chat.postMessage: not_in_channel (the app is not a member of the channel: invite it there with /invite @Handoff)", "CKICKED"},
		{"UpdateNotInChannel", nil, func() error { return p.Update(ctx, "CKICKED", "1.2", msg) }, 0, true, true,
			"slack chat.update: not_in_channel", "CKICKED"},
		{"DirectChannelNotFound", func() { fake.ChannelNotFound("D0GONE") }, func() error { _, err := p.Post(ctx, "D0GONE", msg); return err }, 0, true, true,
			"slack chat.postMessage: channel_not_found", ""},
		// A private notice is of its moment: not worth showing once the
		// bot is back.
		{"EphemeralNotInChannel", nil, func() error { return p.PostPrivate(ctx, "CKICKED", "U1", msg) }, 0, true, true,
			"slack chat.postEphemeral: not_in_channel", ""},
		{"ClientError", func() { fake.FailNext("chat.postEphemeral", 1, http.StatusBadRequest, 0) },
			func() error { return p.PostPrivate(ctx, "CSALES", "U1", msg) }, 0, true, true, "", ""},
		{"InvalidAuthIsRetried", nil, func() error { _, err := wrong.Post(ctx, "CSALES", msg); return err }, 0, false, true,
			"invalid_auth (Slack does not accept SLACK_BOT_TOKEN", ""},
		{"ReplyWithoutURL", nil, func() error { return p.Reply(ctx, "", msg) }, 0, true, true, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.setup != nil {
				tt.setup()
			}
			err := tt.call()
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			var ra *bot.RetryAfterError
			if got := errors.As(err, &ra); got != (tt.wantRetry > 0) || (got && ra.After != tt.wantRetry) {
				t.Fatalf("err = %v, want retry after %s", err, tt.wantRetry)
			}
			if bot.IsPermanent(err) != tt.wantPermanent {
				t.Fatalf("err = %v, permanent = %v, want %v", err, bot.IsPermanent(err), tt.wantPermanent)
			}
			if tt.wantSays != "" && !strings.Contains(err.Error(), tt.wantSays) {
				t.Fatalf("err = %q, want it to say %q", err, tt.wantSays)
			}
			if got := bot.RefusedBy(err); got != tt.wantRefusedBy {
				t.Fatalf("err = %v refused by %q, want %q", err, got, tt.wantRefusedBy)
			}
		})
	}
}

func TestPlatformDirectMessageAndReply(t *testing.T) {
	fake := slacktest.New(token)
	defer fake.Close()
	p := slackbot.NewPlatform(slackbot.NewClient(token, "", fake.APIURL(), slacktest.ClientTimeout))
	ctx := context.Background()
	for range 2 {
		channel, ts, err := p.DirectMessage(ctx, "U7", bot.Notice("hi"))
		if err != nil || channel != "DU7" || ts == "" {
			t.Fatalf("DirectMessage = %q, %q, %v; want the DM channel and a ts", channel, ts, err)
		}
	}
	if n := len(fake.Calls("conversations.open")); n != 1 {
		t.Fatalf("conversations.open calls = %d, want 1 (cached)", n)
	}
	posts := fake.Calls("chat.postMessage")
	if len(posts) != 2 || posts[0].Param("channel") != "DU7" {
		t.Fatalf("DM posts = %+v", posts)
	}
	if err := p.Reply(ctx, fake.ResponseURL("r1"), bot.Notice("answer")); err != nil {
		t.Fatal(err)
	}
	if r := fake.Calls("response_url"); len(r) != 1 || r[0].Param("response_type") != "ephemeral" || r[0].Param("text") != "answer" {
		t.Fatalf("response_url calls = %+v", r)
	}
	email, err := p.Email(ctx, "U7")
	if err != nil || email != "u7@example.com" {
		t.Fatalf("Email = %q, %v", email, err)
	}
}

func TestManagers(t *testing.T) {
	fake := slacktest.New(token)
	defer fake.Close()
	fake.SetGroup("S1", "UG1", "UG2")
	api := slackbot.NewClient(token, "", fake.APIURL(), slacktest.ClientTimeout)
	ctx := context.Background()
	tests := []struct {
		name    string
		users   []string
		group   string
		user    string
		want    bool
		wantErr bool
	}{
		{"Listed", []string{"UL"}, "", "UL", true, false},
		{"NotListed", []string{"UL"}, "", "UX", false, false},
		{"GroupMember", nil, "S1", "UG2", true, false},
		{"NotGroupMember", []string{"UL"}, "S1", "UX", false, false},
		{"UnknownGroup", nil, "S404", "UX", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := slackbot.NewManagers(api, tt.users, tt.group, slacktest.ClientTimeout).IsManager(ctx, tt.user)
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Fatalf("IsManager = %v, %v; want %v, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
	m := slackbot.NewManagers(api, nil, "S1", slacktest.ClientTimeout)
	for range 3 {
		if _, err := m.IsManager(ctx, "UG1"); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(fake.Calls("usergroups.users.list")); n != 4 {
		// 3 from the table (one per case with a group), 1 for the cached list.
		t.Fatalf("usergroups.users.list calls = %d, want 4", n)
	}
}

// TestManagersDoNotWaitOnAStalledSlack lets the user group's list go
// stale and makes Slack hang: clicks keep being answered from the last
// list instead of queueing behind the hanging call.
func TestManagersDoNotWaitOnAStalledSlack(t *testing.T) {
	fake := slacktest.New(token)
	defer fake.Close()
	fake.SetGroup("S1", "UBOSS")
	m := slackbot.NewManagers(slackbot.NewClient(token, "", fake.APIURL(), slacktest.ClientTimeout), nil, "S1", slacktest.ClientTimeout)
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	m.SetClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
	ctx := context.Background()
	if ok, err := m.IsManager(ctx, "UBOSS"); !ok || err != nil {
		t.Fatalf("IsManager(UBOSS) = %v, %v", ok, err)
	}
	mu.Lock()
	now = now.Add(time.Hour) // the list is stale
	mu.Unlock()
	arrived, release := fake.Stall("usergroups.users.list")
	defer release()
	first := make(chan error, 1)
	go func() { _, err := m.IsManager(ctx, "UBOSS"); first <- err }() // starts the refresh
	<-arrived                                                         // Slack now hangs on it
	type answer struct {
		user string
		ok   bool
		err  error
	}
	answers := make(chan answer, 2)
	for _, u := range []string{"URITA", "UBOSS"} {
		go func() { ok, err := m.IsManager(ctx, u); answers <- answer{u, ok, err} }()
	}
	for range 2 {
		select {
		case a := <-answers:
			if a.err != nil || a.ok != (a.user == "UBOSS") {
				t.Fatalf("IsManager(%s) = %v, %v during the stall", a.user, a.ok, a.err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("IsManager waited on the hanging usergroups.users.list call")
		}
	}
	release()
	if err := <-first; err != nil {
		t.Fatal(err)
	}
}

// TestWorkspaceNamesTheTokensFix: auth.test refusing the bot token (at
// start, before any Slack request is accepted) says what to do about it.
func TestWorkspaceNamesTheTokensFix(t *testing.T) {
	fake := slacktest.New(token)
	defer fake.Close()
	ws := slackbot.NewWorkspace(slackbot.NewClient("xoxb-wrong", "", fake.APIURL(), slacktest.ClientTimeout), slacktest.ClientTimeout)
	_, err := ws.TeamID(context.Background())
	if want := "slack: auth.test: invalid_auth (Slack does not accept SLACK_BOT_TOKEN"; err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want it to contain %q", err, want)
	}
}

// TestPlatformUnavailableKeepsItsRetryAfter: a Web API answer that failed
// the call and said when to come back (a 503 or a 408 with Retry-After)
// is a *bot.RetryAfterError marked Unavailable with that wait, although
// slack-go's own error for it keeps no header; one that says nothing is
// an error retried with the outbox's backoff, as before.
func TestPlatformUnavailableKeepsItsRetryAfter(t *testing.T) {
	fake := slacktest.New(token)
	defer fake.Close()
	p := slackbot.NewPlatform(slackbot.NewClient(token, "", fake.APIURL(), slacktest.ClientTimeout))
	ctx := context.Background()
	tests := []struct {
		name       string
		status     int
		retryAfter int
		want       time.Duration // 0: no wait asked
	}{
		{"503 with Retry-After", http.StatusServiceUnavailable, 30, 30 * time.Second},
		{"408 with Retry-After", http.StatusRequestTimeout, 5, 5 * time.Second},
		{"502 with Retry-After", http.StatusBadGateway, 12, 12 * time.Second},
		{"503 without", http.StatusServiceUnavailable, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake.FailNext("chat.update", 1, tt.status, tt.retryAfter)
			err := p.Update(ctx, "CSALES", "1.2", bot.Notice("hello"))
			if err == nil || bot.IsPermanent(err) {
				t.Fatalf("err = %v, want a failure worth a retry", err)
			}
			var ra *bot.RetryAfterError
			got := errors.As(err, &ra)
			if tt.want == 0 {
				if got {
					t.Fatalf("err = %v, want no wait asked", err)
				}
				return
			}
			if !got || ra.After != tt.want || !ra.Unavailable {
				t.Fatalf("err = %v (%#v), want unavailable, retry after %s", err, ra, tt.want)
			}
			if !strings.Contains(err.Error(), "slack chat.update: slack server error: "+strconv.Itoa(tt.status)) {
				t.Fatalf("err = %q, want it to name the method and the status", err)
			}
		})
	}
	// The connection is not left unusable by an answer read away.
	if _, err := p.Post(ctx, "CSALES", bot.Notice("after")); err != nil {
		t.Fatalf("post after the failures: %v", err)
	}
}

// A message's link is its permalink from chat.getPermalink, asked with
// the bot token as a GET; a message Slack does not find, or a channel it
// does not know, is Slack's refusal, which retrying does not mend.
func TestPlatformMessageLink(t *testing.T) {
	fake := slacktest.New(token)
	defer fake.Close()
	p := slackbot.NewPlatform(slackbot.NewClient(token, "", fake.APIURL(), slacktest.ClientTimeout))
	ctx := context.Background()
	ts, err := p.Post(ctx, "CSALES", bot.Notice("a card"))
	if err != nil {
		t.Fatal(err)
	}
	fake.ChannelNotFound("CGONE")
	for _, tt := range []struct {
		name, channel, ts string
		want              string // the link, "" for an error
		code              string // Slack's error
	}{
		{"posted", "CSALES", ts, slacktest.Permalink("CSALES", ts), ""},
		{"not found", "CSALES", "1.000001", "", "message_not_found"},
		{"channel not found", "CGONE", ts, "", "channel_not_found"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := p.MessageLink(ctx, tt.channel, tt.ts)
			if got != tt.want || (tt.code == "") != (err == nil) || err != nil && (!strings.Contains(err.Error(), tt.code) || !bot.IsPermanent(err)) {
				t.Errorf("MessageLink(%s, %s) = %q, %v; want %q, Slack's %q as a permanent error", tt.channel, tt.ts, got, err, tt.want, tt.code)
			}
		})
	}
	if c := fake.Calls("chat.getPermalink"); len(c) != 3 || c[0].Param("channel") != "CSALES" || c[0].Param("message_ts") != ts {
		t.Errorf("chat.getPermalink calls %+v; want three, the first of CSALES %s", c, ts)
	}
}
