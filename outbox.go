package handoff

import (
	"encoding/json"
	"fmt"
	"time"
)

// The kinds of chat work a change can queue in the outbox, declared once
// here. The string values are stored with each message; never change them.
const (
	// OutboxAnnounceLead posts a new SQL to the sales channels.
	OutboxAnnounceLead = "lead.announce"
	// OutboxRefreshLead re-renders a lead's posted chat messages after a change.
	OutboxRefreshLead = "lead.refresh"
	// OutboxRemind privately reminds a lead's owner of the contact deadline;
	// its payload is an SLANotice.
	OutboxRemind = "sla.remind"
	// OutboxEscalate tells the managers' channel of a breach; its payload is
	// an SLANotice.
	OutboxEscalate = "sla.escalate"
	// OutboxDigest sends the weekly SLA digest to the managers' channel; its
	// payload is a DigestRequest.
	OutboxDigest = "digest.weekly"
	// OutboxPrivate shows a message to one user in a channel.
	OutboxPrivate = "chat.private"
	// OutboxDirect sends a message to one user in a direct conversation.
	OutboxDirect = "chat.direct"
	// OutboxReply answers through a reply handle (a Slack response_url).
	OutboxReply = "chat.reply"
	// OutboxShare posts a message for everyone in a channel (a report the
	// asker chose to share).
	OutboxShare = "chat.share"
	// OutboxOwnerEmail looks up a new owner's email after the claim was
	// acknowledged and records it on the lead.
	OutboxOwnerEmail = "owner.email"
	// OutboxHome republishes one user's home (Slack's App Home tab): their
	// open leads, their week and, for managers, the team's breaches. Its
	// payload is a HomeRequest; platforms without a home skip it.
	OutboxHome = "home.publish"
	// OutboxRouteLead routes a new SQL under round-robin routing: the
	// store decides whom to offer it to and queues its announcement.
	OutboxRouteLead = "lead.route"
	// OutboxOffer sends or updates one rep's direct message about an offer
	// of a lead (Accept / Pass, or how the offer ended); its payload is an
	// OfferNotice.
	OutboxOffer = "lead.offer"
	// OutboxEraseLead updates every chat message that showed a lead to the
	// erased view after its personal data was erased.
	OutboxEraseLead = "lead.erase"
	// OutboxManagersNote posts a note to every platform's managers'
	// channel; its payload is a bot Envelope, the message as rendered
	// when it was queued. (Versions before OutboxRepDeactivated queued
	// their notes of deactivated reps so; those are still delivered.)
	OutboxManagersNote = "managers.note"
	// OutboxRepDeactivated tells every platform's managers' channel that a
	// rep was deactivated and which of their leads went back to the sales
	// channel; its payload is a DeactivatedNotice, rendered from the leads
	// when it is sent, so that it holds no personal data and an erasure of
	// one of the leads can render the posted note again without them.
	OutboxRepDeactivated = "managers.deactivated"
	// OutboxNotesOfLead updates the posted managers' notes about a
	// deactivated rep that name the lead (its PostDeactivated posts; those
	// of Platform only, when set), rendered again from their leads as they
	// are. A refresh of the lead (OutboxRefreshLead) does the same after
	// its cards, so no change queues this. The store queues it when a
	// note's post is recorded after one of its leads changed since the
	// note was queued (the change's refresh may have run before the post
	// was recorded), the outbox when it announces a lead that came back
	// as an SQL, and messages queued by earlier versions deliver so.
	OutboxNotesOfLead = "lead.notes"
	// OutboxCardGivenUp tells every platform's managers' channel that a new
	// SQL's card was given up (dead) on a platform, so that it never
	// reached the sales channel there; its payload is a GivenUpNotice, and
	// the note is rendered from the lead when it is sent.
	OutboxCardGivenUp = "managers.card_given_up"
	// OutboxEarlierCard updates, on one platform, a lead's card that a
	// newer card replaced when the lead came back as an SQL
	// (PostEarlierCard), to say that it came back and to see its new card;
	// its payload is an EarlierCardNotice, and the card is rendered from
	// the lead and its history when it is sent.
	OutboxEarlierCard = "lead.earlier_card"
)

// GivenUpNotice is the payload of an OutboxCardGivenUp message: where the
// card was given up and why (its last error, as the dead message keeps it:
// the platform's answer and the channel's id, not the lead's data).
type GivenUpNotice struct {
	Platform string `json:"platform"`
	Cause    string `json:"cause"`
	// Refused says the channel itself refused the card (the app out of
	// it, the channel archived or deleted: OutboxOutcome.RefusedBy), so
	// it is posted by itself once the app is back there.
	Refused bool `json:"refused,omitempty"`
	// Posted, when set, is when a retry posted the card at last: the
	// message then updates the notes posted before instead of posting one.
	Posted time.Time `json:"posted,omitzero"`
}

// CardGivenUp is the managers' note to queue when the outbox gives up
// message m with cause, refused by the channel itself or not
// (GivenUpNotice.Refused): for a new SQL's card only, nil for anything
// else (a note given up in turn queues none).
func CardGivenUp(m OutboxMessage, cause string, refused bool) *OutboxMessage {
	if m.Kind != OutboxAnnounceLead || m.LeadID == 0 {
		return nil
	}
	payload, _ := json.Marshal(GivenUpNotice{Platform: m.Platform, Cause: cause, Refused: refused}) // strings and a bool always encode
	return &OutboxMessage{Kind: OutboxCardGivenUp, LeadID: m.LeadID, Payload: string(payload)}
}

// CardPostedAtLast is the update of the managers' note (CardGivenUp) to
// queue when message m, a new SQL's card queued again after it was given
// up (handoff outbox retry), has been posted at at; nil for any other
// message.
func CardPostedAtLast(m OutboxMessage, at time.Time) *OutboxMessage {
	if m.Kind != OutboxAnnounceLead || m.LeadID == 0 || m.Requeued.IsZero() {
		return nil
	}
	payload, _ := json.Marshal(GivenUpNotice{Platform: m.Platform, Cause: m.LastError, Posted: at.UTC()}) // strings and a time always encode
	return &OutboxMessage{Kind: OutboxCardGivenUp, LeadID: m.LeadID, Payload: string(payload)}
}

// DeactivatedNotice is the payload of an OutboxRepDeactivated message.
type DeactivatedNotice struct {
	Rep RepRef `json:"rep"`
	// InRotation says the rep was in the routing rotation, and so left it.
	InRotation bool `json:"in_rotation,omitempty"`
	// Returned are the ids of the rep's claimed leads that went back to
	// the sales channel; Kept those past first contact that still name
	// the rep as owner.
	Returned []int64 `json:"returned,omitempty"`
	Kept     []int64 `json:"kept,omitempty"`
	// Erased are the ids of the rep's open leads whose personal data was
	// erased, which still name the rep as owner: nobody takes them up
	// (Lead.ReleaseRefused, Lead.TakeUpRefused), so a manager closes them.
	// A payload queued before this field has none, and its note shows a
	// kept lead erased since among them.
	Erased []int64 `json:"erased,omitempty"`
}

// HomeRequest is the payload of an OutboxHome message: whose home.
type HomeRequest struct {
	User string `json:"user"`
}

// HomeRefresh is the outbox message that republishes the home of the
// lead's owner o; nil when o is nobody on a chat platform.
func HomeRefresh(o Owner) *OutboxMessage {
	if o.Platform == "" || o.UserID == "" {
		return nil
	}
	payload, _ := json.Marshal(HomeRequest{User: o.UserID}) // a struct of one string always encodes
	return &OutboxMessage{Kind: OutboxHome, Platform: o.Platform, Payload: string(payload)}
}

// OutboxCountCap is where the outbox's depth stops being counted: the
// store's counts of the pending and of the dead messages (storage's
// OutboxStats, which says why it stops) and the gauges that report them,
// handoff_outbox_pending and handoff_outbox_dead, which from the cap up
// mean at least that many. It is declared here, in the one package both
// storage and metrics import, so that the number is written once in code.
const OutboxCountCap = 1000

// OutboxMessage is one piece of chat work waiting to be sent.
type OutboxMessage struct {
	ID       int64
	Kind     string // one of the Outbox kinds above
	LeadID   int64
	Platform string // "" when the kind fans out to every platform
	Payload  string // kind-specific JSON
	Due      time.Time
	// Attempts counts the attempts of the current run (since the message
	// was created, or requeued) that were made and did not end in a hold
	// (OutboxOutcome.Held), this one included once it is taken.
	Attempts int
	Created  time.Time
	// Requeued is when the message was last queued again after it had
	// been given up (handoff outbox retry), zero if never: its attempts
	// counted afresh from there, and so does its give-up deadline (Since),
	// while Created still dates its first attempts, whose posts may have
	// reached a channel.
	Requeued time.Time
	// FailingSince is when the message's current run of failures began
	// (its first failed attempt since it was created or requeued), moved
	// on by every wait the platform asked for since (OutboxOutcome.Held),
	// zero while no attempt has failed: its give-up deadline runs from
	// then, so that neither the time it waited before its first attempt
	// (a backlog, a platform no replica served) nor a rate limit counts.
	FailingSince time.Time
	// LeasedBy is the worker holding the message's lease, as the outbox
	// leased it; with Attempts it identifies the lease.
	LeasedBy string
	// Status and LastError say where the message stands and why its last
	// attempt failed (for listings of dead messages); RefusedBy, of a
	// dead message, the place whose refusal gave it up
	// (OutboxOutcome.RefusedBy).
	Status    string
	LastError string
	RefusedBy string
}

// Since is when the message's current run of attempts began, when it was
// requeued or else created: its give-up deadline runs from then.
func (m OutboxMessage) Since() time.Time {
	if m.Requeued.After(m.Created) {
		return m.Requeued
	}
	return m.Created
}

// Retried reports whether an earlier attempt at the message may have
// reached its platform: it was taken before, in this run or before it was
// requeued.
func (m OutboxMessage) Retried() bool { return m.Attempts > 1 || !m.Requeued.IsZero() }

// OutboxOutcome is how one attempt at a leased message ended, as the
// outbox worker records it: sent (Result, and the chat posts it created),
// released for another attempt at Retry, given up (Dead), or given back
// untried (Untried). Cause says why an attempt failed.
type OutboxOutcome struct {
	Message OutboxMessage
	At      time.Time // when the attempt ended
	Result  string
	Posts   []ChatPost
	Retry   time.Time // non-zero: try again then
	// RetryAsked says Retry is the wait the platform asked for (its
	// Retry-After: a rate limit, or an outage it said when to come back
	// from), not the outbox's own backoff: the message is not made due
	// sooner when the platform answers other calls again
	// (HastenOutbox), which would send it into the same refusal.
	RetryAsked bool
	// Held says the attempt was a hold, not a failure: the platform
	// rate-limited it (a 429's Retry-After, Slack's rate_limited), or its
	// call was not made while such a wait lasted. Its attempt is undone,
	// as Untried's is, so that the wait neither lengthens the backoff of a
	// later failure nor counts towards giving the message up; Retry and
	// RetryAsked are set with it.
	Held bool
	Dead bool
	// Untried says the worker gives the message back without trying it
	// (it is stopping): its lease ends and the attempt its taking counted
	// is undone, so another worker takes it at once instead of after the
	// lease.
	Untried bool
	Cause   string
	// RefusedBy, on a dead outcome, is the place whose refusal gave the
	// message up (the platform's channel, or a Teams team, see
	// bot.ChannelRefused): the message is queued again when the app is
	// back there.
	RefusedBy string
	// Then are messages to queue with the outcome, in its transaction,
	// once it is recorded (CardGivenUp's note with a dead card, the
	// per-platform copies of a message split for every platform); an
	// outcome whose lease was lost queues none.
	Then []OutboxMessage
	// Shown, set on a sent card's outcome, is what showing the card does
	// to its lead (Message.LeadID): the worker's Lead.CardShown under its
	// policy. The store applies it to the lead as stored, in the
	// transaction that records the outcome, and writes the lead when it
	// returns true; it may run more than once, on a fresh read each time.
	// An outcome whose lead cannot be read or written is recorded without
	// it (ShownError). Nil changes no lead.
	Shown func(*Lead) bool
}

// ShownError is what recording an outcome returns when the outcome was
// recorded but its lead was not changed as its Shown asked: the lead is
// gone, does not decode, or its write failed. The post itself stands.
type ShownError struct {
	LeadID int64
	Err    error
}

// Error says which lead's shown time was not recorded, and why.
func (e *ShownError) Error() string {
	return fmt.Sprintf("card of lead %d recorded, its shown time not: %v", e.LeadID, e.Err)
}

// Unwrap returns why.
func (e *ShownError) Unwrap() error { return e.Err }

// LeadChange is what a change to one lead writes besides the lead itself:
// its events, the chat work they cause and the changes to the reps'
// fairness balances, saved in one transaction.
type LeadChange struct {
	Events []Event
	Outbox []OutboxMessage
	// Credits are changes to the reps' balances (rep key to amount added),
	// nil when none: the refund of an offer that ended because the lead
	// left the SQL stage to anyone but the offered rep (NewChange).
	Credits map[string]int64
}

// SLANotice is the payload of OutboxRemind and OutboxEscalate messages.
type SLANotice struct {
	Action SLAActionKind `json:"action"`
	Due    time.Time     `json:"due"`
	At     time.Time     `json:"at"`
	Owner  Owner         `json:"owner"`
}

// DigestRequest is the payload of an OutboxDigest message: the week to report.
type DigestRequest struct {
	Week  string    `json:"week"` // ISO week, e.g. "2026-W47"
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// SaveResult is the outcome of saving one intake input.
type SaveResult struct {
	Lead    *Lead
	Created bool // a new lead was stored
	Changed bool // anything was written
	Events  []Event
	// Queued is how many chat messages the save wrote to the outbox with
	// the lead (an announcement, a refresh, NotesRefresh's among them;
	// not the outgoing webhooks' messages): what the store's wake of its
	// outbox worker counts.
	Queued int
}

// ActivityResult is the outcome of posting activities for a lead: the lead
// after its score was recomputed, how many activities were new (a repeated
// id is not), the stage events scoring caused and the score explained.
type ActivityResult struct {
	Lead  *Lead
	Added int
	// Events are the stage moves scoring made (empty when none).
	Events []Event
	Score  ScoreExplained
}
