package handoff

import (
	"cmp"
	"encoding/json"
	"slices"
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
// history (its events, as the store reads them): the last such event
// recorded before the SQL event at back, whatever its date. A CRM may date
// the return before the departure it followed (HubSpot's date of the new
// SQL earlier than the loss Handoff had recorded), and a departure
// recorded after the return, however dated, ended the new SQL, not the
// one before. Events count in the order they were recorded, by ID (those
// not stored, ID 0, in their order in history). Without the SQL event at
// back in history, it is the last such event recorded that is dated at or
// before back. It returns false when there is none.
func LeftBefore(history []Event, back time.Time) (Event, bool) {
	recorded := slices.Clone(history)
	slices.SortStableFunc(recorded, func(a, b Event) int { return cmp.Compare(a.ID, b.ID) })
	end, dated := len(recorded), true
	for i := len(recorded) - 1; i >= 0; i-- {
		if e := recorded[i]; e.Kind == EventStage && e.Stage == StageSQL && e.At.Equal(back) {
			end, dated = i, false
			break
		}
	}
	for i := end - 1; i >= 0; i-- {
		e := recorded[i]
		if e.Kind == EventStage && closing(e.Stage) && (!dated || !e.At.After(back)) {
			return e, true
		}
	}
	return Event{}, false
}

// closing reports whether entering stage s takes a lead out of sales.
func closing(s Stage) bool { return s == StageWon || s == StageLost || s == StageRecycled }
