package handlers_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/outbox"
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/bot/teams"
	"github.com/handoff/handoff/bot/teams/teamstest"
	"github.com/handoff/handoff/handlers"
	"github.com/handoff/handoff/internal/busy"
	"github.com/handoff/handoff/internal/testkit"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// gateApp is a SlackApp that records how many interactive requests were
// in flight while it answered.
type gateApp struct {
	gate *busy.Gate
	seen []int
}

func (a *gateApp) note() (any, error) {
	a.seen = append(a.seen, a.gate.InFlight())
	return nil, nil
}

func (a *gateApp) Command(context.Context, slack.SlashCommand) (any, error) { return a.note() }
func (a *gateApp) Interaction(context.Context, slack.InteractionCallback) (any, error) {
	return a.note()
}
func (a *gateApp) Event(context.Context, []byte) (any, error) { return a.note() }

// A signed click or command counts as in flight while it is answered (the
// outbox steps aside), and no longer once answered; a request with a bad
// signature never reaches the app.
func TestSlackCountsInteractiveRequests(t *testing.T) {
	const secret = "sec"
	click := slacktest.ClickPayload("U1", "CSALES", "1700000000.000100", "lead.claim", "1", "")
	command := slacktest.CommandBody("U1", "CSALES", "/funnel", "", "")
	tests := []struct {
		name, path, secret, body string
		status                   int
		seen                     []int
	}{
		{"Click", "/slack/interactions", secret, click, http.StatusOK, []int{1}},
		{"Command", "/slack/commands", secret, command, http.StatusOK, []int{1}},
		{"ForgedClick", "/slack/interactions", "other", click, http.StatusUnauthorized, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var gate busy.Gate
			app := &gateApp{gate: &gate}
			mux := http.NewServeMux()
			(&handlers.Slack{SigningSecret: secret, App: app, Logger: discardLogger(), Interactive: &gate}).Register(mux)
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, slacktest.SignedRequest("http://handoff.test"+tc.path, tc.secret, time.Now(), tc.body))
			if rec.Code != tc.status {
				t.Fatalf("status = %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			if len(app.seen) != len(tc.seen) || (len(tc.seen) > 0 && app.seen[0] != tc.seen[0]) {
				t.Fatalf("in flight while answering = %v, want %v", app.seen, tc.seen)
			}
			if gate.InFlight() != 0 {
				t.Fatalf("in flight after the answer = %d, want 0", gate.InFlight())
			}
		})
	}
}

// heldTeamsApp is a TeamsApp that answers each activity once the test
// releases it, telling the test when it has one in hand.
type heldTeamsApp struct {
	answering chan struct{}
	release   chan struct{}
}

func (a heldTeamsApp) Handle(context.Context, *teams.Activity) (*teams.InvokeResponse, error) {
	a.answering <- struct{}{}
	<-a.release
	return nil, nil
}

// While an authenticated Teams activity is being answered the outbox takes
// nothing (the SQL's card waits); once it is answered the card goes out.
// An activity without a valid token never reaches the app and holds
// nothing back.
func TestTeamsActivityHoldsOutboxBack(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		e := newTeamsEnv(t, s, nil)
		e.install()
		testkit.Drain(t, e.disp)
		var gate busy.Gate
		app := heldTeamsApp{answering: make(chan struct{}, 1), release: make(chan struct{})}
		mux := http.NewServeMux()
		(&handlers.Teams{Validator: e.validator, App: app, Tenants: []string{tenantID}, Logger: discardLogger(), Interactive: &gate}).Register(mux)
		srv := httptest.NewServer(mux)
		defer srv.Close()
		release := sync.OnceFunc(func() { close(app.release) })
		defer release() // before Close, which waits for the held activity
		disp := outbox.New(outbox.Config{Store: s, Policy: e.policy, Now: e.clock.Now, Logger: discardLogger(),
			Targets: []bot.Target{{Platform: e.platform, SalesChannel: "Sales"}}, Interactive: &gate, Yield: time.Hour})
		id := e.newSQL("held")
		message := e.activity("message", ritaID, "Rita", salesID+";messageid=1")
		message["text"] = "<at>Handoff</at> leads open"

		if status, _ := teamstest.Post(t, srv.URL, message, ""); status != http.StatusUnauthorized || len(app.answering) != 0 || gate.InFlight() != 0 {
			t.Fatalf("activity without a token: status %d, reached the app %v, in flight %d; want 401, no, 0", status, len(app.answering) != 0, gate.InFlight())
		}

		answered := make(chan int, 1)
		go func() {
			status, _ := teamstest.Post(t, srv.URL, message, e.token())
			answered <- status
		}()
		<-app.answering
		if n := gate.InFlight(); n != 1 {
			t.Fatalf("in flight while the activity is answered = %d, want 1", n)
		}
		round := make(chan int, 1)
		go func() {
			n, err := disp.RunOnce(ctx)
			if err != nil {
				t.Error(err)
			}
			round <- n
		}()
		waitFor(func() bool { return gate.Waiting() == 1 || len(round) > 0 })
		if len(round) > 0 {
			t.Fatal("the outbox round did not wait for the activity's answer")
		}
		msgs, err := s.OutboxMessages(ctx, id)
		if err != nil || len(msgs) != 1 || msgs[0].Attempts != 0 || len(callsOf(e.bf, "create")) != 0 {
			t.Fatalf("while the activity is answered: outbox %+v (%v), %d posts; want nothing taken or sent", msgs, err, len(callsOf(e.bf, "create")))
		}

		release()
		if status := <-answered; status != http.StatusOK {
			t.Fatalf("held activity answered %d, want 200", status)
		}
		if n := <-round; n != 1 {
			t.Fatalf("round after the answer handled %d, want the card", n)
		}
		if posts := callsOf(e.bf, "create"); len(posts) != 1 || !strings.Contains(cardText(posts[0]), "Acme held") {
			t.Fatalf("posts after the answer = %d, want the SQL's card", len(posts))
		}
	})
}

// waitFor blocks until cond holds (the test's own timeout ends a wait that
// never comes; no clock here decides the outcome).
func waitFor(cond func() bool) {
	for !cond() {
		time.Sleep(time.Millisecond)
	}
}
