package config

import (
	"strings"
	"testing"
)

// CheckServe refuses what serve refuses at start, so that config check,
// which calls it, never passes a configuration serve will not run with.
func TestCheckServe(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string // "" for no problem
	}{
		{"no chat platform", map[string]string{}, ""},
		{"slack over http", map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}, ""},
		{"slack socket mode", map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}, ""},
		{"slack without signing secret", map[string]string{"SLACK_BOT_TOKEN": "xoxb-1"},
			"config: SLACK_SIGNING_SECRET: required when SLACK_BOT_TOKEN is set"},
		{"teams", map[string]string{"TEAMS_APP_ID": "app-id", "TEAMS_APP_PASSWORD": "pw", "TEAMS_TENANT_ID": "t"}, ""},
		{"teams without password", map[string]string{"TEAMS_APP_ID": "app-id", "TEAMS_TENANT_ID": "t"},
			"config: TEAMS_APP_PASSWORD: required when TEAMS_APP_ID is set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inEmptyDir(t)
			c, err := Load(envOf(tt.env))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			err = c.CheckServe()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("CheckServe: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("CheckServe = %v, want %q", err, tt.want)
			}
		})
	}
}
