package bot_test

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
)

// TestGivenUpCardQuotesThePlatformsAnswer: the managers' note on a card
// given up quotes the platform's answer whole when short, and keeps the
// end of a long one, where the platform's code and what to do about it
// come, not the outbox's context before them.
func TestGivenUpCardQuotesThePlatformsAnswer(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 20, 0, 0, time.UTC)
	p := copenhagen(t)
	teams := "post lead 23 to teams 19:3a5f0c2e9b7d4c1e8f6a2b0d9c7e5f3a@thread.tacv2: " +
		"teams POST v3/conversations/19%3A3a5f0c2e9b7d4c1e8f6a2b0d9c7e5f3a%40thread.tacv2/activities: " +
		"HTTP 403 BotNotInConversationRoster: The bot is not part of the conversation roster. " +
		"(the app is not in that team or chat (removed or uninstalled): add Handoff to the team again)"
	tests := []struct {
		name, cause, want string
	}{
		{"short, whole", "post lead 23 to slack CSALES: slack chat.postMessage: not_in_channel",
			"The platform said: " + bot.Escape("post lead 23 to slack CSALES: slack chat.postMessage: not_in_channel")},
		{"long, its end", teams, "The platform said: " + bot.Escape("…"+string([]rune(teams)[utf8.RuneCountInString(teams)-199:]))},
		{"none", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := bot.GivenUpCard(sqlLead(p, now), handoff.GivenUpNotice{Platform: "teams", Cause: tt.cause}, now, p)
			var said string
			for _, s := range m.Sections {
				if strings.HasPrefix(s.Text, "The platform said: ") {
					said = s.Text
				}
			}
			if said != tt.want {
				t.Fatalf("said %q\nwant %q", said, tt.want)
			}
			if tt.cause == teams && !strings.Contains(said, "HTTP 403 BotNotInConversationRoster") {
				t.Errorf("said %q: lost the platform's code", said)
			}
		})
	}
}
