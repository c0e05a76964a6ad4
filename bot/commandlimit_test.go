package bot_test

import (
	"context"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
)

// countingAnswerer answers every command and counts them.
type countingAnswerer struct{ n int }

func (c *countingAnswerer) Answer(ctx context.Context, cmd bot.Command) (bot.Message, error) {
	c.n++
	return bot.Notice("ok"), nil
}

func TestCommandLimitPerUser(t *testing.T) {
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	next := &countingAnswerer{}
	l := bot.NewCommandLimit(next)
	l.Now = func() time.Time { return now }
	ctx := context.Background()
	ask := func(platform, user string) error {
		_, err := l.Answer(ctx, bot.Command{Platform: platform, Name: "funnel", UserID: user})
		return err
	}
	for i := range bot.DefaultCommandBurst {
		if err := ask("slack", "U1"); err != nil {
			t.Fatalf("command %d within the burst: %v", i+1, err)
		}
	}
	err := ask("slack", "U1")
	if handoff.ErrorCode(err) != handoff.EFORBIDDEN {
		t.Fatalf("command over the burst: %v, want a refusal", err)
	}
	if next.n != bot.DefaultCommandBurst {
		t.Fatalf("reports run = %d, want %d: a refused command must not query", next.n, bot.DefaultCommandBurst)
	}
	// Others are not held back by U1, nor is U1 on another platform.
	if err := ask("slack", "U2"); err != nil {
		t.Fatalf("another user: %v", err)
	}
	if err := ask("teams", "U1"); err != nil {
		t.Fatalf("the same id on another platform: %v", err)
	}
	now = now.Add(6 * time.Second) // one more token
	if err := ask("slack", "U1"); err != nil {
		t.Fatalf("after waiting: %v", err)
	}
	if err := ask("slack", "U1"); handoff.ErrorCode(err) != handoff.EFORBIDDEN {
		t.Fatalf("right after: %v, want a refusal", err)
	}
}
