package outbox_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// A posted managers' note about a deactivated rep is rendered again when
// a lead it names is claimed, or a manager acts in chat on one (a
// reassign, a lead closed with Lost), the lead erased and named by its id
// included, and then shows every lead as it is: the refresh of the lead's
// chat messages renders the note too. A first contact, which changes
// nothing the note shows, renders it the same and calls no chat.update.
func TestDeactivatedNoteFollowsTheManagersActions(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		policy := handoff.DefaultPolicy()
		r, disp, b := managersRig(t, s)
		back, kept := claimedBy(t, s, r, b, "UREP1", "back-1"), claimedBy(t, s, r, b, "UREP1", "kept-1")
		gone := claimedBy(t, s, r, b, "UREP1", "gone-1")
		if _, err := b.LogContact(ctx, actor("UREP1"), kept); err != nil {
			t.Fatal(err)
		}
		if err := s.ForgetLead(ctx, "gone-1", policy, r.clock.Now()); err != nil {
			t.Fatal(err)
		}
		// Erased before the note was queued: its record queues no
		// erasure again (one erased in the millisecond it was queued
		// would, and render it once more).
		r.clock.Advance(time.Second)
		if err := b.RepChanged(ctx, bot.RepChange{Platform: "slack", UserID: "UREP1", Deleted: true}); err != nil {
			t.Fatal(err)
		}
		drain(t, disp)

		toClaim := "1 lead back in the sales channel with Claim:\n• *Company back-1* (back-1)"
		toReassign := "1 lead past first contact still names them as owner; reassign from the card:\n• *Company kept-1* (kept-1)"
		toClose := fmt.Sprintf("1 lead whose personal data was erased still names them as owner; nobody can take it over, so close it with Lost from its card:\n• 🔒 lead %d (personal data erased)", gone)
		claimed := "• *Company back-1* (back-1) was claimed by <@UBO>"
		reassigned := "• *Company kept-1* (kept-1) was reassigned to <@UBO> by a manager"
		closed := fmt.Sprintf("• 🔒 lead %d (personal data erased) was closed as lost", gone)
		steps := []struct {
			name    string
			act     func() error
			updates int      // the note's updates so far
			want    []string // its sections after the first
		}{
			{"posted", func() error { return nil }, 0, []string{toClaim, toReassign, toClose}},
			{"a lead that went back claimed", func() error { return b.Claim(ctx, actor("UBO"), back) },
				1, []string{toReassign, toClose, "Since then:\n" + claimed}},
			{"the claimed lead contacted", func() error { _, err := b.LogContact(ctx, actor("UBO"), back); return err },
				1, []string{toReassign, toClose, "Since then:\n" + claimed}},
			{"a kept lead reassigned by a manager", func() error { _, err := b.Reassign(ctx, actor("UBOSS"), kept, "UBO"); return err },
				2, []string{toClose, "Since then:\n" + claimed + "\n" + reassigned}},
			{"the erased lead closed with Lost", func() error { _, err := b.Lost(ctx, actor("UBOSS"), gone, "no one to contact"); return err },
				3, []string{"Since then:\n" + claimed + "\n" + reassigned + "\n" + closed}},
		}
		for _, st := range steps {
			if err := st.act(); err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			drain(t, disp)
			notes := r.slack.Messages("CMGR")
			if len(notes) != 1 {
				t.Fatalf("%s: notes in CMGR = %+v, want one", st.name, notes)
			}
			if notes[0].Updates != st.updates {
				t.Errorf("%s: the note was updated %d times, want %d", st.name, notes[0].Updates, st.updates)
			}
			if got := sectionTexts(notes[0].Neutral()); !slices.Equal(got, st.want) {
				t.Errorf("%s: the note's sections:\n%q\nwant:\n%q", st.name, got, st.want)
			}
		}
	})
}
