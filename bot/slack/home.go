package slack

import (
	"context"
	"fmt"

	slackapi "github.com/slack-go/slack"

	"github.com/handoff/handoff/bot"
)

// HomeCallbackID is the callback id of the App Home view.
const HomeCallbackID = "handoff_home"

// maxViewBlocks is Slack's limit of blocks in one view.
const maxViewBlocks = 100

// RenderHome renders a user's home as the App Home tab: the week, a
// divider, each open lead as a line with its card's buttons (block ids
// prefixed lead_<n>_ so they stay unique), and for managers the team's open
// breaches. Tables are preformatted text, which every surface shows; the
// view is cut to Slack's 100 blocks.
func RenderHome(h bot.Home) slackapi.HomeTabViewRequest {
	blocks := renderBlocks(h.Week, false, "week_")
	blocks = append(blocks, slackapi.NewDividerBlock())
	for i, l := range h.Leads {
		blocks = append(blocks, renderBlocks(l, false, fmt.Sprintf("lead_%d_", i))...)
	}
	if h.Breaches != nil {
		blocks = append(blocks, slackapi.NewDividerBlock())
		blocks = append(blocks, renderBlocks(*h.Breaches, false, "team_")...)
	}
	return slackapi.HomeTabViewRequest{Type: slackapi.VTHomeTab, CallbackID: HomeCallbackID,
		Blocks: slackapi.Blocks{BlockSet: blocks[:min(len(blocks), maxViewBlocks)]}}
}

// PublishHome shows h as userID's App Home tab (views.publish; no scope
// needed).
func (p *Platform) PublishHome(ctx context.Context, userID string, h bot.Home) error {
	_, err := p.api.PublishViewContext(ctx, slackapi.PublishViewContextRequest{UserID: userID, View: RenderHome(h)})
	return classify("views.publish", err)
}

var _ bot.HomePublisher = (*Platform)(nil)
