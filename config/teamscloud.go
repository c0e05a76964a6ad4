package config

import (
	"cmp"
	"net/url"
	"sort"
	"strings"

	"github.com/handoff/handoff/internal/redact"
)

// TeamsCloud is where one Microsoft cloud's Bot Framework lives: where the
// bot gets its tokens, what it asks them for, and who signs the tokens Teams
// sends. The values are Microsoft's (Bot Framework and Teams SDK
// documentation for each cloud).
type TeamsCloud struct {
	// LoginURL is the Microsoft Entra ID login host.
	LoginURL string
	// DefaultTenant is the token tenant when TEAMS_TENANT_ID is unset (the
	// legacy multi-tenant registration).
	DefaultTenant string
	// OpenIDMetadataURL publishes the keys that sign inbound tokens.
	OpenIDMetadataURL string
	// Issuer is the iss of inbound tokens.
	Issuer string
	// Scope is the client-credentials scope of outbound tokens.
	Scope string
}

// TokenURL is the cloud's client-credentials endpoint for tenant (the
// cloud's default tenant when "").
func (c TeamsCloud) TokenURL(tenant string) string {
	if tenant == "" {
		tenant = c.DefaultTenant
	}
	return c.LoginURL + "/" + url.PathEscape(tenant) + "/oauth2/v2.0/token"
}

// DefaultTeamsCloud is the TEAMS_CLOUD used when it is unset.
const DefaultTeamsCloud = "public"

// TeamsClouds are the values of TEAMS_CLOUD: Microsoft's public cloud, US
// Government (GCC High), US Government DoD and China (21Vianet).
var TeamsClouds = map[string]TeamsCloud{
	"public": {
		LoginURL:          "https://login.microsoftonline.com",
		DefaultTenant:     "botframework.com",
		OpenIDMetadataURL: "https://login.botframework.com/v1/.well-known/openidconfiguration",
		Issuer:            "https://api.botframework.com",
		Scope:             "https://api.botframework.com/.default",
	},
	"usgov": usGov,
	// DoD signs in and is signed for like GCC High; its Teams service URL
	// (which arrives with each activity) differs.
	"usgovdod": usGov,
	"china": {
		LoginURL:          "https://login.partner.microsoftonline.cn",
		DefaultTenant:     "microsoftservices.partner.onmschina.cn",
		OpenIDMetadataURL: "https://login.botframework.azure.cn/v1/.well-known/openidconfiguration",
		Issuer:            "https://api.botframework.azure.cn",
		Scope:             "https://api.botframework.azure.cn/.default",
	},
}

var usGov = TeamsCloud{
	LoginURL:          "https://login.microsoftonline.us",
	DefaultTenant:     "MicrosoftServices.onmicrosoft.us",
	OpenIDMetadataURL: "https://login.botframework.azure.us/v1/.well-known/openidconfiguration",
	Issuer:            "https://api.botframework.us",
	Scope:             "https://api.botframework.us/.default",
}

// teamsCloudNames lists TEAMS_CLOUD's values for messages.
func teamsCloudNames() string {
	names := make([]string, 0, len(TeamsClouds))
	for n := range TeamsClouds {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// resolveTeamsCloud sets t's endpoints from TEAMS_CLOUD, each overridden by
// its own variable (TEAMS_TOKEN_URL, TEAMS_OPENID_METADATA_URL,
// TEAMS_TOKEN_ISSUER, TEAMS_TOKEN_SCOPE) when set. It reports every bad
// value through bad.
func resolveTeamsCloud(env func(string) string, t *TeamsConfig, bad func(key, format string, args ...any)) {
	t.Cloud = strings.ToLower(strings.TrimSpace(cmp.Or(env("TEAMS_CLOUD"), DefaultTeamsCloud)))
	cloud, ok := TeamsClouds[t.Cloud]
	if !ok {
		bad("TEAMS_CLOUD", "unknown cloud %q; use one of %s", t.Cloud, teamsCloudNames())
		cloud = TeamsClouds[DefaultTeamsCloud]
	}
	t.TokenURL = cmp.Or(env("TEAMS_TOKEN_URL"), cloud.TokenURL(t.TenantID))
	t.OpenIDMetadataURL = cmp.Or(env("TEAMS_OPENID_METADATA_URL"), cloud.OpenIDMetadataURL)
	t.TokenIssuer = cmp.Or(env("TEAMS_TOKEN_ISSUER"), cloud.Issuer)
	t.TokenScope = cmp.Or(env("TEAMS_TOKEN_SCOPE"), cloud.Scope)
	for _, s := range []struct{ key, url string }{{"TEAMS_TOKEN_URL", t.TokenURL}, {"TEAMS_OPENID_METADATA_URL", t.OpenIDMetadataURL},
		{"TEAMS_TOKEN_ISSUER", t.TokenIssuer}, {"TEAMS_TOKEN_SCOPE", t.TokenScope}} {
		if err := checkHTTPURL(s.url); err != nil {
			bad(s.key, "invalid URL %q: %v", redact.URL(s.url), err)
		}
	}
}
