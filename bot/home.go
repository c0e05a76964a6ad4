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
	// LeadsTotal is how many open leads the user has: more than
	// len(Leads) when only the most urgent were read.
	LeadsTotal int
	// LeadsMore says where to read the leads a home leaves out, in
	// Message markup ("`/leads mine` lists them, 20 a page.").
	LeadsMore string
	// Breaches lists the team's open breaches; nil for a user who is not a
	// manager.
	Breaches *Message
}

// LeadsLeftOut is the line, in Message markup, that a renderer showing
// only the first shown of Leads writes under them: how many of the
// user's open leads it leaves out (those not read included), and where
// to read them; "" when it leaves out none.
func (h Home) LeadsLeftOut(shown int) string {
	n := max(h.LeadsTotal, len(h.Leads)) - shown
	if n <= 0 {
		return ""
	}
	s := "Not shown here: " + Count(n, "more open lead", "more open leads") + ", the least urgent."
	if h.LeadsMore != "" {
		s += " " + h.LeadsMore
	}
	return s
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
