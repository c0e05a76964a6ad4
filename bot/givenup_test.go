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

// TestGivenUpCardSaysHowTheCardGetsPosted: a card the channel itself
// refused is posted by itself once the app is back, and the note says how
// to bring it back on that platform; a card given up for another reason
// waits for an admin's handoff outbox retry.
func TestGivenUpCardSaysHowTheCardGetsPosted(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 20, 0, 0, time.UTC)
	p := copenhagen(t)
	for _, tt := range []struct {
		name     string
		notice   handoff.GivenUpNotice
		want     string
		wantNone string
	}{
		{"refused by a Slack channel", handoff.GivenUpNotice{Platform: "slack", Cause: "not_in_channel", Refused: true},
			"The card is posted by itself, and this note says so, once the app is back in the channel (/invite @Handoff there, or unarchive it).", "outbox retry"},
		{"refused by a Teams channel", handoff.GivenUpNotice{Platform: "teams", Cause: "BotNotInConversationRoster", Refused: true},
			"once the app is back in the channel (add Handoff to the team again, or restore the channel)", "outbox retry"},
		{"given up for another reason", handoff.GivenUpNotice{Platform: "slack", Cause: "invalid_blocks"},
			"an admin posts the card with handoff outbox retry", "by itself"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := bot.GivenUpCard(sqlLead(p, now), tt.notice, now, p)
			context := strings.Join(m.Context, " ")
			if !strings.Contains(context, tt.want) || strings.Contains(context, tt.wantNone) || !strings.Contains(context, "Reassign") {
				t.Fatalf("context %q\nwant %q and Reassign, not %q", context, tt.want, tt.wantNone)
			}
		})
	}
}
