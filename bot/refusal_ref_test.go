package bot_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestRefusalsNameTheLeadByRef: the refusals of a click ("Claim … first",
// "Only @owner …", "Only a sales manager can reassign …", Release after
// contact, a lead offered to another rep) named the lead by its title
// alone, so a rep with two leads called "Acme A/S" could not tell which
// one was refused. They name it as the "too late" notices do
// (bot.LeadRef: "*Acme A/S* (lead 42)").
func TestRefusalsNameTheLeadByRef(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		b := newBot(s)
		tests := []struct {
			name    string
			prepare func(t *testing.T, id int64) // as the owner UOWN, before the click
			user    string
			action  string
			want    string // in the refusal
		}{
			{"claim first", nil, "UREP", bot.ActionLogContact, "first."},
			{"claim first, a manager", nil, "UBOSS", bot.ActionLogContact, "first."},
			{"only the owner", claimAs(b, "UOWN"), "UREP", bot.ActionRelease, "(the owner) or a sales manager"},
			{"only a manager reassigns", claimAs(b, "UOWN"), "UOWN", bot.ActionReassign, "Only a sales manager can reassign"},
			{"release after contact", contactAs(b, "UOWN"), "UOWN", bot.ActionRelease, "after first contact use Lost or Recycle"},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var got []string
				for twin := range 2 {
					id := saveTitled(t, s, fmt.Sprintf("twin-%d-%d", i, twin), "Acme A/S")
					if tt.prepare != nil {
						tt.prepare(t, id)
					}
					if _, err := b.Act(ctx, actor(tt.user), tt.action, fmt.Sprint(id)); err != nil {
						t.Fatal(err)
					}
					seen := notices(t, s, id, handoff.OutboxPrivate, tt.user)
					if len(seen) == 0 {
						t.Fatalf("lead %d: no refusal for %s", id, tt.user)
					}
					last := seen[len(seen)-1]
					if !strings.Contains(last, tt.want) || !strings.Contains(last, fmt.Sprintf("*Acme A/S* (lead %d)", id)) {
						t.Fatalf("refusal = %q, want %q naming *Acme A/S* (lead %d)", last, tt.want, id)
					}
					got = append(got, last)
				}
				if got[0] == got[1] {
					t.Fatalf("both leads titled Acme A/S were refused alike: %q", got[0])
				}
			})
		}
	})
}

// saveTitled stores a new SQL of company title and returns its id.
func saveTitled(t *testing.T, s *storage.Store, ext, title string) int64 {
	t.Helper()
	score := 80
	res, err := s.SaveLead(context.Background(), handoff.LeadInput{ExternalID: ext, Company: title, Name: "Ann", Score: &score},
		handoff.DefaultPolicy(), t0, handoff.ActorAPI)
	if err != nil {
		t.Fatal(err)
	}
	return res.Lead.ID
}

// claimAs claims a lead for user.
func claimAs(b *bot.Bot, user string) func(t *testing.T, id int64) {
	return func(t *testing.T, id int64) {
		t.Helper()
		if err := b.Claim(context.Background(), actor(user), id); err != nil {
			t.Fatal(err)
		}
	}
}

// contactAs claims a lead for user and logs their contact.
func contactAs(b *bot.Bot, user string) func(t *testing.T, id int64) {
	return func(t *testing.T, id int64) {
		t.Helper()
		claimAs(b, user)(t, id)
		if _, err := b.LogContact(context.Background(), actor(user), id); err != nil {
			t.Fatal(err)
		}
	}
}
