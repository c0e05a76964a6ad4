package outbox_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/outbox"
	slackbot "github.com/handoff/handoff/bot/slack"
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/storage/storagetest"
)

// bombPlatform is the real Slack platform, except that rendering a message
// that names "💣" panics: it stands for a renderer bug that some stored
// data triggers.
type bombPlatform struct{ bot.Platform }

func (p bombPlatform) Post(ctx context.Context, channel string, msg bot.Message) (string, error) {
	if strings.Contains(msg.Summary, "💣") {
		panic("renderer: index out of range")
	}
	return p.Platform.Post(ctx, channel, msg)
}

// TestPoisonedMessagesAreParked queues three announcements: one whose lead
// row no longer decodes (planted with SQL), one whose rendering panics, and
// a healthy one. One round delivers the healthy card; the other two are
// parked (dead, counted, with the cause) instead of being retried, and a
// second replica does not take them up again.
func TestPoisonedMessagesAreParked(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			s, raw := storagetest.OpenRaw(t, dialect)
			fake := slacktest.New(botToken)
			t.Cleanup(fake.Close)
			corrupt := saveLead(t, s, "corrupt")
			bomb := saveLead(t, s, "💣")
			healthy := saveLead(t, s, "healthy")
			if _, err := raw.Exec(fmt.Sprintf(`UPDATE leads SET attributes = '{"utm": not json' WHERE id = %d`, corrupt.ID)); err != nil {
				t.Fatal(err)
			}
			var parked atomic.Int32
			dispatcher := func(worker string) *outbox.Dispatcher {
				p := bombPlatform{slackbot.NewPlatform(slackbot.NewClient(botToken, "", fake.APIURL(), slacktest.ClientTimeout))}
				return outbox.New(outbox.Config{
					Store: s, Targets: []bot.Target{{Platform: p, SalesChannel: "CSALES"}}, Policy: handoff.DefaultPolicy(),
					Now: func() time.Time { return t0 }, Logger: quiet(), Worker: worker, Lease: time.Minute,
					OnParked: func(string) { parked.Add(1) },
				})
			}
			if n, err := dispatcher("w1").RunOnce(ctx); err != nil || n != 3 {
				t.Fatalf("round = %d, %v; want the three announcements handled", n, err)
			}
			if posts, err := s.ChatPosts(ctx, healthy.ID); err != nil || len(posts) != 1 {
				t.Fatalf("healthy lead's posts = %+v, %v; want its card", posts, err)
			}
			if st := outboxStatus(t, s); st.Dead != 2 || st.Pending != 0 {
				t.Fatalf("outbox = %+v, want the two poisoned messages dead and nothing pending", st)
			}
			if parked.Load() != 2 {
				t.Fatalf("parked = %d, want 2", parked.Load())
			}
			for id, cause := range map[int64]string{corrupt.ID: "corrupt record", bomb.ID: "panic: renderer"} {
				var lastError string
				if err := raw.QueryRow(fmt.Sprintf(`SELECT last_error FROM outbox WHERE lead_id = %d`, id)).Scan(&lastError); err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(lastError, cause) {
					t.Errorf("lead %d: last_error = %q, want it to say %q", id, lastError, cause)
				}
			}
			// Another replica, later: nothing is taken up again.
			if n, err := dispatcher("w2").RunOnce(ctx); err != nil || n != 0 {
				t.Fatalf("second replica's round = %d, %v; want nothing to do", n, err)
			}
			if calls := fake.Calls("chat.postMessage"); len(calls) != 1 {
				t.Fatalf("chat.postMessage calls = %d, want only the healthy card", len(calls))
			}
		})
	}
}
