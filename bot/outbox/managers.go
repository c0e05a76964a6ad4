package outbox

import (
	"context"
	"fmt"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/report"
)

// remind delivers a handoff.OutboxRemind message: a direct message to the
// owner, unless the lead moved on since it was queued.
func (d *Dispatcher) remind(ctx context.Context, m handoff.OutboxMessage) (string, []handoff.ChatPost, error) {
	lead, err := d.cfg.Store.Lead(ctx, m.LeadID)
	if err != nil {
		return "", nil, notFoundIsPermanent(err)
	}
	if lead.Stage != handoff.StageClaimed || lead.Owner.UserID == "" {
		return "skipped: lead is " + string(lead.Stage), nil, nil
	}
	t, err := d.target(lead.Owner.Platform)
	if err != nil {
		return "", nil, err
	}
	card := bot.ReminderCard(lead, d.cfg.Now(), d.cfg.Policy)
	channel, id, err := d.directOnce(ctx, m, t.Platform, lead.Owner.UserID, card)
	if err != nil {
		return "", nil, fmt.Errorf("remind %s about lead %d: %w", lead.Owner.UserID, lead.ID, err)
	}
	return "sent", leadMessage(lead.ID, t.Platform.Name(), handoff.PostReminder, channel, id), nil
}

// hasManagers reports whether any platform has a managers' channel.
func (d *Dispatcher) hasManagers() bool {
	for _, t := range d.cfg.Targets {
		if t.ManagerChannel != "" {
			return true
		}
	}
	return false
}

// managersServed reports whether a note to the managers this worker
// queues at now (a card given up, or posted at last) may be posted: it
// has a managers' channel, or a replica serving now or lately has, or may
// have, one (Store.ManagersChannelServed, as the SLA clock asks of an
// escalation), whose take the note is left to (storage's TakeOutbox).
// Asked of this worker alone, a replica without one queued no note while
// another had one. A failed read counts as served: a note no replica can
// post is taken and skipped.
func (d *Dispatcher) managersServed(ctx context.Context, now time.Time) bool {
	if d.hasManagers() {
		return true
	}
	served, err := d.cfg.Store.ManagersChannelServed(ctx, now)
	if err != nil {
		d.logger.WarnContext(ctx, "outbox: the replicas' managers' channels cannot be read; the note is queued", "err", err)
		return true
	}
	return served
}

// escalate delivers a handoff.OutboxEscalate message to the managers'
// channel of every platform that has one.
func (d *Dispatcher) escalate(ctx context.Context, m handoff.OutboxMessage) (string, []handoff.ChatPost, error) {
	return d.postToManagers(ctx, m, func() (bot.Message, error) {
		var n handoff.SLANotice
		if err := decodePayload(m.Payload, &n); err != nil {
			return bot.Message{}, bot.Permanent(err)
		}
		lead, err := d.cfg.Store.Lead(ctx, m.LeadID)
		if err != nil {
			return bot.Message{}, notFoundIsPermanent(err)
		}
		return bot.EscalationCard(lead, n, d.cfg.Now(), d.cfg.Policy), nil
	}, nil)
}

// cardGivenUp delivers a handoff.OutboxCardGivenUp message (its payload a
// handoff.GivenUpNotice) to the managers' channel of every platform that
// has one, rendered from the lead as it is now and recorded as
// handoff.PostGivenUp; a notice whose card was posted at last updates the
// notes posted before instead (of m.Platform only, when set: fanOut).
func (d *Dispatcher) cardGivenUp(ctx context.Context, m handoff.OutboxMessage) (string, []handoff.ChatPost, error) {
	var n handoff.GivenUpNotice
	if err := decodePayload(m.Payload, &n); err != nil {
		return "", nil, bot.Permanent(err)
	}
	build := func() (bot.Message, error) {
		lead, err := d.cfg.Store.Lead(ctx, m.LeadID)
		if err != nil {
			return bot.Message{}, notFoundIsPermanent(err)
		}
		return bot.GivenUpCard(lead, n, d.cfg.Now(), d.cfg.Policy), nil
	}
	if n.Posted.IsZero() {
		return d.postToManagers(ctx, m, build, func(_ bot.Message, platform, channel, id string) []handoff.ChatPost {
			return leadMessage(m.LeadID, platform, handoff.PostGivenUp, channel, id)
		})
	}
	posts, err := d.cfg.Store.LeadMessages(ctx, m.LeadID)
	if err != nil {
		return "", nil, err
	}
	msg, err := build()
	if err != nil {
		return "", nil, err
	}
	updated := 0
	for _, p := range posts {
		t, ok := d.platforms[p.Platform]
		if !ok || p.Kind != handoff.PostGivenUp || (m.Platform != "" && m.Platform != p.Platform) {
			continue
		}
		err := d.call(ctx, p.Platform, "update", func(ctx context.Context) error {
			return t.Platform.Update(ctx, p.Channel, p.MessageID, msg)
		})
		if err != nil {
			return "", nil, fmt.Errorf("update note %s in %s %s: %w", p.MessageID, p.Platform, p.Channel, err)
		}
		updated++
	}
	return fmt.Sprintf("updated %d", updated), nil, nil
}

// postToManagers posts the message build returns to the managers' channel
// of m.Platform (a message meant for every platform is first split into
// one per platform that has a managers' channel: fanOut); a platform
// without one is skipped. shown records what the post showed; nil records
// it as a post about m's lead (PostManagers).
func (d *Dispatcher) postToManagers(ctx context.Context, m handoff.OutboxMessage, build func() (bot.Message, error), shown showing) (string, []handoff.ChatPost, error) {
	t, err := d.target(m.Platform)
	if err != nil {
		return "", nil, err
	}
	if t.ManagerChannel == "" {
		return "skipped: no managers' channel", nil, nil
	}
	msg, err := build()
	if err != nil {
		return "", nil, err
	}
	id, foundAt, err := d.postOnce(ctx, m, t.Platform, t.ManagerChannel, msg)
	if err != nil {
		return "", nil, fmt.Errorf("%s %d to %s %s: %w", m.Kind, m.ID, t.Platform.Name(), t.ManagerChannel, err)
	}
	if shown == nil {
		return id, leadMessage(m.LeadID, t.Platform.Name(), handoff.PostManagers, t.ManagerChannel, id), nil
	}
	posts := shown(msg, t.Platform.Name(), t.ManagerChannel, id)
	if !foundAt.IsZero() { // an earlier attempt's post, rendered then: what it shows is not known
		for i := range posts {
			posts[i].Shown = ""
		}
	}
	return id, posts, nil
}

// showing returns the records of msg, posted on platform as id in channel,
// for the erasure of the leads it shows (see Shown).
type showing func(msg bot.Message, platform, channel, id string) []handoff.ChatPost

// shownWithNotice records a post as shown (bot.Shown) with kind for each
// lead it shows, each record holding notice, the outbox payload an erasure
// renders the post from again.
func shownWithNotice(kind, notice string) showing {
	return func(msg bot.Message, platform, channel, id string) []handoff.ChatPost {
		posts := bot.Shown(msg, kind, platform, channel, id, nil)
		for i := range posts {
			posts[i].Notice = notice
		}
		return posts
	}
}

// digest delivers a handoff.OutboxDigest message to the managers' channel
// of every platform that has one, and records it as shown for each lead
// its open breaches name (handoff.PostDigest, with the request). The store
// must implement report.DigestStore (*storage.Store does).
func (d *Dispatcher) digest(ctx context.Context, m handoff.OutboxMessage) (string, []handoff.ChatPost, error) {
	build := func() (bot.Message, error) { return d.buildDigest(ctx, m.Payload) }
	return d.postToManagers(ctx, m, build, shownWithNotice(handoff.PostDigest, m.Payload))
}

// buildDigest builds the digest a handoff.DigestRequest payload asks for,
// as of now.
func (d *Dispatcher) buildDigest(ctx context.Context, payload string) (bot.Message, error) {
	store, ok := d.cfg.Store.(report.DigestStore)
	if !ok {
		return bot.Message{}, bot.Permanent(fmt.Errorf("the outbox store cannot build digests"))
	}
	var req handoff.DigestRequest
	if err := decodePayload(payload, &req); err != nil {
		return bot.Message{}, bot.Permanent(err)
	}
	msg, err := report.BuildDigest(ctx, store, d.cfg.Policy, req, d.cfg.Now())
	if handoff.ErrorCode(err) == handoff.EINVALID {
		return bot.Message{}, bot.Permanent(err)
	}
	if err != nil {
		return bot.Message{}, fmt.Errorf("digest %s: %w", req.Week, err)
	}
	return msg, nil
}

// erasedDigest is the digest of a PostDigest's request built again after
// one of the leads it named was erased: the week's figures computed again,
// its open breaches as of now, and a line saying so.
func (d *Dispatcher) erasedDigest(ctx context.Context, payload string) (bot.Message, error) {
	msg, err := d.buildDigest(ctx, payload)
	if err != nil {
		return bot.Message{}, err
	}
	now := d.cfg.Now()
	msg.Context = append(msg.Context, "Built again "+bot.Clock(now, now, d.cfg.Policy)+
		" after a lead's personal data was erased: the open breaches are as of then.")
	return msg, nil
}

// managersNote delivers a handoff.OutboxManagersNote message (its payload a
// bot.Envelope) to the managers' channel of every platform that has one.
func (d *Dispatcher) managersNote(ctx context.Context, m handoff.OutboxMessage) (string, []handoff.ChatPost, error) {
	return d.postToManagers(ctx, m, func() (bot.Message, error) {
		var n bot.Envelope
		if err := decodePayload(m.Payload, &n); err != nil {
			return bot.Message{}, bot.Permanent(err)
		}
		return n.Message, nil
	}, nil)
}
