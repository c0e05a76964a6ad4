package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestRepErrorsNameNoEmail: a Teams manager's away and back for a rep
// named by email, and a platform's change of a user, fail when the rep
// states cannot be written; the errors, which the Teams app and the
// event handlers log, name the rep by platform alone when the key is an
// email ("teams:(email)"), never by the address.
func TestRepErrorsNameNoEmail(t *testing.T) {
	const email = "ann.berg@example.com"
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			b := brokenRepBot(t, dialect, "ALTER TABLE rep_states RENAME COLUMN away_reason TO away_reason_gone")
			// A bot whose rep states are written and whose leads cannot be read.
			leadsGone := brokenRepBot(t, dialect, "ALTER TABLE leads RENAME COLUMN owner_email TO owner_email_gone")
			answer := b.RepCommands(nil)
			command := func(name, text string) func() error {
				return func() error {
					_, err := answer.Answer(ctx, bot.Command{Platform: "teams", Name: name, Text: text, UserID: "29:boss", Channel: "19:sales"})
					return err
				}
			}
			for _, tc := range []struct {
				name, want string // want: what the error says failed
				run        func() error
			}{
				{"away", "bot: away teams:(email): storage: set away teams:(email):", command("away", strings.ToUpper(email)+" until 2026-12-24")},
				{"back", "bot: back teams:(email): storage: clear away teams:(email):", command("back", email)},
				{"status", "bot: status of teams:(email): storage: set away teams:(email):", func() error {
					return b.RepChanged(ctx, bot.RepChange{Platform: "teams", UserID: email, Away: &handoff.Away{Source: handoff.AwayBySlackStatus}})
				}},
				{"status cleared", "bot: status of teams:(email): storage: clear away teams:(email):", func() error {
					return b.RepChanged(ctx, bot.RepChange{Platform: "teams", UserID: email})
				}},
				{"deactivated", "bot: open leads of teams:(email): storage: open leads of one rep:", func() error {
					return leadsGone.RepChanged(ctx, bot.RepChange{Platform: "teams", UserID: email, Deleted: true})
				}},
			} {
				err := tc.run()
				switch {
				case err == nil:
					t.Fatalf("%s wrote to or read a table without its column", tc.name)
				case strings.Contains(strings.ToLower(err.Error()), email):
					t.Errorf("%s: the error names the rep's email: %v", tc.name, err)
				case !strings.Contains(err.Error(), tc.want):
					t.Errorf("%s: error %q, want it to say %q", tc.name, err, tc.want)
				}
			}
		})
	}
}

// brokenRepBot is a bot on a store of dialect that a Teams manager
// (29:boss) commands, after stmt broke its database.
func brokenRepBot(t *testing.T, dialect, stmt string) *bot.Bot {
	t.Helper()
	s, raw := storagetest.OpenRaw(t, dialect)
	if _, err := raw.Exec(stmt); err != nil {
		t.Fatal(err)
	}
	return bot.New(bot.Config{
		Store: s, Reps: s, Policy: handoff.DefaultPolicy(), Now: func() time.Time { return t0 },
		Managers: map[string]bot.Managers{"teams": managerList{"29:boss": true}},
		Logger:   quiet(),
	})
}
