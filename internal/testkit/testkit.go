// Package testkit holds the small pieces the test rigs of bot, bot/outbox,
// handlers, scheduler and webhook share: a settable clock, a silent
// logger, draining an outbox dispatcher, saving a plain SQL, counting its
// claims and reading the deadlines a client gives its requests
// (Deadlines). It imports
// no database: stores and dispatchers come in as the methods it calls.
package testkit

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
)

// T0 is Monday 23 November 2026, 10:00 in Copenhagen: the rigs' start.
var T0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// Quiet is a logger that writes nothing.
func Quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// Clock is a test clock that moves only when told; safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock standing at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Runner is an outbox dispatcher: one round delivers what is due and
// says how many messages it handled.
type Runner interface {
	RunOnce(ctx context.Context) (int, error)
}

// Drain runs rounds of d until one finds nothing due, and fails t after a
// hundred rounds that never got there.
func Drain(t testing.TB, d Runner) {
	t.Helper()
	for range 100 {
		n, err := d.RunOnce(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
	t.Fatal("outbox never drained")
}

// LeadSaver is the store's intake.
type LeadSaver interface {
	SaveLead(ctx context.Context, in handoff.LeadInput, policy handoff.Policy, now time.Time, actor string) (handoff.SaveResult, error)
}

// SaveSQL stores a new SQL "Acme <ext>" (contact Ann, score 80) at T0 under
// the default agreement, which queues its announcement.
func SaveSQL(t testing.TB, s LeadSaver, ext string) *handoff.Lead {
	t.Helper()
	score := 80
	res, err := s.SaveLead(context.Background(), handoff.LeadInput{ExternalID: ext, Company: "Acme " + ext, Name: "Ann", Score: &score},
		handoff.DefaultPolicy(), T0, handoff.ActorAPI)
	if err != nil {
		t.Fatal(err)
	}
	return res.Lead
}

// EventReader is the store's reading of a lead's history.
type EventReader interface {
	Events(ctx context.Context, leadID int64) ([]handoff.Event, error)
}

// ClaimEvents counts the times lead id was claimed: its stage events into
// claimed.
func ClaimEvents(t testing.TB, s EventReader, id int64) int {
	t.Helper()
	events, err := s.Events(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	claims := 0
	for _, ev := range events {
		if ev.Kind == handoff.EventStage && ev.Stage == handoff.StageClaimed {
			claims++
		}
	}
	return claims
}

// SlackActor is a Slack user acting in the sales channel CSALES.
func SlackActor(user string) bot.Actor {
	return bot.Actor{Platform: "slack", UserID: user, Channel: "CSALES"}
}

// LogBuffer is a log destination safe for concurrent writes, read with
// String.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what was written so far.
func (b *LogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Lines returns the lines written so far that contain msg, without their
// newlines.
func (b *LogBuffer) Lines(msg string) []string {
	var lines []string
	for line := range strings.Lines(b.String()) {
		if strings.Contains(line, msg) {
			lines = append(lines, strings.TrimSuffix(line, "\n"))
		}
	}
	return lines
}

// IsMember reports whether m says user is a member of the sales channel,
// failing the test on an error.
func IsMember(t testing.TB, m bot.SalesMembers, user string) bool {
	t.Helper()
	ok, err := m.IsSalesMember(context.Background(), user)
	if err != nil {
		t.Fatalf("is %s a member of the sales channel: %v", user, err)
	}
	return ok
}
