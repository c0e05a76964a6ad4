package main

import (
	"testing"

	"github.com/handoff/handoff/storage/storagetest"
)

// A lead that HubSpot's workflow sends counts in
// handoff_leads_received_total by stage and source, as one posted to the
// API does: a marketer's panel of leads received per source, and an alert
// on their flow stopping, see every lead, not only the API's.
func TestHubSpotLeadsCountedInMetrics(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			vars := map[string]string{"DATABASE_URL": storagetest.URL(t, dialect), "HUBSPOT_CLIENT_SECRET": "hs-secret"}
			srv := startServer(t, vars)
			srv.hubspotPost(t, "hs-secret", `{"hs_object_id":"m-hs-1","firstname":"Ann","email":"ann@berg.dk",`+
				`"hs_analytics_source":"PAID_SOCIAL","lifecyclestage":"salesqualifiedlead"}`)
			srv.metricsContain(t,
				`handoff_leads_received_total{source="paid_social",stage="lead"} 1`,
				`handoff_leads_received_total{source="paid_social",stage="sql"} 1`)
		})
	}
}
