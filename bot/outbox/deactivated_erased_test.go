package outbox_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/outbox"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// The managers' note about a deactivated rep who still owns a lead whose
// personal data was erased lists it apart, by Handoff's id, never by its
// anonymous external id, saying to close it with Lost rather than to
// reassign it (refused for an erased lead): a note queued by the
// deactivation, and a note queued before the payload had its erased leads
// (an older version's outbox row), whose lead past first contact was
// erased between the note's queueing and its sending.
func TestDeactivatedNoteListsErasedLeadsToClose(t *testing.T) {
	tests := []struct {
		name string
		// note claims the leads and queues the note; it returns the id
		// of the lead the note must list as erased, and the external id
		// of the lead it must list for a reassign ("" for none).
		note func(t *testing.T, s *storage.Store, r *rig, b *bot.Bot) (erased int64, reassign string)
	}{
		{"erased claimed lead at the deactivation", func(t *testing.T, s *storage.Store, r *rig, b *bot.Bot) (int64, string) {
			ctx := context.Background()
			gone, worked := claimedBy(t, s, r, b, "UREP1", "gone-1"), claimedBy(t, s, r, b, "UREP1", "worked-1")
			if _, err := b.LogContact(ctx, actor("UREP1"), worked); err != nil {
				t.Fatal(err)
			}
			if err := s.ForgetLead(ctx, "gone-1", handoff.DefaultPolicy(), r.clock.Now()); err != nil {
				t.Fatal(err)
			}
			if err := b.RepChanged(ctx, bot.RepChange{Platform: "slack", UserID: "UREP1", Deleted: true}); err != nil {
				t.Fatal(err)
			}
			return gone, "worked-1"
		}},
		{"kept lead erased after an older version queued the note", func(t *testing.T, s *storage.Store, r *rig, b *bot.Bot) (int64, string) {
			ctx := context.Background()
			worked := claimedBy(t, s, r, b, "UREP1", "worked-2")
			if _, err := b.LogContact(ctx, actor("UREP1"), worked); err != nil {
				t.Fatal(err)
			}
			old := fmt.Sprintf(`{"rep":{"Platform":"slack","ID":"UREP1"},"in_rotation":true,"kept":[%d]}`, worked) // no "erased"
			if err := s.Enqueue(ctx, r.clock.Now(), handoff.OutboxMessage{Kind: handoff.OutboxRepDeactivated, Payload: old}); err != nil {
				t.Fatal(err)
			}
			if err := s.ForgetLead(ctx, "worked-2", handoff.DefaultPolicy(), r.clock.Now()); err != nil {
				t.Fatal(err)
			}
			return worked, ""
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			storagetest.Each(t, func(t *testing.T, s *storage.Store) {
				r := newRig(t, s)
				disp := outbox.New(r.managersConfig("w"))
				b := bot.New(bot.Config{Store: s, Reps: s, Policy: handoff.DefaultPolicy(), Now: r.clock.Now, Logger: quiet()})
				r.disp = disp
				erased, reassign := tt.note(t, s, r, b)
				drain(t, disp)
				var notes []string
				for _, c := range r.slack.Calls("chat.postMessage") {
					if c.Param("channel") == "CMGR" {
						notes = append(notes, c.Param("text")+c.Param("blocks"))
					}
				}
				if len(notes) != 1 {
					t.Fatalf("notes in CMGR = %q, want one", notes)
				}
				note := notes[0]
				for _, want := range []string{
					"1 lead whose personal data was erased still names them as owner; nobody can take it over, so close it with Lost from its card:",
					fmt.Sprintf("lead %d (personal data erased)", erased),
				} {
					if !strings.Contains(note, want) {
						t.Errorf("the note does not say %q: %s", want, note)
					}
				}
				if strings.Contains(note, handoff.ErasedIDPrefix) {
					t.Errorf("the note names an erased lead by its anonymous id: %s", note)
				}
				if got := strings.Contains(note, "reassign from the card"); got != (reassign != "") {
					t.Errorf("the note asks for a reassign: %v, want %v: %s", got, reassign != "", note)
				}
				if reassign != "" && !strings.Contains(note, "("+reassign+")") {
					t.Errorf("the note does not list %s to reassign: %s", reassign, note)
				}
				l, err := s.Lead(context.Background(), erased)
				if err != nil {
					t.Fatal(err)
				}
				if !l.Stage.Open() || l.Owner.UserID != "UREP1" {
					t.Errorf("the erased lead is %s owned by %q, want it still open, owned by the rep", l.Stage, l.Owner.UserID)
				}
			})
		})
	}
}

// claimedBy saves a new SQL under ext, posts its card and has user claim
// it, returning its id.
func claimedBy(t *testing.T, s *storage.Store, r *rig, b *bot.Bot, user, ext string) int64 {
	t.Helper()
	score := 90
	res, err := s.SaveLead(context.Background(), handoff.LeadInput{ExternalID: ext, Name: "Person " + ext, Company: "Company " + ext, Score: &score},
		handoff.DefaultPolicy(), r.clock.Now(), handoff.ActorAPI)
	if err != nil {
		t.Fatal(err)
	}
	drain(t, r.disp)
	if err := b.Claim(context.Background(), actor(user), res.Lead.ID); err != nil {
		t.Fatal(err)
	}
	return res.Lead.ID
}
