package handoff_test

import (
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
