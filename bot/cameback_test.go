package bot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/internal/fixtures"
)

// A lead's earlier card, replaced by a new card when the lead came back
// as an SQL, says when it came back and points to its new card, in words
// that stay true once that card is claimed or closed (never "claim it"),
// keeps how it had left sales, and offers no button; an erased lead's
// shows nothing of the person, the reason included.
func TestEarlierCard(t *testing.T) {
	p := copenhagen(t)
	owner := handoff.Owner{Platform: "slack", UserID: "U0REP42"}
	back := func() *handoff.Lead { return fixtures.OwnedLead(p, handoff.StageSQL, owner) }
	tests := []struct {
		name    string
		lead    *handoff.Lead
		left    *handoff.Event
		want    []string
		notWant []string
	}{
		{"lost", back(), fixtures.Left(handoff.StageLost, handoff.HubSpotDeletedReason),
			[]string{"Came back: Acme A/S", "Came back as an SQL Mon 12:30*: see its new card in the sales channel.", "Lost", "deleted in HubSpot", "Closed Fri 14:05", "Ann Jensen"}, nil},
		{"recycled", back(), fixtures.Left(handoff.StageRecycled, "No budget <before> Q3"),
			[]string{"Back to marketing", "No budget &lt;before&gt; Q3", "Came back as an SQL Mon 12:30"}, []string{"<before>"}},
		{"won", back(), &handoff.Event{Kind: handoff.EventStage, Stage: handoff.StageWon, At: fixtures.Back.Add(-72 * time.Hour)},
			[]string{"Won", "Came back as an SQL"}, []string{"Reason"}},
		{"left unknown", back(), nil, []string{"Came back as an SQL Mon 12:30", "Ann Jensen"}, []string{"Closed", "Reason"}},
		{"erased", fixtures.Erased(back()), fixtures.Left(handoff.StageLost, "Chose Ann's rival"),
			[]string{"personal data was erased"}, []string{"Ann", "Acme", "rival", "Came back"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := bot.EarlierCard(tt.lead, tt.left, fixtures.Back, fixtures.Now, p)
			text := cardText(m)
			if len(m.Buttons) != 0 {
				t.Errorf("buttons %+v, want none: the lead is claimed from its new card", m.Buttons)
			}
			if strings.Contains(strings.ToLower(text), "claim") {
				t.Errorf("card says to claim the lead, which its new card may have been already: %s", text)
			}
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("card lacks %q: %s", w, text)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(text, w) {
					t.Errorf("card holds %q: %s", w, text)
				}
			}
		})
	}
}

// A lead's earlier card says how the lead had left sales as its closed
// card said it then, for each departure: the closed card's header word
// (with its mark) and its "Closed" line, of the departure's time.
func TestEarlierCardSaysTheDepartureAsItsClosedCardDid(t *testing.T) {
	p := copenhagen(t)
	owner := handoff.Owner{Platform: "slack", UserID: "U0REP42"}
	for _, st := range []handoff.Stage{handoff.StageWon, handoff.StageLost, handoff.StageRecycled} {
		t.Run(string(st), func(t *testing.T) {
			left := fixtures.Left(st, "No budget")
			closed := fixtures.OwnedLead(p, st, owner)
			closed.UpdatedAt = left.At
			was := bot.ClosedCard(closed, fixtures.Now, p)
			label, _, _ := strings.Cut(was.Header, ": ")
			m := bot.EarlierCard(fixtures.OwnedLead(p, handoff.StageSQL, owner), left, fixtures.Back, fixtures.Now, p)
			if text := cardText(m); !strings.Contains(text, "Was: "+label+"\n") {
				t.Errorf("earlier card does not say %q, as its closed card's header %q did: %s", "Was: "+label, was.Header, text)
			}
			if strings.Join(m.Context, "\n") != strings.Join(was.Context, "\n") {
				t.Errorf("earlier card's context %q, its closed card's %q", m.Context, was.Context)
			}
		})
	}
}

// cardText is every text of m, in its markup, one per line.
func cardText(m bot.Message) string {
	lines := []string{m.Summary, m.Header}
	for _, s := range m.Sections {
		lines = append(lines, s.Text)
		for _, f := range s.Fields {
			lines = append(lines, f.Key+": "+f.Value)
		}
	}
	return strings.Join(append(lines, m.Context...), "\n")
}
