package hubspot_test

import (
	"fmt"
	"testing"

	"github.com/handoff/handoff/hubspot"
)

// hs_analytics_source arrives as one of HubSpot's internal values, and
// the lead keeps the label HubSpot shows for it (what marketing reads in
// HubSpot's reports and exports with labels); any other value, a label
// already or a customized body's own, is kept as sent.
func TestAnalyticsSourceKeptAsHubSpotLabelsIt(t *testing.T) {
	for _, tc := range []struct{ sent, want string }{
		{"ORGANIC_SEARCH", "Organic search"},
		{"PAID_SEARCH", "Paid search"},
		{"EMAIL_MARKETING", "Email marketing"},
		{"SOCIAL_MEDIA", "Organic social"},
		{"REFERRALS", "Referrals"},
		{"OTHER_CAMPAIGNS", "Other campaigns"},
		{"DIRECT_TRAFFIC", "Direct traffic"},
		{"OFFLINE", "Offline sources"},
		{"PAID_SOCIAL", "Paid social"},
		{"AI_REFERRALS", "AI referrals"},
		{" organic_search ", "Organic search"},
		{"Organic search", "Organic search"},
		{"webinar", "webinar"},
	} {
		t.Run(tc.sent, func(t *testing.T) {
			body := fmt.Sprintf(`{"hs_object_id": 101, "email": "ann@berg.dk", "hs_analytics_source": %q}`, tc.sent)
			contacts, err := hubspot.Parse([]byte(body), now)
			if err != nil || len(contacts) != 1 {
				t.Fatalf("Parse = %+v, %v", contacts, err)
			}
			if got := contacts[0].Input.Source; got != tc.want {
				t.Errorf("source %q kept as %q, want %q", tc.sent, got, tc.want)
			}
		})
	}
}
