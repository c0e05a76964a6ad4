package teams

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
)

// Managers knows the Teams users who are sales managers: configured Bot
// Framework user ids, Entra object ids or emails.
type Managers struct {
	ids      map[string]bool
	emails   bool // some entries are emails
	platform *Platform

	mu     sync.Mutex
	lookup map[string]string // user → email, once found
}

var _ bot.Managers = (*Managers)(nil)

// NewManagers returns the managers named by ids (TEAMS_MANAGERS), matched
// case-insensitively against a user's Bot Framework id, Entra object id and
// (for entries with an "@") email.
func NewManagers(platform *Platform, ids []string) *Managers {
	m := &Managers{ids: map[string]bool{}, platform: platform, lookup: map[string]string{}}
	for _, id := range ids {
		if id = strings.ToLower(strings.TrimSpace(id)); id != "" {
			m.ids[id] = true
			m.emails = m.emails || strings.Contains(id, "@")
		}
	}
	return m
}

// IsManager reports whether userID is a manager. It returns an error only
// when the user's email is needed and cannot be looked up: marked
// bot.Unanswered when the Bot Connector did not answer, not when the
// store failed.
func (m *Managers) IsManager(ctx context.Context, userID string) (bool, error) {
	if m.ids[strings.ToLower(userID)] {
		return true, nil
	}
	if m.platform == nil || len(m.ids) == 0 {
		return false, nil
	}
	u, err := m.platform.user(ctx, userID)
	if err != nil && handoff.ErrorCode(err) != handoff.ENOTFOUND {
		return false, err
	}
	if u.AADObjectID != "" && m.ids[strings.ToLower(u.AADObjectID)] {
		return true, nil
	}
	if !m.emails {
		return false, nil
	}
	m.mu.Lock()
	email, ok := m.lookup[userID]
	m.mu.Unlock()
	if !ok {
		if email, err = m.platform.Email(ctx, userID); err != nil {
			return false, fmt.Errorf("teams: email of %s: %w", userID, err)
		}
		m.mu.Lock()
		m.lookup[userID] = email
		m.mu.Unlock()
	}
	return email != "" && m.ids[strings.ToLower(email)], nil
}
