package config

import (
	"cmp"
	"strings"
	"testing"
	"time"
)

// TestDurationSettings: SLACK_TIMEOUT, TEAMS_TIMEOUT and
// HANDOFF_OUTBOX_LEASE take a Go duration of at least 1s and default when
// unset; zero, a negative, an unparsable value or one under a second stops
// the start with an error naming the variable and the value. The value
// taken is what the settings print (Redacted).
func TestDurationSettings(t *testing.T) {
	settings := []struct {
		key string
		def time.Duration
		got func(Config) time.Duration
	}{
		{"SLACK_TIMEOUT", 30 * time.Second, func(c Config) time.Duration { return c.Slack.Timeout }},
		{"TEAMS_TIMEOUT", 15 * time.Second, func(c Config) time.Duration { return c.Teams.Timeout }},
		{"HANDOFF_OUTBOX_LEASE", 2 * time.Minute, func(c Config) time.Duration { return c.OutboxLease }},
	}
	tests := []struct {
		name, value string
		want        time.Duration // 0: the setting's default
		refused     bool
	}{
		{name: "unset", value: ""},
		{name: "seconds", value: "5s", want: 5 * time.Second},
		{name: "minutes and seconds", value: "1m30s", want: 90 * time.Second},
		{name: "one second", value: "1s", want: time.Second},
		{name: "spaces around", value: " 45s ", want: 45 * time.Second},
		{name: "zero", value: "0", refused: true},
		{name: "zero seconds", value: "0s", refused: true},
		{name: "negative", value: "-5s", refused: true},
		{name: "no unit", value: "30", refused: true},
		{name: "not a duration", value: "soon", refused: true},
		{name: "under a second", value: "500ms", refused: true},
	}
	for _, s := range settings {
		for _, tt := range tests {
			t.Run(s.key+"/"+tt.name, func(t *testing.T) {
				inEmptyDir(t)
				c, err := Load(envOf(map[string]string{s.key: tt.value}))
				if tt.refused {
					want := "config: " + s.key + ": invalid duration " + `"` + strings.TrimSpace(tt.value) + `"`
					if err == nil || !strings.Contains(err.Error(), want) {
						t.Fatalf("Load(%s=%q) error = %v, want one saying %q", s.key, tt.value, err, want)
					}
					return
				}
				want := cmp.Or(tt.want, s.def)
				if err != nil {
					t.Fatalf("Load(%s=%q) error: %v", s.key, tt.value, err)
				}
				if got := s.got(c); got != want {
					t.Errorf("%s=%q: %v, want %v", s.key, tt.value, got, want)
				}
				if got := c.Redacted()[s.key]; got != want.String() {
					t.Errorf("%s=%q printed as %q, want %q", s.key, tt.value, got, want.String())
				}
			})
		}
	}
}
