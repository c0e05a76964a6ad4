package slack

import (
	"context"
	"encoding/json"
	"time"
	"unicode/utf8"

	slackapi "github.com/slack-go/slack"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
)

// eventEnvelope is the part of an Events API body Handoff reads.
type eventEnvelope struct {
	Type      string `json:"type"`
	Challenge string `json:"challenge"`
	EventID   string `json:"event_id"`
	TeamID    string `json:"team_id"`
	Event     struct {
		Type string `json:"type"`
		// User is a user id, or for user_change the user object.
		User    json.RawMessage `json:"user"`
		Tab     string          `json:"tab"`
		Channel string          `json:"channel"`
		// SubteamID, AddedUsers and RemovedUsers are a
		// subteam_members_changed's user group and its change.
		SubteamID    string   `json:"subteam_id"`
		AddedUsers   []string `json:"added_users"`
		RemovedUsers []string `json:"removed_users"`
	} `json:"event"`
}

// userID is the event's user id; "" when the event names none.
func (e eventEnvelope) userID() string {
	var id string
	if json.Unmarshal(e.Event.User, &id) != nil {
		return ""
	}
	return id
}

// changedUser is the user object of a user_change event.
type changedUser struct {
	ID      string `json:"id"`
	TeamID  string `json:"team_id"`
	Deleted bool   `json:"deleted"`
	IsBot   bool   `json:"is_bot"`
	// Guests: a multi-channel or a single-channel one.
	IsRestricted      bool   `json:"is_restricted"`
	IsUltraRestricted bool   `json:"is_ultra_restricted"`
	Name              string `json:"name"`
	RealName          string `json:"real_name"`
	Profile           struct {
		DisplayName      string `json:"display_name"`
		RealName         string `json:"real_name"`
		StatusText       string `json:"status_text"`
		StatusEmoji      string `json:"status_emoji"`
		StatusExpiration int64  `json:"status_expiration"`
	} `json:"profile"`
}

// member reports whether u, of our workspace, is a full member after the
// change: not deactivated and not a guest (Workspace.Check's rule).
func (u changedUser) member() bool {
	return !u.Deleted && !u.IsRestricted && !u.IsUltraRestricted
}

// named is the part of u that names them, as users.info gives it.
func (u changedUser) named() slackapi.User {
	return slackapi.User{ID: u.ID, Name: u.Name, RealName: u.RealName,
		Profile: slackapi.UserProfile{DisplayName: u.Profile.DisplayName, RealName: u.Profile.RealName}}
}

// userChanged handles user_change: what Handoff knew of the user's account
// is read again (Workspace.UserChanged: a guest now, or deactivated), the
// name its text tables write for them is the event's (a renamed user), a
// status that reads as out of office marks the rep away until it expires,
// and a deactivated account leaves the rotation with its claimed leads
// returned to the channel (see bot.Bot.RepChanged). Users of other
// workspaces and bots are ignored.
func (a *App) userChanged(ctx context.Context, env eventEnvelope) error {
	var u changedUser
	if err := json.Unmarshal(env.Event.User, &u); err != nil || u.ID == "" {
		return handoff.Errorf(handoff.EINVALID, "user_change without a user")
	}
	if u.IsBot || (u.TeamID != "" && u.TeamID != env.TeamID) {
		return nil
	}
	if err := a.cfg.Workspace.UserChanged(ctx, u.ID, u.member()); err != nil {
		return err
	}
	if a.cfg.Platform != nil {
		a.cfg.Platform.names.changed(u.named())
	}
	bad := map[string]string{}
	for field, v := range map[string]string{"event.user.id": u.ID, "event.user.profile.status_text": u.Profile.StatusText,
		"event.user.profile.status_emoji": u.Profile.StatusEmoji} {
		if p := handoff.CheckText(v, handoff.MaxFieldLen); p != "" {
			bad[field] = p
		}
	}
	if len(bad) > 0 {
		// PostgreSQL cannot store a NUL: refused alike on both databases.
		return handoff.Invalid("invalid user_change", bad)
	}
	now := a.cfg.Now().UTC()
	var expires time.Time
	if u.Profile.StatusExpiration > 0 {
		expires = time.Unix(u.Profile.StatusExpiration, 0).UTC()
	}
	away := handoff.AwayFromSlackStatus(u.Profile.StatusEmoji, u.Profile.StatusText, expires, now)
	return a.cfg.Bot.RepChanged(ctx, bot.RepChange{Platform: Name, UserID: u.ID, Deleted: u.Deleted, Away: away})
}

// Event handles an Events API body: it answers url_verification with the
// challenge, and handles each event_callback once, however often Slack
// retries it (deduplicated by event_id; an event whose handling failed,
// other than as EINVALID, is forgotten so that its retry is handled):
// app_home_opened on the Home tab queues the publishing of the user's home;
// user_change records a rep's out-of-office status and deactivation;
// member_joined_channel and member_left_channel change who may see leads
// (see membership), subteam_members_changed who is a manager; the bot
// removed from, or the archiving of, a channel Handoff posts to is warned
// of (membership, archived). It returns EINVALID for a body that is not an
// event, or names an id longer than the store keeps (checkSizes).
func (a *App) Event(ctx context.Context, body []byte) (any, error) {
	var env eventEnvelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, handoff.Errorf(handoff.EINVALID, "event body is not JSON: %v", err)
	}
	switch env.Type {
	case "url_verification":
		if env.Challenge == "" {
			return nil, handoff.Errorf(handoff.EINVALID, "url_verification without a challenge")
		}
		return map[string]string{"challenge": env.Challenge}, nil
	case "event_callback":
		if env.EventID == "" {
			return nil, handoff.Errorf(handoff.EINVALID, "event_callback without an event_id")
		}
		if utf8.RuneCountInString(env.EventID) > handoff.MaxEventIDLen {
			return nil, handoff.Errorf(handoff.EINVALID, "event_id is longer than %d characters", handoff.MaxEventIDLen)
		}
		if err := env.checkSizes(); err != nil {
			return nil, err
		}
		ours, err := a.cfg.Workspace.TeamID(ctx)
		if err != nil {
			return nil, err // Slack retries
		}
		if env.TeamID != ours {
			a.logger.WarnContext(ctx, "slack: event of another workspace ignored", "team", env.TeamID, "event_id", env.EventID)
			return nil, nil
		}
		first, err := a.cfg.Dedup.MarkProcessed(ctx, Name, env.EventID, a.cfg.Now().UTC())
		if err != nil {
			return nil, err
		}
		if !first {
			a.logger.DebugContext(ctx, "slack: duplicate event ignored", "event_id", env.EventID)
			return nil, nil
		}
		err = a.callback(ctx, env)
		if err != nil && handoff.ErrorCode(err) != handoff.EINVALID {
			// Slack retries a failed event with the same event_id: the
			// retry must be handled, not dropped as a repeat.
			if ferr := a.cfg.Dedup.ForgetProcessed(context.WithoutCancel(ctx), Name, env.EventID); ferr != nil {
				a.logger.ErrorContext(ctx, "slack: failed event not forgotten; its retry is dropped", "event_id", env.EventID, "err", ferr)
			}
		}
		return nil, err
	case "":
		return nil, handoff.Errorf(handoff.EINVALID, "event body without a type")
	}
	return nil, nil
}

// callback handles one event_callback's event, the first time it arrives.
func (a *App) callback(ctx context.Context, env eventEnvelope) error {
	switch env.Event.Type {
	case "app_home_opened":
		user := env.userID()
		if env.Event.Tab != "home" || user == "" {
			return nil // the Messages or About tab
		}
		if err := a.cfg.Workspace.Check(ctx, env.TeamID, "", user); err != nil {
			if handoff.ErrorCode(err) == handoff.EFORBIDDEN {
				a.logger.WarnContext(ctx, "slack: home of a non-member not published", "err", err)
				return nil
			}
			return err
		}
		return a.cfg.Bot.RefreshHome(ctx, Name, user)
	case "user_change":
		return a.userChanged(ctx, env)
	case "member_joined_channel", "member_left_channel":
		return a.membership(ctx, env)
	case "channel_archive", "group_archive", "channel_unarchive", "group_unarchive":
		return a.archived(ctx, env)
	case "subteam_members_changed":
		if env.Event.SubteamID == "" {
			return handoff.Errorf(handoff.EINVALID, "subteam_members_changed without a subteam_id")
		}
		if a.cfg.Managers != nil {
			return a.cfg.Managers.GroupChanged(ctx, env.Event.SubteamID, env.Event.AddedUsers, env.Event.RemovedUsers)
		}
	case "app_uninstalled", "tokens_revoked":
		a.logger.WarnContext(ctx, "slack: the app lost access to the workspace", "event", env.Event.Type, "team", env.TeamID)
	default:
		a.logger.InfoContext(ctx, "slack: event", "event", env.Event.Type, "event_id", env.EventID)
	}
	return nil
}
