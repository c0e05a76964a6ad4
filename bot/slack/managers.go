package slack

import (
	"context"
	"fmt"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/internal/cache"
)

// Managers knows the Slack users who are sales managers: a configured list
// of user ids and/or the members of a user group (usergroups.users.list,
// scope usergroups:read), cached for 5 minutes and kept up to date between
// reads by the group's subteam_members_changed events. The group is read
// outside any lock: while Slack is slow, clicks are answered from the last
// list read, and only the very first lookup waits (at most
// cache.DefaultWait).
type Managers struct {
	users   map[string]bool
	group   string
	members *cache.Cache[map[string]bool]
}

var _ bot.Managers = (*Managers)(nil)

// NewManagers returns the managers named by userIDs and, when groupID is not
// "", the members of that user group, refreshed every 5 minutes.
func NewManagers(api *slackapi.Client, userIDs []string, groupID string) *Managers {
	m := &Managers{users: map[string]bool{}, group: groupID}
	for _, u := range userIDs {
		if u != "" {
			m.users[u] = true
		}
	}
	m.members = cache.New(5*time.Minute, func(ctx context.Context, group string) (map[string]bool, error) {
		users, err := api.GetUserGroupMembersContext(ctx, group)
		if err != nil {
			return nil, fmt.Errorf("slack: members of user group %s: %w", group, err)
		}
		set := make(map[string]bool, len(users))
		for _, u := range users {
			set[u] = true
		}
		return set, nil
	})
	return m
}

// SetClock replaces the clock of the group's cache (tests).
func (m *Managers) SetClock(now func() time.Time) { m.members.Now = now }

// GroupChanged records the members added to and removed from user group
// (subteam_members_changed): when it is the managers' group, someone
// removed is no longer a manager at once, not at the list's next read.
func (m *Managers) GroupChanged(group string, added, removed []string) {
	if group == "" || group != m.group {
		return
	}
	m.members.Update(group, withUsers(added, removed))
}

// IsManager reports whether userID is a manager. When the user group cannot
// be read it answers from the last list it read, or returns the error when
// it never read one.
func (m *Managers) IsManager(ctx context.Context, userID string) (bool, error) {
	if m.users[userID] {
		return true, nil
	}
	if m.group == "" {
		return false, nil
	}
	members, err := m.members.Get(ctx, m.group)
	if err != nil {
		return false, err
	}
	return members[userID], nil
}
