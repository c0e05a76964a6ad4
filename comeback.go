package handoff

import (
	"encoding/json"
	"time"
)

// EarlierCardNotice is the payload of an OutboxEarlierCard message: the
// card a lead's new card replaced on the message's platform, and when the
// lead became the SQL the new card announces. It holds no personal data.
type EarlierCardNotice struct {
	Channel   string    `json:"channel"`
	MessageID string    `json:"message_id"`
	Back      time.Time `json:"back"`
}

// CardCameBack is the outbox message that updates card old, which card
// cur of the same lead and platform replaces, to say that the lead came
// back: nil unless cur announces a later SQL than old (a lead that left
// sales and became an SQL again), so never for a second card of one SQL
// nor for a card stored before its SQL time was recorded. Only the card
// replaced is updated: a card replaced earlier already says when the lead
// came back after it, which stays true.
func CardCameBack(old, cur ChatPost) *OutboxMessage {
	if old.SQLAt == nil || cur.SQLAt == nil || !cur.SQLAt.After(*old.SQLAt) || old.MessageID == "" {
		return nil
	}
	payload, _ := json.Marshal(EarlierCardNotice{Channel: old.Channel, MessageID: old.MessageID, Back: cur.SQLAt.UTC()}) // strings and a time always encode
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
