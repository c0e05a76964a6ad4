package salesforce_test

import (
	"context"
	"strings"
	"testing"

	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestNotificationWithoutIdDoesNotBlockOthers: a notification lacking its
// Id is refused alone, as any other bad notification: the others of its
// message are stored and the answer is a client fault naming the field.
func TestNotificationWithoutIdDoesNotBlockOthers(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		srv := newServer(t, s, nil)
		good := lead("04l5g00000DEF12AAB", leadA, "2026-11-20T08:55:00.000Z", "Open - Not Contacted", "1")
		noID := lead("", "00Q5g00000ABCDf", "2026-11-20T08:55:00.000Z", "Open - Not Contacted", "2")
		st, body := send(t, srv, token, envelope(orgID, good, noID))
		if _, err := s.LeadByExternalID(context.Background(), leadA); err != nil {
			t.Errorf("the valid notification of a message with one lacking its Id was not stored: %v (answer %d %s)", err, st, body)
		}
		if _, err := s.LeadByExternalID(context.Background(), "00Q5g00000ABCDfEAP"); err == nil {
			t.Errorf("the notification lacking its Id was stored")
		}
		if st != 500 || !strings.Contains(body, "<faultcode>soapenv:Client</faultcode>") ||
			!strings.Contains(body, "notification #2: Notification Id") || strings.Contains(body, "<Ack>") {
			t.Errorf("want a client fault naming notification #2's Notification Id, got %d %s", st, body)
		}
	})
}
