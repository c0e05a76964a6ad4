package slack

import (
	"context"
	"fmt"

	slackapi "github.com/slack-go/slack"

	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/report"
)

// HomeCallbackID is the callback id of the App Home view.
const HomeCallbackID = "handoff_home"

// maxViewBlocks is Slack's limit of blocks in one view.
const maxViewBlocks = 100

// RenderHome renders a user's home as the App Home tab: the week, a
// divider, each open lead as a line with its card's buttons (block ids
// prefixed lead_<n>_ so they stay unique), and for managers the team's open
// breaches. Tables are preformatted text, which every surface shows. The
// view keeps to Slack's 100 blocks: it shows as many whole leads, the
// most urgent first, as fit beside the week and the breaches, and a line saying how
// many it leaves out (bot.Home.LeadsLeftOut), as it does when the home
// read only the most urgent of the user's leads.
func RenderHome(h bot.Home) slackapi.HomeTabViewRequest { return renderHome(h, report.Options{}) }

// renderHome is RenderHome with the users of its text tables written by
// names.
func renderHome(h bot.Home, names report.Options) slackapi.HomeTabViewRequest {
	week := renderBlocks(h.Week, false, "week_", names, 0)
	var team []slackapi.Block
	if h.Breaches != nil {
		team = append([]slackapi.Block{slackapi.NewDividerBlock()}, renderBlocks(*h.Breaches, false, "team_", names, 0)...)
	}
	budget := maxViewBlocks - len(week) - 1 - len(team) // the divider under the week
	leads, shown := []slackapi.Block{}, 0
	for i, l := range h.Leads {
		b := renderBlocks(l, false, fmt.Sprintf("lead_%d_", i), names, 0)
		room := budget - len(leads) - len(b)
		if i < len(h.Leads)-1 || h.LeadsLeftOut(i+1) != "" {
			room-- // for the line saying how many are left out
		}
		if room < 0 {
			break
		}
		leads = append(leads, b...)
		shown++
	}
	if more := h.LeadsLeftOut(shown); more != "" {
		leads = append(leads, slackapi.NewContextBlock("leads_more", mrkdwn(bot.Cut(more, maxSectionText))))
	}
	blocks := append(append(append(week, slackapi.NewDividerBlock()), leads...), team...)
	return slackapi.HomeTabViewRequest{Type: slackapi.VTHomeTab, CallbackID: HomeCallbackID,
		Blocks: slackapi.Blocks{BlockSet: blocks[:min(len(blocks), maxViewBlocks)]}}
}

// PublishHome shows h as userID's App Home tab (views.publish; no scope
// needed), its tables' Slack users by name (users.info, users:read).
func (p *Platform) PublishHome(ctx context.Context, userID string, h bot.Home) error {
	msgs := append([]bot.Message{h.Week}, h.Leads...)
	if h.Breaches != nil {
		msgs = append(msgs, *h.Breaches)
	}
	view := renderHome(h, p.names.options(ctx, msgs...))
	_, err := p.api.PublishViewContext(ctx, slackapi.PublishViewContextRequest{UserID: userID, View: view})
	return classify("views.publish", err)
}

var _ bot.HomePublisher = (*Platform)(nil)
