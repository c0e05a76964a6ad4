package handoff_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/handoff/handoff"
)

// A card replaced by one announcing a later SQL of its lead (the lead came
// back) is updated to say so, the update naming the earlier card's SQL and
// where the new card is; one replaced by another card of the same SQL, or
// stored without its SQL time, is not.
func TestCardCameBack(t *testing.T) {
	first, back := time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC), time.Date(2026, 11, 20, 13, 20, 0, 0, time.UTC)
	card := func(id string, sql *time.Time) handoff.ChatPost {
		return handoff.ChatPost{LeadID: 7, Platform: "slack", Channel: "CSALES", MessageID: id, SQLAt: sql}
	}
	tests := []struct {
		name     string
		old, cur handoff.ChatPost
		want     bool
	}{
		{"came back", card("1.1", &first), card("2.2", &back), true},
		{"came back to a sales channel since moved", card("1.1", &first),
			handoff.ChatPost{LeadID: 7, Platform: "slack", Channel: "CNEWSALES", MessageID: "2.2", SQLAt: &back}, true},
		{"a second card of one SQL", card("1.1", &back), card("2.2", &back), false},
		{"an older SQL's card", card("1.1", &back), card("2.2", &first), false},
		{"stored without its SQL time", card("1.1", nil), card("2.2", &back), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := handoff.CardCameBack(tt.old, tt.cur)
			if (m != nil) != tt.want {
				t.Fatalf("CardCameBack = %+v, want a message: %v", m, tt.want)
			}
			if m == nil {
				return
			}
			var n handoff.EarlierCardNotice
			if err := json.Unmarshal([]byte(m.Payload), &n); err != nil {
				t.Fatal(err)
			}
			if m.Kind != handoff.OutboxEarlierCard || m.LeadID != 7 || m.Platform != "slack" ||
				n.Channel != "CSALES" || n.MessageID != "1.1" || !n.Back.Equal(back) {
				t.Errorf("CardCameBack = %+v with %+v; want the update of slack's CSALES/1.1 for the SQL of %s", m, n, back)
			}
			if n.Since == nil || !n.Since.Equal(*tt.old.SQLAt) || n.NewChannel != tt.cur.Channel || n.NewMessageID != tt.cur.MessageID {
				t.Errorf("notice %+v; want it to name the earlier card's SQL of %s and the new card %s/%s", n, tt.old.SQLAt, tt.cur.Channel, tt.cur.MessageID)
			}
		})
	}
}

// How a lead last left sales before it came back is its last stage event
// of a win, a loss or a return recorded before the SQL event of its
// return, whatever its date: a CRM may date the return before the
// departure it followed (events out of order), and the store reads a
// history in the order of its dates. A departure recorded after the
// return ended the new SQL, however it is dated. Without the SQL event of
// the return, it is the last one dated at or before it.
func TestLeftBefore(t *testing.T) {
	at := func(h int) time.Time { return time.Date(2026, 11, 20, h, 0, 0, 0, time.UTC) }
	stage := func(s handoff.Stage, h int, reason string) handoff.Event {
		return handoff.Event{Kind: handoff.EventStage, Stage: s, At: at(h), Details: map[string]string{"reason": reason}}
	}
	sql1, lost, sql2 := stage(handoff.StageSQL, 8, ""), stage(handoff.StageLost, 9, "deleted in HubSpot"), stage(handoff.StageSQL, 12, "")
	recycled, sql3 := stage(handoff.StageRecycled, 13, "No budget"), stage(handoff.StageSQL, 15, "")
	reminder := handoff.Event{Kind: handoff.EventReminder, Stage: handoff.StageClaimed, At: at(10)}
	history := []handoff.Event{sql1, lost, reminder, sql2, stage(handoff.StageClaimed, 12, ""), recycled, sql3}
	// twice came back twice, each time dated by its CRM before the
	// departure it followed.
	twice := recorded(sql1, stage(handoff.StageClaimed, 9, ""), stage(handoff.StageRecycled, 12, "No budget"), stage(handoff.StageSQL, 10, ""),
		stage(handoff.StageLost, 16, "Chose a rival"), stage(handoff.StageSQL, 14, ""))
	tests := []struct {
		name    string
		history []handoff.Event
		back    time.Time
		want    string // the event found, its stage and reason; "" for none
	}{
		{"first return", history, at(12), "lost: deleted in HubSpot"},
		{"second return", history, at(15), "recycled: No budget"},
		{"never left", []handoff.Event{sql1}, at(8), ""},
		{"left and came back at one time", []handoff.Event{sql1, stage(handoff.StageRecycled, 12, "Not now"), sql2}, at(12), "recycled: Not now"},
		{"came back dated before its loss", recorded(sql1, stage(handoff.StageClaimed, 9, ""), stage(handoff.StageLost, 14, "Chose a rival"),
			stage(handoff.StageSQL, 11, "")), at(11), "lost: Chose a rival"},
		{"came back twice out of order, the first return", twice, at(10), "recycled: No budget"},
		{"came back twice out of order, the second return", twice, at(14), "lost: Chose a rival"},
		{"a loss of the new SQL dated before it", recorded(sql1, stage(handoff.StageRecycled, 9, "No budget"), sql2,
			stage(handoff.StageLost, 11, "Chose a rival")), at(12), "recycled: No budget"},
		{"the return not in the history", recorded(sql1, lost), at(12), "lost: deleted in HubSpot"},
		{"the return not in the history, a loss only after it", recorded(sql1, stage(handoff.StageLost, 13, "Chose a rival")), at(12), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, ok := handoff.LeftBefore(tt.history, tt.back)
			got := ""
			if ok {
				got = string(e.Stage) + ": " + e.Details["reason"]
			}
			if got != tt.want {
				t.Errorf("LeftBefore = %+v, %v; want %q", e, ok, tt.want)
			}
		})
	}
}

// recorded numbers events in the order they were recorded and returns
// them in the order of their dates, as the store reads a lead's history.
func recorded(events ...handoff.Event) []handoff.Event {
	out := make([]handoff.Event, len(events))
	for i, e := range events {
		e.ID = int64(i + 1)
		out[i] = e
	}
	slices.SortStableFunc(out, func(a, b handoff.Event) int { return a.At.Compare(b.At) })
	return out
}

// The departure that a lead's earlier card shows ("Closed …") is dated as
// its history dates it, on the clock of the return the card shows beside
// it: a CRM's loss by the CRM's time, also when its delivery reached
// Handoff hours later (its event noting when), as a CRM's return is dated
// by the CRM; a loss the API's sender dated by its occurred_at; any other
// when it arrived. So the card says when the lead left, as the funnel
// counts it: a CRM's loss made at 11:00 and heard at 14:00, then its
// return made at 13:00, read "Closed 11:00" and "Came back 13:00", where
// the time Handoff heard of the loss would put it after the return. A
// return is never dated before the loss it follows: after the API's
// undated loss at 14:00, the CRM's return made at 13:00 is dated 14:00.
func TestLeftBeforeDatesTheDepartureByItsHistory(t *testing.T) {
	t0 := time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC)
	lostAt, heard := t0.Add(2*time.Hour), t0.Add(5*time.Hour) // lost at 11:00, heard at 14:00
	backAt, backHeard := t0.Add(4*time.Hour), t0.Add(6*time.Hour)
	policy := handoff.DefaultPolicy()
	tests := []struct {
		name         string
		loss         handoff.LeadInput // the loss, heard at heard
		wantAt       time.Time
		wantReceived string
		wantBack     time.Time // the return's date
	}{
		{"a CRM's, delivered late", handoff.LeadInput{ChangedAt: &lostAt}, lostAt, heard.Format(time.RFC3339), backAt},
		{"the API's, with its occurred_at", handoff.LeadInput{OccurredAt: &lostAt}, lostAt, "", backAt},
		{"the API's, undated", handoff.LeadInput{}, heard, "", heard},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &handoff.Lead{}
			var history []handoff.Event
			apply := func(in handoff.LeadInput, now time.Time) {
				t.Helper()
				in.ExternalID = "x"
				_, events, err := in.Apply(l, now, handoff.ActorHubSpot, policy)
				if err != nil {
					t.Fatal(err)
				}
				history = append(history, events...)
			}
			apply(handoff.LeadInput{Stage: handoff.StageSQL}, t0)
			loss := tt.loss
			loss.Stage, loss.Reason = handoff.StageLost, "Chose a rival"
			apply(loss, heard)
			apply(handoff.LeadInput{Stage: handoff.StageSQL, ChangedAt: &backAt}, backHeard) // a CRM's return, delivered late too
			if !l.SQLAt.Equal(tt.wantBack) {
				t.Fatalf("came back at %s, want %s", l.SQLAt, tt.wantBack)
			}
			left, ok := handoff.LeftBefore(recorded(history...), *l.SQLAt)
			if !ok || left.Stage != handoff.StageLost || !left.At.Equal(tt.wantAt) || left.Details["received"] != tt.wantReceived {
				t.Errorf("LeftBefore = %+v, %v; want the loss dated %s, received %q", left, ok, tt.wantAt, tt.wantReceived)
			}
		})
	}
}
