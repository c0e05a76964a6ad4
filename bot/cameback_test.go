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
			m := bot.EarlierCard(tt.lead, bot.Earlier{Left: tt.left}, fixtures.Back, fixtures.Now, p)
			text := cardText(m)
			if len(m.Buttons) != 0 {
				t.Errorf("buttons %+v, want none: the lead is claimed from its new card", m.Buttons)
			}
			if strings.Contains(strings.ToLower(text), "claim") {
				t.Errorf("card says to claim the lead, which its new card may have been already: %s", text)
			}
			cardHolds(t, text, tt.want, tt.notWant)
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
			closed.StageAt = &left.At // updated since (fixtures.OwnedLead's UpdatedAt)
			was := bot.ClosedCard(closed, fixtures.Now, p)
			label, _, _ := strings.Cut(was.Header, ": ")
			m := bot.EarlierCard(fixtures.OwnedLead(p, handoff.StageSQL, owner), bot.Earlier{Left: left, Owner: owner}, fixtures.Back, fixtures.Now, p)
			if text := cardText(m); !strings.Contains(text, "Was: "+label+"\n") {
				t.Errorf("earlier card does not say %q, as its closed card's header %q did: %s", "Was: "+label, was.Header, text)
			}
			if strings.Join(m.Context, "\n") != strings.Join(was.Context, "\n") {
				t.Errorf("earlier card's context %q, its closed card's %q", m.Context, was.Context)
			}
			// Who held it, in the closed card's words for that departure.
			for _, f := range was.Sections[1].Fields {
				if f.Value == bot.OwnerRef(owner) && !strings.Contains(cardText(m), f.Key+": "+f.Value+"\n") {
					t.Errorf("earlier card does not say %q, as its closed card did: %s", f.Key+": "+f.Value, cardText(m))
				}
			}
		})
	}
}

// An earlier card's "Closed" line is the time its history gives the
// departure, the CRM's for a CRM's change, also one delivered hours late,
// and not when Handoff heard of it: the card's return is dated by its CRM
// too, and the time heard would put a late loss after a return made
// later. A departure its CRM dated after the return (events out of
// order) shows its own time, and that it came back after it closed.
func TestEarlierCardClosedWhenItsHistorySays(t *testing.T) {
	left := func(received string, after time.Duration) *handoff.Event {
		e := fixtures.Left(handoff.StageLost, "Chose a rival")
		if received != "" {
			e.Details["received"] = received
		}
		if after != 0 {
			e.At = fixtures.Back.Add(after)
		}
		return e
	}
	earlierCardsHold(t, []earlierCase{
		{"in chat", left("", 0), []string{"Closed Fri 14:05"}, nil},
		{"a CRM's, heard three hours late", left("2026-11-20T16:10:00Z", 0), []string{"Closed Fri 14:05"}, []string{"17:10"}},
		{"a CRM's, dated after the return", left("", 10*time.Minute), []string{"Closed Mon 12:40", "Came back as an SQL after it closed"}, []string{"12:30"}},
	})
}

// earlierCase is the earlier card of the fixture lead, back at
// fixtures.Back, that left by left: what it says and what it must not.
type earlierCase struct {
	name    string
	left    *handoff.Event
	want    []string
	notWant []string
}

// earlierCardsHold checks each case's earlier card, the lead owned by a
// Slack rep, in Copenhagen's time.
func earlierCardsHold(t *testing.T, cases []earlierCase) {
	t.Helper()
	p := copenhagen(t)
	owner := handoff.Owner{Platform: "slack", UserID: "U0REP42"}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			m := bot.EarlierCard(fixtures.OwnedLead(p, handoff.StageSQL, owner), bot.Earlier{Left: tt.left, Owner: owner}, fixtures.Back, fixtures.Now, p)
			cardHolds(t, cardText(m), tt.want, tt.notWant)
		})
	}
}

// An earlier card says when the lead came back only when its return is
// dated after its departure: a return dated at the departure (one its
// sender dated before it, which Handoff dates at it) or before it (stored
// so before Handoff did) says that it came back after it closed, the
// "Closed" line giving that time, rather than a return the minute it
// closed, or before. A return after the departure, by seconds too, or
// with no departure known, keeps its time.
func TestEarlierCardCameBackAfterItClosed(t *testing.T) {
	leftAt := func(d time.Duration) *handoff.Event {
		e := fixtures.Left(handoff.StageLost, "Chose a rival")
		e.At = fixtures.Back.Add(d)
		return e
	}
	earlierCardsHold(t, []earlierCase{
		{"dated at the departure", leftAt(0), []string{"Came back as an SQL after it closed*: see its new card", "Closed Mon 12:30"}, []string{"SQL Mon"}},
		{"dated before the departure", leftAt(10 * time.Minute), []string{"Came back as an SQL after it closed*", "Closed Mon 12:40"}, []string{"12:30"}},
		{"twenty seconds after the departure", leftAt(-20 * time.Second), []string{"Came back as an SQL Mon 12:30*", "Closed Mon 12:29"}, []string{"after it closed"}},
		{"after the departure", leftAt(-72 * time.Hour), []string{"Came back as an SQL Mon 12:30*", "Closed Fri 12:30"}, []string{"after it closed"}},
		{"no departure known", nil, []string{"Came back as an SQL Mon 12:30*"}, []string{"after it closed", "Closed"}},
	})
}

// cardHolds fails the test unless card text holds each of want and none
// of notWant.
func cardHolds(t *testing.T, text string, want, notWant []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("card lacks %q: %s", w, text)
		}
	}
	for _, w := range notWant {
		if strings.Contains(text, w) {
			t.Errorf("card holds %q: %s", w, text)
		}
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

// An earlier card says who held the lead and the deal's amount, in its
// closed card's words, only where the lead has them: no owner field for a
// lead nobody claimed, no amount for a lead without one; a win's amount is
// the one the win recorded. Nothing of them shows for an erased lead.
func TestEarlierCardOwnerAndAmount(t *testing.T) {
	p := copenhagen(t)
	owner := handoff.Owner{Platform: "slack", UserID: "U0REP42"}
	withAmount := func(minor int64) *handoff.Lead {
		l := fixtures.OwnedLead(p, handoff.StageSQL, owner)
		l.AmountMinor = minor
		return l
	}
	tests := []struct {
		name    string
		lead    *handoff.Lead
		e       bot.Earlier
		want    []string
		notWant []string
	}{
		{"lost by its owner", withAmount(0), bot.Earlier{Left: fixtures.Left(handoff.StageLost, "Chose a competitor"), Owner: owner},
			[]string{"Owner: <@slack:U0REP42|a Slack user>"}, []string{"Amount"}},
		{"won, for the win's amount", withAmount(900_00), bot.Earlier{Left: fixtures.LeftWon(4_000_000), Owner: owner},
			[]string{"Won by: <@slack:U0REP42|a Slack user>", "Amount: DKK 40,000"}, []string{"900"}},
		{"won without an amount recorded, the lead's", withAmount(2_500_000), bot.Earlier{Left: fixtures.Left(handoff.StageWon, ""), Owner: owner},
			[]string{"Won by:", "Amount: DKK 25,000"}, nil},
		{"back to marketing, worked by its owner", withAmount(0), bot.Earlier{Left: fixtures.Left(handoff.StageRecycled, "No budget"), Owner: owner},
			[]string{"Worked by: <@slack:U0REP42|a Slack user>"}, []string{"Owner:", "Amount"}},
		{"not a fit before anyone claimed it", withAmount(0), bot.Earlier{Left: fixtures.Left(handoff.StageRecycled, "Not a fit")},
			[]string{"Reason: Not a fit"}, []string{"Worked by", "Owner", "nobody", "Amount"}},
		{"lost with a CRM's deal value", withAmount(1_200_000), bot.Earlier{Left: fixtures.Left(handoff.StageLost, "Timing"), Owner: owner},
			[]string{"Owner:", "Amount: DKK 12,000"}, nil},
		{"left unknown, its owner known", withAmount(0), bot.Earlier{Owner: owner},
			[]string{"Owner: <@slack:U0REP42|a Slack user>"}, []string{"Was:", "Closed"}},
		{"erased", fixtures.Erased(withAmount(4_000_000)), bot.Earlier{Left: fixtures.LeftWon(4_000_000), Owner: owner, NewCard: fixtures.NewCardURL},
			[]string{"personal data was erased"}, []string{"U0REP42", "40,000", "Won", "teams.microsoft.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := bot.EarlierCard(tt.lead, tt.e, fixtures.Back, fixtures.Now, p)
			text := cardText(m)
			for _, s := range m.Sections {
				if s.Link != nil {
					text += "\n" + s.Link.URL
				}
			}
			cardHolds(t, text, tt.want, tt.notWant)
		})
	}
}

// The words that point to the new card link to it when its URL is known;
// without it, or for an erased lead, no section links anywhere.
func TestEarlierCardLinksToTheNewCard(t *testing.T) {
	p := copenhagen(t)
	owner := handoff.Owner{Platform: "slack", UserID: "U0REP42"}
	left := fixtures.Left(handoff.StageLost, "Timing")
	for _, tt := range []struct {
		name string
		lead *handoff.Lead
		url  string
		want string // the link's URL, "" for none
	}{
		{"new card known", fixtures.OwnedLead(p, handoff.StageSQL, owner), fixtures.NewCardURL, fixtures.NewCardURL},
		{"new card not known", fixtures.OwnedLead(p, handoff.StageSQL, owner), "", ""},
		{"erased", fixtures.Erased(fixtures.OwnedLead(p, handoff.StageSQL, owner)), fixtures.NewCardURL, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := bot.EarlierCard(tt.lead, bot.Earlier{Left: left, Owner: owner, NewCard: tt.url}, fixtures.Back, fixtures.Now, p)
			got := ""
			for _, s := range m.Sections {
				if s.Link == nil {
					continue
				}
				got = s.Link.URL
				if before, words, _, ok := bot.LinkIn(s.Text, s.Link); !ok || words != bot.NewCardWords || !strings.Contains(before, "Came back as an SQL Mon 12:30") {
					t.Errorf("link %+v in %q; want %q linked after the return's time", s.Link, s.Text, bot.NewCardWords)
				}
			}
			if got != tt.want {
				t.Errorf("link to %q, want %q", got, tt.want)
			}
		})
	}
}
