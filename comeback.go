package handoff

import (
	"encoding/json"
	"time"
)

// EarlierCardNotice is the payload of an OutboxEarlierCard message: the
// card a lead's new card replaced on the message's platform, when the lead
// became the SQL that card had announced (Since) and the SQL the new card
// announces (Back), and where the new card is (NewChannel, NewMessageID),
// so that the earlier card can link to it. It holds no personal data. A
// notice queued before Since and the new card were kept has them empty.
type EarlierCardNotice struct {
	Channel      string     `json:"channel"`
	MessageID    string     `json:"message_id"`
	Back         time.Time  `json:"back"`
	Since        *time.Time `json:"since,omitempty"`
	NewChannel   string     `json:"new_channel,omitempty"`
	NewMessageID string     `json:"new_message_id,omitempty"`
}

// CardCameBack is the outbox message that updates card old, which card
// cur of the same lead and platform replaces, to say that the lead came
// back: nil unless cur announces a later SQL than old (a lead that left
// sales and became an SQL again), so never for a second card of one SQL
// nor for a card stored before its SQL time was recorded. Only the card
// replaced is updated: a card replaced earlier already says when the lead
// came back after it, which stays true. The message names cur, whose
// post is recorded in the same transaction that queues it, so the new card
// is known whenever the update runs.
func CardCameBack(old, cur ChatPost) *OutboxMessage {
	if old.SQLAt == nil || cur.SQLAt == nil || !cur.SQLAt.After(*old.SQLAt) || old.MessageID == "" {
		return nil
	}
	since := old.SQLAt.UTC()
	payload, _ := json.Marshal(EarlierCardNotice{Channel: old.Channel, MessageID: old.MessageID, Back: cur.SQLAt.UTC(), Since: &since,
		NewChannel: cur.Channel, NewMessageID: cur.MessageID}) // strings and times always encode
	return &OutboxMessage{Kind: OutboxEarlierCard, LeadID: cur.LeadID, Platform: cur.Platform, Payload: string(payload)}
}

// LeftBefore returns the stage event by which a lead last left sales (won,
// lost or recycled) before it became an SQL again at back, from its
// history (its events, oldest first): the last such event dated at or
// before back, and ahead of the SQL event at back when the history holds
// it. It returns false when there is none.
func LeftBefore(history []Event, back time.Time) (Event, bool) {
	end := len(history)
	for i := len(history) - 1; i >= 0; i-- {
		if e := history[i]; e.Kind == EventStage && e.Stage == StageSQL && e.At.Equal(back) {
			end = i
			break
		}
	}
	for i := end - 1; i >= 0; i-- {
		e := history[i]
		if e.Kind == EventStage && closing(e.Stage) && !e.At.After(back) {
			return e, true
		}
	}
	return Event{}, false
}

// closing reports whether entering stage s takes a lead out of sales.
func closing(s Stage) bool { return s == StageWon || s == StageLost || s == StageRecycled }
