package slack

import (
	"context"
	"fmt"
	"sync"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/handoff/handoff/bot"
)

// Managers knows the Slack users who are sales managers: a configured list
// of user ids and/or the members of a user group (usergroups.users.list,
// scope usergroups:read), cached for TTL.
type Managers struct {
	api   *slackapi.Client
	users map[string]bool
	group string
	ttl   time.Duration
	now   func() time.Time

	mu      sync.Mutex
	members map[string]bool
	fetched time.Time
}

var _ bot.Managers = (*Managers)(nil)

// NewManagers returns the managers named by userIDs and, when groupID is not
// "", the members of that user group, refreshed every 5 minutes.
func NewManagers(api *slackapi.Client, userIDs []string, groupID string) *Managers {
	m := &Managers{api: api, users: map[string]bool{}, group: groupID, ttl: 5 * time.Minute, now: time.Now}
	for _, u := range userIDs {
		if u != "" {
			m.users[u] = true
		}
	}
	return m
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
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.members == nil || m.now().Sub(m.fetched) > m.ttl {
		users, err := m.api.GetUserGroupMembersContext(ctx, m.group)
		if err != nil {
			if m.members == nil {
				return false, fmt.Errorf("slack: members of user group %s: %w", m.group, err)
			}
		} else {
			m.members = map[string]bool{}
			for _, u := range users {
				m.members[u] = true
			}
		}
		m.fetched = m.now()
	}
	return m.members[userID], nil
}
