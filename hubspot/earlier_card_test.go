package hubspot_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/internal/testkit"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// The card of an SQL whose contact HubSpot deleted, updated through
// Slack's chat.update when the lead comes back as an SQL, says how it had
// left and when, as its history dates it, whatever order HubSpot's
// deliveries took: a deletion delivered two hours late shows when HubSpot
// deleted the contact, not when Handoff heard of it; a contact sent again
// after its deletion, its SQL dated by HubSpot before the deletion (the
// stage's "Became a Sales Qualified Lead Date"), still names the deletion
// it followed, its return dated not before it (at the deletion's time):
// the card says that it came back after it closed, not at that minute.
// Times are the default agreement's, UTC, on Friday 20 November.
func TestHubSpotEarlierCardSaysTheDepartureItsHistoryHolds(t *testing.T) {
	sent := now.Add(-5 * time.Hour)                                // 04:00, the SQL's card
	deleted, heard := now.Add(-4*time.Hour), now.Add(-2*time.Hour) // 05:00, heard at 07:00
	back := now.Add(-time.Hour)                                    // 08:00
	type delivery struct {
		at   time.Time
		body string
	}
	tests := []struct {
		name       string
		deliveries func(id int) []delivery // after the SQL, sent at sent
		want       []string
		notWant    []string
	}{
		{"deletion heard late, then restored", func(id int) []delivery {
			return []delivery{
				{heard, "[" + contactEvent("contact.deletion", id, deleted) + "]"},
				{back, "[" + contactEvent("contact.restore", id, back) + "]"},
			}
		}, []string{"Closed Fri 05:00", "Came back as an SQL Fri 08:00"}, []string{"07:00"}},
		{"sent again, its SQL dated before its deletion", func(id int) []delivery {
			return []delivery{
				{deleted, "[" + contactEvent("contact.deletion", id, deleted) + "]"},
				{back, fmt.Sprintf(`{"hs_object_id": %d, "firstname": "Ann", "email": "c%d@berg.dk", "lifecyclestage": "salesqualifiedlead",
					"hs_lifecyclestage_salesqualifiedlead_date": %q, "hs_lastmodifieddate": %d}`,
					id, id, sent.Add(-time.Minute).Format(time.RFC3339), back.Add(-time.Minute).UnixMilli())},
			}
		}, []string{"Closed Fri 05:00", "Came back as an SQL after it closed"}, []string{"04:00", "SQL Fri"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := 890 + i
			storagetest.Each(t, func(t *testing.T, s *storage.Store) {
				srv, post := clockedServer(t, s, sent)
				disp, fake := slackSales(t, s, srv)
				lead, first := sqlCard(t, s, disp, post, id, sent.Add(-time.Minute))
				for _, d := range tt.deliveries(id) {
					srv.clock.Store(d.at.UnixMilli())
					post(d.body)
					testkit.Drain(t, disp)
				}
				newCard(t, s, lead.ID, first)
				old := cardNow(t, fake, first.MessageID)
				want := append([]string{"Came back: ", handoff.HubSpotDeletedReason, "Lost"}, tt.want...)
				for _, w := range want {
					if !strings.Contains(old, w) {
						t.Errorf("the first card lacks %q: %s", w, old)
					}
				}
				for _, w := range tt.notWant {
					if strings.Contains(old, w) {
						t.Errorf("the first card holds %q: %s", w, old)
					}
				}
			})
		})
	}
}
