package hubspot_test

import (
	"encoding/csv"
	"fmt"
	"os"
	"slices"
	"testing"

	"github.com/handoff/handoff/hubspot"
)

// hs_analytics_source arrives as one of HubSpot's internal values, and
// the lead keeps the label HubSpot shows for it (what marketing reads in
// HubSpot's reports and exports with labels); any other value, a label
// already or a customized body's own, is kept as sent.
func TestAnalyticsSourceKeptAsHubSpotLabelsIt(t *testing.T) {
	for _, tc := range []struct{ sent, want string }{
		{"ORGANIC_SEARCH", "Organic Search"},
		{"PAID_SEARCH", "Paid Search"},
		{"EMAIL_MARKETING", "Email Marketing"},
		{"SOCIAL_MEDIA", "Organic Social"},
		{"REFERRALS", "Referrals"},
		{"OTHER_CAMPAIGNS", "Other Campaigns"},
		{"DIRECT_TRAFFIC", "Direct Traffic"},
		{"OFFLINE", "Offline Sources"},
		{"PAID_SOCIAL", "Paid Social"},
		{"AI_REFERRALS", "AI Referrals"},
		{" organic_search ", "Organic Search"},
		{"Organic Search", "Organic Search"},
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

// The labels are spelled as HubSpot's exports with labels spell them (the
// csvimport fixture is such an export), so that a lead of the webhook and
// one of an imported export share one source in /funnel.
func TestAnalyticsSourceLabelsMatchHubSpotsExport(t *testing.T) {
	labels := map[string]bool{}
	for _, v := range []string{"ORGANIC_SEARCH", "PAID_SEARCH", "EMAIL_MARKETING", "SOCIAL_MEDIA", "REFERRALS",
		"OTHER_CAMPAIGNS", "DIRECT_TRAFFIC", "OFFLINE", "PAID_SOCIAL", "AI_REFERRALS"} {
		body := fmt.Sprintf(`{"hs_object_id": 101, "email": "ann@berg.dk", "hs_analytics_source": %q}`, v)
		contacts, err := hubspot.Parse([]byte(body), now)
		if err != nil || len(contacts) != 1 {
			t.Fatalf("Parse = %+v, %v", contacts, err)
		}
		labels[contacts[0].Input.Source] = true
	}
	f, err := os.Open("../csvimport/testdata/hubspot_contacts_labels.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := slices.Index(rows[0], "Original Source")
	if col < 0 || len(rows) < 2 {
		t.Fatalf("export has no Original Source column or no rows: %q", rows[0])
	}
	for _, row := range rows[1:] {
		if !labels[row[col]] {
			t.Errorf("the export's source %q is no label the webhook keeps (%v)", row[col], labels)
		}
	}
}
