package storage_test

import (
	"context"
	"strings"
	"testing"

	"github.com/handoff/handoff/storage/storagetest"
)

// TestOpenLeadsErrorsNameNoRep: a rep's open leads are asked for by the
// rep's platform user id or email, and a failed read's error, which the
// bot logs (a `/leads mine`, a deactivated rep's leads), names neither:
// as TestFailedRequestLogsNoLeadID holds for the leads, the log outlives
// the person it would name.
func TestOpenLeadsErrorsNameNoRep(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			s, raw := storagetest.OpenRaw(t, dialect)
			if _, err := raw.Exec("ALTER TABLE leads RENAME COLUMN owner_email TO owner_email_gone"); err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			for _, owner := range []string{"ann.berg@example.com", "U0ANNBERG", "29:ann-berg-aad"} {
				for _, tc := range []struct {
					name string
					read func() error
				}{
					{"OpenLeads", func() error { _, err := s.OpenLeads(ctx, owner, 10); return err }},
					{"OpenLeadsPage", func() error { _, _, err := s.OpenLeadsPage(ctx, owner, 20, 10); return err }},
				} {
					err := tc.read()
					switch {
					case err == nil:
						t.Fatalf("%s(%q) read a table without owner_email", tc.name, owner)
					case strings.Contains(strings.ToLower(err.Error()), strings.ToLower(owner)):
						t.Errorf("%s(%q) error names the rep: %v", tc.name, owner, err)
					case !strings.Contains(err.Error(), "open leads"):
						t.Errorf("%s(%q) error %q does not say what failed", tc.name, owner, err)
					}
				}
			}
		})
	}
}
