package teams

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/handoff/handoff"
)

// install stores the conversation reference of a team (its General channel)
// when the bot is added, and of channels created, renamed or restored later;
// people added to or removed from a team are asked about again (see
// Members); the app removed from a team, or the sales or managers' channel
// deleted, is a lost channel (see lost).
func (a *App) install(ctx context.Context, act *Activity) error {
	cd := act.TeamsChannelData()
	if act.Conversation.ConversationType == "personal" || act.Conversation.ID == "" || cd.Team.ID == "" {
		return nil // a personal install: the user's chat is remembered
	}
	isBot := func(m schema.ChannelAccount) bool { return m.ID == act.Recipient.ID }
	if a.cfg.Members != nil {
		for _, m := range slices.Concat(act.MembersAdded, act.MembersRemoved) {
			if isBot(m) {
				continue
			}
			if err := a.cfg.Members.Changed(ctx, cd.Team.ID, m.ID); err != nil {
				return err
			}
		}
	}
	added := act.Type == "installationUpdate" && act.Action != "remove" || slices.ContainsFunc(act.MembersAdded, isBot)
	if botLeft(act) {
		// Nothing is forgotten: the team's channels are known again when
		// the app is added back, and a card refused meanwhile names the fix.
		a.lost(ctx, "teams: the app was removed from a team: Handoff cannot post to its channels until it is added again",
			"team", cd.Team.Name, "team_id", cd.Team.ID)
		return nil
	}
	if cd.EventType == "channelDeleted" && cd.Channel.ID != "" {
		a.channelDeleted(ctx, cd)
		return nil
	}
	ref := handoff.TeamsConversation{ServiceURL: act.ServiceURL, TenantID: act.TenantID(), TeamID: cd.Team.ID,
		TeamName: cd.Team.Name, GroupID: cd.Team.AADGroupID, BotID: act.Recipient.ID}
	switch {
	case added || cd.EventType == "teamRenamed":
		ref.ConversationID = handoff.TeamsBaseConversation(act.Conversation.ID)
		ref.ChannelID = ref.ConversationID
		if ref.ConversationID == cd.Team.ID {
			ref.ChannelName = "General"
		}
	case (cd.EventType == "channelCreated" || cd.EventType == "channelRenamed" || cd.EventType == "channelRestored") && cd.Channel.ID != "":
		ref.ConversationID, ref.ChannelID, ref.ChannelName = cd.Channel.ID, cd.Channel.ID, cd.Channel.Name
	default:
		return nil
	}
	idField := "conversation.id"
	if ref.ConversationID == cd.Channel.ID && cd.Channel.ID != "" {
		idField = "channelData.channel.id"
	}
	if err := checkConversation(ref, idField); err != nil {
		return err
	}
	if err := a.cfg.Store.SaveTeamsConversation(ctx, ref, a.cfg.Now().UTC()); err != nil {
		return err
	}
	a.logger.InfoContext(ctx, "teams: conversation stored", "conversation", ref.ConversationID, "team", ref.TeamName, "channel", ref.ChannelName)
	if a.cfg.OnChannelBack != nil {
		switch {
		case added:
			a.cfg.OnChannelBack(ctx, cd.Team.ID) // where BotNotInConversationRoster refused (Platform.Post)
			for _, channel := range a.teamlessChannels(ctx) {
				a.cfg.OnChannelBack(ctx, channel) // this team may hold it
			}
		case cd.EventType == "channelRestored":
			a.cfg.OnChannelBack(ctx, ref.ConversationID)
		}
	}
	return nil
}

// botLeft reports whether act says that the app was removed from its
// team: an installationUpdate "remove", or the bot among the members
// removed.
func botLeft(act *Activity) bool {
	return act.Type == "installationUpdate" && act.Action == "remove" ||
		slices.ContainsFunc(act.MembersRemoved, func(m schema.ChannelAccount) bool { return m.ID == act.Recipient.ID })
}

// checkConversation refuses a conversation reference holding text that
// cannot be stored alike on both databases (PostgreSQL refuses a NUL): an
// EINVALID error naming the activity's fields (idField the one the
// conversation's id came from), before anything is written.
func checkConversation(ref handoff.TeamsConversation, idField string) error {
	bad := map[string]string{}
	for field, v := range map[string]string{
		idField: ref.ConversationID, "serviceUrl": ref.ServiceURL, "channelData.tenant.id": ref.TenantID,
		"channelData.team.id": ref.TeamID, "channelData.team.name": ref.TeamName, "channelData.team.aadGroupId": ref.GroupID,
		"channelData.channel.name": ref.ChannelName, "recipient.id": ref.BotID,
	} {
		if p := handoff.CheckText(v, handoff.MaxAttributeLen); p != "" {
			bad[field] = p
		}
	}
	if len(bad) > 0 {
		return handoff.Invalid("invalid conversation", bad)
	}
	return nil
}

// channelDeleted warns when the deleted channel is the sales or the
// managers' channel (TEAMS_SALES_CHANNEL, TEAMS_MANAGER_CHANNEL, by name or
// id): cards and notes there would be refused.
func (a *App) channelDeleted(ctx context.Context, cd ChannelData) {
	for _, c := range []struct{ role, setting, channel string }{
		{"sales channel", "TEAMS_SALES_CHANNEL", a.cfg.SalesChannel},
		{"managers' channel", "TEAMS_MANAGER_CHANNEL", a.cfg.ManagerChannel},
	} {
		if c.channel == "" || !a.isChannel(ctx, c.channel, cd.Channel.ID) {
			continue
		}
		a.lost(ctx, fmt.Sprintf("teams: the %s was deleted: Handoff cannot post there until it is restored or %s names another channel", c.role, c.setting),
			"channel", c.channel, "team", cd.Team.Name)
	}
}

// teamlessChannels is the sales and managers' channels set by an id never
// stored: which team holds them is not known, so their refusals name the
// channels themselves (Platform.resolve), and the app added to any team may
// be the app back in theirs.
func (a *App) teamlessChannels(ctx context.Context) []string {
	var ids []string
	for _, c := range []string{a.cfg.SalesChannel, a.cfg.ManagerChannel} {
		if !strings.HasPrefix(c, "19:") {
			continue
		}
		if _, err := a.cfg.Platform.store.TeamsConversation(ctx, c); handoff.ErrorCode(err) == handoff.ENOTFOUND {
			ids = append(ids, handoff.TeamsBaseConversation(c))
		}
	}
	return ids
}

// isChannel reports whether the configured channel (an id, or a name as
// stored or pinned) is the conversation id. It only reads: a name first
// pinned by its channel's deletion would hold on to the deleted channel.
func (a *App) isChannel(ctx context.Context, configured, id string) bool {
	if strings.HasPrefix(configured, "19:") {
		return handoff.TeamsBaseConversation(configured) == id
	}
	ref, err := a.cfg.Platform.store.TeamsConversation(ctx, configured)
	return err == nil && handoff.TeamsBaseConversation(ref.ConversationID) == id
}

// lost warns that Handoff cannot post to one of its channels, and calls
// OnChannelLost.
func (a *App) lost(ctx context.Context, msg string, args ...any) {
	if a.cfg.OnChannelLost != nil {
		a.cfg.OnChannelLost()
	}
	a.logger.WarnContext(ctx, msg, args...)
}
