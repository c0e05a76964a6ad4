package storage

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/handoff/handoff"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

type teamsConversationRow struct {
	ID             int64  `gorm:"primaryKey"`
	ConversationID string `gorm:"size:300;not null;uniqueIndex"`
	ServiceURL     string `gorm:"size:500;not null"`
	TenantID       string `gorm:"size:100"`
	ChannelID      string `gorm:"size:300"`
	ChannelName    string `gorm:"size:300;index"`
	TeamID         string `gorm:"size:300;index"`
	TeamName       string `gorm:"size:300"`
	GroupID        string `gorm:"size:300"`
	BotID          string `gorm:"size:300"`
	UpdatedMs      int64  `gorm:"not null"`
}

func (teamsConversationRow) TableName() string { return "teams_conversations" }

func (r teamsConversationRow) conversation() handoff.TeamsConversation {
	return handoff.TeamsConversation{ConversationID: r.ConversationID, ServiceURL: r.ServiceURL, TenantID: r.TenantID,
		ChannelID: r.ChannelID, ChannelName: r.ChannelName, TeamID: r.TeamID, TeamName: r.TeamName, GroupID: r.GroupID, BotID: r.BotID,
		Updated: fromMs(r.UpdatedMs)}
}

type teamsUserRow struct {
	ID               int64  `gorm:"primaryKey"`
	UserID           string `gorm:"size:300;not null;uniqueIndex"`
	AADObjectID      string `gorm:"column:aad_object_id;size:300;index"`
	Name             string `gorm:"size:300"`
	TenantID         string `gorm:"size:100"`
	ServiceURL       string `gorm:"size:500"`
	DMConversationID string `gorm:"column:dm_conversation_id;size:300"`
	WroteIn          string `gorm:"size:300"`
	UpdatedMs        int64  `gorm:"not null"`
}

func (teamsUserRow) TableName() string { return "teams_users" }

func (r teamsUserRow) user() handoff.TeamsUser {
	return handoff.TeamsUser{ID: r.UserID, AADObjectID: r.AADObjectID, Name: r.Name, TenantID: r.TenantID,
		ServiceURL: r.ServiceURL, DMConversationID: r.DMConversationID, WroteIn: r.WroteIn, Updated: fromMs(r.UpdatedMs)}
}

// upsertColumns returns the columns to update on conflict: updated_ms and
// every column whose new value is not empty, so a partial reference (an
// event that names no channel) never erases what is known.
func upsertColumns(values map[string]string) []string {
	cols := []string{"updated_ms"}
	for col, v := range values {
		if v != "" {
			cols = append(cols, col)
		}
	}
	return cols
}

// SaveTeamsConversation stores or updates the conversation reference keyed
// by c.ConversationID (a ";messageid=" suffix is dropped). Empty fields keep
// their stored values. It returns EINVALID without a conversation id or
// service URL, and a wrapped error when the write fails.
func (s *Store) SaveTeamsConversation(ctx context.Context, c handoff.TeamsConversation, now time.Time) error {
	c.ConversationID = handoff.TeamsBaseConversation(c.ConversationID)
	if c.ConversationID == "" || c.ServiceURL == "" {
		return teamsInvalid("teams conversation needs an id and a service URL")
	}
	if err := checkLens(sized{"teams conversation id", c.ConversationID, handoff.MaxChatIDLen}, sized{"teams service URL", c.ServiceURL, handoff.MaxServiceURLLen},
		sized{"teams channel id", c.ChannelID, handoff.MaxChatIDLen}, sized{"teams channel name", c.ChannelName, handoff.MaxChatNameLen},
		sized{"teams team id", c.TeamID, handoff.MaxChatIDLen}, sized{"teams team name", c.TeamName, handoff.MaxChatNameLen},
		sized{"teams team's group id", c.GroupID, handoff.MaxChatIDLen}, sized{"teams bot id", c.BotID, handoff.MaxChatIDLen}); err != nil {
		return err
	}
	row := teamsConversationRow{ConversationID: c.ConversationID, ServiceURL: c.ServiceURL, TenantID: c.TenantID,
		ChannelID: c.ChannelID, ChannelName: c.ChannelName, TeamID: c.TeamID, TeamName: c.TeamName, GroupID: c.GroupID, BotID: c.BotID,
		UpdatedMs: ms(now)}
	cols := upsertColumns(map[string]string{"service_url": c.ServiceURL, "tenant_id": c.TenantID, "channel_id": c.ChannelID,
		"channel_name": c.ChannelName, "team_id": c.TeamID, "team_name": c.TeamName, "group_id": c.GroupID, "bot_id": c.BotID})
	err := s.write.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "conversation_id"}},
		DoUpdates: clause.AssignmentColumns(cols),
	}).Create(&row).Error
	if err != nil {
		return fmt.Errorf("storage: save teams conversation %s: %w", c.ConversationID, err)
	}
	return nil
}

// TeamsConversation finds a stored conversation reference by conversation
// id (a ";messageid=" suffix is ignored), by channel name, or by
// "team/channel" name (names case-insensitive; "General" names a team's
// first channel, whose id is the team's). A pinned name (PinTeamsChannel)
// is the conversation it was pinned to, whatever that channel is called
// now. It returns ENOTFOUND when none matches, and ECONFLICT naming the
// candidates when an unpinned name matches several channels.
func (s *Store) TeamsConversation(ctx context.Context, idOrName string) (handoff.TeamsConversation, error) {
	key := strings.TrimSpace(idOrName)
	if key == "" {
		return handoff.TeamsConversation{}, notFound("teams conversation %q", idOrName)
	}
	db := s.db.WithContext(ctx)
	var row teamsConversationRow
	err := db.Where("conversation_id = ?", handoff.TeamsBaseConversation(key)).Take(&row).Error
	if err == nil {
		return row.conversation(), nil
	}
	if !errors.Is(err, gorm.ErrRecordNotFound) {
		return handoff.TeamsConversation{}, fmt.Errorf("storage: teams conversation %q: %w", idOrName, err)
	}
	if id, err := s.teamsPin(ctx, s.db, key); err != nil || id != "" {
		if err != nil {
			return handoff.TeamsConversation{}, err
		}
		return s.TeamsConversation(ctx, id)
	}
	row, err = uniqueTeamsChannel(ctx, s.db, key)
	if err != nil {
		return handoff.TeamsConversation{}, err
	}
	return row.conversation(), nil
}

// LatestTeamsConversation returns the most recently updated conversation
// reference (whose service URL and tenant reach other channels of the same
// tenant), or ENOTFOUND when the app was never installed.
func (s *Store) LatestTeamsConversation(ctx context.Context) (handoff.TeamsConversation, error) {
	var row teamsConversationRow
	err := s.db.WithContext(ctx).Order("updated_ms DESC, id DESC").Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return handoff.TeamsConversation{}, notFound("no Teams conversation is stored: install the app in a team first")
	}
	if err != nil {
		return handoff.TeamsConversation{}, fmt.Errorf("storage: latest teams conversation: %w", err)
	}
	return row.conversation(), nil
}

// SaveTeamsUser stores or updates the user keyed by u.ID; empty fields keep
// their stored values. It returns EINVALID without an id, and a wrapped
// error when the write fails.
func (s *Store) SaveTeamsUser(ctx context.Context, u handoff.TeamsUser, now time.Time) error {
	if u.ID == "" {
		return teamsInvalid("teams user needs an id")
	}
	if err := checkLens(sized{"teams user id", u.ID, handoff.MaxChatIDLen}, sized{"teams user's Entra object id", u.AADObjectID, handoff.MaxChatIDLen},
		sized{"teams user's name", u.Name, handoff.MaxChatNameLen}, sized{"teams user's service URL", u.ServiceURL, handoff.MaxServiceURLLen},
		sized{"teams user's personal chat id", u.DMConversationID, handoff.MaxChatIDLen}, sized{"teams user's conversation", u.WroteIn, handoff.MaxChatIDLen}); err != nil {
		return err
	}
	row := teamsUserRow{UserID: u.ID, AADObjectID: u.AADObjectID, Name: u.Name, TenantID: u.TenantID,
		ServiceURL: u.ServiceURL, DMConversationID: u.DMConversationID, WroteIn: u.WroteIn, UpdatedMs: ms(now)}
	cols := upsertColumns(map[string]string{"aad_object_id": u.AADObjectID, "name": u.Name, "tenant_id": u.TenantID,
		"service_url": u.ServiceURL, "dm_conversation_id": u.DMConversationID, "wrote_in": u.WroteIn})
	upsert := func(tx *gorm.DB) error {
		return tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "user_id"}},
			DoUpdates: clause.AssignmentColumns(cols),
		}).Create(&row).Error
	}
	var err error
	if u.AADObjectID == "" {
		err = upsert(s.write.WithContext(ctx))
	} else {
		// A new Entra id is a new key the user's claims may have accepted
		// offers under: their routed leads are counted anew with it.
		err = s.tx(ctx, func(tx *gorm.DB) error {
			var old []string
			if err := tx.Raw("SELECT aad_object_id FROM teams_users WHERE user_id = ?", u.ID).Scan(&old).Error; err != nil {
				return err
			}
			if err := upsert(tx); err != nil {
				return err
			}
			if len(old) == 1 && strings.EqualFold(old[0], u.AADObjectID) {
				return nil
			}
			return refreshTeamsUserRouting(tx, u.ID)
		})
	}
	if err != nil {
		return fmt.Errorf("storage: save teams user %s: %w", u.ID, err)
	}
	return nil
}

// handoff.TeamsUser finds a user by Bot Framework id or, failing that, by Entra
// (AAD) object id. It returns ENOTFOUND when the bot never saw the user.
func (s *Store) TeamsUser(ctx context.Context, id string) (handoff.TeamsUser, error) {
	if id == "" {
		return handoff.TeamsUser{}, notFound("teams user %q", id)
	}
	var row teamsUserRow
	err := s.db.WithContext(ctx).Where("user_id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		err = s.db.WithContext(ctx).Where("aad_object_id = ?", id).Order("updated_ms DESC, id DESC").Take(&row).Error
	}
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return handoff.TeamsUser{}, notFound("Teams user %s has not talked to Handoff yet", teamsUserLog(id))
	}
	if err != nil {
		return handoff.TeamsUser{}, fmt.Errorf("storage: teams user %s: %w", teamsUserLog(id), err)
	}
	return row.user(), nil
}

func teamsInvalid(msg string) error { return handoff.Errorf(handoff.EINVALID, "%s", msg) }

// teamsUserLog is how an error names the Teams user asked for by id: the
// id itself, or "(email)" for one asked for by email address (a rep of
// the agreement), which an error must not carry into the log.
func teamsUserLog(id string) string {
	return strings.TrimPrefix(handoff.RepLogKey("teams:"+id), "teams:")
}
