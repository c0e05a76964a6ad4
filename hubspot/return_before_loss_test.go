package hubspot_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff/internal/testkit"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// A contact HubSpot sent back as an SQL (a signed chosen-properties body)
// after it had left sales (lifecycle stage "other": back to marketing, at
// 05:00), with a "Became a Sales Qualified Lead Date" before it left, is
// dated not before its departure: its new SQL is posted on a new card and
// its earlier card updated to say that it came back after it closed at
// 05:00, not at the minute it left, nor before: also when HubSpot's date
// falls before the earlier SQL itself, which once dated the return as that
// SQL and left its card as it was. Times are the default agreement's, UTC, on Friday 20 November.
func TestHubSpotReturnDatedBeforeItsDepartureComesBackAfterIt(t *testing.T) {
	sent := now.Add(-5 * time.Hour)                                                          // 04:00, the SQL's card
	left := now.Add(-4 * time.Hour)                                                          // 05:00, back to marketing
	back := now.Add(-time.Hour)                                                              // 08:00, sent back as an SQL
	for i, sqlDate := range []time.Time{now.Add(-270 * time.Minute), sent.Add(-time.Hour)} { // 04:30; 03:00, before the first SQL
		t.Run(sqlDate.Format("15:04"), func(t *testing.T) {
			id := 900 + i
			storagetest.Each(t, func(t *testing.T, s *storage.Store) {
				srv, post := clockedServer(t, s, sent)
				disp, fake := slackSales(t, s, srv)
				lead, first := sqlCard(t, s, disp, post, id, sent)
				srv.clock.Store(left.UnixMilli())
				post(fmt.Sprintf(`[{"eventId": %d, "subscriptionId": 45, "portalId": 62515, "appId": 7, "occurredAt": %d,
					"subscriptionType": "contact.propertyChange", "attemptNumber": 0, "objectId": %d, "changeSource": "CRM_UI",
					"propertyName": "lifecyclestage", "propertyValue": "other"}]`, 4000+id, left.UnixMilli(), id))
				testkit.Drain(t, disp)
				srv.clock.Store(back.UnixMilli())
				post(fmt.Sprintf(`{"hs_object_id": %d, "firstname": "Ann", "email": "c%d@berg.dk", "lifecyclestage": "salesqualifiedlead",
					"hs_lifecyclestage_salesqualifiedlead_date": %q, "hs_lastmodifieddate": %d}`,
					id, id, sqlDate.Format(time.RFC3339), back.Add(-time.Minute).UnixMilli()))
				testkit.Drain(t, disp)
				newCard(t, s, lead.ID, first)
				old := cardNow(t, fake, first.MessageID)
				for _, w := range []string{"Came back: ", "Back to marketing", "Closed Fri 05:00", "Came back as an SQL after it closed"} {
					if !strings.Contains(old, w) {
						t.Errorf("the first card lacks %q: %s", w, old)
					}
				}
			})
		})
	}
}
