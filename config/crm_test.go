package config

import (
	"fmt"
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

// TestLoadCRMChecksIDs checks HUBSPOT_PORTAL_ID and SALESFORCE_ORG_ID at
// start: a mistyped one would otherwise refuse every webhook.
func TestLoadCRMChecksIDs(t *testing.T) {
	const token = "0123456789abcdef0123"
	tests := []struct {
		name    string
		env     map[string]string
		wantKey string // "" loads
	}{
		{"portal", map[string]string{"HUBSPOT_CLIENT_SECRET": "s", "HUBSPOT_PORTAL_ID": " 62515 "}, ""},
		{"portal with letters", map[string]string{"HUBSPOT_CLIENT_SECRET": "s", "HUBSPOT_PORTAL_ID": "hub-62515"}, "HUBSPOT_PORTAL_ID"},
		{"portal without the secret", map[string]string{"HUBSPOT_PORTAL_ID": "62515"}, "HUBSPOT_CLIENT_SECRET"},
		{"org, case lost", map[string]string{"SALESFORCE_ORG_ID": "00d5g000004xyzqeak", "SALESFORCE_OUTBOUND_TOKEN": token}, ""},
		{"org suffix mistyped", map[string]string{"SALESFORCE_ORG_ID": "00D5g000004XyZqEAA", "SALESFORCE_OUTBOUND_TOKEN": token}, "SALESFORCE_ORG_ID"},
		{"org suffix impossible", map[string]string{"SALESFORCE_ORG_ID": "00D5g000004XyZq999", "SALESFORCE_OUTBOUND_TOKEN": token}, "SALESFORCE_ORG_ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inEmptyDir(t)
			c, err := Load(envOf(tt.env))
			switch {
			case tt.wantKey == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.wantKey == "" && tt.env["HUBSPOT_PORTAL_ID"] != "" && c.CRM.HubSpotPortalID != "62515":
				t.Fatalf("portal = %q", c.CRM.HubSpotPortalID)
			case tt.wantKey != "" && (err == nil || !strings.Contains(err.Error(), tt.wantKey)):
				t.Fatalf("error %v does not name %s", err, tt.wantKey)
			}
		})
	}
}

func TestAgreementConnectors(t *testing.T) {
	ag, err := ParseAgreement([]byte(`
salesforce:
  status:
    "Nurturing": recycled
    "Open - Not Contacted": mql
webhooks:
  - url: https://crm.example.com/hooks/handoff
    events: [lead.claimed, lead.stage_changed]
  - url: https://bi.example.com/in
    events: ["*"]
    secret_env: BI_WEBHOOK_SECRET
`))
	if err != nil {
		t.Fatal(err)
	}
	if ag.SalesforceStatus["Nurturing"] != "recycled" || ag.SalesforceStatus["Open - Not Contacted"] != "mql" || ag.SalesforceStatus["Working - Contacted"] != "contacted" {
		t.Errorf("status table = %v", ag.SalesforceStatus)
	}
	if len(ag.Webhooks) != 2 || len(ag.Webhooks[0].Events) != 2 || len(ag.Webhooks[1].Events) != 8 || ag.Webhooks[1].SecretEnv != "BI_WEBHOOK_SECRET" {
		t.Errorf("webhooks = %+v", ag.Webhooks)
	}

	_, err = ParseAgreement([]byte(`
salesforce:
  status: {"Open - Not Contacted": banana}
webhooks:
  - url: ftp://x
    events: [lead.claimed, lead.exploded]
  - events: [lead.claimed]
    colour: blue
`))
	for _, want := range []string{`salesforce.status["Open - Not Contacted"]`, "webhooks[0].url", "lead.exploded", "webhooks[1].url", "colour"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not name %s", err, want)
		}
	}
}

func TestWebhookSecretsFromEnvironment(t *testing.T) {
	dir := inEmptyDir(t)
	writeFile(t, dir+"/handoff.yml", "webhooks:\n  - url: https://crm.example.com/in\n    events: [lead.claimed]\n  - url: https://bi.example.com/in\n    events: [lead.erased]\n    secret_env: BI_SECRET\n")
	good := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	c, err := Load(envOf(map[string]string{"HANDOFF_WEBHOOK_SECRET": good, "BI_SECRET": good}))
	if err != nil || len(c.Webhooks) != 2 || c.Webhooks[1].Secret != good {
		t.Fatalf("Load = %v, %v", c.Webhooks, err)
	}
	if strings.Contains(c.String(), good) || strings.Contains(c.Webhooks[0].String(), good) {
		t.Fatal("a webhook secret is printed")
	}
	_, err = Load(envOf(map[string]string{"HANDOFF_WEBHOOK_SECRET": "not-whsec", "BI_SECRET": ""}))
	for _, want := range []string{"HANDOFF_WEBHOOK_SECRET: webhook secret must start with whsec_", "BI_SECRET: required"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not say %q", err, want)
		}
	}
}

// A token may not take the name of an actor Handoff records for its own
// changes: its erasures would read as the retention purge's (system), its
// stage moves as the CRM's or scoring's. "api" is refused only beside
// HANDOFF_API_TOKEN (TestAPITokens), and a name merely like one is fine.
func TestAPITokenNamedAsHandoffsOwnActor(t *testing.T) {
	inEmptyDir(t)
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"system", false}, {"import", false}, {"scoring", false}, {"hubspot", false}, {"salesforce", false},
		{"api", true}, {"hubspot-forms", true}, {"systems", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(envOf(map[string]string{"HANDOFF_API_TOKENS": tc.name + "=tok-secret:write"}))
			want := "entry 1: name \"" + tc.name + "\" is an actor Handoff records for its own changes"
			switch {
			case tc.ok && err != nil:
				t.Fatalf("refused: %v", err)
			case !tc.ok && (err == nil || !strings.Contains(err.Error(), want)):
				t.Fatalf("error %v does not say %q", err, want)
			case err != nil && strings.Contains(err.Error(), "tok-secret"):
				t.Fatal("an error shows a secret")
			}
		})
	}
}

func TestAPITokens(t *testing.T) {
	inEmptyDir(t)
	// Spaces around a secret are not part of it (a client's token is read
	// trimmed, as every other setting is).
	c, err := Load(envOf(map[string]string{"HANDOFF_API_TOKEN": "single-secret", "HANDOFF_API_TOKENS": "marketing = m:s:e:c :write, bi=b=secret:read, forms=f-secret:intake"}))
	if err != nil {
		t.Fatal(err)
	}
	want := []APIToken{{"marketing", "m:s:e:c", "write"}, {"bi", "b=secret", "read"}, {"forms", "f-secret", "intake"}}
	if fmt.Sprintf("%#v", c.APITokens) != fmt.Sprintf("%#v", want) || c.APITokens[0].Secret != "m:s:e:c" || c.APITokens[1].Secret != "b=secret" {
		t.Fatalf("tokens = %v", c.APITokens)
	}
	if r := c.Redacted()["HANDOFF_API_TOKENS"]; strings.Contains(r, "secret") || !strings.Contains(r, "bi:read") {
		t.Fatalf("redacted = %q", r)
	}
	_, err = Load(envOf(map[string]string{"HANDOFF_API_TOKEN": "single-secret",
		"HANDOFF_API_TOKENS": "api=x:write,Bad Name=y:read,bi=z:admin,nothing,dup=single-secret:read"}))
	// A bad scope is explained: the three there are, and what each allows.
	for _, want := range []string{"entry 1: name \"api\" is used twice", "entry 2: name", "scope \"admin\": want read (GET leads",
		"intake (POST leads and their activities, nothing else) or write (everything, erasure included)", "entry 4: want name=secret:scope", "entry 5 (dup): the same secret"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not say %q", err, want)
		}
	}
	if err != nil && strings.Contains(err.Error(), "single-secret") {
		t.Error("an error shows a secret")
	}
}
