package slack

import (
	"context"
	"log/slog"
	"time"

	"github.com/handoff/handoff/bot"
)

// Deduper remembers handled events; *storage.Store implements it.
type Deduper interface {
	// MarkProcessed records key from source and reports whether it is new.
	MarkProcessed(ctx context.Context, source, key string, now time.Time) (bool, error)
	// ForgetProcessed forgets key, for a retry of what failed.
	ForgetProcessed(ctx context.Context, source, key string) error
}

// AppConfig is what NewApp needs. Bot, Platform, Workspace and Dedup are
// required.
type AppConfig struct {
	Bot      *bot.Bot
	Platform *Platform
	// Workspace says whom Handoff acts for: full members of the bot
	// token's workspace. Everyone else is refused privately.
	Workspace *Workspace
	// Members, when set, learns from member_joined_channel and
	// member_left_channel events who joins and leaves the sales channel;
	// Managers, when set, from subteam_members_changed who joins and leaves
	// the managers' user group.
	Members  *SalesMembers
	Managers *Managers
	// SalesChannel and ManagerChannel are the channels Handoff posts to:
	// the bot's own removal from one, or its archiving, is logged as a
	// warning, and OnChannelLost, when set, is called.
	SalesChannel, ManagerChannel string
	OnChannelLost                func()
	// OnChannelBack, when set, is called with any channel the app is
	// added to or that is unarchived: what it refused meanwhile is queued
	// again (outbox.Dispatcher.ChannelBack).
	OnChannelBack func(ctx context.Context, channel string)
	// Answerer answers /funnel, /sla and /leads; nil answers "not available yet".
	Answerer bot.CommandAnswerer
	Dedup    Deduper
	Now      func() time.Time
	Logger   *slog.Logger
	// AnswerWithin is how long a command answer may take before the ack
	// says "working on it" and the answer follows through response_url
	// (default 2 s, inside Slack's 3 s).
	AnswerWithin time.Duration
	// AnswerTimer starts the timer that ends AnswerWithin and returns its
	// channel and its stop function; a time.Timer when nil. Tests fire it
	// themselves.
	AnswerTimer func(d time.Duration) (<-chan time.Time, func())
}

// App answers Slack's slash commands, interactions and events. The HTTP
// handlers and the Socket Mode runner both call it, after verifying the
// request; it returns the body of the acknowledgement (nil for an empty
// one). Slow work goes to the outbox, so it answers well inside 3 s. It
// acts only for full members of the bot token's workspace: commands,
// clicks and form submissions of anyone else (another workspace, a Slack
// Connect user, a guest) are refused privately and change nothing, and
// events of another workspace are ignored.
type App struct {
	cfg    AppConfig
	logger *slog.Logger
}

// NewApp returns the App over cfg.
func NewApp(cfg AppConfig) *App {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.AnswerWithin <= 0 {
		cfg.AnswerWithin = 2 * time.Second
	}
	if cfg.AnswerTimer == nil {
		cfg.AnswerTimer = func(d time.Duration) (<-chan time.Time, func()) {
			t := time.NewTimer(d)
			return t.C, func() { t.Stop() }
		}
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	return &App{cfg: cfg, logger: logger}
}
