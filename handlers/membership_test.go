package handlers_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot/report"
	slackbot "github.com/handoff/handoff/bot/slack"
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/bot/teams"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestSlackSalesChannelMembershipEvents: a rep removed from the sales
// channel loses sight of leads at Slack's member_left_channel, though the
// member list read a moment before (kept for a minute) still names them,
// and someone who joins sees leads at member_joined_channel; another
// channel's members change nothing. The bot's own removal from the sales
// or the managers' channel, or its archiving, is a warning naming the
// channel and the fix; another channel's is not. The bot invited to any
// channel, or a channel unarchived, calls OnChannelBack with it (what it
// refused is queued again); a person joining does not.
func TestSlackSalesChannelMembershipEvents(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		r := newSlackRig(t, s, &report.Reports{Store: s, Policy: handoff.DefaultPolicy()})
		r.announced(t, "members")
		seesLeads := func(user string) bool { return r.seesLead(t, user, "members") }
		event := func(id, typ, user, channel string) {
			t.Helper()
			if status, body := r.send(t, "/slack/events", signingSecret, time.Now(), slacktest.ChannelEvent(id, typ, user, channel)); status != http.StatusOK {
				t.Fatalf("%s of %s in %s: %d %s", typ, user, channel, status, body)
			}
		}
		if !seesLeads("UREP") || !seesLeads("UOWNER") || seesLeads("UMKT") {
			t.Fatal("before any event: want UREP and UOWNER to see leads, UMKT not")
		}
		r.slack.SetMembers(salesChannel, "UOWNER", "UMKT")
		event("EvLeft1", "member_left_channel", "UREP", salesChannel)
		event("EvJoined1", "member_joined_channel", "UMKT", salesChannel)
		event("EvLeft2", "member_left_channel", "UOWNER", "CRANDOM")
		if seesLeads("UREP") {
			t.Error("UREP still sees leads after leaving the sales channel")
		}
		if !seesLeads("UMKT") {
			t.Error("UMKT does not see leads after joining the sales channel")
		}
		if !seesLeads("UOWNER") {
			t.Error("UOWNER lost sight of leads by leaving another channel")
		}

		removed := func() int { return strings.Count(r.logs.String(), "the app was removed from the") }
		for i, c := range []struct{ channel, which string }{{salesChannel, "sales channel"}, {managerChannel, "managers' channel"}} {
			before := removed()
			event(fmt.Sprintf("EvBot%d", i), "member_left_channel", slacktest.BotUserID, c.channel)
			logs := r.logs.String()
			if removed() != before+1 || !strings.Contains(logs, "level=WARN") || !strings.Contains(logs, "removed from the "+c.which) ||
				!strings.Contains(logs, "/invite @Handoff") || !strings.Contains(logs, "channel="+c.channel) {
				t.Fatalf("the bot removed from the %s: no warning naming it and the fix:\n%s", c.which, logs)
			}
		}
		before := strings.Count(r.logs.String(), "level=WARN")
		event("EvArchived", "group_archive", "UBOSS", managerChannel)
		if logs := r.logs.String(); strings.Count(logs, "level=WARN") != before+1 ||
			!strings.Contains(logs, "the managers' channel was archived: Handoff cannot post there until it is unarchived or SLACK_MANAGER_CHANNEL names another channel") {
			t.Fatalf("the managers' channel archived: no warning naming it and the fix:\n%s", logs)
		}
		event("EvUnarchived", "group_unarchive", "UBOSS", managerChannel)
		if logs := r.logs.String(); !strings.Contains(logs, "the managers' channel was unarchived") {
			t.Errorf("the managers' channel unarchived: not logged:\n%s", logs)
		}
		if n := r.lost.Load(); n != 3 {
			t.Errorf("OnChannelLost called %d times, want 3 (removed from two channels, one archived)", n)
		}
		before = strings.Count(r.logs.String(), "level=WARN")
		event("EvBot9", "member_left_channel", slacktest.BotUserID, "CRANDOM")
		event("EvArchived9", "channel_archive", "UREP", "CRANDOM")
		if strings.Count(r.logs.String(), "level=WARN") != before {
			t.Errorf("the bot leaving, or the archiving of, a channel Handoff does not use was warned of:\n%s", r.logs.String())
		}
		if n := r.lost.Load(); n != 3 {
			t.Errorf("OnChannelLost called %d times after another channel's events, want still 3", n)
		}
		if got := r.back.list(); len(got) != 1 || got[0] != managerChannel {
			t.Errorf("OnChannelBack calls = %v, want only the managers' channel's unarchiving", got)
		}
		event("EvBotBack", "member_joined_channel", slacktest.BotUserID, salesChannel)
		event("EvBotBack9", "member_joined_channel", slacktest.BotUserID, "CRANDOM")
		event("EvUnarchived9", "channel_unarchive", "UREP", "CRANDOM")
		event("EvJoined9", "member_joined_channel", "UREP", "CRANDOM")
		if got, want := r.back.list(), []string{managerChannel, salesChannel, "CRANDOM", "CRANDOM"}; !slices.Equal(got, want) {
			t.Errorf("OnChannelBack calls = %v, want %v", got, want)
		}
		if status, body := r.send(t, "/slack/events", signingSecret, time.Now(), slacktest.ChannelEvent("EvBad", "member_left_channel", "UREP", "")); status != http.StatusBadRequest {
			t.Errorf("member_left_channel without a channel: %d %s, want 400", status, body)
		}
	})
}

// seesLead reports whether user, asking /leads <ext> in a channel outside
// the sales channel, is shown the lead announced as ext (its company "Co
// ext"); anything but the lead or the polite refusal fails the test.
func (r *slackRig) seesLead(t *testing.T, user, ext string) bool {
	t.Helper()
	status, ack := r.send(t, "/slack/commands", signingSecret, time.Now(), slacktest.CommandBody(user, "CMKT", "/leads", ext, r.slack.ResponseURL(user)))
	switch {
	case status != http.StatusOK:
		t.Fatalf("/leads %s by %s: %d %s", ext, user, status, ack)
	case strings.Contains(ack, "Co "+ext):
		return true
	case !strings.Contains(ack, "only for members of the sales channel") && !strings.Contains(ack, slackbot.NotAMember):
		t.Fatalf("/leads %s by %s = %s, want the lead or a polite refusal", ext, user, ack)
	}
	return false
}

// TestSlackUserMadeGuest: a member of the sales channel made a guest (or
// deactivated) is refused at Slack's user_change, though users.info said a
// moment before that they were a full member (its answer is kept 10
// minutes).
func TestSlackUserMadeGuest(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		r := newSlackRig(t, s, &report.Reports{Store: s, Policy: handoff.DefaultPolicy()})
		r.announced(t, "guest")
		if !r.seesLead(t, "UREP", "guest") {
			t.Fatal("a full member of the sales channel does not see the lead")
		}
		r.slack.SetUser("UREP", slacktest.User{Restricted: true})
		event := `{"type":"event_callback","team_id":"T0001","event_id":"EvGuest1","event_time":1700000000,"event":{"type":"user_change","user":{"id":"UREP","team_id":"T0001","is_restricted":true,"profile":{}}}}`
		if status, body := r.send(t, "/slack/events", signingSecret, time.Now(), event); status != http.StatusOK {
			t.Fatalf("user_change: %d %s", status, body)
		}
		if r.seesLead(t, "UREP", "guest") {
			t.Error("a member made a guest still sees the lead")
		}
	})
}

// TestSlackManagersGroupEvents: a manager removed from SLACK_MANAGER_GROUP
// no longer sees leads from outside the sales channel at Slack's
// subteam_members_changed, though the group's members were read a moment
// before (they are kept 5 minutes), and one added sees them at once;
// another group's change is ignored.
func TestSlackManagersGroupEvents(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		r := newSlackRig(t, s, &report.Reports{Store: s, Policy: handoff.DefaultPolicy()})
		r.announced(t, "group")
		seesLeads := func(user string) bool { return r.seesLead(t, user, "group") }
		if !seesLeads("UBOSS") || seesLeads("UNEWBOSS") || seesLeads("UTEMP") {
			t.Fatal("before any event: want the group's UBOSS to see the lead, UNEWBOSS and UTEMP not")
		}
		r.slack.SetGroup("SMANAGERS", "UNEWBOSS")
		for i, body := range []string{
			slacktest.GroupEvent("EvGroup1", "SMANAGERS", []string{"UNEWBOSS"}, []string{"UBOSS"}),
			slacktest.GroupEvent("EvGroup2", "SOTHERS", []string{"UTEMP"}, nil),
		} {
			if status, answer := r.send(t, "/slack/events", signingSecret, time.Now(), body); status != http.StatusOK {
				t.Fatalf("event %d: %d %s", i, status, answer)
			}
		}
		if seesLeads("UBOSS") {
			t.Error("UBOSS still sees the lead after leaving the managers' group")
		}
		if !seesLeads("UNEWBOSS") {
			t.Error("UNEWBOSS does not see the lead after joining the managers' group")
		}
		if seesLeads("UTEMP") {
			t.Error("UTEMP sees the lead after joining another group")
		}
	})
}

// TestTeamsTeamMembershipEvents: someone removed from the sales channel's
// team loses sight of leads at Teams' teamMemberRemoved, though whether
// they were a member was asked a moment before (the answer is kept 5
// minutes), and someone added sees them at teamMemberAdded. Another team's
// events leave the answer kept: the Bot Connector is not asked again.
func TestTeamsTeamMembershipEvents(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		e := newTeamsEnv(t, s, nil)
		e.install()
		e.bf.SetMembers(teamID, ritaID)
		id := e.newSQL("members")
		seesLead := func(user, name string) bool {
			t.Helper()
			res := e.invoke(user, name, map[string]any{"action": teams.VerbShowCard, "value": fmt.Sprint(id)})
			switch {
			case res.StatusCode == 200 && strings.Contains(res.raw, "Acme members"):
				return true
			case res.StatusCode != 403 || strings.Contains(res.raw, "Acme members"):
				t.Fatalf("card by id for %s = %s, want the card or a 403 without the lead", name, res.raw)
			}
			return false
		}
		if !seesLead(ritaID, "Rita") || seesLead(bobID, "Bob") {
			t.Fatal("before any event: want Rita to see the lead, Bob not")
		}
		e.bf.SetMembers(teamID, bobID)
		for _, a := range []map[string]any{e.team().MemberRemoved(ritaID), e.team().MemberAdded(bobID)} {
			if status, body := e.post(a, e.token()); status != 200 {
				t.Fatalf("%v: HTTP %d %s", a["membersRemoved"], status, body)
			}
		}
		if seesLead(ritaID, "Rita") {
			t.Error("Rita still sees the lead after leaving the sales team")
		}
		if !seesLead(bobID, "Bob") {
			t.Error("Bob does not see the lead after joining the sales team")
		}

		asked := func() int {
			n := 0
			for _, c := range e.bf.Calls() {
				if c.Op == "member" {
					n++
				}
			}
			return n
		}
		before := asked()
		other := e.team()
		other.ID, other.Name = "19:other@thread.tacv2", "Other Team"
		for _, a := range []map[string]any{other.MemberRemoved(bobID), other.MemberAdded(bobID)} {
			if status, body := e.post(a, e.token()); status != 200 {
				t.Fatalf("another team's event: HTTP %d %s", status, body)
			}
		}
		if !seesLead(bobID, "Bob") || asked() != before {
			t.Errorf("after another team's events: Bob sees the lead %v, the Bot Connector asked %d more times; want the kept answer, not asked", seesLead(bobID, "Bob"), asked()-before)
		}
	})
}
