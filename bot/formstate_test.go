package bot_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// askedMembers is a bot.SalesMembers in whose sales channel everyone is,
// counting how often it was asked.
type askedMembers struct{ asked atomic.Int32 }

func (m *askedMembers) IsSalesMember(ctx context.Context, userID string) (bool, error) {
	m.asked.Add(1)
	return true, nil
}

// A form submitted with an id that is none of Handoff's forms, or with a
// state not as Handoff made it (too long, not JSON, its lead not a
// positive id, its channel longer than handoff.MaxChatIDLen or holding a
// control character), is refused EINVALID naming the field before the
// platform is asked who the user is: the lead, its events and the
// outbox are left as they were. The form as Handoff made it is saved.
func TestSubmitRefusesAStateNotAsMade(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		members := &askedMembers{}
		b := bot.New(bot.Config{Store: s, Policy: handoff.DefaultPolicy(), Now: func() time.Time { return t0.Add(time.Hour) }, Logger: quiet(),
			SalesMembers: map[string]bot.SalesMembers{"slack": members}})
		l := saveLead(t, s, "form-state")
		if err := b.Claim(ctx, actor("UOWN"), l.ID); err != nil {
			t.Fatal(err)
		}
		state := func(lead any, channel string) string {
			b, err := json.Marshal(map[string]any{"lead": lead, "channel": channel})
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
		for _, tt := range []struct {
			name, form, state string
			field             string // "" for a form saved
		}{
			{"a channel too long", bot.ActionWon, state(l.ID, "C"+strings.Repeat("x", handoff.MaxChatIDLen)), "state.channel"},
			{"a channel with NUL", bot.ActionWon, state(l.ID, "C01\x00"), "state.channel"},
			{"a channel with a line break", bot.ActionWon, state(l.ID, "C01\nlevel=ERROR"), "state.channel"},
			{"lead 0", bot.ActionWon, state(0, "C01"), "state.lead"},
			{"a negative lead", bot.ActionWon, state(-4, "C01"), "state.lead"},
			{"no lead", bot.ActionWon, `{"channel":"C01"}`, "state.lead"},
			{"a lead that is text", bot.ActionWon, `{"lead":"7"}`, "state"},
			{"not JSON", bot.ActionWon, "lead=7", "state"},
			{"empty", bot.ActionWon, "", "state"},
			{"too long", bot.ActionWon, state(l.ID, "C01") + strings.Repeat(" ", handoff.MaxFormStateLen), "state"},
			{"an unknown form", "lead.won2", state(l.ID, "C01"), "form"},
			{"a form too long", strings.Repeat("f", handoff.MaxFormIDLen+1), state(l.ID, "C01"), "form"},
			{"as Handoff made it", bot.ActionWon, state(l.ID, "C01"), ""},
		} {
			t.Run(tt.name, func(t *testing.T) {
				before, err := s.Events(ctx, l.ID)
				if err != nil {
					t.Fatal(err)
				}
				outbox, err := s.OutboxStats(ctx)
				if err != nil {
					t.Fatal(err)
				}
				asked := members.asked.Load()
				err = b.Submit(ctx, actor("UOWN"), tt.form, tt.state, map[string]string{"amount": "40000"})
				if tt.field == "" {
					got, lerr := s.Lead(ctx, l.ID)
					if err != nil || lerr != nil || got.Stage != handoff.StageWon {
						t.Fatalf("err = %v, %v; want the lead won", err, lerr)
					}
					return
				}
				if handoff.ErrorCode(err) != handoff.EINVALID || handoff.ErrorFields(err)[tt.field] == "" || !bot.StateRefused(err) {
					t.Fatalf("err = %v (fields %v), want EINVALID naming %s", err, handoff.ErrorFields(err), tt.field)
				}
				if n := members.asked.Load() - asked; n != 0 {
					t.Errorf("the platform was asked %d times who the user is, want none", n)
				}
				after, err := s.Events(ctx, l.ID)
				if err != nil {
					t.Fatal(err)
				}
				if len(after) != len(before) {
					t.Errorf("%d events, want the %d before", len(after), len(before))
				}
				if now, err := s.OutboxStats(ctx); err != nil || now.Pending != outbox.Pending || now.Dead != outbox.Dead || !now.Oldest.Equal(outbox.Oldest) {
					t.Errorf("outbox %+v, %v; want %+v as before", now, err, outbox)
				}
			})
		}
	})
}
