package bot_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestTypedReasonPastTheMenu: a platform that cannot show every reason of
// the agreement's list (Slack's menus hold 100) offers bot.TypedChoice
// last and a text input, bot.TypedInput("reason"), for one it left out.
// A reason typed there counts as the listed one it names, ignoring case;
// an empty or unlisted one is refused on that input.
func TestTypedReasonPastTheMenu(t *testing.T) {
	policy := handoff.DefaultPolicy()
	for i := range 150 {
		policy.Reasons = append(policy.Reasons, fmt.Sprintf("Reason %d", i+1))
	}
	typed := bot.TypedInput("reason")
	tests := []struct {
		name       string
		values     map[string]string
		wantField  string // the input refused; "" when saved
		wantReason string
	}{
		{"typed, past the menu", map[string]string{"reason": bot.TypedChoice, typed: " reason 140 "}, "", "Reason 140"},
		{"picked", map[string]string{"reason": "Reason 7", typed: "Reason 140"}, "", "Reason 7"},
		{"typed nothing", map[string]string{"reason": bot.TypedChoice, typed: " "}, typed, ""},
		{"typed an unlisted reason", map[string]string{"reason": bot.TypedChoice, typed: "Reason 151"}, typed, ""},
		{"picked nothing", map[string]string{typed: "Reason 140"}, "reason", ""},
	}
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		b := bot.New(bot.Config{Store: s, Policy: policy, Now: func() time.Time { return t0.Add(time.Hour) }, Logger: quiet(),
			SalesMembers: map[string]bot.SalesMembers{"slack": outsiders{}}})
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				l := saveLead(t, s, fmt.Sprintf("typed-%d", i))
				if err := b.Claim(ctx, actor("UOWN"), l.ID); err != nil {
					t.Fatal(err)
				}
				err := b.Submit(ctx, actor("UOWN"), bot.ActionRecycle, fmt.Sprintf(`{"lead":%d}`, l.ID), tt.values)
				got, lerr := s.Lead(ctx, l.ID)
				if lerr != nil {
					t.Fatal(lerr)
				}
				if tt.wantField != "" {
					if handoff.ErrorCode(err) != handoff.EINVALID || handoff.ErrorFields(err)[tt.wantField] == "" || got.Stage != handoff.StageClaimed {
						t.Fatalf("err = %v (fields %v), lead %s; want EINVALID on %q and the lead unchanged", err, handoff.ErrorFields(err), got.Stage, tt.wantField)
					}
					return
				}
				if err != nil || got.Stage != handoff.StageRecycled || got.Reason != tt.wantReason {
					t.Fatalf("err = %v, lead %s for %q; want recycled for %q", err, got.Stage, got.Reason, tt.wantReason)
				}
			})
		}
	})
}
