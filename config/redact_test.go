package config

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
)

// TestPrintedConfigHidesSecrets loads a configuration with a secret in
// every setting that can hold one (tokens, passwords, signing secrets, URL
// user info, secret query values, a webhook's path) and prints it, and
// each part of it on its own, with every fmt verb and both slog handlers:
// no secret shows, the plain settings do.
func TestPrintedConfigHidesSecrets(t *testing.T) {
	dir := inEmptyDir(t)
	whsec := "whsec_" + base64.StdEncoding.EncodeToString([]byte("SECRET-twenty-four-bytes!"))
	biSec := "whsec_" + base64.StdEncoding.EncodeToString([]byte("SECRET-another-24-bytes!!"))
	agreement := filepath.Join(dir, "handoff.yml")
	writeFile(t, agreement, `webhooks:
  - url: https://hooks.zapier.com/hooks/catch/123456/SECRET01/
    events: ["*"]
  - url: https://bi:SECRET02@bi.example.com/in?token=SECRET03
    events: [lead.claimed]
    secret_env: BI_WEBHOOK_SECRET
`)
	env := map[string]string{
		"HANDOFF_CONFIG":            agreement,
		"HANDOFF_WEBHOOK_SECRET":    whsec,
		"BI_WEBHOOK_SECRET":         biSec,
		"HANDOFF_API_TOKEN":         "tok-SECRET04",
		"HANDOFF_API_TOKENS":        "bi=SECRET05:read,marketing=SECRET06:write",
		"DATABASE_URL":              "postgres://handoff:SECRET07@db:5432/handoff?sslmode=require&password=SECRET08",
		"SLACK_BOT_TOKEN":           "xoxb-SECRET09",
		"SLACK_SIGNING_SECRET":      "SECRET10",
		"SLACK_APP_TOKEN":           "xapp-SECRET11",
		"SLACK_API_URL":             "https://proxy:SECRET12@slack-proxy.example.com/api/",
		"TEAMS_APP_ID":              "app-id",
		"TEAMS_APP_PASSWORD":        "SECRET13",
		"TEAMS_TENANT_ID":           "tenant-1",
		"TEAMS_TOKEN_URL":           "https://SECRET14@login.example.com/tenant-1/oauth2/v2.0/token?sig=SECRET15",
		"TEAMS_OPENID_METADATA_URL": "https://login.example.com/metadata?code=SECRET16",
		"HANDOFF_PUBLIC_URL":        "https://user:SECRET17@handoff.example.com",
		"HUBSPOT_CLIENT_SECRET":     "SECRET18",
		"SALESFORCE_OUTBOUND_TOKEN": "SECRET19-at-least-16",
	}
	c, err := Load(envOf(env))
	if err != nil {
		t.Fatalf("Load() error: %v", err)
	}
	a, err := LoadAgreement(agreement)
	if err != nil {
		t.Fatalf("LoadAgreement() error: %v", err)
	}
	secrets := []string{whsec, biSec}
	for i := 1; i <= 19; i++ {
		secrets = append(secrets, fmt.Sprintf("SECRET%02d", i))
	}
	values := []struct {
		name  string
		v     any
		shows []string // plain settings it must still show
	}{
		{"Config", c, []string{"app-id", "db:5432/handoff", "sslmode=require", "slack-proxy.example.com/api/",
			"handoff.example.com", "hooks.zapier.com/hooks/xxxxx", "bi.example.com/xxxxx?xxxxx", "bi:read", "(set)"}},
		{"*Config", &c, []string{"app-id"}},
		{"Slack", c.Slack, []string{"slack-proxy.example.com/api/", "(set)"}},
		{"Teams", c.Teams, []string{"app-id", "tenant-1", "login.example.com/tenant-1/oauth2/v2.0/token", "login.example.com/metadata"}},
		{"CRM", c.CRM, []string{"handoff.example.com", "(set)"}},
		{"Webhooks", c.Webhooks, []string{"hooks.zapier.com/hooks/xxxxx", "bi.example.com/xxxxx?xxxxx", "lead.claimed"}},
		{"Webhook", c.Webhooks[1], []string{"bi.example.com/xxxxx?xxxxx"}},
		{"APITokens", c.APITokens, []string{"bi:read", "marketing:write"}},
		{"APIToken", c.APITokens[0], []string{"bi:read"}},
		{"Agreement", a, []string{"hooks.zapier.com/hooks/xxxxx", "BI_WEBHOOK_SECRET"}},
		{"AgreementWebhook", a.Webhooks[0], []string{"hooks.zapier.com/hooks/xxxxx"}},
	}
	for _, tc := range values {
		t.Run(tc.name, func(t *testing.T) {
			outputs := map[string]string{}
			for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%d", "%t", "%x"} {
				outputs[verb] = fmt.Sprintf(verb, tc.v)
			}
			var js, text bytes.Buffer
			slog.New(slog.NewJSONHandler(&js, nil)).Info("config", "value", tc.v)
			slog.New(slog.NewTextHandler(&text, nil)).Info("config", "value", tc.v)
			outputs["slog JSON"], outputs["slog text"] = js.String(), text.String()
			for form, out := range outputs {
				for _, s := range secrets {
					if strings.Contains(out, s) {
						t.Errorf("%s shows %s: %s", form, s, out)
					}
				}
			}
			for _, form := range []string{"%v", "slog JSON"} {
				for _, want := range tc.shows {
					if !strings.Contains(outputs[form], want) {
						t.Errorf("%s does not show %q: %s", form, want, outputs[form])
					}
				}
			}
		})
	}
	if r := c.Redacted(); r["SLACK_BOT_TOKEN"] != "(set)" || r["TEAMS_APP_PASSWORD"] != "(set)" || r["HANDOFF_API_TOKEN"] != "(set)" ||
		r["policy.contact_within"] != "48h0m0s" || r["policy.business_hours"] != "24/7" {
		t.Errorf("Redacted() = %v", r)
	}
}
