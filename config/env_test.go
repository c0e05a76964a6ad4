package config

import (
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
)

// TestSecretFiles checks every secret variable's _FILE variant: the file's
// content without its trailing line break is the value, both forms set is
// an error, and a missing file is an error naming the variable.
func TestSecretFiles(t *testing.T) {
	value := func(c Config, key string) string {
		return map[string]string{
			"HANDOFF_API_TOKEN":         c.APIToken,
			"DATABASE_URL":              c.DatabaseURL,
			"SLACK_BOT_TOKEN":           c.Slack.BotToken,
			"SLACK_SIGNING_SECRET":      c.Slack.SigningSecret,
			"SLACK_APP_TOKEN":           c.Slack.AppToken,
			"TEAMS_APP_PASSWORD":        c.Teams.AppPassword,
			"HUBSPOT_CLIENT_SECRET":     c.CRM.HubSpotSecret,
			"SALESFORCE_OUTBOUND_TOKEN": c.CRM.SalesforceToken,
			"HANDOFF_WEBHOOK_SECRET":    webhookSecret(c),
		}[key]
	}
	for _, key := range SecretVars {
		t.Run(key, func(t *testing.T) {
			dir := inEmptyDir(t)
			want := "xoxb-s3cret " + strings.ToLower(key)
			switch key {
			case "DATABASE_URL":
				want = "postgres://handoff:s3cr%20t@db:5432/handoff"
			case "HANDOFF_WEBHOOK_SECRET":
				want = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" // s3cr is checked below; this one must be valid
				writeFile(t, filepath.Join(dir, "handoff.yml"), "webhooks:\n  - url: https://crm.example.com/in\n    events: [lead.claimed]\n")
			}
			for _, ending := range []string{"", "\n", "\r\n"} {
				path := filepath.Join(dir, "secret")
				writeFile(t, path, want+ending)
				c, err := Load(envOf(map[string]string{key + "_FILE": path}))
				if err != nil {
					t.Fatalf("%s_FILE ending %q: %v", key, ending, err)
				}
				if got := value(c, key); got != want {
					t.Errorf("%s from file ending %q = %q, want %q", key, ending, got, want)
				}
			}

			_, err := Load(envOf(map[string]string{key: want, key + "_FILE": filepath.Join(dir, "secret")}))
			if err == nil || !strings.Contains(err.Error(), key+"_FILE") || !strings.Contains(err.Error(), "both") {
				t.Errorf("both %s and %s_FILE set: err = %v, want an error naming both", key, key, err)
			}
			if err != nil && (strings.Contains(err.Error(), "s3cr") || strings.Contains(err.Error(), "MfKQ9r8")) {
				t.Errorf("error %q leaks the secret", err)
			}

			_, err = Load(envOf(map[string]string{key + "_FILE": filepath.Join(dir, "missing")}))
			if err == nil || !strings.Contains(err.Error(), key+"_FILE") {
				t.Errorf("missing %s_FILE: err = %v, want an error naming it", key, err)
			}
		})
	}
}

func TestListenAddr(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    string
		wantErr string
	}{
		{"default", nil, ":8080", ""},
		{"HANDOFF_ADDR", map[string]string{"HANDOFF_ADDR": "127.0.0.1:9000"}, "127.0.0.1:9000", ""},
		{"PORT alone", map[string]string{"PORT": "3000"}, ":3000", ""},
		{"HANDOFF_ADDR wins over PORT", map[string]string{"HANDOFF_ADDR": ":9000", "PORT": "3000"}, ":9000", ""},
		{"bad PORT", map[string]string{"PORT": "http"}, "", "config: PORT: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inEmptyDir(t)
			c, err := Load(envOf(tt.env))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Addr != tt.want {
				t.Errorf("Addr = %q, want %q", c.Addr, tt.want)
			}
		})
	}
}

func TestLogLevel(t *testing.T) {
	tests := []struct {
		value string
		want  slog.Level
		ok    bool
	}{
		{"", slog.LevelInfo, true},
		{"debug", slog.LevelDebug, true},
		{"INFO", slog.LevelInfo, true},
		{"Warn", slog.LevelWarn, true},
		{"error", slog.LevelError, true},
		{"verbose", 0, false},
	}
	for _, tt := range tests {
		inEmptyDir(t)
		c, err := Load(envOf(map[string]string{"HANDOFF_LOG_LEVEL": tt.value}))
		if !tt.ok {
			if err == nil || !strings.Contains(err.Error(), "HANDOFF_LOG_LEVEL") || !strings.Contains(err.Error(), tt.value) {
				t.Errorf("HANDOFF_LOG_LEVEL=%q: err = %v, want an error naming the variable and value", tt.value, err)
			}
			continue
		}
		if err != nil || c.LogLevel != tt.want {
			t.Errorf("HANDOFF_LOG_LEVEL=%q: level %v (%v), want %v", tt.value, c.LogLevel, err, tt.want)
		}
	}
}

// webhookSecret is the secret of the first webhook, "" when none.
func webhookSecret(c Config) string {
	if len(c.Webhooks) == 0 {
		return ""
	}
	return c.Webhooks[0].Secret
}

// TestWebhookSecretEnvFile checks that a webhook's own secret_env variable
// has a _FILE variant too.
func TestWebhookSecretEnvFile(t *testing.T) {
	dir := inEmptyDir(t)
	writeFile(t, filepath.Join(dir, "handoff.yml"), "webhooks:\n  - url: https://bi.example.com/in\n    events: [lead.erased]\n    secret_env: BI_SECRET\n")
	good := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	writeFile(t, filepath.Join(dir, "bi"), good+"\n")
	c, err := Load(envOf(map[string]string{"BI_SECRET_FILE": filepath.Join(dir, "bi")}))
	if err != nil || webhookSecret(c) != good {
		t.Fatalf("BI_SECRET_FILE: secret %q, %v", webhookSecret(c), err)
	}
}

// A value wrapped in quotes, as docker run --env-file passes
// SLACK_BOT_TOKEN="xoxb-…", is refused naming the variable and never
// showing the value, whether it came from the variable or its file; a
// quote inside a value is kept.
func TestQuotedValuesRefused(t *testing.T) {
	dir := inEmptyDir(t)
	quotedFile := filepath.Join(dir, "token")
	writeFile(t, quotedFile, "'s3cret-token'\n")
	tests := []struct {
		name string
		env  map[string]string
		want string // the variable the error names; "" for no error
	}{
		{"double quotes", map[string]string{"HANDOFF_API_TOKEN": `"s3cret-token"`}, "HANDOFF_API_TOKEN"},
		{"single quotes", map[string]string{"SLACK_SALES_CHANNEL": `'C0123ABC'`}, "SLACK_SALES_CHANNEL"},
		{"quotes around spaces", map[string]string{"SLACK_BOT_TOKEN": ` "s3cret-token" `, "SLACK_SIGNING_SECRET": "s"}, "SLACK_BOT_TOKEN"},
		{"quotes in a file", map[string]string{"HANDOFF_API_TOKEN_FILE": quotedFile}, "HANDOFF_API_TOKEN"},
		{"quote inside", map[string]string{"HANDOFF_API_TOKEN": `s3cret"token"`}, ""},
		{"one quote", map[string]string{"HANDOFF_API_TOKEN": `"`}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(envOf(tt.env))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "config: "+tt.want+": the value is wrapped in quotes") {
				t.Fatalf("Load = %v, want an error naming %s and its quotes", err, tt.want)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error %q shows the value", err)
			}
		})
	}
}
