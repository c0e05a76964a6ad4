package hubspot_test

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/handoff/handoff/hubspot"
	"github.com/handoff/handoff/internal/testkit"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestFailedErasureLogsNoContactID: a contact.privacyDeletion that the
// database fails to carry out is answered 500 (HubSpot retries) and
// logged by the contact's place in the body, as a failed save is, never
// by the contact's id: the log outlives the erasure the person asked for.
func TestFailedErasureLogsNoContactID(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			s, raw := storagetest.OpenRaw(t, dialect)
			if _, err := raw.Exec("ALTER TABLE crm_versions RENAME COLUMN merged_lead_id TO merged_lead_id_gone"); err != nil {
				t.Fatal(err)
			}
			logs := &testkit.LogBuffer{}
			srv := newServerOf(t, s, hubspot.Handler{Logger: slog.New(slog.NewTextHandler(logs, nil))})
			status, ans := send(t, srv, "/hooks/hubspot", "["+contactEvent("contact.privacyDeletion", 7304, now)+"]", "", now, secret)
			if status != 500 {
				t.Fatalf("%d %v, want 500", status, ans)
			}
			line := logs.String()
			if !strings.Contains(line, "hubspot: erase contact") || !strings.Contains(line, "contact=[0]") {
				t.Errorf("log %q does not name the failed erasure by the contact's place", line)
			}
			if strings.Contains(line, "7304") {
				t.Errorf("log %q names contact 7304", line)
			}
		})
	}
}
