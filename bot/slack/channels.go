package slack

import (
	"context"
	"fmt"

	"github.com/handoff/handoff"
)

// membership handles member_joined_channel and member_left_channel: a
// person joining or leaving the sales channel may see leads, or no longer
// may, at once rather than at the next read of the member list; the bot
// itself removed from the sales or the managers' channel is a lost channel
// (see lost): the next card there would be refused with not_in_channel.
func (a *App) membership(ctx context.Context, env eventEnvelope) error {
	user, channel := env.userID(), env.Event.Channel
	if user == "" || channel == "" {
		return handoff.Errorf(handoff.EINVALID, "%s without a user or a channel", env.Event.Type)
	}
	left := env.Event.Type == "member_left_channel"
	self, err := a.cfg.Workspace.BotUserID(ctx)
	if err != nil {
		return err
	}
	if user != self {
		switch {
		case a.cfg.Members == nil:
			return nil
		case left:
			return a.cfg.Members.Left(ctx, channel, user)
		}
		return a.cfg.Members.Joined(ctx, channel, user)
	}
	if left {
		a.lost(ctx, channel, "the app was removed from the %[1]s: Handoff cannot post there until someone invites it back (/invite @Handoff in the channel)")
	} else {
		a.back(ctx, channel, "the app was added to the %[1]s")
	}
	return nil
}

// archived handles channel_archive and group_archive (a public or private
// channel archived: a lost channel when Handoff posts there) and their
// unarchive events.
func (a *App) archived(ctx context.Context, env eventEnvelope) error {
	channel := env.Event.Channel
	if channel == "" {
		return handoff.Errorf(handoff.EINVALID, "%s without a channel", env.Event.Type)
	}
	if env.Event.Type == "channel_archive" || env.Event.Type == "group_archive" {
		a.lost(ctx, channel, "the %[1]s was archived: Handoff cannot post there until it is unarchived or %[2]s names another channel")
	} else {
		a.back(ctx, channel, "the %[1]s was unarchived")
	}
	return nil
}

// lost warns, with what (a format of the channel's role and its setting), that
// Handoff can no longer post to channel, when it is the sales or the
// managers' channel, and calls OnChannelLost.
func (a *App) lost(ctx context.Context, channel, what string) {
	role, setting := a.role(channel)
	if role == "" {
		return
	}
	if a.cfg.OnChannelLost != nil {
		a.cfg.OnChannelLost()
	}
	a.logger.WarnContext(ctx, "slack: "+fmt.Sprintf(what, role, setting), "channel", channel)
}

// back notes that Handoff's channel is usable again, and calls
// OnChannelBack for any channel, the agreement's own among them.
func (a *App) back(ctx context.Context, channel, what string) {
	if role, setting := a.role(channel); role != "" {
		a.logger.InfoContext(ctx, "slack: "+fmt.Sprintf(what, role, setting), "channel", channel)
	}
	if a.cfg.OnChannelBack != nil {
		a.cfg.OnChannelBack(ctx, channel)
	}
}

// role names channel's role for Handoff and the setting that names it, ""
// for a channel Handoff does not post to.
func (a *App) role(channel string) (role, setting string) {
	switch channel {
	case a.cfg.SalesChannel:
		return "sales channel", "SLACK_SALES_CHANNEL"
	case a.cfg.ManagerChannel:
		return "managers' channel", "SLACK_MANAGER_CHANNEL"
	}
	return "", ""
}
