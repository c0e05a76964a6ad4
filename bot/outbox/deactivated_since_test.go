package outbox_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/outbox"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// The managers' note about a deactivated rep is rendered from the leads as
// they are when it is sent, and again when an erasure rewrites it: a lead
// that went back and was claimed since, one that went back and a kept
// lead a manager reassigned, and an erased lead a manager closed with Lost
// are no longer given the note's instruction (Claim, reassign, close) but
// listed under "Since then" with what became of them, the erased one by
// Handoff's id, and each lead with a new owner with how they took it, as
// its history records: "was claimed by", "was reassigned to … by a
// manager"; a
// section with no lead left goes, and a lead still waiting keeps its
// instruction. Both when the note is sent after the leads were taken care
// of and when it was posted before and is rendered again by the erasure of
// a lead it names.
func TestDeactivatedNoteAsksOnlyWhatIsLeft(t *testing.T) {
	tests := []struct {
		name string
		// postFirst posts the note before the leads are taken care of;
		// erasing the lead kept-2 then renders it again.
		postFirst bool
	}{
		{"sent after the leads were taken care of", false},
		{"rendered again by an erasure after they were", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			storagetest.Each(t, func(t *testing.T, s *storage.Store) {
				ctx := context.Background()
				policy := handoff.DefaultPolicy()
				r, disp, b := managersRig(t, s)
				back, back2 := claimedBy(t, s, r, b, "UREP1", "back-1"), claimedBy(t, s, r, b, "UREP1", "back-2")
				kept1, kept2 := claimedBy(t, s, r, b, "UREP1", "kept-1"), claimedBy(t, s, r, b, "UREP1", "kept-2")
				gone := claimedBy(t, s, r, b, "UREP1", "gone-1")
				for _, id := range []int64{kept1, kept2} {
					if _, err := b.LogContact(ctx, actor("UREP1"), id); err != nil {
						t.Fatal(err)
					}
				}
				if err := s.ForgetLead(ctx, "gone-1", policy, r.clock.Now()); err != nil {
					t.Fatal(err)
				}
				if err := b.RepChanged(ctx, bot.RepChange{Platform: "slack", UserID: "UREP1", Deleted: true}); err != nil {
					t.Fatal(err)
				}
				if tt.postFirst {
					drain(t, disp)
					if notes := r.slack.Messages("CMGR"); len(notes) != 1 || !strings.Contains(notes[0].Neutral().Sections[1].Text, "back in the sales channel with Claim") {
						t.Fatalf("the note first posted = %+v, want it to list back-1 to claim", notes)
					}
				}
				// Since then: back-1 claimed by Bo, back-2 reassigned to Cy
				// and kept-1 to Bo by a manager, the erased gone-1 closed
				// with Lost by a manager.
				if err := b.Claim(ctx, actor("UBO"), back); err != nil {
					t.Fatal(err)
				}
				if _, err := b.Reassign(ctx, actor("UBOSS"), back2, "UCY"); err != nil {
					t.Fatal(err)
				}
				if _, err := b.Reassign(ctx, actor("UBOSS"), kept1, "UBO"); err != nil {
					t.Fatal(err)
				}
				if _, err := b.Lost(ctx, actor("UBOSS"), gone, "no one to contact"); err != nil {
					t.Fatal(err)
				}
				left := "1 lead past first contact still names them as owner; reassign from the card:\n• *Company kept-2* (kept-2)"
				if tt.postFirst {
					if err := s.ForgetLead(ctx, "kept-2", policy, r.clock.Now()); err != nil {
						t.Fatal(err)
					}
					left = fmt.Sprintf("1 lead whose personal data was erased still names them as owner; nobody can take it over, so close it with Lost from its card:\n• 🔒 lead %d (personal data erased)", kept2)
				}
				drain(t, disp)

				notes := r.slack.Messages("CMGR")
				if len(notes) != 1 {
					t.Fatalf("notes in CMGR = %+v, want one", notes)
				}
				if tt.postFirst && notes[0].Updates == 0 {
					t.Errorf("the note posted first was not updated")
				}
				// Sent after the leads were taken care of, the note was
				// posted as it reads now (the managers' actions queued
				// its updates after it, rendered the same).
				if !tt.postFirst {
					notes = append(notes, r.slack.FirstPosts("CMGR")...)
				}
				want := []string{left, "Since then:\n" +
					"• *Company back-1* (back-1) was claimed by <@UBO>\n" +
					"• *Company back-2* (back-2) was reassigned to <@UCY> by a manager\n" +
					"• *Company kept-1* (kept-1) was reassigned to <@UBO> by a manager\n" +
					fmt.Sprintf("• 🔒 lead %d (personal data erased) was closed as lost", gone)}
				for i, note := range notes {
					got := sectionTexts(note.Neutral())
					if !slices.Equal(got, want) {
						t.Errorf("the note's sections (version %d):\n%q\nwant:\n%q", i, got, want)
					}
					if all := strings.Join(got, "\n"); strings.Contains(all, handoff.ErasedIDPrefix) {
						t.Errorf("the note names an erased lead by its anonymous id: %s", all)
					}
				}
			})
		})
	}
}

// sectionTexts are the texts of m's sections after the first.
func sectionTexts(m bot.Message) []string {
	var out []string
	for _, sec := range m.Sections[1:] {
		out = append(out, sec.Text)
	}
	return out
}

// managersRig is a rig whose dispatcher posts to the managers' channel
// CMGR, and a bot whose manager is UBOSS and whose sales channel has
// everyone.
func managersRig(t *testing.T, s *storage.Store) (*rig, *outbox.Dispatcher, *bot.Bot) {
	t.Helper()
	r := newRig(t, s)
	disp := outbox.New(r.managersConfig("w"))
	r.disp = disp
	b := bot.New(bot.Config{Store: s, Reps: s, Policy: handoff.DefaultPolicy(), Now: r.clock.Now, Logger: quiet(),
		Managers: map[string]bot.Managers{"slack": managerList{"UBOSS": true}}, SalesMembers: map[string]bot.SalesMembers{"slack": allSales{}}})
	return r, disp, b
}
