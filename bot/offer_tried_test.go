package bot_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
)

// TestOpenCardBoundsTheOffersItLists: the card of a lead open to everyone
// says who was offered it and how each offer ended, with their reasons; an
// agreement of many offer rounds made that line as long as the rounds
// (each reason up to 500 characters). It lists the first five, then how
// many more, on Slack and Teams alike (both render this line).
func TestOpenCardBoundsTheOffersItLists(t *testing.T) {
	now := time.Date(2026, 11, 23, 11, 45, 0, 0, time.UTC)
	for _, tt := range []struct {
		tried      int
		wantListed int
		wantMore   string
	}{
		{1, 1, ""},
		{5, 5, ""},
		{6, 5, "…and 1 more."},
		{40, 5, "…and 35 more."},
	} {
		t.Run(fmt.Sprint(tt.tried), func(t *testing.T) {
			l := &handoff.Lead{ID: 42, ExternalID: "hs-42", Company: "Acme", Stage: handoff.StageSQL,
				Offer: &handoff.Offer{State: handoff.OfferOpen, Seq: tt.tried + 1}}
			for i := range tt.tried {
				l.Offer.Tried = append(l.Offer.Tried, handoff.TriedOffer{Rep: handoff.RepRef{Platform: "slack", ID: fmt.Sprintf("UREP%d", i)},
					Ending: handoff.SkipPassed, Reason: strings.Repeat("busy ", 100)})
			}
			var line string
			for _, s := range bot.NewLeadCard(l, now, handoff.DefaultPolicy()).Sections {
				if strings.HasPrefix(s.Text, "📣 Open to everyone") {
					line = s.Text
				}
			}
			if got := strings.Count(line, "passed"); got != tt.wantListed {
				t.Errorf("the card lists %d of %d offers, want %d: %.200q", got, tt.tried, tt.wantListed, line)
			}
			if tt.wantMore != "" && !strings.HasSuffix(line, tt.wantMore) || tt.wantMore == "" && strings.Contains(line, "more") {
				t.Errorf("the line ends %q, want %q", line[max(0, len(line)-40):], tt.wantMore)
			}
		})
	}
}
