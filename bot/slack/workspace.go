package slack

import (
	"context"
	"fmt"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/internal/cache"
)

// NotAMember is the private answer to anyone Handoff does not act for.
const NotAMember = "Sorry, Handoff works only for full members of this Slack workspace: it did nothing."

// Workspace knows the Slack workspace the bot token belongs to and the
// bot's own user id (auth.test, asked once and kept), and whether a user is
// a full member of it (users.info, cached for 10 minutes or until the
// user's user_change, on the other replicas too once shared: Share): not
// a user of another workspace (Slack Connect, a shared channel) and not a
// guest (is_restricted, is_ultra_restricted). Its methods are safe for
// concurrent use.
type Workspace struct {
	self   *cache.Cache[botIdentity]
	users  *cache.Cache[slackapi.User]
	shared *cache.Shared
}

// botIdentity is what auth.test says of the bot token.
type botIdentity struct{ teamID, userID string }

// NewWorkspace returns the workspace of api's bot token; timeout
// (SLACK_TIMEOUT, api's) bounds each of its fetches.
func NewWorkspace(api *slackapi.Client, timeout time.Duration) *Workspace {
	w := &Workspace{
		// The token's workspace does not change while the process runs.
		self: cache.New(time.Duration(1<<63-1), func(ctx context.Context, _ string) (botIdentity, error) {
			res, err := api.AuthTestContext(ctx)
			if err != nil {
				return botIdentity{}, fmt.Errorf("slack: auth.test: %w", withFix(err))
			}
			if res.TeamID == "" {
				return botIdentity{}, fmt.Errorf("slack: auth.test names no team")
			}
			return botIdentity{teamID: res.TeamID, userID: res.UserID}, nil
		}),
		users: cache.New(10*time.Minute, func(ctx context.Context, user string) (slackapi.User, error) {
			u, err := api.GetUserInfoContext(ctx, user)
			if err != nil {
				return slackapi.User{}, fmt.Errorf("slack: users.info %s: %w", user, err)
			}
			return *u, nil
		}),
	}
	w.self.FetchTimeout, w.users.FetchTimeout = timeout, timeout
	return w
}

// TeamID returns the id of the bot token's workspace, asking auth.test the
// first time; its error is Slack's (bot.Unanswered).
func (w *Workspace) TeamID(ctx context.Context) (string, error) {
	id, err := w.self.Get(ctx, "")
	return id.teamID, bot.Unanswered(err)
}

// BotUserID returns the bot's own user id, asking auth.test the first
// time; its error is Slack's (bot.Unanswered).
func (w *Workspace) BotUserID(ctx context.Context) (string, error) {
	id, err := w.self.Get(ctx, "")
	return id.userID, bot.Unanswered(err)
}

// Share makes the user_change events that reach this replica reach the
// replicas sharing stamps too, and theirs this one: each drops what
// users.info said of the changed user within a second of another's
// event, and keeps what it said of everyone else (cache.Shared.Apply).
// Call it before the first Check.
func (w *Workspace) Share(stamps cache.Stamps) {
	w.shared = cache.NewShared(stamps, "slack:users")
	w.shared.Now = w.users.Now
}

// SetClock replaces the clock of the users' cache and of its sharing
// (tests). Call it before the first Check.
func (w *Workspace) SetClock(now func() time.Time) {
	w.users.Now = now
	if w.shared != nil {
		w.shared.Now = now
	}
}

// UserChanged forgets what users.info said of userID, on Slack's
// user_change: a member made a guest, or deactivated, is refused from their
// next request, not up to 10 minutes later, on every replica sharing the
// change (Share), each of which reads that user again and no one else. A
// change that leaves them a full member (member: a new status or name,
// most user_change events) is not shared: it would make every other
// replica read the user again at their next request for nothing, and a
// guest made a member is let in by the others when their answer runs
// out. It returns an error when the change could not be shared: the
// event is to be handled again.
func (w *Workspace) UserChanged(ctx context.Context, userID string, member bool) error {
	w.users.Forget(userID)
	if member {
		return nil
	}
	if err := w.shared.AnnounceKey(ctx, userID); err != nil {
		return fmt.Errorf("slack: change of user %s: %w", userID, err)
	}
	return nil
}

// Check returns nil when userID, who sent a request naming teamID (and,
// when Slack says, userTeamID as the user's own workspace), is a full
// member of our workspace. Anyone else gets an EFORBIDDEN error whose
// message (NotAMember) can be shown to them; an error of another code
// means the workspace or the user could not be looked up: marked
// bot.Unanswered when Slack did not answer (auth.test, users.info), not
// when the store failed (Share).
func (w *Workspace) Check(ctx context.Context, teamID, userTeamID, userID string) error {
	ours, err := w.TeamID(ctx)
	if err != nil {
		return err
	}
	refuse := func(why string, args ...any) error {
		return fmt.Errorf("slack: "+why+": %w", append(args, handoff.Errorf(handoff.EFORBIDDEN, "%s", NotAMember))...)
	}
	switch {
	case teamID != ours:
		return refuse("request from workspace %q, ours is %q", teamID, ours)
	case userTeamID != "" && userTeamID != ours:
		return refuse("user %s belongs to workspace %q", userID, userTeamID)
	case userID == "":
		return refuse("request names no user")
	}
	if err := w.shared.Apply(ctx, w.users); err != nil {
		return fmt.Errorf("slack: is %s a member: %w", userID, err)
	}
	u, err := w.users.Get(ctx, userID)
	if err != nil {
		return bot.Unanswered(err) // the cache asks Slack alone
	}
	switch {
	case u.TeamID != "" && u.TeamID != ours, u.IsStranger:
		return refuse("user %s is external (workspace %q)", userID, u.TeamID)
	case u.IsRestricted || u.IsUltraRestricted:
		return refuse("user %s is a guest", userID)
	case u.Deleted || u.IsBot:
		return refuse("user %s is deactivated or a bot", userID)
	}
	return nil
}
