package slack_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	slackbot "github.com/handoff/handoff/bot/slack"
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestSocketModeHandshakeGivesUpAfterTheConfiguredTimeout: SLACK_TIMEOUT
// bounds the WebSocket handshake of a Socket Mode connection, as it
// bounds a Web API call, in place of slack-go's 45 s. The fake accepts
// the TCP connection and reads the upgrade request but does not answer
// it: the runner gives up (the fake sees the connection closed), logs
// that Slack did not answer within SLACK_TIMEOUT with the setting, and
// connects again with a new URL, which Slack answers once released. The
// handshake's wait is read from the runner's dialer, never timed.
func TestSocketModeHandshakeGivesUpAfterTheConfiguredTimeout(t *testing.T) {
	const setting = time.Second
	s := storagetest.Open(t, storage.DialectSQLite)
	r := newSocketRigOn(t, s, appToken, slacktest.New(token), nil, setting)
	if got := slackbot.HandshakeTimeout(r.runner); got != setting {
		t.Fatalf("the WebSocket handshake waits %s, want the setting, %s", got, setting)
	}
	arrived, gaveUp, release := r.slack.Hold(slacktest.SocketUpgrade)
	t.Cleanup(release)
	r.start(t)
	upgrade := func(what string, ch <-chan string) {
		t.Helper()
		select {
		case <-ch:
		case <-time.After(ackPatience): // a hang, not a speed
			t.Fatalf("%s; log:\n%s", what, r.log.String())
		}
	}
	upgrade("no WebSocket upgrade reached Slack", arrived)
	upgrade("the runner kept waiting for the held handshake", gaveUp)
	upgrade("the runner did not connect again", arrived)
	release()
	r.conn(t, 1)
	r.greeted(t, 1) // the log of the failed attempts is written before hello's
	// The handshake's failure, read from the connection (i/o timeout);
	// on a loaded machine an apps.connections.open may also run out of
	// the setting, logged alike with its own error.
	const gaveUpMsg = "slack socket mode: Slack did not answer within SLACK_TIMEOUT"
	want := []string{"level=WARN", "state=connection_error", "timeout=" + setting.String(), "i/o timeout"}
	lines := r.log.Lines(gaveUpMsg)
	if !slices.ContainsFunc(lines, func(line string) bool {
		return !slices.ContainsFunc(want, func(w string) bool { return !strings.Contains(line, w) })
	}) {
		t.Fatalf("no log line with %q; log:\n%s", want, r.log.String())
	}
	if opens := r.slack.Calls("apps.connections.open"); len(opens) < 2 {
		t.Errorf("apps.connections.open calls = %d, want a new URL after the held handshake", len(opens))
	}
}
