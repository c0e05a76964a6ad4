package slack_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	slackbot "github.com/handoff/handoff/bot/slack"
	"github.com/handoff/handoff/internal/fixtures"
)

// TestCrossPlatformOwner: a lead claimed in Teams shows its owner in Slack
// by email, never as a broken Slack mention; a Slack owner is a mention.
func TestCrossPlatformOwner(t *testing.T) {
	p := fixtures.Policy(t)
	tests := []struct {
		owner   handoff.Owner
		want    string
		mustNot string
	}{
		{handoff.Owner{Platform: "teams", UserID: "29:1abc", Email: "rita@acme.dk"}, "rita@acme.dk", "<@29:1abc>"},
		{handoff.Owner{Platform: "teams", UserID: "29:1abc"}, "a Teams user", "<@29:1abc>"},
		{handoff.Owner{Platform: "slack", UserID: "U42", Email: "ann@acme.dk"}, "<@U42>", "slack:"},
	}
	for _, tc := range tests {
		l := lead(p, handoff.StageClaimed)
		l.Owner = tc.owner
		var buf strings.Builder
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(slackbot.RenderBlocks(bot.LeadCard(l, time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC), p))); err != nil {
			t.Fatal(err)
		}
		b := buf.String()
		if !strings.Contains(b, tc.want) || strings.Contains(b, tc.mustNot) {
			t.Errorf("owner %+v: blocks %s; want %q and no %q", tc.owner, b, tc.want, tc.mustNot)
		}
	}
}
