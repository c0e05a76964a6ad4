package main

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

const (
	e2eToken   = "xoxb-e2e"
	e2eSecret  = "e2e-signing-secret"
	e2eSales   = "CSALES"
	e2eManager = "CMGR"
	// e2ePatience bounds every wait for the server's work. It is generous:
	// on a loaded machine a post or an escalation can be seconds late, and
	// the tests check what happens, not how fast (speed is in benchmarks).
	e2ePatience = 30 * time.Second
)

// server is one running handoff serve in process.
type server struct {
	base    string
	metrics string // the HANDOFF_METRICS_ADDR listener's base URL
	stop    func()
	app     *app
	clock   *testClock
}

// testClock is the end-to-end servers' time: the wall clock plus the time
// the test has skipped. Deadlines, offers and timers of an hour or more
// never fall due during a test by themselves, however slow the machine;
// a test makes them due by skipping to them (server.skipTo). Only tests
// build an app on a testClock: serve passes newApp the wall clock, and no
// setting changes that.
type testClock struct {
	mu      sync.Mutex
	skipped time.Duration
	// off is how far the process's own clock is off the database's (a
	// replica whose clock is wrong); the app moves it back (Wall).
	off time.Duration
	// dbOff is how far the database's clock is off this machine's (a
	// database server whose clock is wrong), played by the store
	// measuring it against a process clock off the other way (Wall): the
	// app runs dbOff off the wall clock, which senders sign on.
	dbOff time.Duration
}

// Now is the wall clock moved on by what was skipped, and by off, in UTC.
func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().UTC().Add(c.off + c.skipped)
}

// Wall is the process's own clock as the store measures the database's
// against: the wall clock, off by off, and by dbOff the other way.
func (c *testClock) Wall() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off - c.dbOff)
}

// skipTo moves the clock on to at least t.
func (c *testClock) skipTo(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d := t.Sub(time.Now().UTC().Add(c.skipped)); d > 0 {
		c.skipped += d
	}
}

// skipTo moves the server's clock on to t and wakes its workers, as a
// commit does, so that what falls due by t is done without waiting for
// the next timer in real time.
func (s *server) skipTo(t time.Time) {
	s.clock.skipTo(t)
	s.app.queued()
}

// startServer runs newApp + listenAndServe on a free port with the given
// environment, on a new testClock, and stops it gracefully at stop.
func startServer(t *testing.T, vars map[string]string) *server {
	t.Helper()
	return startServerAt(t, vars, &testClock{})
}

// startServerAt is startServer on clock, such as an earlier server's after
// a restart.
func startServerAt(t *testing.T, vars map[string]string, clock *testClock) *server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return startServerOn(t, vars, ln, "http://", clock)
}

// startServerOn is startServerAt on the listener ln, whose URLs start with
// scheme ("http://", or "https://" for a TLS listener).
func startServerOn(t *testing.T, vars map[string]string, ln net.Listener, scheme string, clock *testClock) *server {
	t.Helper()
	return startServerLogging(t, vars, ln, scheme, clock, &bytes.Buffer{})
}

// startServerLogging is startServerOn writing its JSON log, from Info up,
// to logs.
func startServerLogging(t *testing.T, vars map[string]string, ln net.Listener, scheme string, clock *testClock, logs io.Writer) *server {
	t.Helper()
	cfg, err := loadConfig(env{getenv: func(k string) string { return vars[k] }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := newApp(ctx, cfg, newLogger(logs, slog.LevelInfo), clock.Now, clock.Wall)
	if err != nil {
		cancel()
		ln.Close()
		t.Fatal(err)
	}
	mln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a.serveMetrics(mln)
	done := make(chan error, 1)
	go func() { done <- a.listenAndServe(ctx, ln) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		a.Close()
	}
	t.Cleanup(stop)
	return &server{base: scheme + ln.Addr().String(), metrics: "http://" + mln.Addr().String(), stop: stop, app: a, clock: clock}
}

func (s *server) postLead(t *testing.T, body string) {
	t.Helper()
	req, _ := http.NewRequest("POST", s.base+"/api/leads", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("POST /api/leads = %d", resp.StatusCode)
	}
}

func (s *server) click(t *testing.T, slack *slacktest.Server, user, ts, action, value string) {
	t.Helper()
	body := slacktest.ClickPayload(user, e2eSales, ts, action, value, slack.ResponseURL(user))
	resp, err := http.DefaultClient.Do(slacktest.SignedRequest(s.base+"/slack/interactions", e2eSecret, time.Now(), body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("click %s = %d", action, resp.StatusCode)
	}
}

// TestEndToEndSLAAcrossRestart runs the real server against a fake Slack:
// a lead is posted, claimed with a signed click, the server restarts, and
// the new process sends the reminder when the test clock reaches it (and
// not the escalation), then the escalation when it reaches the contact
// deadline, once each.
func TestEndToEndSLAAcrossRestart(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			slack := slacktest.New(e2eToken)
			slack.SetMembers(e2eSales, "UANN")
			defer slack.Close()
			policy := filepath.Join(t.TempDir(), "handoff.yml")
			os.WriteFile(policy, []byte("sla:\n  claim_within: 1h\n  contact_within: 4h\n  remind_before: [1h]\n"), 0o644)
			vars := map[string]string{
				"DATABASE_URL": storagetest.URL(t, dialect), "HANDOFF_API_TOKEN": "tok", "HANDOFF_CONFIG": policy,
				"SLACK_BOT_TOKEN": e2eToken, "SLACK_SIGNING_SECRET": e2eSecret, "SLACK_API_URL": slack.APIURL(),
				"SLACK_SALES_CHANNEL": e2eSales, "SLACK_MANAGER_CHANNEL": e2eManager,
			}
			first := startServer(t, vars)
			first.postLead(t, `{"external_id":"e2e-1","name":"Ann Berg","company":"Berg ApS","score":80}`)
			var err error
			posts := slack.Wait("chat.postMessage", 1, e2ePatience)
			if len(posts) != 1 || posts[0].Param("channel") != e2eSales || !strings.Contains(posts[0].Param("blocks"), "Claim") {
				t.Fatalf("announcement = %+v", posts)
			}
			var ts string
			for start := time.Now(); ts == "" && time.Since(start) < e2ePatience; time.Sleep(20 * time.Millisecond) {
				ts, err = storeTS(vars["DATABASE_URL"])
			}
			if err != nil {
				t.Fatal(err)
			}
			first.click(t, slack, "UANN", ts, bot.ActionClaim, "1")
			if up := slack.Wait("chat.update", 1, e2ePatience); len(up) != 1 || !strings.Contains(up[0].Param("text"), "<@UANN>") {
				t.Fatalf("claimed card = %+v", up)
			}
			first.metricsContain(t, `handoff_claim_ack_duration_seconds_count{platform="slack"} 1`,
				`handoff_chat_calls_total{method="post",outcome="ok",platform="slack"} 1`)
			first.stop() // a restart between the claim and the deadlines
			second := startServerAt(t, vars, first.clock)
			db := storagetest.OpenURL(t, vars["DATABASE_URL"], storage.Options{})
			due := *lead1(t, db).ContactDueAt
			countSLA := func() (escalations, reminders int) {
				for _, c := range slack.Calls("chat.postMessage") {
					switch {
					case c.Param("channel") == e2eManager:
						escalations++
					case strings.Contains(c.Param("text"), "Reminder"):
						reminders++
					}
				}
				return escalations, reminders
			}

			// The reminder, an hour before the contact deadline: the
			// second process sends it, and the deadline's timer stays
			// pending.
			second.skipTo(due.Add(-time.Hour))
			waitSlackMessage(t, slack, "DUANN", "Reminder", "Berg ApS")
			if next, pending, err := db.NextSLADue(context.Background()); err != nil || !pending || !next.Equal(due) {
				t.Fatalf("after the reminder the next SLA timer is %v (pending %v, %v), want the contact deadline %v", next, pending, err, due)
			}
			if esc, rem := countSLA(); esc != 0 || rem != 1 {
				t.Fatalf("at the reminder: escalations = %d, reminders = %d; want 0 and 1", esc, rem)
			}

			// The escalation, at the contact deadline.
			second.skipTo(due)
			escalation := waitSlackMessage(t, slack, e2eManager, "Berg ApS")
			if !strings.Contains(escalation.Text, "was not contacted") {
				t.Fatalf("escalation = %q", escalation.Text)
			}
			settled(t, db, slaPosts, 1) // nothing left to fire: no timer pending, nothing queued
			if esc, rem := countSLA(); esc != 1 || rem != 1 {
				t.Fatalf("escalations = %d, reminders = %d; want 1 and 1", esc, rem)
			}
			second.metricsContain(t, `handoff_sla_breaches_total{deadline="contact"} 1`, `handoff_sla_reminders_total 1`)
		})
	}
}

// metricsContain fails unless /metrics on the metrics listener has every
// line in want.
func (s *server) metricsContain(t *testing.T, want ...string) string {
	t.Helper()
	resp, err := http.Get(s.metrics + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, w := range want {
		if !strings.Contains(string(body), w) {
			t.Errorf("/metrics lacks %q", w)
		}
	}
	return string(body)
}

// storeTS reads the Slack ts stored for lead 1.
func storeTS(dbURL string) (string, error) {
	s, err := storage.Open(context.Background(), dbURL, storage.Options{})
	if err != nil {
		return "", err
	}
	defer s.Close()
	posts, err := s.ChatPosts(context.Background(), 1)
	if err != nil || len(posts) != 1 {
		return "", fmt.Errorf("chat posts of lead 1: %v %v", posts, err)
	}
	return posts[0].MessageID, nil
}

// settled waits until the server (sharing s's database) has nothing left
// to post of kinds for leads: no SLA timer is pending (when kinds are the
// SLA clock's, whose timers queue them) and none of the leads' messages of
// kinds is pending in the outbox. From then on no more of them is posted
// without new input, so counting them needs no quiet period.
func settled(t *testing.T, s *storage.Store, kinds []string, leads ...int64) {
	t.Helper()
	ctx := context.Background()
	sla := slices.Contains(kinds, handoff.OutboxRemind) || slices.Contains(kinds, handoff.OutboxEscalate)
	for deadline := time.Now().Add(e2ePatience); ; time.Sleep(20 * time.Millisecond) {
		_, timer, err := s.NextSLADue(ctx)
		done := !sla || !timer
		for _, id := range leads {
			msgs, merr := s.OutboxMessages(ctx, id)
			err = cmp.Or(err, merr)
			for _, m := range msgs {
				done = done && !(m.Status == storage.OutboxPending && slices.Contains(kinds, m.Kind))
			}
		}
		if err == nil && done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%v of leads %v still to post (SLA timer pending: %v; %v)", kinds, leads, timer, err)
		}
	}
}

// slaPosts are the outbox kinds the SLA clock queues.
var slaPosts = []string{handoff.OutboxRemind, handoff.OutboxEscalate}

// lead1 reads lead 1.
func lead1(t *testing.T, s *storage.Store) *handoff.Lead {
	t.Helper()
	l, err := s.Lead(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	return l
}
