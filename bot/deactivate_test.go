package bot_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestDeactivatedNoteSections: the managers' note lists the leads that
// went back, those to reassign, and those whose personal data was erased,
// which it asks to close with Lost (a reassign is refused for them),
// naming each erased lead by Handoff's id and never by its anonymous
// external id; a kept lead erased after the note was queued is listed
// with them, and a lead that went back and was erased since is named by
// its id and asked to be taken off the list with Not a fit (it cannot be
// claimed). The note is rendered from the leads as they are:
// one taken care of since it was queued (claimed, reassigned, won, lost or
// sent back to marketing) is no longer asked for but listed under "Since
// then" with what became of it, and a section left with no lead goes with
// its instruction. A lead with a new owner says how its history records
// they took it, claimed or reassigned by a manager; one whose history does
// not say reads as it did before (claimed for a lead that went back,
// reassigned for a kept one).
func TestDeactivatedNoteSections(t *testing.T) {
	at := time.Date(2026, 11, 23, 11, 0, 0, 0, time.UTC)
	repOwner := handoff.Owner{Platform: "slack", UserID: "UREP1"}
	bo := handoff.Owner{Platform: "slack", UserID: "UBO", Email: "bo@acme.dk"}
	// lead is lead id in stage st, owned by owner (the rep in every stage
	// past SQL unless told), erased or not.
	lead := func(id int64, st handoff.Stage, erased bool, owner ...handoff.Owner) *handoff.Lead {
		l := &handoff.Lead{ID: id, ExternalID: fmt.Sprint("hs-", id), Company: fmt.Sprint("Co ", id), Stage: st}
		if st != handoff.StageSQL {
			l.Owner = repOwner
		}
		if len(owner) > 0 {
			l.Owner = owner[0]
		}
		if erased {
			l.ExternalID, l.Company, l.ErasedAt = "erased-3f9a", "", &at
		}
		return l
	}
	nobody := handoff.Owner{}
	ls := func(l ...*handoff.Lead) []*handoff.Lead { return l }
	rep := handoff.RepRef{Platform: "slack", ID: "UREP1"}
	tests := []struct {
		name                   string
		returned, kept, erased []*handoff.Lead
		want                   []string // the sections after the first, in order
		wantLeads              []int64  // Message.Leads: the leads shown
		taken                  map[int64]handoff.Taking
	}{
		{"one erased claimed lead", nil, nil, ls(lead(1, handoff.StageClaimed, true)),
			[]string{"1 lead whose personal data was erased still names them as owner; nobody can take it over, so close it with Lost from its card:\n• 🔒 lead 1 (personal data erased)"},
			nil, nil},
		{"two erased leads beside a lead to reassign", nil, ls(lead(2, handoff.StageContacted, false)),
			ls(lead(1, handoff.StageClaimed, true), lead(3, handoff.StageOpportunity, true)),
			[]string{
				"1 lead past first contact still names them as owner; reassign from the card:\n• *Co 2* (hs-2)",
				"2 leads whose personal data was erased still name them as owner; nobody can take them over, so close them with Lost from their cards:\n• 🔒 lead 1 (personal data erased)\n• 🔒 lead 3 (personal data erased)",
			}, []int64{2}, nil},
		{"a kept lead erased since the note was queued", nil,
			ls(lead(2, handoff.StageContacted, false), lead(4, handoff.StageContacted, true)), nil,
			[]string{
				"1 lead past first contact still names them as owner; reassign from the card:\n• *Co 2* (hs-2)",
				"1 lead whose personal data was erased still names them as owner; nobody can take it over, so close it with Lost from its card:\n• 🔒 lead 4 (personal data erased)",
			}, []int64{2}, nil},
		{"an erased lead listed before a kept lead erased since", nil, ls(lead(4, handoff.StageContacted, true)), ls(lead(9, handoff.StageClaimed, true)),
			[]string{"2 leads whose personal data was erased still name them as owner; nobody can take them over, so close them with Lost from their cards:\n• 🔒 lead 9 (personal data erased)\n• 🔒 lead 4 (personal data erased)"},
			nil, nil},
		{"a lead that went back, erased since", ls(lead(5, handoff.StageSQL, false), lead(6, handoff.StageSQL, true)), nil, nil,
			[]string{
				"1 lead back in the sales channel with Claim:\n• *Co 5* (hs-5)",
				"1 lead back in the sales channel, whose personal data was erased since; nobody can claim it, so take it off the list with Not a fit from its card:\n• 🔒 lead 6 (personal data erased)",
			}, []int64{5}, nil},
		{"two leads that went back, erased since", ls(lead(6, handoff.StageSQL, true), lead(7, handoff.StageSQL, true)), nil, nil,
			[]string{"2 leads back in the sales channel, whose personal data was erased since; nobody can claim them, so take them off the list with Not a fit from their cards:\n• 🔒 lead 6 (personal data erased)\n• 🔒 lead 7 (personal data erased)"},
			nil, nil},
		{"a lead that went back, taken since, its history not saying how: as before", ls(lead(5, handoff.StageSQL, false), lead(6, handoff.StageClaimed, false, bo)), nil, nil,
			[]string{
				"1 lead back in the sales channel with Claim:\n• *Co 5* (hs-5)",
				"Since then:\n• *Co 6* (hs-6) was claimed by <@slack:UBO|bo@acme.dk>",
			}, []int64{5, 6}, nil},
		{"every lead that went back claimed or closed since", ls(lead(5, handoff.StageContacted, false, bo), lead(6, handoff.StageRecycled, false, nobody),
			lead(7, handoff.StageRecycled, true, nobody)), nil, nil,
			[]string{"Since then:\n• *Co 5* (hs-5) was claimed by <@slack:UBO|bo@acme.dk>\n• *Co 6* (hs-6) went back to marketing\n• 🔒 lead 7 (personal data erased) went back to marketing"},
			[]int64{5, 6}, nil},
		{"a kept lead taken since, its history not saying how: as before", nil, ls(lead(2, handoff.StageContacted, false), lead(3, handoff.StageOpportunity, false, bo)), nil,
			[]string{
				"1 lead past first contact still names them as owner; reassign from the card:\n• *Co 2* (hs-2)",
				"Since then:\n• *Co 3* (hs-3) was reassigned to <@slack:UBO|bo@acme.dk>",
			}, []int64{2, 3}, nil},
		{"every kept lead won, lost or sent back to marketing since", nil,
			ls(lead(2, handoff.StageWon, false), lead(3, handoff.StageLost, false), lead(4, handoff.StageRecycled, false)), nil,
			[]string{"Since then:\n• *Co 2* (hs-2) was won\n• *Co 3* (hs-3) was closed as lost\n• *Co 4* (hs-4) went back to marketing"},
			[]int64{2, 3, 4}, nil},
		{"an erased lead closed since", nil, nil, ls(lead(1, handoff.StageClaimed, true), lead(3, handoff.StageLost, true)),
			[]string{
				"1 lead whose personal data was erased still names them as owner; nobody can take it over, so close it with Lost from its card:\n• 🔒 lead 1 (personal data erased)",
				"Since then:\n• 🔒 lead 3 (personal data erased) was closed as lost",
			}, nil, nil},
		{"every lead taken care of since", ls(lead(5, handoff.StageClaimed, false, bo)), ls(lead(2, handoff.StageContacted, false, bo)),
			ls(lead(1, handoff.StageLost, true)),
			[]string{"Since then:\n• *Co 5* (hs-5) was claimed by <@slack:UBO|bo@acme.dk>\n• *Co 2* (hs-2) was reassigned to <@slack:UBO|bo@acme.dk>\n• 🔒 lead 1 (personal data erased) was closed as lost"},
			[]int64{5, 2}, nil},
		{"a lead that went back and was claimed since", ls(lead(6, handoff.StageClaimed, false, bo)), nil, nil,
			[]string{"Since then:\n• *Co 6* (hs-6) was claimed by <@slack:UBO|bo@acme.dk>"},
			[]int64{6}, map[int64]handoff.Taking{6: handoff.TakenByClaim}},
		{"a lead that went back and a manager reassigned since", ls(lead(5, handoff.StageSQL, false), lead(6, handoff.StageClaimed, false, bo)), nil, nil,
			[]string{
				"1 lead back in the sales channel with Claim:\n• *Co 5* (hs-5)",
				"Since then:\n• *Co 6* (hs-6) was reassigned to <@slack:UBO|bo@acme.dk> by a manager",
			}, []int64{5, 6}, map[int64]handoff.Taking{6: handoff.TakenByReassign}},
		{"a kept lead a manager reassigned since", nil, ls(lead(3, handoff.StageOpportunity, false, bo)), nil,
			[]string{"Since then:\n• *Co 3* (hs-3) was reassigned to <@slack:UBO|bo@acme.dk> by a manager"},
			[]int64{3}, map[int64]handoff.Taking{3: handoff.TakenByReassign}},
		{"a kept lead that became an SQL again and was claimed since", nil, ls(lead(3, handoff.StageClaimed, false, bo)), nil,
			[]string{"Since then:\n• *Co 3* (hs-3) was claimed by <@slack:UBO|bo@acme.dk>"},
			[]int64{3}, map[int64]handoff.Taking{3: handoff.TakenByClaim}},
		{"leads claimed and reassigned since, each as recorded", ls(lead(5, handoff.StageContacted, false, bo), lead(6, handoff.StageClaimed, false, bo)),
			ls(lead(2, handoff.StageContacted, false, bo)), nil,
			[]string{"Since then:\n• *Co 5* (hs-5) was claimed by <@slack:UBO|bo@acme.dk>\n• *Co 6* (hs-6) was reassigned to <@slack:UBO|bo@acme.dk> by a manager\n• *Co 2* (hs-2) was reassigned to <@slack:UBO|bo@acme.dk> by a manager"},
			[]int64{5, 6, 2}, map[int64]handoff.Taking{5: handoff.TakenByClaim, 6: handoff.TakenByReassign, 2: handoff.TakenByReassign}},
		{"a closed lead says it was closed, however it was taken", nil, ls(lead(3, handoff.StageWon, false, bo)), nil,
			[]string{"Since then:\n• *Co 3* (hs-3) was won"},
			[]int64{3}, map[int64]handoff.Taking{3: handoff.TakenByReassign}},
		{"an older payload's kept lead erased and closed since", nil, ls(lead(2, handoff.StageContacted, false), lead(4, handoff.StageLost, true)), nil,
			[]string{
				"1 lead past first contact still names them as owner; reassign from the card:\n• *Co 2* (hs-2)",
				"Since then:\n• 🔒 lead 4 (personal data erased) was closed as lost",
			}, []int64{2}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := bot.DeactivatedNote(rep, false, tt.returned, tt.kept, tt.erased, tt.taken)
			var got []string
			for _, s := range m.Sections[1:] {
				got = append(got, s.Text)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("sections:\n%q\nwant:\n%q", got, tt.want)
			}
			if !slices.Equal(m.Leads, tt.wantLeads) {
				t.Errorf("leads shown = %v, want %v", m.Leads, tt.wantLeads)
			}
			if all := allText(m); strings.Contains(all, handoff.ErasedIDPrefix) {
				t.Errorf("the note names an erased lead by its anonymous id: %s", all)
			}
		})
	}
}

// TestDeactivatedRepKeepsTheirErasedLeads: a deactivated rep's claimed
// lead whose personal data was erased is not released (nobody could claim
// it): it stays claimed by them, and the managers' note names it among
// the erased leads to close, with an erased lead past first contact; the
// rep's other claimed lead goes back to the channel as before.
func TestDeactivatedRepKeepsTheirErasedLeads(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		b := repBot(s)
		claimed, gone, goneContacted := saveLead(t, s, "e-1"), saveLead(t, s, "e-2"), saveLead(t, s, "e-3")
		for _, l := range []*handoff.Lead{claimed, gone, goneContacted} {
			if err := b.Claim(ctx, actor("UREP1"), l.ID); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := b.LogContact(ctx, actor("UREP1"), goneContacted.ID); err != nil {
			t.Fatal(err)
		}
		for _, ext := range []string{"e-2", "e-3"} {
			if err := s.ForgetLead(ctx, ext, handoff.DefaultPolicy(), t0.Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.RepChanged(ctx, bot.RepChange{Platform: "slack", UserID: "UREP1", Deleted: true}); err != nil {
			t.Fatal(err)
		}
		checkHeld(t, s, []held{{claimed, handoff.StageSQL, ""}, {gone, handoff.StageClaimed, "UREP1"}, {goneContacted, handoff.StageContacted, "UREP1"}})
		events, err := s.Events(ctx, gone.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range events {
			if e.Kind == handoff.EventRelease {
				t.Errorf("the erased claimed lead has a release: %+v", e)
			}
		}
		notes := deactivatedNotes(t, s)
		want := handoff.DeactivatedNotice{Rep: handoff.RepRef{Platform: "slack", ID: "UREP1"}, InRotation: true,
			Returned: []int64{claimed.ID}, Erased: []int64{gone.ID, goneContacted.ID}}
		if len(notes) != 1 || !reflect.DeepEqual(notes[0], want) {
			t.Fatalf("managers' notes = %+v, want one: %+v", notes, want)
		}
	})
}
