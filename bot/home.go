package bot

import (
	"context"
	"fmt"

	"github.com/handoff/handoff"
)

// Home is one user's home (Slack's App Home tab): their week, their open
// leads each with the buttons of its card, and for managers the team's
// open breaches.
type Home struct {
	// Week is the heading and the user's week: leads claimed, contacted in
	// time, median time to contact.
	Week Message
	// Leads has one message per open lead: a line with its stage and next
	// deadline, and the buttons of the lead's card.
	Leads []Message
	// Breaches lists the team's open breaches; nil for a user who is not a
	// manager.
	Breaches *Message
}

// RefreshHome queues the republishing of userID's home on platform (when
// they open it). It returns an error when the outbox cannot be written.
func (b *Bot) RefreshHome(ctx context.Context, platform, userID string) error {
	msg := handoff.HomeRefresh(handoff.Owner{Platform: platform, UserID: userID})
	if msg == nil {
		return handoff.Errorf(handoff.EINVALID, "home without a user")
	}
	if err := b.cfg.Store.Enqueue(ctx, b.now(), *msg); err != nil {
		return fmt.Errorf("bot: queue the home of %s:%s: %w", platform, userID, err)
	}
	return nil
}
