package outbox

import (
	"context"
	"errors"
	"fmt"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
)

// deliver does the work of one message and returns the result to store and
// any chat post it created.
func (d *Dispatcher) deliver(ctx context.Context, m handoff.OutboxMessage, refreshed map[string]bool) (string, []handoff.ChatPost, error) {
	switch m.Kind {
	case handoff.OutboxAnnounceLead:
		return d.announce(ctx, m)
	case handoff.OutboxRefreshLead:
		return d.refresh(ctx, m, refreshed)
	case handoff.OutboxEraseLead:
		return d.erase(ctx, m)
	case handoff.OutboxEarlierCard:
		return d.earlierCard(ctx, m)
	case handoff.OutboxPrivate, handoff.OutboxDirect, handoff.OutboxReply, handoff.OutboxShare:
		return d.notice(ctx, m)
	case handoff.OutboxOwnerEmail:
		return d.ownerEmail(ctx, m)
	case handoff.OutboxRemind:
		return d.remind(ctx, m)
	case handoff.OutboxEscalate:
		return d.escalate(ctx, m)
	case handoff.OutboxDigest:
		return d.digest(ctx, m)
	case handoff.OutboxHome:
		return d.home(ctx, m, refreshed)
	case handoff.OutboxManagersNote:
		return d.managersNote(ctx, m)
	case handoff.OutboxRepDeactivated:
		return d.repDeactivated(ctx, m)
	case handoff.OutboxNotesOfLead:
		return d.notesOfLead(ctx, m)
	case handoff.OutboxCardGivenUp:
		return d.cardGivenUp(ctx, m)
	case handoff.OutboxRouteLead:
		return d.route(ctx, m)
	case handoff.OutboxOffer:
		return d.offer(ctx, m)
	}
	return "", nil, bot.Permanent(fmt.Errorf("unknown outbox kind %q", m.Kind))
}

// announce posts a lead to the sales channel of m.Platform (one
// announcement per platform when several are enabled: fanOut). A platform
// that already has a card announcing the lead's latest SQL time is
// skipped, so an announcement is idempotent per platform and SQL time.
// A lead that came back (it has a card already) has the managers' notes
// that name it rendered again: an OutboxNotesOfLead message is queued.
func (d *Dispatcher) announce(ctx context.Context, m handoff.OutboxMessage) (string, []handoff.ChatPost, error) {
	t, err := d.target(m.Platform)
	if err != nil {
		return "", nil, err
	}
	name := t.Platform.Name()
	lead, posts, err := d.leadAndCards(ctx, m.LeadID)
	if err != nil {
		return "", nil, err
	}
	for _, p := range posts {
		if p.Platform == name && announced(p, lead) {
			return "already posted: " + p.MessageID, nil, nil
		}
	}
	if !lead.Stage.Open() {
		return "skipped: lead is " + string(lead.Stage), nil, nil
	}
	if t.SalesChannel == "" {
		return "", nil, bot.Permanent(fmt.Errorf("%s has no sales channel", name))
	}
	id, foundAt, err := d.postOnce(ctx, m, t.Platform, t.SalesChannel, bot.LeadCard(lead, d.cfg.Now(), d.cfg.Policy))
	if err != nil {
		return "", nil, fmt.Errorf("post lead %d to %s %s: %w", m.LeadID, name, t.SalesChannel, err)
	}
	result := id
	if !foundAt.IsZero() {
		result = "found the earlier attempt's post: " + id
	}
	if len(posts) > 0 {
		// It came back as an SQL: a note that names it shows it open
		// again. A new lead (no card yet) is in no note. Queued, so that
		// a managers' channel that fails leaves the card recorded.
		notes := handoff.OutboxMessage{Kind: handoff.OutboxNotesOfLead, LeadID: m.LeadID, Platform: m.Platform}
		if err := d.cfg.Store.Enqueue(ctx, d.cfg.Now().UTC(), notes); err != nil {
			return "", nil, fmt.Errorf("queue the notes of lead %d: %w", m.LeadID, err)
		}
	}
	return result, []handoff.ChatPost{{LeadID: m.LeadID, Platform: name, Channel: t.SalesChannel, MessageID: id, SQLAt: lead.SQLAt, Posted: foundAt}}, nil
}

// announced reports whether card p announces the lead's latest time as an
// SQL. A lead that left sales (recycled, lost) and came back as an SQL is
// announced anew: a new card where new leads appear, with Claim, rather
// than an edit of a card reps have long scrolled past; its earlier card is
// kept, and updated to say that the lead came back (earlierCard). Cards
// stored before their SQL time was recorded count as announcing the
// current one.
func announced(p handoff.ChatPost, l *handoff.Lead) bool {
	return p.SQLAt == nil || l.SQLAt == nil || !p.SQLAt.Before(*l.SQLAt)
}

// leadAndCards reads lead id and its cards; an unknown lead is a
// permanent error.
func (d *Dispatcher) leadAndCards(ctx context.Context, id int64) (*handoff.Lead, []handoff.ChatPost, error) {
	lead, err := d.cfg.Store.Lead(ctx, id)
	if err != nil {
		return nil, nil, notFoundIsPermanent(err)
	}
	cards, err := d.cfg.Store.ChatPosts(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	return lead, cards, nil
}

// refresh re-renders the lead and updates each of its chat posts (those of
// m.Platform only, when set), then the managers' notes that name it where
// they show otherwise (notesOf). Updating is idempotent, so a failed
// refresh is simply retried whole.
func (d *Dispatcher) refresh(ctx context.Context, m handoff.OutboxMessage, refreshed map[string]bool) (string, []handoff.ChatPost, error) {
	key := fmt.Sprintf("%d/%s", m.LeadID, m.Platform)
	if refreshed[key] {
		return "coalesced", nil, nil
	}
	lead, posts, err := d.leadAndCards(ctx, m.LeadID)
	if err != nil {
		return "", nil, err
	}
	updated := 0
	for _, p := range posts {
		t, ok := d.platforms[p.Platform]
		if !ok || (m.Platform != "" && m.Platform != p.Platform) {
			continue
		}
		card := bot.LeadCard(lead, d.cfg.Now(), d.cfg.Policy)
		err := d.call(ctx, p.Platform, "update", func(ctx context.Context) error {
			return t.Platform.Update(ctx, p.Channel, p.MessageID, card)
		})
		if err != nil {
			return "", nil, fmt.Errorf("update lead %d on %s %s/%s: %w", m.LeadID, p.Platform, p.Channel, p.MessageID, err)
		}
		updated++
	}
	if err := d.enqueueHome(ctx, lead.Owner); err != nil {
		return "", nil, err
	}
	notes, _, err := d.notesOf(ctx, m.LeadID, m.Platform)
	if err != nil {
		return "", nil, err
	}
	refreshed[key] = true
	if notes > 0 {
		return fmt.Sprintf("updated %d, notes %d", updated, notes), nil, nil
	}
	return fmt.Sprintf("updated %d", updated), nil, nil
}

// erase updates every chat message that showed an erased lead: its cards
// are re-rendered from the anonymous lead, and its other messages (earlier
// cards, direct messages, reminders, escalations, private notices and
// answers) replaced by bot.ErasedCard; an answer shown through a reply
// handle (a Slack response_url) is replaced through it while the handle
// lasts, and counted as expired after; the owner's home is published
// again. A message the platform no longer has (or a handle it no longer
// accepts) is skipped. A channel that refuses the update (the app is no
// longer in it) still shows the person: once the rest is updated, the
// erasure is given up as refused there (bot.ChannelRefused), and runs
// again when the app is back. Any other failure retries the whole update,
// which is idempotent. A message for one platform (fanOut) updates only
// that platform's messages.
func (d *Dispatcher) erase(ctx context.Context, m handoff.OutboxMessage) (string, []handoff.ChatPost, error) {
	lead, cards, err := d.leadAndCards(ctx, m.LeadID)
	if err != nil {
		return "", nil, err
	}
	others, err := d.cfg.Store.LeadMessages(ctx, m.LeadID)
	if err != nil {
		return "", nil, err
	}
	now := d.cfg.Now()
	updated, gone, expired := 0, 0, 0
	var refused error // the first channel that refused an update
	for i, p := range append(cards, others...) {
		t, ok := d.platforms[p.Platform]
		if !ok || (m.Platform != "" && m.Platform != p.Platform) {
			continue
		}
		msg := bot.ErasedCard()
		switch {
		case i < len(cards):
			msg = bot.LeadCard(lead, now, d.cfg.Policy)
		case p.Kind == handoff.PostDigest:
			rendered, err := d.erasedDigest(ctx, p.Notice)
			if err != nil && !bot.IsPermanent(err) {
				return "", nil, fmt.Errorf("erase lead %d: %w", m.LeadID, err)
			}
			if err == nil { // else a notice that cannot be read: the erased view
				msg = rendered
			}
		}
		update := func(ctx context.Context) error { return t.Platform.Update(ctx, p.Channel, p.MessageID, msg) }
		if p.Kind == handoff.PostReply {
			rr, ok := t.Platform.(bot.ReplyReplacer)
			if !ok || p.ExpiresAt == nil || !now.Before(*p.ExpiresAt) {
				expired++
				continue
			}
			update = func(ctx context.Context) error { return rr.ReplaceReply(ctx, p.MessageID, msg) }
		}
		var err error
		if i >= len(cards) && p.Kind == handoff.PostDeactivated {
			// Rendered again as notesOf does, unless it shows the lead
			// erased already; a notice that cannot be read: the erased view.
			if _, err = d.updateNote(ctx, p); errors.Is(err, errNoteUnreadable) {
				err = d.call(ctx, p.Platform, "update", update)
			}
		} else {
			err = d.call(ctx, p.Platform, "update", update)
		}
		where := p.Channel + "/" + p.MessageID
		if p.Kind == handoff.PostReply {
			where = "a response_url" // a capability, not for logs
		}
		switch {
		case bot.RefusedBy(err) != "":
			if refused == nil {
				refused = fmt.Errorf("erase lead %d on %s %s: %w", m.LeadID, p.Platform, where, err)
			}
		case bot.IsPermanent(err):
			gone++
		case err != nil:
			return "", nil, fmt.Errorf("erase lead %d on %s %s: %w", m.LeadID, p.Platform, where, err)
		default:
			updated++
		}
	}
	// The owner's home listed the lead by name.
	if err := d.enqueueHome(ctx, lead.Owner); err != nil {
		return "", nil, err
	}
	if refused != nil {
		return "", nil, refused
	}
	return fmt.Sprintf("updated %d, gone %d, expired %d", updated, gone, expired), nil, nil
}

// notice delivers a private message, a direct message or a reply.
func (d *Dispatcher) notice(ctx context.Context, m handoff.OutboxMessage) (string, []handoff.ChatPost, error) {
	t, err := d.target(m.Platform)
	if err != nil {
		return "", nil, err
	}
	var n bot.Envelope
	if err := decodePayload(m.Payload, &n); err != nil {
		return "", nil, bot.Permanent(err)
	}
	result := "sent"
	switch erased, err := d.erasedSince(ctx, n.Message); {
	case err != nil:
		return "", nil, err
	case erased:
		n.Message, result = bot.ErasedAnswer(n.Message.Private), "sent erased: a lead it showed was erased after it was made"
	}
	p := t.Platform
	var shown []handoff.ChatPost // a message about a lead, kept for its erasure
	pm, updatable := p.(bot.PrivateMessenger)
	switch m.Kind {
	case handoff.OutboxPrivate:
		if updatable && len(n.Message.Leads) > 0 {
			err = d.call(ctx, p.Name(), "private", func(ctx context.Context) error {
				channel, id, err := pm.PostPrivateMessage(ctx, n.Channel, n.User, n.Message)
				shown = bot.Shown(n.Message, handoff.PostPrivate, p.Name(), channel, id, nil)
				return err
			})
			break
		}
		err = d.call(ctx, p.Name(), "private", func(ctx context.Context) error { return p.PostPrivate(ctx, n.Channel, n.User, n.Message) })
	case handoff.OutboxDirect:
		var channel, id string
		channel, id, err = d.directOnce(ctx, m, p, n.User, n.Message)
		shown = leadMessage(m.LeadID, p.Name(), handoff.PostDirect, channel, id)
	case handoff.OutboxShare:
		err = d.call(ctx, p.Name(), "post", func(ctx context.Context) error {
			_, err := p.Post(ctx, n.Channel, n.Message)
			return err
		})
	default:
		err = d.call(ctx, p.Name(), "reply", func(ctx context.Context) error { return p.Reply(ctx, n.ReplyTo, n.Message) })
		if rr, ok := p.(bot.ReplyReplacer); ok && err == nil {
			// The handle was issued with the command, before the answer was queued.
			expires := m.Created.Add(rr.ReplyLifetime())
			shown = bot.Shown(n.Message, handoff.PostReply, p.Name(), "", n.ReplyTo, &expires)
		}
	}
	if err != nil {
		return "", nil, fmt.Errorf("%s to %s: %w", m.Kind, handoff.RepLogKey(p.Name()+":"+n.User), err)
	}
	return result, shown, nil
}

// leadMessage records a message of kind that showed lead leadID, posted
// on platform as messageID in channel, so that erasing the lead can update
// it; nil when there is no lead or the platform returned no id.
func leadMessage(leadID int64, platform, kind, channel, messageID string) []handoff.ChatPost {
	if leadID == 0 || messageID == "" {
		return nil
	}
	return []handoff.ChatPost{{LeadID: leadID, Kind: kind, Platform: platform, Channel: channel, MessageID: messageID}}
}

// ownerEmail delivers a handoff.OutboxOwnerEmail message: it asks the platform for
// the new owner's email and records it on the lead while that user still
// owns it. The other platforms' cards, which name the owner by email, are
// refreshed; the owner's own platform mentions them and needs no update.
func (d *Dispatcher) ownerEmail(ctx context.Context, m handoff.OutboxMessage) (string, []handoff.ChatPost, error) {
	t, err := d.target(m.Platform)
	if err != nil {
		return "", nil, err
	}
	dir, ok := t.Platform.(bot.Directory)
	if !ok {
		return "skipped: no directory", nil, nil
	}
	var n bot.Envelope
	if err := decodePayload(m.Payload, &n); err != nil {
		return "", nil, bot.Permanent(err)
	}
	var email string
	err = d.call(ctx, t.Platform.Name(), "email", func(ctx context.Context) (err error) {
		email, err = dir.Email(ctx, n.User)
		return err
	})
	if err != nil {
		return "", nil, fmt.Errorf("email of %s: %w", handoff.RepLogKey(m.Platform+":"+n.User), err)
	}
	if p := handoff.CheckEmail(email); p != "" {
		// The store keeps an owner's email in a column PostgreSQL holds
		// to and SQLite does not, and PostgreSQL refuses a NUL: none is
		// recorded, the claim stands, and the message is done (asking
		// again would get the same answer).
		result := "not recorded: " + m.Platform + " answered an email " + p
		d.logger.WarnContext(ctx, "outbox: owner's email "+result, "outbox_id", m.ID, "lead", m.LeadID, "user", handoff.RepLogKey(m.Platform+":"+n.User))
		return result, nil, nil
	}
	var platforms []string
	for _, t := range d.cfg.Targets {
		platforms = append(platforms, t.Platform.Name())
	}
	_, err = d.cfg.Store.UpdateLead(ctx, m.LeadID, d.cfg.Now().UTC(), func(l *handoff.Lead) (handoff.LeadChange, error) {
		return l.RecordOwnerEmail(handoff.Owner{Platform: m.Platform, UserID: n.User, Email: email}, platforms), nil
	})
	if err != nil {
		return "", nil, notFoundIsPermanent(err)
	}
	return "recorded", nil, nil
}

// target returns the enabled platform named name (the only one when name
// is ""), or a permanent error.
func (d *Dispatcher) target(name string) (bot.Target, error) {
	if name == "" && len(d.cfg.Targets) == 1 {
		return d.cfg.Targets[0], nil
	}
	t, ok := d.platforms[name]
	if !ok {
		return bot.Target{}, bot.Permanent(fmt.Errorf("platform %q is not enabled", name))
	}
	return t, nil
}

// erasedSince reports whether a lead msg shows was erased at or after msg
// read it (Message.ReadAt; false when that is unknown). An erasure drops
// the queued messages that show its lead; one queued after the erasure,
// though made before it (a command's late answer), it cannot reach.
func (d *Dispatcher) erasedSince(ctx context.Context, msg bot.Message) (bool, error) {
	if msg.ReadAt.IsZero() {
		return false, nil
	}
	readMs := msg.ReadAt.UnixMilli() // the store keeps milliseconds
	for _, id := range msg.Leads {
		lead, err := d.cfg.Store.Lead(ctx, id)
		switch {
		case handoff.ErrorCode(err) == handoff.ENOTFOUND:
			continue
		case err != nil:
			return false, fmt.Errorf("lead %d of a notice: %w", id, err)
		case lead.ErasedAt != nil && lead.ErasedAt.UnixMilli() >= readMs:
			return true, nil
		}
	}
	return false, nil
}
