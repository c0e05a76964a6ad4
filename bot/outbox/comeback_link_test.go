package outbox_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/outbox"
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/bot/teams/teamstest"
	"github.com/handoff/handoff/internal/testkit"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// teamsGroup is the stand-in Teams sales channel's team's Microsoft 365
// group, which a link to a message there needs.
const teamsGroup = "6f1c2e7a-0b4d-4c55-9a4e-2d0f3b9e8c11"

// A lead announced on Slack and Teams, claimed, lost and coming back as
// an SQL: on each platform its earlier card links to its new card (Slack's
// permalink of it, Teams' deep link to it) and says who owned the lead, as
// its closed card did.
func TestEarlierCardLinksToTheNewCardAndNamesItsOwner(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx, policy := context.Background(), handoff.DefaultPolicy()
		r := newRig(t, s)
		bf := teamstest.New(t)
		cfg := r.config("w1")
		cfg.Targets = append(cfg.Targets, teamsTarget(t, s, bf))
		if err := s.SaveTeamsConversation(ctx, handoff.TeamsConversation{ConversationID: teamsSalesChannel, ServiceURL: bf.ServiceURL(),
			TeamID: "19:general@thread.tacv2", TeamName: "Acme Sales", GroupID: teamsGroup}, t0); err != nil {
			t.Fatal(err)
		}
		d := outbox.New(cfg)
		b := bot.New(bot.Config{Store: s, Policy: policy, Now: r.clock.Now, Logger: quiet(),
			Managers: map[string]bot.Managers{"slack": bothManagers{}}})
		l := saveLead(t, s, "linked")
		drain(t, d)
		first := cardsByPlatform(t, s, l.ID)
		if _, err := b.Act(ctx, actor("UA"), bot.ActionClaim, fmt.Sprint(l.ID)); err != nil {
			t.Fatal(err)
		}
		drain(t, d)
		r.clock.Advance(time.Hour)
		if _, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: "linked", Stage: handoff.StageLost, Reason: "Chose a competitor"}, policy, r.clock.Now(), handoff.ActorAPI); err != nil {
			t.Fatal(err)
		}
		drain(t, d)
		r.clock.Advance(3 * 24 * time.Hour)
		if _, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: "linked", Stage: handoff.StageSQL}, policy, r.clock.Now(), handoff.ActorAPI); err != nil {
			t.Fatal(err)
		}
		drain(t, d)
		now := cardsByPlatform(t, s, l.ID)
		if now["slack"].MessageID == first["slack"].MessageID || now["teams"].MessageID == first["teams"].MessageID {
			t.Fatalf("cards before %+v and after the return %+v; want a new card on each platform", first, now)
		}

		slackCard := textsOf(t, lastUpdateBlocks(r.slack, first["slack"].MessageID))
		if want := "<" + slacktest.Permalink("CSALES", now["slack"].MessageID) + "|" + bot.NewCardWords + ">"; !strings.Contains(slackCard, want) {
			t.Errorf("Slack's earlier card reads %q; want it to link to the new card: %q", slackCard, want)
		}
		if !strings.Contains(slackCard, "*Owner*\n<@UA>") || !strings.Contains(slackCard, "Chose a competitor") {
			t.Errorf("Slack's earlier card reads %q; want its owner, <@UA>, and why it was lost", slackCard)
		}

		teamsCard := textsOf(t, lastTeamsUpdate(t, bf, first["teams"].MessageID))
		id := now["teams"].MessageID
		link := "https://teams.microsoft.com/l/message/" + teamsSalesChannel + "/" + id + "?tenantId=t1&groupId=" + teamsGroup +
			"&parentMessageId=" + id + "&teamName=Acme%20Sales&channelName=Sales"
		if want := "[" + bot.NewCardWords + "](" + link + ")"; !strings.Contains(teamsCard, want) {
			t.Errorf("Teams' earlier card reads %q; want it to link to the new card: %q", teamsCard, want)
		}
		if !strings.Contains(teamsCard, "Owner\n") || strings.Contains(teamsCard, "nobody") {
			t.Errorf("Teams' earlier card reads %q; want it to name its owner", teamsCard)
		}
	})
}

// An earlier card whose link Slack does not give (an error of Slack's, a
// message it no longer finds, Slack down) is updated all the same, saying
// to see the new card without a link, and a warning says why.
func TestEarlierCardWithoutALinkSlackDidNotGive(t *testing.T) {
	for _, tt := range []struct {
		name string
		fail func(fake *slacktest.Server)
	}{
		{"internal_error", func(fake *slacktest.Server) { fake.ErrorNext("chat.getPermalink", 1, "internal_error") }},
		{"message_not_found", func(fake *slacktest.Server) { fake.ErrorNext("chat.getPermalink", 1, "message_not_found") }},
		{"HTTP 503", func(fake *slacktest.Server) { fake.FailNext("chat.getPermalink", 1, 503, 0) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			storagetest.Each(t, func(t *testing.T, s *storage.Store) {
				r := newRig(t, s)
				var logs testkit.LogBuffer
				cfg := r.config("w1")
				cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
				d := outbox.New(cfg)
				l := saveLead(t, s, "unlinked")
				drain(t, d)
				first := cardsByPlatform(t, s, l.ID)["slack"]
				tt.fail(r.slack)
				leaveAndComeBack(t, r, d, "unlinked", "No budget before Q1")
				card := textsOf(t, lastUpdateBlocks(r.slack, first.MessageID))
				if !strings.Contains(card, "Came back as an SQL") || !strings.Contains(card, bot.NewCardWords+" in the sales channel") || strings.Contains(card, slacktest.PermalinkPrefix) {
					t.Errorf("earlier card reads %q; want it to say to see its new card, without a link", card)
				}
				if n := len(r.slack.Calls("chat.getPermalink")); n != 1 {
					t.Errorf("chat.getPermalink called %d times; want once, its failure leaving the link out", n)
				}
				if w := logs.Lines("without a link to the new card"); len(w) != 1 || !strings.Contains(w[0], "level=WARN") {
					t.Errorf("warnings %q; want one saying the card is updated without a link", w)
				}
			})
		})
	}
}

// An earlier card's update names the new card and who worked the lead;
// one queued by a version that named neither the new card nor the SQL the
// earlier card had announced (a rolling deploy) is sent as before: the
// card says to see its new card, without a link, and names no owner;
// Slack is not asked for a link.
func TestEarlierCardOfAnOlderNotice(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s)
		b := bot.New(bot.Config{Store: s, Policy: handoff.DefaultPolicy(), Now: r.clock.Now, Logger: quiet(),
			Managers: map[string]bot.Managers{"slack": bothManagers{}}})
		l := saveLead(t, s, "older")
		drain(t, r.disp)
		first := cardsByPlatform(t, s, l.ID)["slack"]
		if _, err := b.Act(ctx, actor("UA"), bot.ActionClaim, fmt.Sprint(l.ID)); err != nil {
			t.Fatal(err)
		}
		drain(t, r.disp)
		back := leaveAndComeBack(t, r, r.disp, "older", "No budget before Q1")
		now := cardsByPlatform(t, s, l.ID)["slack"]
		if card := textsOf(t, lastUpdateBlocks(r.slack, first.MessageID)); !strings.Contains(card, slacktest.Permalink("CSALES", now.MessageID)) ||
			!strings.Contains(card, "*Worked by*\n<@UA>") {
			t.Fatalf("earlier card reads %q after the return; want it to link to the new card and say who worked the lead", card)
		}
		old, err := json.Marshal(map[string]any{"channel": first.Channel, "message_id": first.MessageID, "back": back.UTC()})
		if err != nil {
			t.Fatal(err)
		}
		calls := len(r.slack.Calls("chat.getPermalink"))
		if err := s.Enqueue(ctx, r.clock.Now(), handoff.OutboxMessage{Kind: handoff.OutboxEarlierCard, LeadID: l.ID, Platform: "slack", Payload: string(old)}); err != nil {
			t.Fatal(err)
		}
		drain(t, r.disp)
		card := textsOf(t, lastUpdateBlocks(r.slack, first.MessageID))
		if !strings.Contains(card, bot.NewCardWords+" in the sales channel") || strings.Contains(card, slacktest.PermalinkPrefix) ||
			strings.Contains(card, "<@UA>") || !strings.Contains(card, "No budget before Q1") {
			t.Errorf("earlier card reads %q; want it to say to see its new card, without a link or an owner, and why it had left", card)
		}
		if n := len(r.slack.Calls("chat.getPermalink")); n != calls {
			t.Errorf("chat.getPermalink called %d more times; want none for a notice that names no new card", n-calls)
		}
	})
}

// cardsByPlatform is lead id's cards, by platform.
func cardsByPlatform(t *testing.T, s *storage.Store, id int64) map[string]handoff.ChatPost {
	t.Helper()
	posts, err := s.ChatPosts(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	cards := map[string]handoff.ChatPost{}
	for _, p := range posts {
		cards[p.Platform] = p
	}
	return cards
}

// lastUpdateBlocks is the blocks of the last chat.update of message ts
// that the fake Slack received, decoded; nil when none.
func lastUpdateBlocks(fake *slacktest.Server, ts string) any {
	var blocks any
	for _, c := range fake.Calls("chat.update") {
		if c.Param("ts") == ts {
			blocks = nil
			_ = json.Unmarshal([]byte(c.Param("blocks")), &blocks)
		}
	}
	return blocks
}

// lastTeamsUpdate is the body of the last update of activity id that the
// stand-in Bot Framework received; nil when none.
func lastTeamsUpdate(t *testing.T, bf *teamstest.Server, id string) any {
	t.Helper()
	var body any
	for _, c := range bf.Calls() {
		if c.Op == "update" && c.ActivityID == id {
			body = c.Body
		}
	}
	return body
}

// textsOf is every text of a decoded JSON value (a message's blocks, a
// card), one per line, as the platform reads it.
func textsOf(t *testing.T, v any) string {
	t.Helper()
	var texts []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			texts = append(texts, v)
		case []any:
			for _, e := range v {
				walk(e)
			}
		case map[string]any:
			for _, k := range []string{"title", "text", "value", "fields", "facts", "body", "attachments", "content", "elements"} {
				if e, ok := v[k]; ok {
					walk(e)
				}
			}
		}
	}
	walk(v)
	return strings.Join(texts, "\n")
}
