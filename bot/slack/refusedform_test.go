package slack_test

import (
	"testing"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	slackbot "github.com/handoff/handoff/bot/slack"
	"github.com/handoff/handoff/internal/fixtures"
)

// TestRenderRefusedFormGolden shows the views that take a refused form's
// place when Slack sent none of its inputs: the refusal, as the private
// notices show it (markup dropped, a mention by its label), and that
// nothing was saved, under the form's title, with only a Close button.
func TestRenderRefusedFormGolden(t *testing.T) {
	p := fixtures.Policy(t)
	ended := handoff.Errorf(handoff.ECONFLICT, "The offer of %s to you has ended.", bot.LeadRef(lead(p, handoff.StageSQL)))
	tests := []struct {
		name, title string
		notice      bot.Message
	}{
		{"refused_form_offer_ended", "Pass", bot.ErrorNotice(ended)},
		{"refused_form_role_unknown", "", bot.Notice(slackbot.RoleUnknown)},
		{"refused_form_hostile_owner_only", "A title far longer than Slack allows", bot.ErrorNotice(bot.OwnerOnly(hostileLead(p, handoff.StageClaimed)))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			golden(t, tt.name, slackbot.RenderRefusedForm(tt.title, bot.FormRefused(tt.notice)))
		})
	}
}
