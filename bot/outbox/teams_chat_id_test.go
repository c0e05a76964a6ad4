package outbox_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/outbox"
	"github.com/handoff/handoff/bot/teams"
	"github.com/handoff/handoff/bot/teams/teamstest"
	"github.com/handoff/handoff/internal/testkit"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// The id of a personal chat that the Bot Connector answers when Handoff
// opens one (CreateConversation) is kept up to handoff.MaxChatIDLen
// characters; a longer one gives the direct message up before anything is
// sent there, naming it, with nothing recorded and the chat not opened
// again, on both databases (the store refused to remember it, so every
// message opened the chat anew and was sent where its card could not be
// kept). The claim stands.
func TestTeamsPersonalChatIDLongerThanKept(t *testing.T) {
	for _, tt := range []struct {
		name string
		id   string // the fake answers "a:dm-" + id
		kept bool
	}{
		{"at the limit", ofLen("1", handoff.MaxChatIDLen-len("a:dm-")), true},
		{"over the limit", ofLen("1", handoff.MaxChatIDLen-len("a:dm-")+1), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			storagetest.Each(t, func(t *testing.T, s *storage.Store) {
				ctx := context.Background()
				bf := teamstest.New(t)
				const sales, rep = "19:sales@thread.tacv2", "29:rep1"
				if err := s.SaveTeamsConversation(ctx, handoff.TeamsConversation{ConversationID: sales, ServiceURL: bf.ServiceURL(), TenantID: "t1"}, t0); err != nil {
					t.Fatal(err)
				}
				clk := testkit.NewClock(t0)
				p := teams.NewPlatform(teams.NewConnector(teamstest.AppID, teamstest.AppSecret, bf.TokenURL(), nil, teamstest.ClientTimeout), s, "t1")
				disp := outbox.New(outbox.Config{Store: s, Targets: []bot.Target{{Platform: p, SalesChannel: sales}}, Policy: handoff.DefaultPolicy(),
					Now: clk.Now, Logger: quiet(), Worker: "w1", Lease: time.Minute})
				b := bot.New(bot.Config{Store: s, Policy: handoff.DefaultPolicy(), Now: clk.Now, Logger: quiet()})
				l := saveLead(t, s, "teams-chat-id")
				drain(t, disp)
				bf.AnswerIDs(tt.id)
				if err := b.Claim(ctx, bot.Actor{Platform: "teams", UserID: rep, Channel: sales}, l.ID); err != nil {
					t.Fatal(err)
				}
				drain(t, disp)
				clk.Advance(time.Hour) // past any retry
				drain(t, disp)
				if got, err := s.Lead(ctx, l.ID); err != nil || got.Owner.UserID != rep {
					t.Fatalf("the claim: %+v, %v", got, err)
				}
				long := "a:dm-" + tt.id
				var opened, sent int
				for _, c := range bf.Calls() {
					switch {
					case c.Op == "create" && c.ConversationID == long:
						opened++
					case c.Op == "send" && c.ConversationID == long:
						sent++
					}
				}
				m := messageOf(t, s, l.ID, handoff.OutboxDirect)
				u, err := s.TeamsUser(ctx, rep)
				if err != nil && handoff.ErrorCode(err) != handoff.ENOTFOUND {
					t.Fatal(err)
				}
				if tt.kept {
					if m.Status != storage.OutboxDone || opened != 1 || sent != 1 || u.DMConversationID != long {
						t.Fatalf("direct message %s %q, chat opened %d and sent to %d times, remembered %.20q; want it sent and the chat kept",
							m.Status, m.LastError, opened, sent, u.DMConversationID)
					}
					return
				}
				if want := "teams: create conversation answered a personal chat id longer than 300 characters"; m.Status != storage.OutboxDead || !strings.Contains(m.LastError, want) {
					t.Errorf("direct message %s, last error %q; want dead, naming %q", m.Status, m.LastError, want)
				}
				if opened != 1 || sent != 0 {
					t.Errorf("chat opened %d times and sent to %d times, want opened once and nothing sent there", opened, sent)
				}
				if u.DMConversationID != "" {
					t.Errorf("remembered the personal chat %.20q…, want nothing", u.DMConversationID)
				}
			})
		})
	}
}
