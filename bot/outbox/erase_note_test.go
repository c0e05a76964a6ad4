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

// The managers' note about a deactivated rep names the rep's leads. Erasing
// one of them renders the posted note again: the erased lead as erased, the
// other lead as it was, nothing of the erased person anywhere; erasing the
// other then leaves no lead's data in it. An erased lead is named by
// Handoff's id ("lead 42 (personal data erased)").
func TestEraseRendersTheDeactivatedNoteAgain(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s)
		policy := handoff.DefaultPolicy()
		disp := outbox.New(r.managersConfig("w"))
		b := bot.New(bot.Config{Store: s, Reps: s, Policy: policy, Now: r.clock.Now, Logger: quiet()})
		people := [][]string{
			{"Annika Bergström", "annika@bergstrom-consult.dk", "Bergström Consult ApS"},
			{"Jens Holm", "jens@holm-consult.dk", "Holm Consult ApS"},
		}
		score := 90
		var ids []int64
		for i, p := range people {
			res, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: fmt.Sprintf("note-%d", i), Name: p[0], Email: p[1], Company: p[2], Score: &score},
				policy, t0, handoff.ActorAPI)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, res.Lead.ID)
			drain(t, disp)
			if err := b.Claim(ctx, actor("UREP1"), res.Lead.ID); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := b.LogContact(ctx, actor("UREP1"), ids[1]); err != nil {
			t.Fatal(err)
		}
		if err := b.RepChanged(ctx, bot.RepChange{Platform: "slack", UserID: "UREP1", Deleted: true}); err != nil {
			t.Fatal(err)
		}
		drain(t, disp)
		var note string // channel/ts
		for _, c := range r.slack.Calls("chat.postMessage") {
			if c.Param("channel") == "CMGR" {
				if note != "" {
					t.Fatalf("two notes in CMGR")
				}
				note = c.Param("channel") + "/" + c.TS
				text := c.Param("text") + c.Param("blocks")
				for _, p := range people {
					if !strings.Contains(text, p[2]) {
						t.Errorf("the note does not name %s: %s", p[2], text)
					}
				}
			}
		}
		if note == "" {
			t.Fatal("no note in the managers' channel")
		}
		lastUpdate := func() string {
			t.Helper()
			text := ""
			for _, c := range r.slack.Calls("chat.update") {
				if c.Param("channel")+"/"+c.Param("ts") == note {
					text = c.Param("text") + c.Param("blocks")
				}
			}
			return text
		}

		if err := s.ForgetLead(ctx, "note-0", policy, r.clock.Now()); err != nil {
			t.Fatal(err)
		}
		drain(t, disp)
		noTrace(t, s, "after the first erase", people[0]...)
		after := lastUpdate()
		switch {
		case after == "":
			t.Fatal("the note was not updated after the erase")
		case strings.Contains(after, people[0][0]) || strings.Contains(after, people[0][2]):
			t.Errorf("the note still shows the erased person: %s", after)
		case !strings.Contains(after, people[1][2]):
			t.Errorf("the note lost the lead not erased: %s", after)
		case !strings.Contains(after, fmt.Sprintf("lead %d (personal data erased)", ids[0])) || strings.Contains(after, "erased-") || !strings.Contains(after, "was deactivated"):
			t.Errorf("the note = %s, want the rep's note with the lead shown as erased", after)
		}

		if err := s.ForgetLead(ctx, "note-1", policy, r.clock.Now()); err != nil {
			t.Fatal(err)
		}
		drain(t, disp)
		noTrace(t, s, "after the second erase", people[1]...)
		if after := lastUpdate(); strings.Contains(after, people[1][2]) || strings.Count(after, "(personal data erased)") < 2 {
			t.Errorf("after both erases the note = %s, want both leads shown as erased", after)
		}
	})
}
