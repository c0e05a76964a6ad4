package storage

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/handoff/handoff"
)

// teamsPinRow pins a configured Teams channel name to the conversation it
// resolved to the first time, so that a channel created or renamed later
// under the same name cannot take over the name.
type teamsPinRow struct {
	ID             int64  `gorm:"primaryKey"`
	Name           string `gorm:"size:300;not null;uniqueIndex"` // normalized: pinKey
	ConversationID string `gorm:"size:300;not null"`
	PinnedMs       int64  `gorm:"not null"`
}

func (teamsPinRow) TableName() string { return "teams_channel_pins" }

// pinKey normalizes a configured channel name: trimmed, without a leading
// "#", lower-case, with the spaces around a "team/channel" slash removed.
func pinKey(name string) string {
	team, channel := splitTeamsName(name)
	if team == "" {
		return strings.ToLower(channel)
	}
	return strings.ToLower(team + "/" + channel)
}

// splitTeamsName splits "Team/Channel" (or "Channel", "#Channel").
func splitTeamsName(name string) (team, channel string) {
	channel = strings.TrimPrefix(strings.TrimSpace(name), "#")
	if i := strings.LastIndexByte(channel, '/'); i >= 0 {
		team, channel = strings.TrimSpace(channel[:i]), strings.TrimSpace(channel[i+1:])
	}
	return team, channel
}

// teamsPin returns the conversation id name is pinned to, or "".
func (s *Store) teamsPin(ctx context.Context, db *gorm.DB, name string) (string, error) {
	var pin teamsPinRow
	err := db.WithContext(ctx).Where("name = ?", pinKey(name)).Take(&pin).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("storage: teams channel pin %q: %w", name, err)
	}
	return pin.ConversationID, nil
}

// uniqueTeamsChannel finds the one stored channel called name. It returns
// ENOTFOUND when there is none and ECONFLICT, naming every candidate,
// when there are several.
func uniqueTeamsChannel(ctx context.Context, db *gorm.DB, name string) (teamsConversationRow, error) {
	team, channel := splitTeamsName(name)
	q := db.WithContext(ctx).Model(&teamsConversationRow{})
	if strings.EqualFold(channel, "general") {
		q = q.Where("LOWER(channel_name) = ? OR (conversation_id = team_id AND channel_name = '')", strings.ToLower(channel))
	} else {
		q = q.Where("LOWER(channel_name) = ?", strings.ToLower(channel))
	}
	if team != "" {
		q = q.Where("LOWER(team_name) = ?", strings.ToLower(team))
	}
	var rows []teamsConversationRow
	if err := q.Order("team_name, channel_name, conversation_id").Limit(20).Find(&rows).Error; err != nil {
		return teamsConversationRow{}, fmt.Errorf("storage: teams channel %q: %w", name, err)
	}
	switch len(rows) {
	case 0:
		return teamsConversationRow{}, notFound("Teams channel %q is not known: install the app in its team first", name)
	case 1:
		return rows[0], nil
	}
	candidates := make([]string, len(rows))
	for i, r := range rows {
		candidates[i] = fmt.Sprintf("%s/%s (%s)", r.TeamName, cmp.Or(r.ChannelName, "General"), r.ConversationID)
	}
	return teamsConversationRow{}, handoff.Errorf(handoff.ECONFLICT,
		"Teams channel %q is ambiguous: it names %s; configure one of these ids (or \"Team/Channel\") instead",
		name, strings.Join(candidates, ", "))
}

// PinTeamsChannel resolves a configured channel name (as TeamsConversation
// does) and pins it: from then on the name means that conversation, by
// id, even when the channel is renamed or another channel gets the name.
// The first pin wins, also between replicas. An id is returned as it is,
// without a pin. It returns ENOTFOUND while no channel has the name yet,
// and ECONFLICT naming the candidates when an unpinned name is ambiguous.
func (s *Store) PinTeamsChannel(ctx context.Context, name string, now time.Time) (handoff.TeamsConversation, error) {
	ref, err := s.TeamsConversation(ctx, name)
	if err != nil || strings.HasPrefix(strings.TrimSpace(name), "19:") {
		return ref, err
	}
	if id, err := s.teamsPin(ctx, s.db, name); err != nil || id != "" {
		if err != nil {
			return handoff.TeamsConversation{}, err
		}
		return s.TeamsConversation(ctx, id)
	}
	pin := teamsPinRow{Name: pinKey(name), ConversationID: ref.ConversationID, PinnedMs: ms(now)}
	if err := s.write.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&pin).Error; err != nil {
		return handoff.TeamsConversation{}, fmt.Errorf("storage: pin teams channel %q: %w", name, err)
	}
	id, err := s.teamsPin(ctx, s.write, name) // another replica may have pinned first
	if err != nil {
		return handoff.TeamsConversation{}, err
	}
	return s.TeamsConversation(ctx, id)
}
