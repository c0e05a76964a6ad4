package bot

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/handoff/handoff"
)

// Store is what the flows need from storage; *storage.Store implements it.
type Store interface {
	// Lead returns the lead or an ENOTFOUND error.
	Lead(ctx context.Context, id int64) (*handoff.Lead, error)
	// ClaimLeadIf reads the lead and, if allow accepts it, makes owner the
	// owner if it is still an unclaimed SQL at the routing step allow read
	// (handoff.Offer.Step), atomically, and queues the refresh of its chat
	// posts and welcome's messages for the claimed lead (welcome may be
	// nil) in the claim's commit. allow's error is returned as it is. A
	// claim it wins records the delivery once (zero for none) in its
	// commit; a delivery recorded already claims nothing. The claim is
	// late as p's SLA clock judges it at now (handoff.Lead.Claim).
	ClaimLeadIf(ctx context.Context, id int64, owner handoff.Owner, now time.Time, p handoff.Policy, actor string, once handoff.Delivery, allow func(*handoff.Lead) error, welcome func(*handoff.Lead) []handoff.OutboxMessage) (*handoff.Lead, bool, error)
	// UpdateLead changes the lead under a row lock, writing fn's events and
	// outbox messages in the same transaction.
	UpdateLead(ctx context.Context, id int64, now time.Time, fn func(l *handoff.Lead) (handoff.LeadChange, error)) (*handoff.Lead, error)
	// Enqueue adds chat work to the outbox.
	Enqueue(ctx context.Context, now time.Time, msgs ...handoff.OutboxMessage) error
	// EnqueueOnce is Enqueue recording the delivery once in the same
	// commit; a delivery recorded already queues nothing, a zero one is
	// Enqueue. Without messages it records the delivery only.
	EnqueueOnce(ctx context.Context, now time.Time, once handoff.Delivery, msgs ...handoff.OutboxMessage) error
	// SaveLeadMessages records messages that showed leads, sent outside
	// the outbox, so that erasing a lead can update them.
	SaveLeadMessages(ctx context.Context, rendered, now time.Time, posts ...handoff.ChatPost) error
	// RouteLead takes one routing step of the lead (round-robin routing).
	RouteLead(ctx context.Context, id int64, req handoff.RouteRequest, now time.Time) (*handoff.Lead, handoff.RouteDecision, bool, error)
}

// UserIDs resolves a user named another way (a Teams Entra object id) to
// the platform user id clicks come with.
type UserIDs interface {
	UserID(ctx context.Context, id string) (string, error)
}

// Managers says who may act on any lead and reassign leads, per platform.
type Managers interface {
	// IsManager reports whether the platform user is a sales manager.
	// An error marked Unanswered means the platform could not tell.
	IsManager(ctx context.Context, userID string) (bool, error)
}

// Directory looks up a platform user's email, so a claimed lead's owner can
// be matched with the CRM.
type Directory interface {
	// Email returns the user's email, or an error when it is unknown.
	Email(ctx context.Context, userID string) (string, error)
}

// Config is what New needs. Store is required; the rest has defaults.
type Config struct {
	Store  Store
	Policy handoff.Policy
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Managers and Directory are keyed by platform name; a platform without
	// an entry has no managers and no email lookup.
	Managers  map[string]Managers
	Directory map[string]Directory
	// SalesMembers, keyed by platform name, says who is in the platform's
	// sales channel: they (and managers) may see leads' personal data. A
	// platform without an entry shows it to managers only.
	SalesMembers map[string]SalesMembers
	// Users, keyed by platform name, resolves the reps of the routing
	// agreement named other than by user id; may be nil.
	Users map[string]UserIDs
	// RouteRequest returns the routing agreement and the reps' states now;
	// nil routes by Policy.Routing with every rep in the zero state.
	RouteRequest func(ctx context.Context) (handoff.RouteRequest, error)
	Logger       *slog.Logger
	// Reps keeps the reps' time off and deactivation (/away, /back, Slack
	// statuses and deactivated accounts); nil turns those off.
	Reps RepStore
	// RepBack, when set, is called after a rep said /back (key is the
	// rep's routing key), so waiting leads can be offered at once.
	RepBack func(ctx context.Context, key string)
}

// Bot runs the lead flows for every platform. Its methods are safe for
// concurrent use.
type Bot struct {
	cfg    Config
	logger *slog.Logger

	mu     sync.Mutex
	emails map[string]string // platform:user → email, cached
}

// New returns a Bot over cfg.
func New(cfg Config) *Bot {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	return &Bot{cfg: cfg, logger: logger, emails: map[string]string{}}
}

// Actor is the platform user who clicked, submitted or typed something, and
// where: the channel of the click and the platform's reply handle.
type Actor struct {
	Platform string
	UserID   string
	Channel  string // where private notices go; "" for a direct message
	ReplyTo  string // an opaque reply handle (Slack response_url); may be ""
	// Delivery is the platform's key of this delivery of a Claim (or an
	// offer's Accept) that it may deliver again (a Teams activity), or "":
	// the claim won records it in its commit, Notify's notice (a refusal)
	// in the notice's, and a Claim of the actor's own lead, which changes
	// nothing, on its own (recordDelivery), so that a delivery again claims
	// nothing and queues nothing.
	Delivery string
}

// String is the actor as recorded in events: "slack:U123".
func (a Actor) String() string { return a.Platform + ":" + a.UserID }

// delivery is the actor's Delivery as the store records it.
func (a Actor) delivery() handoff.Delivery {
	if a.Delivery == "" {
		return handoff.Delivery{}
	}
	return handoff.Delivery{Source: a.Platform, Key: a.Delivery}
}

// recordDelivery records the actor's Delivery of a click that changed
// nothing (a Claim of the actor's own lead), so that a delivery again does
// nothing either, whatever the lead is by then; without a Delivery
// (Slack's clicks) it writes nothing.
func (b *Bot) recordDelivery(ctx context.Context, a Actor) error {
	if a.Delivery == "" {
		return nil
	}
	if err := b.cfg.Store.EnqueueOnce(ctx, b.now(), a.delivery()); err != nil {
		return fmt.Errorf("bot: record %s's delivery %q: %w", a, a.Delivery, err)
	}
	return nil
}

// Envelope is the payload of the OutboxPrivate, OutboxDirect, OutboxReply,
// OutboxShare and OutboxOwnerEmail messages: who gets the message, where,
// and the message itself.
type Envelope struct {
	Channel string  `json:"channel,omitempty"`
	User    string  `json:"user,omitempty"`
	ReplyTo string  `json:"reply_to,omitempty"`
	Message Message `json:"message"`
}

// Notify queues msg for the actor only: privately in the actor's channel,
// or through the reply handle or a direct message when there is no channel;
// once for the actor's Delivery, when it has one. It returns an error when
// the outbox cannot be written.
func (b *Bot) Notify(ctx context.Context, a Actor, msg Message) error {
	msg.Private = true
	kind := handoff.OutboxPrivate
	switch {
	case a.Channel != "":
	case a.ReplyTo != "":
		kind = handoff.OutboxReply
	default:
		kind = handoff.OutboxDirect
	}
	return b.enqueueNotice(ctx, kind, a.Platform, Envelope{Channel: a.Channel, User: a.UserID, ReplyTo: a.ReplyTo, Message: msg}, a.delivery())
}

// Reply queues msg as an answer through the actor's reply handle (a late
// slash-command answer), shared with the channel when msg is not Private
// (a report asked for with `public`). Without a handle it falls back to
// Notify, which is always private.
func (b *Bot) Reply(ctx context.Context, a Actor, msg Message) error {
	if a.ReplyTo == "" {
		return b.Notify(ctx, a, msg)
	}
	return b.enqueueNotice(ctx, handoff.OutboxReply, a.Platform, Envelope{ReplyTo: a.ReplyTo, User: a.UserID, Message: msg}, handoff.Delivery{})
}

// Share queues msg for everyone in the actor's channel; without a channel
// it falls back to Notify.
func (b *Bot) Share(ctx context.Context, a Actor, msg Message) error {
	if a.Channel == "" {
		return b.Notify(ctx, a, msg)
	}
	msg.Private = false
	return b.enqueueNotice(ctx, handoff.OutboxShare, a.Platform, Envelope{Channel: a.Channel, User: a.UserID, Message: msg}, handoff.Delivery{})
}

// RecordShown records an answer that showed leads and was sent outside the
// outbox (a Slack command answered in its HTTP response; see Shown),
// rendered from the leads as they were at rendered (at the latest: when its
// command began).
func (b *Bot) RecordShown(ctx context.Context, rendered time.Time, posts []handoff.ChatPost) error {
	if len(posts) == 0 {
		return nil
	}
	if err := b.cfg.Store.SaveLeadMessages(ctx, rendered, b.now(), posts...); err != nil {
		return fmt.Errorf("bot: record shown answer: %w", err)
	}
	return nil
}

// directMessage queues msg to userID on platform.
func (b *Bot) directMessage(ctx context.Context, platform, userID string, leadID int64, msg Message) error {
	return b.enqueueNotice(ctx, handoff.OutboxDirect, platform, Envelope{User: userID, Message: msg}, handoff.Delivery{}, leadID)
}

// enqueueNotice queues n as a message of kind on platform, once for the
// delivery once when it is not zero.
func (b *Bot) enqueueNotice(ctx context.Context, kind, platform string, n Envelope, once handoff.Delivery, leadID ...int64) error {
	m, err := noticeMessage(kind, platform, n, leadID...)
	if err != nil {
		return err
	}
	if err := b.cfg.Store.EnqueueOnce(ctx, b.now(), once, m); err != nil {
		return fmt.Errorf("bot: queue %s for %s: %w", kind, handoff.RepLogKey(platform+":"+n.User), err)
	}
	return nil
}

// noticeMessage is the outbox message of kind that carries n.
func noticeMessage(kind, platform string, n Envelope, leadID ...int64) (handoff.OutboxMessage, error) {
	payload, err := encodeJSON(n)
	if err != nil {
		return handoff.OutboxMessage{}, err
	}
	m := handoff.OutboxMessage{Kind: kind, Platform: platform, Payload: payload}
	if len(leadID) > 0 {
		m.LeadID = leadID[0]
	}
	return m, nil
}

func (b *Bot) now() time.Time { return b.cfg.Now().UTC() }

// isManager asks the actor's platform whether the actor is a manager. An
// error without a code is a RoleUnknownError when the platform did not
// answer (IsUnanswered), else an internal error.
func (b *Bot) isManager(ctx context.Context, a Actor) (bool, error) {
	m := b.cfg.Managers[a.Platform]
	if m == nil {
		return false, nil
	}
	ok, err := m.IsManager(ctx, a.UserID)
	if err != nil {
		if handoff.ErrorCode(err) != handoff.EINTERNAL {
			return false, fmt.Errorf("bot: is %s a manager: %w", a, err)
		}
		return false, roleUnknown("bot: is %s a manager: %w", a, err)
	}
	return ok, nil
}

// email returns the platform user's email, or "" when it cannot be found
// quickly (a claim never waits long for it) or the platform answered one
// that handoff.CheckEmail refuses (longer than handoff.MaxEmailLen, not
// UTF-8, a control character), which is not kept: the store could not
// hold it alike on both databases.
func (b *Bot) email(ctx context.Context, platform, userID string) string {
	dir := b.cfg.Directory[platform]
	if dir == nil {
		return ""
	}
	if email, ok := b.cachedEmail(platform, userID); ok {
		return email
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	email, err := dir.Email(ctx, userID)
	if err != nil {
		b.logger.WarnContext(ctx, "bot: email lookup failed", "platform", platform, "user", userID, "err", err)
		return ""
	}
	if p := handoff.CheckEmail(email); p != "" {
		b.logger.WarnContext(ctx, "bot: email lookup answered an email "+p+"; not recorded", "platform", platform, "user", userID)
		email = ""
	}
	b.rememberEmail(platform, userID, email)
	return email
}

// cachedEmail returns a user's email when an earlier lookup found it.
func (b *Bot) cachedEmail(platform, userID string) (string, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	email, ok := b.emails[platform+":"+userID]
	return email, ok
}

// rememberEmail caches a user's email.
func (b *Bot) rememberEmail(platform, userID, email string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.emails[platform+":"+userID] = email
}
