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
// reads by the group's subteam_members_changed events, on the other
// replicas too once shared (Share). The group is read outside any lock:
// while Slack is slow, clicks are answered from the last list read, and
// only the very first lookup waits (at most cache.DefaultWait).
type Managers struct {
	users   map[string]bool
	group   string
	members *cache.Cache[map[string]bool]
	shared  *cache.Shared
}

var _ bot.Managers = (*Managers)(nil)

// NewManagers returns the managers named by userIDs and, when groupID is not
// "", the members of that user group, refreshed every 5 minutes, each
// read within timeout (SLACK_TIMEOUT, api's).
func NewManagers(api *slackapi.Client, userIDs []string, groupID string, timeout time.Duration) *Managers {
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
	m.members.FetchTimeout = timeout
	return m
}

// Share makes the group's subteam_members_changed events that reach this
// replica reach the replicas sharing stamps too, and theirs this one: each
// drops its cached list within a second of another's event
// (cache.Shared). Call it before the first IsManager.
func (m *Managers) Share(stamps cache.Stamps) {
	m.shared = cache.NewShared(stamps, "slack:managers:"+m.group)
	m.shared.Now = m.members.Now
}

// SetClock replaces the clock of the group's cache and of its sharing
// (tests). Call it before the first IsManager.
func (m *Managers) SetClock(now func() time.Time) {
	m.members.Now = now
	if m.shared != nil {
		m.shared.Now = now
	}
}

// GroupChanged records the members added to and removed from user group
// (subteam_members_changed): when it is the managers' group, someone
// removed is no longer a manager at once, not at the list's next read, on
// every replica sharing the change (Share). It returns an error when the
// change could not be shared: the event is to be handled again.
func (m *Managers) GroupChanged(ctx context.Context, group string, added, removed []string) error {
	if group == "" || group != m.group {
		return nil
	}
	m.members.Update(group, withUsers(added, removed))
	if err := m.shared.Announce(ctx); err != nil {
		return fmt.Errorf("slack: change of user group %s: %w", group, err)
	}
	return nil
}

// IsManager reports whether userID is a manager. When the user group cannot
// be read it answers from the last list it read, or returns the error when
// it never read one. Shared, it reads the list again when another replica
// had a change of the group since. Slack's failure to give the group is
// marked bot.Unanswered; the store's, sharing, is not.
func (m *Managers) IsManager(ctx context.Context, userID string) (bool, error) {
	if m.users[userID] {
		return true, nil
	}
	if m.group == "" {
		return false, nil
	}
	changed, err := m.shared.Changed(ctx)
	if err != nil {
		return false, fmt.Errorf("slack: is %s a manager: %w", userID, err)
	}
	if changed {
		m.members.Clear()
	}
	members, err := m.members.Get(ctx, m.group)
	if err != nil {
		return false, bot.Unanswered(err) // the cache asks Slack alone
	}
	return members[userID], nil
}
