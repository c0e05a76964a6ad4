package storage_test

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// chatID is a Teams user id of n characters.
func chatID(n int) string { return "29:" + strings.Repeat("x", n-3) }

// sizedSave is a save of values at or over their columns' sizes: it
// succeeds when ok, else it is refused as invalid.
type sizedSave struct {
	name string
	save func() error
	ok   bool
}

// checkSaves runs each save in order and reports those that did not
// succeed, or were not refused as invalid, as they should.
func checkSaves(t *testing.T, saves []sizedSave) {
	t.Helper()
	for _, tt := range saves {
		err := tt.save()
		switch {
		case tt.ok && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case !tt.ok && handoff.ErrorCode(err) != handoff.EINVALID:
			t.Errorf("%s: err = %v, want EINVALID", tt.name, err)
		}
	}
}

// savedSQL saves a new SQL of external id ext and returns it.
func savedSQL(t *testing.T, s *storage.Store, ext string) *handoff.Lead {
	t.Helper()
	res, err := s.SaveLead(context.Background(), handoff.LeadInput{ExternalID: ext, Company: "Acme", Stage: handoff.StageSQL}, handoff.DefaultPolicy(), t0, handoff.ActorAPI)
	if err != nil {
		t.Fatal(err)
	}
	return res.Lead
}

// What a chat platform sends is kept up to its limit on both databases
// alike, and refused as invalid beyond it, nothing stored: PostgreSQL's
// columns of 100 (an Entra id, a team's group) refused an id SQLite kept.
func TestChatIDsFitTheirColumns(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		atLimit := chatID(handoff.MaxChatIDLen)
		over := chatID(handoff.MaxChatIDLen + 1)
		user := func(mod func(u *handoff.TeamsUser)) func() error {
			u := handoff.TeamsUser{ID: "29:u-" + t.Name(), AADObjectID: strings.Repeat("é", handoff.MaxChatIDLen),
				Name: strings.Repeat("n", handoff.MaxChatNameLen), ServiceURL: "https://smba.example/" + strings.Repeat("s", handoff.MaxServiceURLLen-21),
				DMConversationID: "a:" + strings.Repeat("d", handoff.MaxChatIDLen-2), WroteIn: atLimit}
			mod(&u)
			return func() error { return s.SaveTeamsUser(ctx, u, t0) }
		}
		conversation := func(mod func(c *handoff.TeamsConversation)) func() error {
			c := handoff.TeamsConversation{ConversationID: "19:" + strings.Repeat("c", handoff.MaxChatIDLen-3), ServiceURL: "https://smba.example/",
				ChannelID: atLimit, ChannelName: strings.Repeat("n", handoff.MaxChatNameLen), TeamID: atLimit,
				TeamName: strings.Repeat("t", handoff.MaxChatNameLen), GroupID: atLimit, BotID: atLimit}
			mod(&c)
			return func() error { return s.SaveTeamsConversation(ctx, c, t0) }
		}
		checkSaves(t, []sizedSave{
			{"a Teams user, everything at its limit", user(func(u *handoff.TeamsUser) { u.ID = atLimit }), true},
			{"a Teams user id over", user(func(u *handoff.TeamsUser) { u.ID = over }), false},
			{"an Entra object id over", user(func(u *handoff.TeamsUser) { u.ID, u.AADObjectID = "29:aad", over }), false},
			{"a user's name over", user(func(u *handoff.TeamsUser) { u.ID, u.Name = "29:name", strings.Repeat("n", handoff.MaxChatNameLen+1) }), false},
			{"a personal chat id over", user(func(u *handoff.TeamsUser) { u.ID, u.DMConversationID = "29:dm", over }), false},
			{"a conversation, everything at its limit", conversation(func(*handoff.TeamsConversation) {}), true},
			{"a team id over", conversation(func(c *handoff.TeamsConversation) { c.ConversationID, c.TeamID = "19:t", over }), false},
			{"a team's group id over", conversation(func(c *handoff.TeamsConversation) { c.ConversationID, c.GroupID = "19:g", over }), false},
			{"a member key at the limit", func() error { _, err := s.StampMembers(ctx, "teams-sales", atLimit); return err }, true},
			{"a member key over", func() error { _, err := s.StampMembers(ctx, "teams-sales", over); return err }, false},
		})
		if u, err := s.TeamsUser(ctx, atLimit); err != nil || u.AADObjectID != strings.Repeat("é", handoff.MaxChatIDLen) {
			t.Errorf("user at the limit read back: %+v, %v", u, err)
		}
		for _, id := range []string{over, "29:aad", "29:name", "29:dm"} {
			if _, err := s.TeamsUser(ctx, id); handoff.ErrorCode(err) != handoff.ENOTFOUND {
				t.Errorf("user %.10s… refused but stored: %v", id, err)
			}
		}
	})
}

// A claim by a user whose id is at handoff.MaxChatIDLen is recorded whole
// on both databases (PostgreSQL's owner column of 100, and the event's
// actor column of 200, refused it); one over is refused as invalid and
// changes nothing.
func TestClaimByALongUserID(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		l := savedSQL(t, s, "long-owner")
		over := handoff.Owner{Platform: "teams", UserID: chatID(handoff.MaxChatIDLen + 1)}
		if _, _, err := s.ClaimLead(ctx, l.ID, over, t0, handoff.DefaultPolicy(), "teams:"+over.UserID); handoff.ErrorCode(err) != handoff.EINVALID {
			t.Fatalf("claim by an id over the limit: %v, want EINVALID", err)
		}
		owner := handoff.Owner{Platform: "teams", UserID: chatID(handoff.MaxChatIDLen)}
		got, won, err := s.ClaimLead(ctx, l.ID, owner, t0, handoff.DefaultPolicy(), "teams:"+owner.UserID)
		if err != nil || !won || got.Owner.UserID != owner.UserID {
			t.Fatalf("claim by an id at the limit: won %v, %v", won, err)
		}
		events, err := s.Events(ctx, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		if last := events[len(events)-1]; last.Actor != "teams:"+owner.UserID {
			t.Errorf("claim's actor = %q", last.Actor)
		}
	})
}

// An outbox message's result, text kept only to be read (a platform's
// id quoted), is cut to its column's 200 characters between whole
// characters, marked "…", on both databases: PostgreSQL refused a longer one, so the
// message, sent, was never marked done and was sent again.
func TestOutboxResultIsCut(t *testing.T) {
	storagetest.EachRaw(t, func(t *testing.T, s *storage.Store, raw *sql.DB) {
		ctx := context.Background()
		if err := s.Enqueue(ctx, t0, handoff.OutboxMessage{Kind: "x"}); err != nil {
			t.Fatal(err)
		}
		got, err := s.TakeOutbox(ctx, t0, 10, time.Minute, "w1")
		if err != nil || len(got) != 1 {
			t.Fatalf("take = %+v, %v", got, err)
		}
		result := "found the earlier attempt's post: " + strings.Repeat("é", 300)
		if err := s.CompleteOutbox(ctx, got[0], t0, result); err != nil {
			t.Fatal(err)
		}
		var stored string
		if err := raw.QueryRow("SELECT result FROM outbox").Scan(&stored); err != nil {
			t.Fatal(err)
		}
		kept, cut := strings.CutSuffix(stored, "…")
		if n := utf8.RuneCountInString(stored); n != 200 || !utf8.ValidString(stored) || !cut || !strings.HasPrefix(result, kept) {
			t.Errorf("stored result %q: %d characters, valid %v, cut %v", stored, n, utf8.ValidString(stored), cut)
		}
	})
}

// Migrate widens PostgreSQL's columns of chat ids that earlier versions
// made narrower (SQLite's are text): the leads' user ids to text, the
// others to 300, the actors to 320.
func TestMigrateWidensChatIDColumns(t *testing.T) {
	s, raw := storagetest.OpenRaw(t, storage.DialectPostgres)
	ctx := context.Background()
	columns := []struct {
		table, column string
		was, want     int // want 0: text
	}{
		{"leads", "owner_user_id", 100, 0}, {"leads", "sla_holder_user_id", 100, 0}, {"sla_cycles", "owner_user_id", 100, 300},
		{"sla_cycles", "sla_holder_user_id", 100, 300}, {"lead_events", "actor", 200, 320}, {"teams_users", "aad_object_id", 100, 300},
		{"teams_conversations", "group_id", 100, 300}, {"rep_states", "away_set_by", 200, 320},
	}
	for _, c := range columns {
		if _, err := raw.Exec("ALTER TABLE " + c.table + " ALTER COLUMN " + c.column + " TYPE varchar(" + strconv.Itoa(c.was) + ")"); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for _, c := range columns {
		var typ string
		var n sql.NullInt64
		err := raw.QueryRow("SELECT data_type, character_maximum_length FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2",
			c.table, c.column).Scan(&typ, &n)
		if err != nil || int(n.Int64) != c.want || (c.want == 0) != (typ == "text") {
			t.Errorf("%s.%s: %s of %d characters (%v), want %d (0: text)", c.table, c.column, typ, n.Int64, err, c.want)
		}
	}
}

// What a chat platform answers is kept up to its columns on both
// databases and refused as invalid beyond them, nothing written: a post's
// channel or message id over 300 characters, an owner's email over 500
// (PostgreSQL refused them, SQLite kept them).
func TestPlatformAnswersFitTheirColumns(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		id := savedSQL(t, s, "answers").ID
		post := func(channel, messageID string) func() error {
			return func() error {
				return s.SaveLeadMessages(ctx, t0, t0, handoff.ChatPost{LeadID: id, Platform: "slack", Kind: handoff.PostPrivate, Channel: channel, MessageID: messageID})
			}
		}
		claim := func(email string) func() error {
			return func() error {
				_, _, err := s.ClaimLead(ctx, id, handoff.Owner{Platform: "slack", UserID: "UREP1", Email: email}, t0, handoff.DefaultPolicy(), "slack:UREP1")
				return err
			}
		}
		atLimit, over := chatID(handoff.MaxChatIDLen), chatID(handoff.MaxChatIDLen+1)
		checkSaves(t, []sizedSave{
			{"a post's channel over", post(over, "1.2"), false},
			{"a post's message id over", post("D1", over), false},
			{"a post at the limit", post(atLimit, atLimit), true},
			{"an owner's email over", claim(strings.Repeat("é", 490) + "@example.com"), false},
			{"an owner's email at the limit", claim(strings.Repeat("é", 488) + "@example.com"), true},
		})
		posts, err := s.LeadMessages(ctx, id)
		if err != nil || len(posts) != 1 || posts[0].Channel != atLimit || posts[0].MessageID != atLimit {
			t.Errorf("posts kept: %d, %v; want the one at the limit", len(posts), err)
		}
		l, err := s.Lead(ctx, id)
		if err != nil || utf8.RuneCountInString(l.Owner.Email) != 500 {
			t.Errorf("owner's email kept: %d characters, %v; want the one at the limit", utf8.RuneCountInString(l.Owner.Email), err)
		}
	})
}
