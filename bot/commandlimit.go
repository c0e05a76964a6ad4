package bot

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/handoff/handoff"
)

// Default per-user command rate: reports are the heaviest queries Handoff
// runs, so each user may ask for a burst of 5 and then one every 6 s.
const (
	DefaultCommandRate  = rate.Limit(1.0 / 6)
	DefaultCommandBurst = 5
)

// CommandLimit answers commands through Next, at most Rate per second per
// platform user (bursts of Burst); a user over it gets a polite EFORBIDDEN
// error, shown to them privately, and nothing is queried. It is safe for
// concurrent use.
type CommandLimit struct {
	Next  CommandAnswerer
	Rate  rate.Limit
	Burst int
	// Now is the clock; time.Now when nil.
	Now func() time.Time

	mu    sync.Mutex
	users map[string]*rate.Limiter
}

var _ CommandAnswerer = (*CommandLimit)(nil)

// NewCommandLimit limits next to the default per-user rate.
func NewCommandLimit(next CommandAnswerer) *CommandLimit {
	return &CommandLimit{Next: next, Rate: DefaultCommandRate, Burst: DefaultCommandBurst}
}

// Answer answers cmd through Next unless its user is over the rate.
func (l *CommandLimit) Answer(ctx context.Context, cmd Command) (Message, error) {
	now := time.Now()
	if l.Now != nil {
		now = l.Now()
	}
	if !l.limiter(cmd.Platform+":"+cmd.UserID).AllowN(now, 1) {
		return Message{}, handoff.Errorf(handoff.EFORBIDDEN, "You are asking faster than I can answer. Please wait a little and try again.")
	}
	return l.Next.Answer(ctx, cmd)
}

// limiter returns the user's limiter, creating it on first use.
func (l *CommandLimit) limiter(user string) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.users == nil {
		l.users = map[string]*rate.Limiter{}
	}
	lim, ok := l.users[user]
	if !ok {
		lim = rate.NewLimiter(l.Rate, l.Burst)
		l.users[user] = lim
	}
	return lim
}
