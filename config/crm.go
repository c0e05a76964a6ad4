package config

import (
	"cmp"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/internal/redact"
	"github.com/handoff/handoff/salesforce"
)

// CRMConfig holds the settings of the CRM connectors.
type CRMConfig struct {
	// PublicURL is the server's URL as the outside calls it
	// (HANDOFF_PUBLIC_URL, e.g. https://handoff.example.com); HubSpot's
	// signature covers it.
	PublicURL string
	// HubSpotSecret is the HubSpot app's client secret
	// (HUBSPOT_CLIENT_SECRET); empty refuses every HubSpot webhook. Secret.
	HubSpotSecret string
	// HubSpotPortalID is the only HubSpot account (portal, its Hub ID)
	// whose contacts are taken (HUBSPOT_PORTAL_ID, digits); empty takes any
	// account that signs with HubSpotSecret.
	HubSpotPortalID string
	// SalesforceOrgID is the only Salesforce org whose Outbound Messages are
	// accepted (SALESFORCE_ORG_ID, 15 or 18 characters).
	SalesforceOrgID string
	// SalesforceToken must be the token query parameter of every Outbound
	// Message (SALESFORCE_OUTBOUND_TOKEN). Secret.
	SalesforceToken string
	// SalesforceStatus maps Lead Status values to stages (the agreement's
	// salesforce.status over the standard picklist's defaults).
	SalesforceStatus map[string]handoff.Stage
}

// String returns the redacted connector settings.
func (c CRMConfig) String() string { return show(c.redacted) }

// Format prints String, whatever the verb.
func (c CRMConfig) Format(f fmt.State, _ rune) { io.WriteString(f, c.String()) }

// LogValue makes slog log the redacted connector settings.
func (c CRMConfig) LogValue() slog.Value { return logValue(c.redacted) }

// MarshalText is String, for encoding/json and encoding's other users.
func (c CRMConfig) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

var hubSpotPortalRE = regexp.MustCompile(`^[1-9][0-9]{0,18}$`)

// loadCRM reads the connector settings through env, reporting problems to bad.
func loadCRM(env func(string) string, bad func(key, format string, args ...any)) CRMConfig {
	c := CRMConfig{
		PublicURL:       strings.TrimRight(env("HANDOFF_PUBLIC_URL"), "/"),
		HubSpotSecret:   env("HUBSPOT_CLIENT_SECRET"),
		HubSpotPortalID: strings.TrimSpace(env("HUBSPOT_PORTAL_ID")),
		SalesforceOrgID: env("SALESFORCE_ORG_ID"),
		SalesforceToken: env("SALESFORCE_OUTBOUND_TOKEN"),
	}
	if c.PublicURL != "" {
		if err := checkHTTPURL(c.PublicURL); err != nil {
			bad("HANDOFF_PUBLIC_URL", "invalid URL %q: %v", redact.URL(c.PublicURL), err)
		} else if strings.ContainsAny(strings.SplitN(c.PublicURL, "://", 2)[1], "?#") {
			bad("HANDOFF_PUBLIC_URL", "%q: want scheme and host only, e.g. https://handoff.example.com", redact.URL(c.PublicURL))
		}
	}
	if c.HubSpotPortalID != "" && !hubSpotPortalRE.MatchString(c.HubSpotPortalID) {
		bad("HUBSPOT_PORTAL_ID", "%q is not a HubSpot account id: want its Hub ID, digits only (HubSpot shows it in the account menu)", c.HubSpotPortalID)
	}
	if c.HubSpotPortalID != "" && c.HubSpotSecret == "" {
		bad("HUBSPOT_CLIENT_SECRET", "required when HUBSPOT_PORTAL_ID is set: without it every HubSpot webhook is refused")
	}
	if c.SalesforceOrgID != "" {
		if err := salesforce.CheckOrgID(c.SalesforceOrgID); err != nil {
			bad("SALESFORCE_ORG_ID", "%v", err)
		}
	}
	if c.SalesforceOrgID != "" && c.SalesforceToken == "" {
		bad("SALESFORCE_OUTBOUND_TOKEN", "required when SALESFORCE_ORG_ID is set: Outbound Messages carry no signature")
	}
	if c.SalesforceToken != "" && len(c.SalesforceToken) < 16 {
		bad("SALESFORCE_OUTBOUND_TOKEN", "too short: use at least 16 random characters")
	}
	return c
}

func (c CRMConfig) redacted(m map[string]string) {
	m["HANDOFF_PUBLIC_URL"] = redact.URL(c.PublicURL)
	m["HUBSPOT_CLIENT_SECRET"] = secret(c.HubSpotSecret)
	m["HUBSPOT_PORTAL_ID"] = c.HubSpotPortalID
	m["SALESFORCE_ORG_ID"] = c.SalesforceOrgID
	m["SALESFORCE_OUTBOUND_TOKEN"] = secret(c.SalesforceToken)
	m["salesforce.status"] = fmt.Sprint(c.SalesforceStatus)
}

// WebhookEndpoint is one configured receiver of outgoing webhooks.
type WebhookEndpoint struct {
	URL    string
	Events []handoff.WebhookEvent
	// Secret is the whsec_ secret its messages are signed with. Secret.
	Secret string
}

// String shows the endpoint as redact.Webhook shows its URL, and its
// secret only as set or not.
func (w WebhookEndpoint) String() string {
	return fmt.Sprintf("{%s %v secret %s}", redact.Webhook(w.URL), w.Events, secret(w.Secret))
}

// Format prints String, whatever the verb.
func (w WebhookEndpoint) Format(f fmt.State, _ rune) { io.WriteString(f, w.String()) }

// MarshalText is String, for encoding/json and slog's handlers.
func (w WebhookEndpoint) MarshalText() ([]byte, error) { return []byte(w.String()), nil }

// webhookEndpoints resolves each webhook's secret from the environment: the
// variable its secret_env names, else HANDOFF_WEBHOOK_SECRET.
func webhookEndpoints(hooks []Webhook, env func(string) string, bad func(key, format string, args ...any)) []WebhookEndpoint {
	var out []WebhookEndpoint
	for i, h := range hooks {
		key := cmp.Or(h.SecretEnv, "HANDOFF_WEBHOOK_SECRET")
		sec := env(key)
		switch err := CheckWebhookSecret(sec); {
		case sec == "":
			bad(key, "required by webhooks[%d] (%s): a whsec_… secret", i, redact.Webhook(h.URL))
		case err != nil:
			bad(key, "%v", err)
		}
		out = append(out, WebhookEndpoint{URL: h.URL, Events: h.Events, Secret: sec})
	}
	return out
}

// CheckWebhookSecret accepts a Standard Webhooks secret: "whsec_" followed
// by base64 of at least 24 bytes.
func CheckWebhookSecret(s string) error {
	rest, ok := strings.CutPrefix(s, "whsec_")
	if !ok {
		return fmt.Errorf("webhook secret must start with whsec_")
	}
	key, err := base64.StdEncoding.DecodeString(rest)
	if err != nil {
		return fmt.Errorf("webhook secret: the part after whsec_ is not base64")
	}
	if len(key) < 24 {
		return fmt.Errorf("webhook secret: %d bytes is too short, use at least 24 random bytes", len(key))
	}
	return nil
}
