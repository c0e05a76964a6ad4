package storage_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestRepStateErrorsNameNoEmail: a rep's time off and deactivation are
// written under the rep's key, which for a Teams rep of the agreement can
// be an email address ("teams:ann.berg@example.com"); a failed write's
// error, which the bot logs (a /away, a status or a deactivation from the
// platform), names such a rep by platform alone, and a rep of a platform
// user id by that id, as lead errors name a lead by Handoff's id.
func TestRepStateErrorsNameNoEmail(t *testing.T) {
	now := time.Date(2026, 11, 19, 10, 0, 0, 0, time.UTC)
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			s, raw := storagetest.OpenRaw(t, dialect)
			if _, err := raw.Exec("ALTER TABLE rep_states RENAME COLUMN away_reason TO away_reason_gone"); err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			for _, tc := range []struct {
				key, want string // want: what the error names the rep by
			}{
				{"teams:ann.berg@example.com", "teams:(email)"},
				{"teams:Ann.Berg@Example.com", "teams:(email)"},
				{"slack:U0ANNBERG", "slack:U0ANNBERG"},
			} {
				for _, w := range []struct {
					name  string
					write func() error
				}{
					{"set away", func() error { return s.SetAway(ctx, tc.key, handoff.Away{Reason: "holiday"}, now) }},
					{"clear away", func() error { _, err := s.ClearAway(ctx, tc.key, "", now); return err }},
					{"set deactivated", func() error { _, err := s.SetDeactivated(ctx, tc.key, true, now); return err }},
				} {
					err := w.write()
					switch {
					case err == nil:
						t.Fatalf("%s %s wrote to a table without away_reason", w.name, tc.key)
					case strings.Contains(strings.ToLower(err.Error()), "ann.berg@example.com"):
						t.Errorf("%s %s: the error names the rep's email: %v", w.name, tc.key, err)
					case !strings.Contains(err.Error(), "storage: "+w.name+" "+tc.want+":"):
						t.Errorf("%s %s: error %q does not say what failed for %s", w.name, tc.key, err, tc.want)
					}
				}
			}
		})
	}
}
