package outbox_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/outbox"
	slackbot "github.com/handoff/handoff/bot/slack"
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/bot/teams"
	"github.com/handoff/handoff/bot/teams/teamstest"
	"github.com/handoff/handoff/internal/testkit"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// ofLen is prefix followed by 9s, n characters in all: an id as long as a
// platform might answer it.
func ofLen(prefix string, n int) string { return prefix + strings.Repeat("9", n-len(prefix)) }

// emailOfLen is an email of n characters.
func emailOfLen(n int) string { return strings.Repeat("a", n-len("@example.com")) + "@example.com" }

// ownerEmails are emails a platform may answer for an owner: at
// handoff.MaxEmailLen, which is kept, over it, and over the column's 500
// (PostgreSQL refused it, SQLite kept it), and with a NUL (PostgreSQL
// refused it, so the lookup was tried again until given up; SQLite kept
// it) or a line break. why is what the log says of one not kept.
var ownerEmails = []struct {
	name, email string
	kept        bool
	why         string
}{
	{"at the limit", emailOfLen(handoff.MaxEmailLen), true, ""},
	{"over the limit", emailOfLen(handoff.MaxEmailLen + 1), false, "longer than 320 characters"},
	{"over the column", emailOfLen(501), false, "longer than 320 characters"},
	{"with a NUL", "rep\x00one@example.com", false, "with the control character U+0000"},
	{"with a line break", "rep@example.com\nx", false, "with the control character U+000A"},
}

// messageOf returns the lead's one outbox message of kind.
func messageOf(t *testing.T, s *storage.Store, leadID int64, kind string) handoff.OutboxMessage {
	t.Helper()
	msgs, err := s.OutboxMessages(context.Background(), leadID)
	if err != nil {
		t.Fatal(err)
	}
	var found []handoff.OutboxMessage
	for _, m := range msgs {
		if m.Kind == kind {
			found = append(found, m)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d %s messages, want 1: %+v", len(found), kind, msgs)
	}
	return found[0]
}

// What the Slack Web API answers is kept alike on both databases up to
// its columns' sizes: a chat.postMessage's ts or a conversations.open's
// channel id longer than 300 characters gives the delivery up, naming it,
// with nothing recorded and nothing sent again (PostgreSQL refused the
// record, so the message was sent again and again; SQLite kept it); the
// claim stands.
func TestSlackAnswersTheStoreCannotKeep(t *testing.T) {
	for _, tt := range []struct {
		name   string
		method string         // the Web API method answering
		fields map[string]any // with these in its answer
		kind   string         // the message given up; "" for none
		want   string         // in its last error
		posted int            // chat.postMessage calls after the claim
	}{
		{"a ts at the limit", "chat.postMessage", map[string]any{"ts": ofLen("1.", handoff.MaxChatIDLen)}, "", "", 2},
		{"a ts over the limit", "chat.postMessage", map[string]any{"ts": ofLen("1.", handoff.MaxChatIDLen+1)}, handoff.OutboxAnnounceLead,
			"slack answered a post Handoff cannot keep, so cannot update or erase: its message id is longer than 300 characters", 2},
		{"a direct message's channel over the limit", "conversations.open", map[string]any{"channel": map[string]any{"id": ofLen("D", handoff.MaxChatIDLen+1)}},
			handoff.OutboxDirect, "slack: conversations.open answered a channel.id longer than 300 characters", 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			storagetest.Each(t, func(t *testing.T, s *storage.Store) {
				ctx := context.Background()
				r := newRig(t, s)
				r.slack.AnswerNext(tt.method, 1, tt.fields)
				l := saveLead(t, s, "sizes")
				drain(t, r.disp)
				b := bot.New(bot.Config{Store: s, Policy: handoff.DefaultPolicy(), Now: r.clock.Now, Logger: quiet()})
				if err := b.Claim(ctx, actor("UREP1"), l.ID); err != nil {
					t.Fatal(err)
				}
				drain(t, r.disp)
				r.clock.Advance(time.Hour) // past any retry
				drain(t, r.disp)
				if got, err := s.Lead(ctx, l.ID); err != nil || got.Owner.UserID != "UREP1" {
					t.Fatalf("the claim: %+v, %v", got, err)
				}
				if n := len(r.slack.Calls("chat.postMessage")); n != tt.posted {
					t.Errorf("chat.postMessage calls = %d, want %d: nothing posted again, nor to a channel given up", n, tt.posted)
				}
				cards, err := s.ChatPosts(ctx, l.ID)
				if err != nil {
					t.Fatal(err)
				}
				others, err := s.LeadMessages(ctx, l.ID)
				if err != nil {
					t.Fatal(err)
				}
				st := outboxStatus(t, s)
				if tt.kind == "" {
					if st.Pending != 0 || st.Dead != 0 || len(cards) != 1 || cards[0].MessageID != ofLen("1.", handoff.MaxChatIDLen) {
						t.Fatalf("outbox %+v, cards %+v: want the card kept whole", st, cards)
					}
					return
				}
				if st.Pending != 0 || st.Dead != 1 {
					t.Fatalf("outbox = %+v, want one message given up", st)
				}
				m := messageOf(t, s, l.ID, tt.kind)
				if m.Status != storage.OutboxDead || !strings.Contains(m.LastError, tt.want) {
					t.Errorf("%s: %s, last error %q; want dead, naming %q", tt.kind, m.Status, m.LastError, tt.want)
				}
				for _, p := range append(cards, others...) {
					if handoff.CheckChatPost(p) != "" {
						t.Errorf("recorded a post the store cannot keep: %.60s…", p.MessageID+" in "+p.Channel)
					}
				}
			})
		})
	}
}

// An owner's email that Slack's users.info or Teams' member API answers
// is recorded up to handoff.MaxEmailLen characters; a longer one, or one
// with a control character, is not, on both databases, the lookup done
// (not tried again), the claim standing and the log saying so.
func TestOwnerEmailLongerThanKept(t *testing.T) {
	for _, tt := range ownerEmails {
		for _, platform := range []string{"slack", "teams"} {
			t.Run(platform+"/"+tt.name, func(t *testing.T) {
				storagetest.Each(t, func(t *testing.T, s *storage.Store) {
					ctx := context.Background()
					log := &testkit.LogBuffer{}
					clk := testkit.NewClock(t0)
					var p interface {
						bot.Platform
						bot.Directory
					}
					var who bot.Actor
					switch platform {
					case "slack":
						fake := newRig(t, s).slack
						fake.SetUser("UREP1", slacktest.User{Email: tt.email})
						p = slackbot.NewPlatform(slackbot.NewClient(botToken, "", fake.APIURL(), 30*time.Second))
						who = actor("UREP1")
					case "teams":
						bf := teamstest.New(t)
						const sales = "19:sales@thread.tacv2"
						if err := s.SaveTeamsConversation(ctx, handoff.TeamsConversation{ConversationID: sales, ServiceURL: bf.ServiceURL(), TenantID: "t1"}, t0); err != nil {
							t.Fatal(err)
						}
						bf.SetRoster(sales, teamstest.Member{ID: "29:rep1", Name: "Rep", Email: tt.email})
						p = teams.NewPlatform(teams.NewConnector(teamstest.AppID, teamstest.AppSecret, bf.TokenURL(), nil, teamstest.ClientTimeout), s, "t1")
						who = bot.Actor{Platform: "teams", UserID: "29:rep1", Channel: sales}
					}
					logger := slog.New(slog.NewJSONHandler(log, nil))
					disp := outbox.New(outbox.Config{Store: s, Targets: []bot.Target{{Platform: p, SalesChannel: who.Channel}}, Policy: handoff.DefaultPolicy(),
						Now: clk.Now, Logger: logger, Worker: "w1", Lease: time.Minute})
					b := bot.New(bot.Config{Store: s, Policy: handoff.DefaultPolicy(), Now: clk.Now, Logger: logger,
						Directory: map[string]bot.Directory{platform: p}})
					l := saveLead(t, s, "email")
					drain(t, disp)
					if err := b.Claim(ctx, who, l.ID); err != nil {
						t.Fatal(err)
					}
					drain(t, disp)
					clk.Advance(time.Hour) // past any retry
					drain(t, disp)
					got, err := s.Lead(ctx, l.ID)
					if err != nil || got.Owner.UserID != who.UserID {
						t.Fatalf("the claim: %+v, %v", got, err)
					}
					m := messageOf(t, s, l.ID, handoff.OutboxOwnerEmail)
					if m.Status != storage.OutboxDone {
						t.Errorf("the email's lookup: %s, %q; want done", m.Status, m.LastError)
					}
					if want := map[bool]string{true: tt.email}[tt.kept]; got.Owner.Email != want {
						t.Errorf("owner's email = %.40q (%d characters), want %.40q", got.Owner.Email, len(got.Owner.Email), want)
					}
					if noted := strings.Contains(log.String(), "not recorded: "+platform+" answered an email "+tt.why); noted == tt.kept {
						t.Errorf("logged that the email was not recorded: %v, want %v:\n%s", noted, !tt.kept, log.String())
					}
				})
			})
		}
	}
}

// A Teams post whose activity id, as the Bot Connector answers it, is
// longer than 300 characters is given up, naming it, with nothing
// recorded and nothing sent again, on both databases.
func TestTeamsActivityIDLongerThanKept(t *testing.T) {
	for _, tt := range []struct {
		name string
		id   string
		kept bool
	}{
		{"at the limit", ofLen("1", handoff.MaxChatIDLen), true},
		{"over the limit", ofLen("1", handoff.MaxChatIDLen+1), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			storagetest.Each(t, func(t *testing.T, s *storage.Store) {
				ctx := context.Background()
				bf := teamstest.New(t)
				const sales = "19:sales@thread.tacv2"
				if err := s.SaveTeamsConversation(ctx, handoff.TeamsConversation{ConversationID: sales, ServiceURL: bf.ServiceURL(), TenantID: "t1"}, t0); err != nil {
					t.Fatal(err)
				}
				bf.AnswerIDs(tt.id)
				clk := testkit.NewClock(t0)
				p := teams.NewPlatform(teams.NewConnector(teamstest.AppID, teamstest.AppSecret, bf.TokenURL(), nil, teamstest.ClientTimeout), s, "t1")
				disp := outbox.New(outbox.Config{Store: s, Targets: []bot.Target{{Platform: p, SalesChannel: sales}}, Policy: handoff.DefaultPolicy(),
					Now: clk.Now, Logger: quiet(), Worker: "w1", Lease: time.Minute})
				l := saveLead(t, s, "teams-id")
				drain(t, disp)
				clk.Advance(time.Hour) // past any retry
				drain(t, disp)
				creates := 0
				for _, c := range bf.Calls() {
					if c.Op == "create" {
						creates++
					}
				}
				if creates != 1 {
					t.Errorf("%d posts, want 1: nothing sent again", creates)
				}
				cards, err := s.ChatPosts(ctx, l.ID)
				if err != nil {
					t.Fatal(err)
				}
				m := messageOf(t, s, l.ID, handoff.OutboxAnnounceLead)
				if tt.kept {
					if m.Status != storage.OutboxDone || len(cards) != 1 || cards[0].MessageID != tt.id {
						t.Fatalf("announcement %s, cards %+v: want the card kept whole", m.Status, cards)
					}
					return
				}
				if want := "teams answered a post Handoff cannot keep, so cannot update or erase: its message id is longer than 300 characters"; m.Status != storage.OutboxDead || !strings.Contains(m.LastError, want) {
					t.Errorf("announcement %s, last error %q; want dead, naming %q", m.Status, m.LastError, want)
				}
				if len(cards) != 0 {
					t.Errorf("cards = %d, want none recorded", len(cards))
				}
			})
		})
	}
}

// A lead reassigned to a rep whose email Slack answers longer than
// handoff.MaxEmailLen is reassigned without the email, on both databases
// (PostgreSQL refused one over 500 characters, and with it the
// reassignment; SQLite kept it), and the log says so.
func TestReassignToAnOwnerWithALongEmail(t *testing.T) {
	for _, tt := range ownerEmails {
		t.Run(tt.name, func(t *testing.T) {
			storagetest.Each(t, func(t *testing.T, s *storage.Store) {
				ctx := context.Background()
				r := newRig(t, s)
				r.slack.SetUser("UREP2", slacktest.User{Email: tt.email})
				log := &testkit.LogBuffer{}
				dir := slackbot.NewPlatform(slackbot.NewClient(botToken, "", r.slack.APIURL(), slacktest.ClientTimeout))
				b := bot.New(bot.Config{Store: s, Policy: handoff.DefaultPolicy(), Now: r.clock.Now, Logger: slog.New(slog.NewJSONHandler(log, nil)),
					Managers: map[string]bot.Managers{"slack": bothManagers{}}, SalesMembers: map[string]bot.SalesMembers{"slack": allSales{}},
					Directory: map[string]bot.Directory{"slack": dir}})
				l := saveLead(t, s, "reassign")
				got, err := b.Reassign(ctx, actor("UBOSS"), l.ID, "UREP2")
				if err != nil {
					t.Fatalf("reassign: %v", err)
				}
				if got, err = s.Lead(ctx, got.ID); err != nil || got.Owner.UserID != "UREP2" {
					t.Fatalf("the reassignment: %+v, %v", got, err)
				}
				if want := map[bool]string{true: tt.email}[tt.kept]; got.Owner.Email != want {
					t.Errorf("owner's email = %.40q (%d characters), want %.40q", got.Owner.Email, len(got.Owner.Email), want)
				}
				if noted := strings.Contains(log.String(), "bot: email lookup answered an email "+tt.why+"; not recorded"); noted == tt.kept {
					t.Errorf("logged that the email was not recorded: %v, want %v:\n%s", noted, !tt.kept, log.String())
				}
			})
		})
	}
}
