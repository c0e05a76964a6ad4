package handoff_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/handoff/handoff"
)

// A message's give-up deadline runs from its requeuing, if any; an earlier
// attempt may have posted if it was taken before in this run or before it
// was requeued.
func TestOutboxMessageRun(t *testing.T) {
	created := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	requeued := created.Add(30 * time.Hour)
	cases := []struct {
		name        string
		m           handoff.OutboxMessage
		wantSince   time.Time
		wantRetried bool
	}{
		{"first attempt", handoff.OutboxMessage{Created: created, Attempts: 1}, created, false},
		{"second attempt", handoff.OutboxMessage{Created: created, Attempts: 2}, created, true},
		{"not yet taken", handoff.OutboxMessage{Created: created}, created, false},
		{"first attempt after requeuing", handoff.OutboxMessage{Created: created, Requeued: requeued, Attempts: 1}, requeued, true},
		{"requeued before its creation (clock skew)", handoff.OutboxMessage{Created: requeued, Requeued: created, Attempts: 1}, requeued, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.m.Since(); !got.Equal(tc.wantSince) {
				t.Errorf("Since = %v, want %v", got, tc.wantSince)
			}
			if got := tc.m.Retried(); got != tc.wantRetried {
				t.Errorf("Retried = %v, want %v", got, tc.wantRetried)
			}
		})
	}
}

// Only a new SQL's card given up tells the managers; the note names the
// platform and the cause, and no note is queued for a note given up.
func TestCardGivenUp(t *testing.T) {
	for _, tc := range []struct {
		name string
		m    handoff.OutboxMessage
		want bool
	}{
		{"a new SQL's card", handoff.OutboxMessage{Kind: handoff.OutboxAnnounceLead, LeadID: 7, Platform: "slack"}, true},
		{"a card to fan out", handoff.OutboxMessage{Kind: handoff.OutboxAnnounceLead, LeadID: 7}, true},
		{"a card's refresh", handoff.OutboxMessage{Kind: handoff.OutboxRefreshLead, LeadID: 7, Platform: "slack"}, false},
		{"an escalation", handoff.OutboxMessage{Kind: handoff.OutboxEscalate, LeadID: 7}, false},
		{"the note itself", handoff.OutboxMessage{Kind: handoff.OutboxCardGivenUp, LeadID: 7}, false},
		{"no lead", handoff.OutboxMessage{Kind: handoff.OutboxAnnounceLead}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := handoff.CardGivenUp(tc.m, "slack chat.postMessage: not_in_channel", true)
			if (got != nil) != tc.want {
				t.Fatalf("note = %+v, want one: %v", got, tc.want)
			}
			if got == nil {
				return
			}
			var n handoff.GivenUpNotice
			if err := json.Unmarshal([]byte(got.Payload), &n); err != nil {
				t.Fatal(err)
			}
			if got.Kind != handoff.OutboxCardGivenUp || got.LeadID != 7 || got.Platform != "" ||
				n.Platform != tc.m.Platform || n.Cause != "slack chat.postMessage: not_in_channel" || !n.Refused {
				t.Errorf("note = %+v with %+v", got, n)
			}
		})
	}
}

// Only a new SQL's card queued again after it was given up, once posted,
// updates the managers' note; the update carries when it was posted.
func TestCardPostedAtLast(t *testing.T) {
	at := time.Date(2026, 11, 26, 10, 30, 0, 0, time.UTC)
	requeued := at.Add(-time.Minute)
	for _, tc := range []struct {
		name string
		m    handoff.OutboxMessage
		want bool
	}{
		{"a card queued again", handoff.OutboxMessage{Kind: handoff.OutboxAnnounceLead, LeadID: 7, Requeued: requeued, LastError: "not_in_channel"}, true},
		{"a card posted at its first run", handoff.OutboxMessage{Kind: handoff.OutboxAnnounceLead, LeadID: 7}, false},
		{"an escalation queued again", handoff.OutboxMessage{Kind: handoff.OutboxEscalate, LeadID: 7, Requeued: requeued}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := handoff.CardPostedAtLast(tc.m, at)
			if (got != nil) != tc.want {
				t.Fatalf("update = %+v, want one: %v", got, tc.want)
			}
			if got == nil {
				return
			}
			var n handoff.GivenUpNotice
			if err := json.Unmarshal([]byte(got.Payload), &n); err != nil {
				t.Fatal(err)
			}
			if got.Kind != handoff.OutboxCardGivenUp || got.LeadID != 7 || !n.Posted.Equal(at) || n.Cause != "not_in_channel" {
				t.Errorf("update = %+v with %+v", got, n)
			}
		})
	}
}
