package handlers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot/teams"
	"github.com/handoff/handoff/bot/teams/teamstest"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestTeamsLinkAskedAgainOnceTheBotIsHeardFromInItsTeam: after Teams
// refused a team's details (404: the bot removed from the team, or a
// Teams admin blocking the app), links to messages there are left out
// and Teams is not asked again for an hour. An admin allowing the app
// again sends no event, but any activity the bot then receives from the
// team, signed as the Bot Framework signs it (a card's click, a message
// to the bot, a conversationUpdate), shows the bot there: the next link
// asks Teams again, and is made. A wait Teams asked for (429 with
// Retry-After) is not ended by it, nor is a refusal by an activity saying
// that the bot left the team, or by one from another team; an activity
// heard while Teams is asked keeps the refusal it then gives from holding
// off. Before, each of these links was left out for the hour.
func TestTeamsLinkAskedAgainOnceTheBotIsHeardFromInItsTeam(t *testing.T) {
	activities := []struct {
		name string
		from func(r *linkTeamRig) map[string]any
	}{
		{"a card's click", func(r *linkTeamRig) map[string]any {
			a := r.tm.Activity("invoke", ritaID, "Rita Rep", r.sales+";messageid=1001")
			a["name"] = "adaptiveCard/action"
			a["value"] = map[string]any{"action": map[string]any{"type": "Action.Execute", "verb": teams.VerbShowCard,
				"data": map[string]any{"action": teams.VerbShowCard, "value": "1"}}, "trigger": "manual"}
			return a
		}},
		{"a message to the bot", func(r *linkTeamRig) map[string]any {
			a := r.tm.Activity("message", ritaID, "Rita Rep", r.sales+";messageid=1001")
			a["text"] = "<at>Handoff</at> help"
			return a
		}},
		{"a conversationUpdate", func(r *linkTeamRig) map[string]any { return r.quiet().MemberAdded("29:newcomer") }},
	}
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		n := 0
		rig := func(t *testing.T) *linkTeamRig {
			n++
			return newLinkTeamRig(t, s, n)
		}
		for _, a := range activities {
			t.Run("refused, then "+a.name, func(t *testing.T) {
				r := rig(t)
				r.link(t, "refused", false, false, 1)
				r.e.bf.SetTeam(r.tm) // the app allowed again: Teams would answer, but sends no event
				r.link(t, "within the hour", false, false, 0)
				r.post(t, a.from(r))
				r.link(t, "after the activity", true, false, 1)
				r.link(t, "kept", true, false, 0)
			})
		}
		t.Run("throttled for ten minutes, then an activity", func(t *testing.T) {
			r := rig(t)
			r.e.bf.RateLimit(1, "600")
			r.link(t, "throttled", false, true, 1)
			r.e.bf.SetTeam(r.tm)
			r.post(t, activities[1].from(r))
			r.link(t, "after the activity, within the wait", false, false, 0)
			r.e.clock.Advance(10*time.Minute - time.Second)
			r.link(t, "a second before the wait's end", false, false, 0)
			r.e.clock.Advance(time.Second)
			r.link(t, "at the wait's end", true, false, 1)
		})
		t.Run("refused, then the bot removed from the team", func(t *testing.T) {
			r := rig(t)
			r.link(t, "refused", false, false, 1)
			r.e.bf.SetTeam(r.tm)
			r.post(t, r.quiet().Removed())
			r.link(t, "after the removal", false, false, 0)
		})
		t.Run("refused, then an activity from another team", func(t *testing.T) {
			r := rig(t)
			r.link(t, "refused", false, false, 1)
			r.e.bf.SetTeam(r.tm)
			other := r.tm
			other.ID = strings.Replace(r.tm.ID, "@", "other@", 1)
			r.post(t, other.MemberAdded("29:newcomer"))
			r.link(t, "after another team's activity", false, false, 0)
		})
		t.Run("an activity while Teams is asked, which refuses", func(t *testing.T) {
			r := rig(t)
			held := r.e.bf.HoldRequests(teamstest.ConnectorEndpoint)
			defer held.Release()
			type result struct {
				link string
				err  error
			}
			first := make(chan result, 1)
			go func() {
				link, err := r.e.platform.MessageLink(context.Background(), r.sales, "1001")
				first <- result{link, err}
			}()
			<-held.Arrived // Teams is asked; its refusal is on its way
			r.post(t, r.quiet().MemberAdded("29:newcomer"))
			held.Release()
			if got := <-first; got.link != "" || got.err != nil {
				t.Fatalf("refused: MessageLink = %q, %v; want no link and no error", got.link, got.err)
			}
			r.e.bf.SetTeam(r.tm)
			r.link(t, "after the refusal", true, false, 1)
		})
	})
}

// linkTeamRig is the Teams side (teamsEnv, its platform on the test's
// clock) with a team stored as Handoff kept one before it kept group ids:
// tm, whose General channel has the team's name and no group id, and its
// channel sales, with the team's id alone. Teams refuses tm's details
// (404) until the test sets the team on the fake (SetTeam).
type linkTeamRig struct {
	e     *teamsEnv
	tm    teamstest.Team
	sales string
	want  string // the link to message 1001 in sales
}

// newLinkTeamRig is the rig of the test's nth team, whose ids and
// channel's name are its own in the store the test's teams share.
func newLinkTeamRig(t *testing.T, s *storage.Store, n int) *linkTeamRig {
	t.Helper()
	e := newTeamsEnv(t, s, nil)
	e.platform.Now = e.clock.Now
	tm := e.team()
	tm.ID = fmt.Sprintf("19:allowed%d@thread.tacv2", n)
	sales, name := fmt.Sprintf("19:allowed%dsales@thread.tacv2", n), fmt.Sprintf("Links %d", n)
	for _, ref := range []handoff.TeamsConversation{
		{ConversationID: tm.ID, ChannelID: tm.ID, ChannelName: "General", TeamID: tm.ID, TeamName: tm.Name},
		{ConversationID: sales, ChannelID: sales, ChannelName: name, TeamID: tm.ID},
	} {
		ref.ServiceURL, ref.TenantID, ref.BotID = tm.ServiceURL, tenantID, botID
		if err := s.SaveTeamsConversation(context.Background(), ref, e.clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	want := "https://teams.microsoft.com/l/message/" + sales + "/1001?tenantId=" + tenantID + "&groupId=" + tm.GroupID +
		"&parentMessageId=1001&teamName=Sales%20Team&channelName=Links%20" + fmt.Sprint(n)
	return &linkTeamRig{e: e, tm: tm, sales: sales, want: want}
}

// link makes the link to message 1001 in the rig's channel, wanting it
// made (linked) or left out, an error or none (failed), and asks requests
// to the Bot Connector for it (the team's details).
func (r *linkTeamRig) link(t *testing.T, step string, linked, failed bool, asks int) {
	t.Helper()
	r.linkOn(t, r.e.platform, step, linked, failed, asks)
}

// linkOn is link made by platform p (a replica on the rig's store).
func (r *linkTeamRig) linkOn(t *testing.T, p *teams.Platform, step string, linked, failed bool, asks int) {
	t.Helper()
	before := r.e.bf.ConnectorRequests()
	got, err := p.MessageLink(context.Background(), r.sales, "1001")
	want := ""
	if linked {
		want = r.want
	}
	if got != want || (err != nil) != failed {
		t.Errorf("%s: MessageLink = %q, %v;\nwant %q, error %v", step, got, err, want, failed)
	}
	if n := r.e.bf.ConnectorRequests() - before; n != asks {
		t.Errorf("%s: Teams was asked %d times; want %d", step, n, asks)
	}
}

// quiet is the rig's team as its events name it without the group id,
// which an event naming it would keep (TestTeamsLinkKeepsTheGroupIDAnEventCarries),
// making the link without asking Teams: what these steps show is the
// hold-off's end.
func (r *linkTeamRig) quiet() teamstest.Team {
	tm := r.tm
	tm.GroupID = ""
	return tm
}

// post sends activity with a valid Bot Framework token, which must be
// answered 200.
func (r *linkTeamRig) post(t *testing.T, activity map[string]any) {
	t.Helper()
	if status, body := r.e.post(activity, r.e.token()); status != 200 {
		t.Fatalf("%s activity: HTTP %d %s", activity["type"], status, body)
	}
}
