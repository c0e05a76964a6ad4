package outbox

import (
	"context"
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
	}
	return "", nil, bot.Permanent(fmt.Errorf("unknown outbox kind %q", m.Kind))
}

// announce posts a lead to the sales channel of m.Platform, or fans out
// one announcement per platform when m.Platform is "" and several are
// enabled. A platform that already has the lead's post is skipped, so an
// announcement is idempotent per platform.
func (d *Dispatcher) announce(ctx context.Context, m handoff.OutboxMessage) (string, []handoff.ChatPost, error) {
	if m.Platform == "" && len(d.cfg.Targets) > 1 {
		var children []handoff.OutboxMessage
		for _, t := range d.cfg.Targets {
			children = append(children, handoff.OutboxMessage{Kind: m.Kind, LeadID: m.LeadID, Platform: t.Platform.Name()})
		}
		if err := d.cfg.Store.Enqueue(ctx, d.cfg.Now().UTC(), children...); err != nil {
			return "", nil, err
		}
		return "fanned out", nil, nil
	}
	t, err := d.target(m.Platform)
	if err != nil {
		return "", nil, err
	}
	name := t.Platform.Name()
	lead, err := d.cfg.Store.Lead(ctx, m.LeadID)
	if err != nil {
		return "", nil, notFoundIsPermanent(err)
	}
	posts, err := d.cfg.Store.ChatPosts(ctx, m.LeadID)
	if err != nil {
		return "", nil, err
	}
	for _, p := range posts {
		if p.Platform == name {
			return "already posted: " + p.MessageID, nil, nil
		}
	}
	if !lead.Stage.Open() {
		return "skipped: lead is " + string(lead.Stage), nil, nil
	}
	if t.SalesChannel == "" {
		return "", nil, bot.Permanent(fmt.Errorf("%s has no sales channel", name))
	}
	var id string
	err = d.call(ctx, name, "post", func(ctx context.Context) (err error) {
		id, err = t.Platform.Post(ctx, t.SalesChannel, bot.LeadCard(lead, d.cfg.Now(), d.cfg.Policy))
		return err
	})
	if err != nil {
		return "", nil, fmt.Errorf("post lead %d to %s %s: %w", m.LeadID, name, t.SalesChannel, err)
	}
	return id, []handoff.ChatPost{{LeadID: m.LeadID, Platform: name, Channel: t.SalesChannel, MessageID: id}}, nil
}

// refresh re-renders the lead and updates each of its chat posts (those of
// m.Platform only, when set). Updating is idempotent, so a failed refresh
// is simply retried whole.
func (d *Dispatcher) refresh(ctx context.Context, m handoff.OutboxMessage, refreshed map[string]bool) (string, []handoff.ChatPost, error) {
	key := fmt.Sprintf("%d/%s", m.LeadID, m.Platform)
	if refreshed[key] {
		return "coalesced", nil, nil
	}
	lead, err := d.cfg.Store.Lead(ctx, m.LeadID)
	if err != nil {
		return "", nil, notFoundIsPermanent(err)
	}
	posts, err := d.cfg.Store.ChatPosts(ctx, m.LeadID)
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
	refreshed[key] = true
	if err := d.enqueueHome(ctx, lead.Owner); err != nil {
		return "", nil, err
	}
	return fmt.Sprintf("updated %d", updated), nil, nil
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
	p := t.Platform
	switch m.Kind {
	case handoff.OutboxPrivate:
		err = d.call(ctx, p.Name(), "private", func(ctx context.Context) error { return p.PostPrivate(ctx, n.Channel, n.User, n.Message) })
	case handoff.OutboxDirect:
		err = d.call(ctx, p.Name(), "direct", func(ctx context.Context) error { return p.DirectMessage(ctx, n.User, n.Message) })
	case handoff.OutboxShare:
		err = d.call(ctx, p.Name(), "post", func(ctx context.Context) error {
			_, err := p.Post(ctx, n.Channel, n.Message)
			return err
		})
	default:
		err = d.call(ctx, p.Name(), "reply", func(ctx context.Context) error { return p.Reply(ctx, n.ReplyTo, n.Message) })
	}
	if err != nil {
		return "", nil, fmt.Errorf("%s to %s:%s: %w", m.Kind, p.Name(), n.User, err)
	}
	return "sent", nil, nil
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
		return "", nil, fmt.Errorf("email of %s:%s: %w", m.Platform, n.User, err)
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
