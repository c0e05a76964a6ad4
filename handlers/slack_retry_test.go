package handlers_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestSlackEventRetriedAfterFailure: an event whose handling failed (Slack
// could not be asked about the user) is answered 5xx, and Slack's retry of
// it, with the same event_id, is handled rather than dropped as a repeat.
func TestSlackEventRetriedAfterFailure(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		r := newSlackRig(t, s, nil)
		event := `{"type":"event_callback","team_id":"T0001","event_id":"EvHOME1","event_time":1700000000,"event":{"type":"app_home_opened","user":"UREP5","tab":"home"}}`
		r.slack.FailNext("users.info", 1, http.StatusInternalServerError, 0)
		if status, body := r.send(t, "/slack/events", signingSecret, time.Now(), event); status < 500 {
			t.Fatalf("first delivery: HTTP %d %s, want a 5xx", status, body)
		}
		if status, body := r.send(t, "/slack/events", signingSecret, time.Now(), event); status != http.StatusOK {
			t.Fatalf("retry: HTTP %d %s", status, body)
		}
		msgs, err := s.OutboxMessages(t.Context(), 0)
		if err != nil {
			t.Fatal(err)
		}
		homes := 0
		for _, m := range msgs {
			if m.Kind == handoff.OutboxHome {
				homes++
			}
		}
		if homes != 1 {
			t.Fatalf("home refreshes queued = %d, want 1: %+v", homes, msgs)
		}
	})
}
