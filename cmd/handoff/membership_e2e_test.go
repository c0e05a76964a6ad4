package main

import (
	"strings"
	"testing"

	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/bot/teams/teamstest"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestMembershipEventsEndToEnd runs handoff serve on Slack and Teams: a rep
// removed from the Slack sales channel, and a manager from the managers'
// user group, are refused /leads at Slack's member_left_channel and
// subteam_members_changed, though the lists read a moment before named
// them; the bot removed from the Slack sales channel, the Slack managers'
// channel archived, the Teams managers' channel deleted and the app removed
// from the Teams team each count in handoff_chat_channel_lost_total, which
// the alert HandoffChannelLost reads.
func TestMembershipEventsEndToEnd(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			bf := teamstest.New(t)
			slack := slacktest.New(e2eToken)
			defer slack.Close()
			slack.SetMembers(e2eSales, "UANN")
			slack.SetGroup("S0MANAGERS", "UBOSS01")
			vars := slackAndTeamsVars(t, dialect, bf, slack)
			vars["SLACK_MANAGER_GROUP"] = "S0MANAGERS"
			e := startTeams(t, bf, vars)
			e.install()
			e.srv.postLead(t, `{"external_id":"mem-1","name":"Ann Berg","company":"Bergström ApS","score":80}`)
			leads := func(user string) string {
				return e.srv.slackSend(t, "/slack/commands", slacktest.CommandBody(user, e2eSales, "/leads", "open", slack.ResponseURL("leads")))
			}
			for _, user := range []string{"UANN", "UBOSS01"} {
				if answer := leads(user); !strings.Contains(answer, "Bergström") {
					t.Fatalf("/leads open by %s, a member of the sales channel or a manager = %s", user, answer)
				}
			}
			slack.SetMembers(e2eSales)
			slack.SetGroup("S0MANAGERS")
			e.srv.slackSend(t, "/slack/events", slacktest.ChannelEvent("EvE2ELeft", "member_left_channel", "UANN", e2eSales))
			e.srv.slackSend(t, "/slack/events", slacktest.GroupEvent("EvE2EGroup", "S0MANAGERS", nil, []string{"UBOSS01"}))
			for _, user := range []string{"UANN", "UBOSS01"} {
				if answer := leads(user); strings.Contains(answer, "Bergström") || !strings.Contains(answer, "only for members of the sales channel") {
					t.Fatalf("/leads open by %s after leaving the sales channel or the managers' group = %s", user, answer)
				}
			}

			e.srv.slackSend(t, "/slack/events", slacktest.ChannelEvent("EvE2EBot", "member_left_channel", slacktest.BotUserID, e2eSales))
			e.srv.slackSend(t, "/slack/events", slacktest.ChannelEvent("EvE2EArchive", "channel_archive", "UANN", e2eManager))
			for _, a := range []map[string]any{e.team().ChannelDeleted(teamsManagerID, "Managers"), e.team().Removed()} {
				if status, body := e.post(a, e.token()); status != 200 {
					t.Fatalf("%v: HTTP %d %s", a["channelData"], status, body)
				}
			}
			e.srv.metricsContain(t, `handoff_chat_channel_lost_total{platform="slack"} 2`, `handoff_chat_channel_lost_total{platform="teams"} 2`)
		})
	}
}
