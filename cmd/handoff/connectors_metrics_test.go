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
				`handoff_leads_received_total{source="paid social",stage="lead"} 1`,
				`handoff_leads_received_total{source="paid social",stage="sql"} 1`)
		})
	}
}

// A CRM's delivery refused for what it is counts in
// handoff_crm_deliveries_refused_total by crm and reason, which
// deploy/prometheus/alerts.yml watches: HubSpot does not send a 4xx again
// and Salesforce sends a fault again only to the same refusal, so a
// rotated secret or token loses every lead the CRM sends while the log
// alone says so. Each is sent as the CRM sends it, a HubSpot signature
// made with another secret, a Salesforce endpoint URL with another token;
// a database failure (retried, and stored then) is not counted.
func TestCRMRefusalsCountedInMetrics(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			vars := map[string]string{"DATABASE_URL": storagetest.URL(t, dialect), "HUBSPOT_CLIENT_SECRET": "hs-secret",
				"SALESFORCE_ORG_ID": e2eSalesforceOrg, "SALESFORCE_OUTBOUND_TOKEN": e2eSalesforceToken}
			srv := startServer(t, vars)
			srv.metricsContain(t, `handoff_crm_deliveries_refused_total{crm="hubspot",reason="auth"} 0`,
				`handoff_crm_deliveries_refused_total{crm="salesforce",reason="invalid"} 0`)

			if got := srv.hubspotPostStatus(t, "rotated-secret", `{"hs_object_id":"r-1","email":"ann@berg.dk"}`); got != 401 {
				t.Errorf("HubSpot signed with another secret = %d, want 401", got)
			}
			for _, body := range []string{`{"hs_object_id":"r-2","email":"not-an-email"}`, `vid=101`} {
				if got := srv.hubspotPostStatus(t, "hs-secret", body); got != 400 {
					t.Errorf("HubSpot %s = %d, want 400", body, got)
				}
			}
			srv.hubspotPost(t, "hs-secret", `{"hs_object_id":"r-3","email":"bo@berg.dk"}`)
			for _, tc := range []struct{ token, body string }{
				{"rotated-token", salesforceMessage("00Q5g00000A1b2cEAB", "2026-03-02T10:00:00.000Z", "ann@berg.dk", "Ann", "Berg", "Berg ApS")},
				{e2eSalesforceToken, "<not-soap/>"},
				{e2eSalesforceToken, salesforceMessage("00Q5g00000A1b2cEAB", "2026-03-02T10:00:00.000Z", "not-an-email", "Ann", "Berg", "Berg ApS")},
			} {
				if got, _ := srv.salesforcePostAnswer(t, tc.token, tc.body); got != 500 {
					t.Errorf("Salesforce %.40s… = %d, want 500 (a SOAP fault)", tc.body, got)
				}
			}
			srv.metricsContain(t,
				`handoff_crm_deliveries_refused_total{crm="hubspot",reason="auth"} 1`,
				`handoff_crm_deliveries_refused_total{crm="hubspot",reason="invalid"} 2`,
				`handoff_crm_deliveries_refused_total{crm="salesforce",reason="auth"} 1`,
				`handoff_crm_deliveries_refused_total{crm="salesforce",reason="invalid"} 2`)
		})
	}
}
