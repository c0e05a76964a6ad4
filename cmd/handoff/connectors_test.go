package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff/internal/webhooktest"
	"github.com/handoff/handoff/storage/storagetest"
)

const testWebhookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

func writeAgreement(t *testing.T, urls ...string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("webhooks:\n")
	for _, u := range urls {
		b.WriteString("  - url: " + u + "\n    events: [\"*\"]\n")
	}
	return agreementFile(t, b.String())
}

func TestWebhooksTestCommand(t *testing.T) {
	ok := webhooktest.New(t, testWebhookSecret, time.Now)
	broken := webhooktest.New(t, testWebhookSecret, time.Now, 500)
	vars := map[string]string{"HANDOFF_WEBHOOK_SECRET": testWebhookSecret, "HANDOFF_CONFIG": writeAgreement(t, ok.URL+"/in")}
	e, out, errOut := testEnv(vars, "webhooks", "test")
	if code := run(context.Background(), e); code != 0 || !strings.Contains(out.String(), "HTTP 204") {
		t.Fatalf("exit %d: %s%s", code, out, errOut)
	}
	if got, bad, _ := ok.Got(); len(got) != 1 || bad != 0 || got[0].Body["type"] != "webhook.test" {
		t.Fatalf("receiver got %v (%d bad signatures)", got, bad)
	}
	vars["HANDOFF_CONFIG"] = writeAgreement(t, ok.URL+"/in", broken.URL+"/in")
	e, out, errOut = testEnv(vars, "webhooks", "test")
	if code := run(context.Background(), e); code != 1 || !strings.Contains(out.String(), "HTTP 500") || !strings.Contains(errOut.String(), "1 of 2 endpoints") {
		t.Fatalf("exit %d: %s%s", code, out, errOut)
	}
}

// A contact sent by a HubSpot workflow reaches the real server, and its
// announcement reaches the agreement's webhook endpoint, signed; one from
// another HubSpot account (HUBSPOT_PORTAL_ID) is refused.
func TestHubSpotToWebhookEndToEnd(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			rcv := webhooktest.New(t, testWebhookSecret, time.Now)
			vars := map[string]string{"DATABASE_URL": storagetest.URL(t, dialect), "HUBSPOT_CLIENT_SECRET": "hs-secret",
				"HUBSPOT_PORTAL_ID": "62515", "HANDOFF_WEBHOOK_SECRET": testWebhookSecret, "HANDOFF_CONFIG": writeAgreement(t, rcv.URL+"/in")}
			srv := startServer(t, vars)
			foreign := `{"portalId":99999,"hs_object_id":"e2e-hs-0","email":"eve@other.dk","lifecyclestage":"salesqualifiedlead"}`
			if status := srv.hubspotPostStatus(t, "hs-secret", foreign); status != 400 {
				t.Fatalf("another account's contact: %d, want 400", status)
			}
			srv.hubspotPost(t, "hs-secret", `{"hs_object_id":"e2e-hs-1","firstname":"Ann","lastname":"Berg","email":"ann@berg.dk","lifecyclestage":"salesqualifiedlead"}`)
			got := rcv.Wait(1, e2ePatience)
			if len(got) != 1 || got[0].Body["type"] != "lead.announced" {
				t.Fatalf("webhook receiver got %+v", got)
			}
			lead := got[0].Body["data"].(map[string]any)["lead"].(map[string]any)
			if lead["external_id"] != "e2e-hs-1" || lead["name"] != "Ann Berg" || got[0].Body["data"].(map[string]any)["actor"] != "hubspot" {
				t.Fatalf("announced %v", got[0].Body)
			}
		})
	}
}
