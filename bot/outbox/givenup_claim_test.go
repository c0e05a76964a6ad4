package outbox_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/outbox"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestGivenUpNoteClaimByAsTheClockHoldsIt: the managers' note on a new
// SQL's card given up after its claim deadline passed says "Claim by" the
// deadline the SLA clock holds the lead to when the note is rendered: with
// sla.excuse_system_delay, the card never shown, the claim window from
// then (what /sla and the lead's card show); without it, the stored one.
func TestGivenUpNoteClaimByAsTheClockHoldsIt(t *testing.T) {
	for _, excuse := range []bool{false, true} {
		t.Run(map[bool]string{false: "without the excuse", true: "excused"}[excuse], func(t *testing.T) {
			storagetest.Each(t, func(t *testing.T, s *storage.Store) {
				r := newRig(t, s)
				cfg := r.managersConfig("w1")
				cfg.Policy.ExcuseSystemDelay = excuse
				p := cfg.Policy
				disp := outbox.New(cfg)
				r.slack.RemoveBot("CSALES")
				l := saveLead(t, s, "late") // an SQL at t0, claim due t0+2h
				r.clock.Advance(3 * time.Hour)
				drain(t, disp) // the card refused at t0+3h, the note sent then
				now := r.clock.Now()
				stored, moved := *l.ClaimDueAt, p.ClaimDue(now)
				want, not := stored, moved
				if excuse {
					want, not = moved, stored
				}
				notes := r.slack.Messages("CMGR")
				if len(notes) != 1 {
					t.Fatalf("managers' channel = %+v, want one note", notes)
				}
				blocks, _ := json.Marshal(notes[0].Blocks)
				if text := string(blocks); !strings.Contains(text, bot.Clock(want, now, p)) || strings.Contains(text, bot.Clock(not, now, p)) {
					t.Errorf("note %s\nwant Claim by %s, not %s", text, bot.Clock(want, now, p), bot.Clock(not, now, p))
				}
				lead, err := s.Lead(t.Context(), l.ID)
				if err != nil {
					t.Fatal(err)
				}
				if lead.ShownAt != nil {
					t.Fatalf("lead shown at %v, want never shown", lead.ShownAt)
				}
			})
		})
	}
}
