package main

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/handoff/handoff/hubspot"
)

// The demo's HubSpot contacts carry hs_analytics_source as HubSpot sends
// it, one of its internal values, and each lead keeps the source HubSpot's
// reports name it by: the body the demo signs, read as the webhook reads it.
func TestDemoHubSpotSourcesAsHubSpotSendsThem(t *testing.T) {
	want := map[string]string{
		"hs-4101": "Organic Search", "4131": "Email Marketing", "4132": "Organic Search",
		"4133": "Paid Search", "4134": "Referrals", "4135": "Paid Social", "4136": "Organic Search",
	}
	leads, _, err := parseDemoScript(demoWeek)
	if err != nil {
		t.Fatal(err)
	}
	d := &demo{monday: time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC)}
	seen := 0
	for _, l := range leads {
		if !l.hubspot {
			continue
		}
		seen++
		body, err := json.Marshal(d.hubSpotContact(l))
		if err != nil {
			t.Fatal(err)
		}
		contacts, err := hubspot.Parse(body, d.at(l.day, l.at))
		if err != nil || len(contacts) != 1 {
			t.Fatalf("contact %s: %+v, %v", l.key, contacts, err)
		}
		if got := contacts[0].Input.Source; got != want[l.key] {
			t.Errorf("contact %s sends hs_analytics_source %q, kept as source %q; want %q", l.key, l.source, got, want[l.key])
		}
	}
	if seen != len(want) {
		t.Errorf("the demo sends %d contacts from HubSpot, want %d", seen, len(want))
	}
}
