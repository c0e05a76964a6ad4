package config

import (
	"strings"
	"testing"
)

func TestLoadCRM(t *testing.T) {
	inEmptyDir(t)
	c, err := Load(envOf(map[string]string{
		"HANDOFF_PUBLIC_URL": "https://handoff.example.com/", "HUBSPOT_CLIENT_SECRET": "hs-secret",
		"SALESFORCE_ORG_ID": "00D5g000004XyZqEAK", "SALESFORCE_OUTBOUND_TOKEN": "0123456789abcdef0123",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.CRM.PublicURL != "https://handoff.example.com" || c.CRM.HubSpotSecret != "hs-secret" || c.CRM.SalesforceOrgID != "00D5g000004XyZqEAK" {
		t.Fatalf("CRM = %#v", c.CRM)
	}
	if r := c.Redacted(); r["HUBSPOT_CLIENT_SECRET"] != "(set)" || r["SALESFORCE_OUTBOUND_TOKEN"] != "(set)" || strings.Contains(c.CRM.String(), "hs-secret") {
		t.Fatalf("secrets shown: %v %s", r, c.CRM)
	}

	_, err = Load(envOf(map[string]string{
		"HANDOFF_PUBLIC_URL": "handoff.example.com", "SALESFORCE_ORG_ID": "00D-not-an-id",
	}))
	for _, key := range []string{"HANDOFF_PUBLIC_URL", "SALESFORCE_ORG_ID", "SALESFORCE_OUTBOUND_TOKEN"} {
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("error %v does not name %s", err, key)
		}
	}
}
