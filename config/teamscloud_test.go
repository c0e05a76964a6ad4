package config

import (
	"strings"
	"testing"
)

func TestTeamsCloud(t *testing.T) {
	type endpoints struct{ token, openid, issuer, scope string }
	for _, tc := range []struct {
		name string
		env  map[string]string
		want endpoints
	}{
		{"default is public", nil, endpoints{
			"https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token",
			"https://login.botframework.com/v1/.well-known/openidconfiguration",
			"https://api.botframework.com", "https://api.botframework.com/.default"}},
		{"public with a tenant", map[string]string{"TEAMS_CLOUD": "public", "TEAMS_TENANT_ID": "contoso"}, endpoints{
			"https://login.microsoftonline.com/contoso/oauth2/v2.0/token",
			"https://login.botframework.com/v1/.well-known/openidconfiguration",
			"https://api.botframework.com", "https://api.botframework.com/.default"}},
		{"usgov", map[string]string{"TEAMS_CLOUD": "USGov", "TEAMS_TENANT_ID": "agency"}, endpoints{
			"https://login.microsoftonline.us/agency/oauth2/v2.0/token",
			"https://login.botframework.azure.us/v1/.well-known/openidconfiguration",
			"https://api.botframework.us", "https://api.botframework.us/.default"}},
		{"usgovdod without a tenant", map[string]string{"TEAMS_CLOUD": "usgovdod"}, endpoints{
			"https://login.microsoftonline.us/MicrosoftServices.onmicrosoft.us/oauth2/v2.0/token",
			"https://login.botframework.azure.us/v1/.well-known/openidconfiguration",
			"https://api.botframework.us", "https://api.botframework.us/.default"}},
		{"china", map[string]string{"TEAMS_CLOUD": "china", "TEAMS_TENANT_ID": "shanghai"}, endpoints{
			"https://login.partner.microsoftonline.cn/shanghai/oauth2/v2.0/token",
			"https://login.botframework.azure.cn/v1/.well-known/openidconfiguration",
			"https://api.botframework.azure.cn", "https://api.botframework.azure.cn/.default"}},
		{"overrides win over the cloud", map[string]string{"TEAMS_CLOUD": "usgov",
			"TEAMS_TOKEN_URL": "http://127.0.0.1:9/token", "TEAMS_OPENID_METADATA_URL": "http://127.0.0.1:9/openid",
			"TEAMS_TOKEN_ISSUER": "https://issuer.test", "TEAMS_TOKEN_SCOPE": "https://scope.test/.default"}, endpoints{
			"http://127.0.0.1:9/token", "http://127.0.0.1:9/openid", "https://issuer.test", "https://scope.test/.default"}},
		{"one override keeps the rest of the cloud", map[string]string{"TEAMS_CLOUD": "china", "TEAMS_TOKEN_URL": "http://127.0.0.1:9/token"}, endpoints{
			"http://127.0.0.1:9/token",
			"https://login.botframework.azure.cn/v1/.well-known/openidconfiguration",
			"https://api.botframework.azure.cn", "https://api.botframework.azure.cn/.default"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inEmptyDir(t)
			c, err := Load(envOf(tc.env))
			if err != nil {
				t.Fatal(err)
			}
			got := endpoints{c.Teams.TokenURL, c.Teams.OpenIDMetadataURL, c.Teams.TokenIssuer, c.Teams.TokenScope}
			if got != tc.want {
				t.Errorf("endpoints = %+v\nwant        %+v", got, tc.want)
			}
			if r := c.Redacted(); r["TEAMS_TOKEN_ISSUER"] != tc.want.issuer || r["TEAMS_TOKEN_SCOPE"] != tc.want.scope || r["TEAMS_CLOUD"] == "" {
				t.Errorf("redacted settings lack the cloud: %v", r)
			}
		})
	}
}

func TestTeamsCloudRefusesBadValues(t *testing.T) {
	inEmptyDir(t)
	_, err := Load(envOf(map[string]string{"TEAMS_CLOUD": "azure-germany", "TEAMS_TOKEN_ISSUER": "api.botframework.us"}))
	if err == nil {
		t.Fatal("an unknown cloud was accepted")
	}
	for _, want := range []string{`TEAMS_CLOUD: unknown cloud "azure-germany"; use one of china, public, usgov, usgovdod`, "TEAMS_TOKEN_ISSUER"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}
