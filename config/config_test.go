package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
)

// envOf returns a getenv over a fixed map.
func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// inEmptyDir runs the test in a fresh working directory, so a handoff.yml
// lying around never leaks in.
func inEmptyDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Chdir(dir)
	return dir
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestLoadDefaults(t *testing.T) {
	inEmptyDir(t)
	c, err := Load(envOf(nil))
	if err != nil {
		t.Fatalf("Load() error: %v", err)
	}
	checks := []struct{ name, got, want string }{
		{"Addr", c.Addr, ":8080"},
		{"DatabaseURL", c.DatabaseURL, "handoff.db"},
		{"ConfigFile", c.ConfigFile, ""},
		{"Slack.APIURL", c.Slack.APIURL, "https://slack.com/api/"},
		{"Teams.TokenURL", c.Teams.TokenURL, "https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token"},
		{"Teams.OpenIDMetadataURL", c.Teams.OpenIDMetadataURL, "https://login.botframework.com/v1/.well-known/openidconfiguration"},
		{"DatabaseDialect", c.DatabaseDialect(), "sqlite"},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s = %q, want %q", ck.name, ck.got, ck.want)
		}
	}
	if c.Slack.Enabled() || c.Slack.SocketMode() || c.Teams.Enabled() {
		t.Errorf("nothing should be enabled: slack %v socket %v teams %v", c.Slack.Enabled(), c.Slack.SocketMode(), c.Teams.Enabled())
	}
	if !reflect.DeepEqual(c.Policy, handoff.DefaultPolicy()) {
		t.Errorf("Policy = %+v, want DefaultPolicy", c.Policy)
	}
}

func TestLoadEnvironment(t *testing.T) {
	inEmptyDir(t)
	c, err := Load(envOf(map[string]string{
		"HANDOFF_ADDR":          "127.0.0.1:9090",
		"DATABASE_URL":          "postgres://handoff:pw@db.internal:5432/handoff?sslmode=require",
		"HANDOFF_API_TOKEN":     "api-secret",
		"SLACK_BOT_TOKEN":       "xoxb-1",
		"SLACK_SIGNING_SECRET":  "sign",
		"SLACK_APP_TOKEN":       "xapp-1",
		"SLACK_API_URL":         "http://127.0.0.1:4000/api",
		"SLACK_SALES_CHANNEL":   "C123",
		"SLACK_MANAGER_CHANNEL": "C456",
		"SLACK_MANAGERS":        " U0MGR01, U0MGR02 ,,U0MGR03 ",
		"SLACK_MANAGER_GROUP":   "S789",
		"TEAMS_APP_ID":          "app-id",
		"TEAMS_APP_PASSWORD":    "teams-pw",
		"TEAMS_TENANT_ID":       "contoso.onmicrosoft.com",
		"TEAMS_SALES_CHANNEL":   "19:sales@thread.tacv2",
		"TEAMS_MANAGER_CHANNEL": "19:mgr@thread.tacv2",
		"TEAMS_MANAGERS":        "a@contoso.com,6a1e9f3c-0b2d-4c8e-9f71-2d5b8e4a7c10,29:1AbCdEf",
	}))
	if err != nil {
		t.Fatalf("Load() error: %v", err)
	}
	if c.Slack.APIURL != "http://127.0.0.1:4000/api/" {
		t.Errorf("SLACK_API_URL without trailing slash: got %q, want one added", c.Slack.APIURL)
	}
	if want := []string{"U0MGR01", "U0MGR02", "U0MGR03"}; !reflect.DeepEqual(c.Slack.Managers, want) {
		t.Errorf("Slack.Managers = %q, want %q", c.Slack.Managers, want)
	}
	if want := []string{"a@contoso.com", "6a1e9f3c-0b2d-4c8e-9f71-2d5b8e4a7c10", "29:1AbCdEf"}; !reflect.DeepEqual(c.Teams.Managers, want) {
		t.Errorf("Teams.Managers = %q, want %q", c.Teams.Managers, want)
	}
	if want := "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"; c.Teams.TokenURL != want {
		t.Errorf("Teams.TokenURL = %q, want %q", c.Teams.TokenURL, want)
	}
	if !c.Slack.Enabled() || !c.Slack.SocketMode() || !c.Teams.Enabled() {
		t.Errorf("slack %v socket %v teams %v, want all enabled", c.Slack.Enabled(), c.Slack.SocketMode(), c.Teams.Enabled())
	}
	if c.DatabaseDialect() != "postgres" {
		t.Errorf("DatabaseDialect = %q, want postgres", c.DatabaseDialect())
	}
	if c.Addr != "127.0.0.1:9090" || c.APIToken != "api-secret" || c.Slack.ManagerGroup != "S789" || c.Teams.SalesChannel != "19:sales@thread.tacv2" {
		t.Errorf("env not copied: %+v", c.Redacted())
	}
}

func TestLoadAcceptedValues(t *testing.T) {
	tests := []struct{ key, value string }{
		{"DATABASE_URL", "/var/lib/handoff/handoff.db"},
		{"DATABASE_URL", "sqlite:handoff.db"},
		{"DATABASE_URL", "file:handoff.db?cache=shared"},
		{"DATABASE_URL", "postgresql://u@localhost/handoff"},
		{"DATABASE_URL", `C:\handoff\handoff.db`},
		{"HANDOFF_ADDR", ":0"},
		{"HANDOFF_ADDR", "localhost:8080"},
		{"HANDOFF_ADDR", "[::1]:8080"},
		{"SLACK_API_URL", "https://slack.com/api/"},
		{"TEAMS_TOKEN_URL", "http://127.0.0.1:5000/token"},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			inEmptyDir(t)
			if _, err := Load(envOf(map[string]string{tt.key: tt.value})); err != nil {
				t.Errorf("Load() error: %v", err)
			}
		})
	}
}

func TestLoadEnvironmentErrors(t *testing.T) {
	tests := []struct {
		name, key, value string
		want             []string // substrings of the error
		never            string   // must not appear in the error
	}{
		{"mysql database", "DATABASE_URL", "mysql://root:hunter2@db/handoff", []string{"DATABASE_URL", `"mysql"`}, "hunter2"},
		{"postgres without slashes", "DATABASE_URL", "postgres:handoff", []string{"DATABASE_URL", "postgres"}, ""},
		{"postgres without host", "DATABASE_URL", "postgres:///handoff?password=hunter2", []string{"DATABASE_URL", "missing host"}, "hunter2"},
		{"address without port", "HANDOFF_ADDR", "8080", []string{"HANDOFF_ADDR", `"8080"`, "host:port"}, ""},
		{"address with bad port", "HANDOFF_ADDR", ":http-ish", []string{"HANDOFF_ADDR", `"http-ish"`}, ""},
		{"address port too big", "HANDOFF_ADDR", ":70000", []string{"HANDOFF_ADDR", `"70000"`}, ""},
		{"relative slack url", "SLACK_API_URL", "slack.com/api/", []string{"SLACK_API_URL", `"slack.com/api/"`, "absolute"}, ""},
		{"ftp slack url", "SLACK_API_URL", "ftp://slack.com/api/", []string{"SLACK_API_URL", `"ftp://slack.com/api/"`}, ""},
		{"slack url without host", "SLACK_API_URL", "https:///api/", []string{"SLACK_API_URL", "missing host"}, ""},
		{"bad teams token url", "TEAMS_TOKEN_URL", "login/token", []string{"TEAMS_TOKEN_URL", `"login/token"`}, ""},
		{"bad openid url", "TEAMS_OPENID_METADATA_URL", "nope", []string{"TEAMS_OPENID_METADATA_URL", `"nope"`}, ""},
		{"slack channel by name", "SLACK_SALES_CHANNEL", "#sales-leads",
			[]string{`config: SLACK_SALES_CHANNEL: "#sales-leads" is not a Slack channel id: set the id (C…: at the bottom of the channel's details`}, ""},
		{"slack channel name without #", "SLACK_MANAGER_CHANNEL", "sales-managers", []string{"SLACK_MANAGER_CHANNEL", `"sales-managers" is not a Slack channel id`}, ""},
		{"slack manager by name", "SLACK_MANAGERS", "U0MGR01, @louise", []string{`config: SLACK_MANAGERS: "@louise" is not a Slack user id: set the id (U…`}, "U0MGR1"},
		{"slack manager id cut short", "SLACK_MANAGERS", "U0MGR01, U12", []string{`config: SLACK_MANAGERS: "U12" is not a Slack user id`}, "U0MGR01"},
		{"teams manager by display name", "TEAMS_MANAGERS", "a@contoso.com, Louise Dam", []string{`config: TEAMS_MANAGERS: "Louise Dam" is neither an Entra object id, an email nor a Teams user id (29:…)`}, "contoso"},
		{"slack user group by handle", "SLACK_MANAGER_GROUP", "@sales-managers", []string{`SLACK_MANAGER_GROUP: "@sales-managers" is not a Slack user group id`}, ""},
		// Posts keep their channel in a column of 300: PostgreSQL refused a
		// longer one, SQLite kept it.
		{"slack channel id longer than the store keeps", "SLACK_SALES_CHANNEL", "C" + strings.Repeat("A", handoff.MaxChatIDLen),
			[]string{`config: SLACK_SALES_CHANNEL: "C` + strings.Repeat("A", 38) + `…" is longer than 300 characters, more than Handoff keeps of a Slack channel id`}, ""},
		{"teams channel longer than the store keeps", "TEAMS_SALES_CHANNEL", "19:" + strings.Repeat("a", handoff.MaxChatIDLen-2) + "@thread.tacv2",
			[]string{`config: TEAMS_SALES_CHANNEL: "19:` + strings.Repeat("a", 36) + `…" is longer than 300 characters, more than Handoff keeps of a Teams channel`}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inEmptyDir(t)
			_, err := Load(envOf(map[string]string{tt.key: tt.value}))
			if err == nil {
				t.Fatalf("Load(%s=%q) succeeded, want an error", tt.key, tt.value)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if tt.never != "" && strings.Contains(err.Error(), tt.never) {
				t.Errorf("error %q leaks %q", err, tt.never)
			}
		})
	}
}

func TestLoadConfigFile(t *testing.T) {
	t.Run("default handoff.yml is loaded when present", func(t *testing.T) {
		dir := inEmptyDir(t)
		writeFile(t, filepath.Join(dir, "handoff.yml"), "sla:\n  claim_within: 1h\n")
		c, err := Load(envOf(nil))
		if err != nil {
			t.Fatalf("Load() error: %v", err)
		}
		if c.ConfigFile != "handoff.yml" || c.Policy.ClaimWithin != time.Hour {
			t.Errorf("ConfigFile %q, ClaimWithin %s; want handoff.yml, 1h", c.ConfigFile, c.Policy.ClaimWithin)
		}
	})
	t.Run("explicit HANDOFF_CONFIG", func(t *testing.T) {
		dir := inEmptyDir(t)
		path := filepath.Join(dir, "agreement.yml")
		writeFile(t, path, "timezone: Europe/Copenhagen\n")
		writeFile(t, filepath.Join(dir, "handoff.yml"), "timezone: Mars/Base\n") // must be ignored
		c, err := Load(envOf(map[string]string{"HANDOFF_CONFIG": path}))
		if err != nil {
			t.Fatalf("Load() error: %v", err)
		}
		if c.ConfigFile != path || c.Policy.Location.String() != "Europe/Copenhagen" {
			t.Errorf("ConfigFile %q, Location %v", c.ConfigFile, c.Policy.Location)
		}
	})
	t.Run("missing explicit HANDOFF_CONFIG is an error", func(t *testing.T) {
		inEmptyDir(t)
		_, err := Load(envOf(map[string]string{"HANDOFF_CONFIG": "nowhere.yml"}))
		if err == nil || !strings.Contains(err.Error(), "HANDOFF_CONFIG") || !strings.Contains(err.Error(), "nowhere.yml") {
			t.Errorf("Load() error = %v, want one naming HANDOFF_CONFIG and nowhere.yml", err)
		}
	})
	t.Run("environment and file errors are reported together", func(t *testing.T) {
		dir := inEmptyDir(t)
		writeFile(t, filepath.Join(dir, "handoff.yml"), "timezone: Mars/Base\nsla:\n  claim_within: soon\n")
		_, err := Load(envOf(map[string]string{"HANDOFF_ADDR": "nope", "DATABASE_URL": "mysql://x"}))
		if err == nil {
			t.Fatal("Load() succeeded, want errors")
		}
		for _, w := range []string{"HANDOFF_ADDR", "DATABASE_URL", "timezone", "Mars/Base", "sla.claim_within", `"soon"`, "handoff.yml"} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error does not mention %q:\n%v", w, err)
			}
		}
	})
}

func TestParsePolicyExampleFile(t *testing.T) {
	ag, err := LoadAgreement(filepath.Join("..", "handoff.example.yml"))
	if err != nil {
		t.Fatalf("LoadAgreement(handoff.example.yml) error: %v", err)
	}
	p := ag.Policy
	cph, err := time.LoadLocation("Europe/Copenhagen")
	if err != nil {
		t.Fatal(err)
	}
	want := handoff.Policy{
		Location:      cph,
		ClaimWithin:   2 * time.Hour,
		ContactWithin: 48 * time.Hour,
		BusinessHours: &handoff.BusinessHours{
			Days:     [7]bool{time.Monday: true, time.Tuesday: true, time.Wednesday: true, time.Thursday: true, time.Friday: true},
			Start:    8 * time.Hour,
			End:      17 * time.Hour,
			Holidays: map[string]bool{"2026-12-24": true, "2026-12-25": true},
		},
		RemindBefore:    []time.Duration{12 * time.Hour, time.Hour},
		ReleaseOnBreach: false,
		Targets:         handoff.Targets{SQLsPerMonth: 20, CustomersPerMonth: 5, AvgDealSize: 40000, Currency: "DKK"},
		DigestSchedule:  "0 8 * * MON",
		Retention:       730 * 24 * time.Hour,
	}
	if p.Location.String() != want.Location.String() {
		t.Errorf("Location = %v, want %v", p.Location, want.Location)
	}
	p.Location, want.Location = nil, nil
	if !reflect.DeepEqual(p, want) {
		t.Errorf("policy =\n%+v\nwant\n%+v\nhours %+v", p, want, *p.BusinessHours)
	}
}

// parsePolicy is the policy of ParseAgreement.
func parsePolicy(data []byte) (handoff.Policy, error) {
	ag, err := ParseAgreement(data)
	return ag.Policy, err
}

func TestParsePolicy(t *testing.T) {
	tests := []struct {
		name  string
		yaml  string
		check func(t *testing.T, p handoff.Policy)
	}{
		{"empty file is the default", "", func(t *testing.T, p handoff.Policy) {
			if !reflect.DeepEqual(p, handoff.DefaultPolicy()) {
				t.Errorf("got %+v", p)
			}
		}},
		{"comments only is the default", "# nothing yet\n", func(t *testing.T, p handoff.Policy) {
			if !reflect.DeepEqual(p, handoff.DefaultPolicy()) {
				t.Errorf("got %+v", p)
			}
		}},
		{"null sections are the default", "timezone:\nsla:\ndigest:\n", func(t *testing.T, p handoff.Policy) {
			if !reflect.DeepEqual(p, handoff.DefaultPolicy()) {
				t.Errorf("got %+v", p)
			}
		}},
		{"reminders sorted descending and deduped", "sla:\n  remind_before: [1h, 12h, 30m, 1h, 60m]\n", func(t *testing.T, p handoff.Policy) {
			if want := []time.Duration{12 * time.Hour, time.Hour, 30 * time.Minute}; !reflect.DeepEqual(p.RemindBefore, want) {
				t.Errorf("RemindBefore = %v, want %v", p.RemindBefore, want)
			}
		}},
		{"empty business_hours section gets office defaults", "sla:\n  business_hours: {}\n", func(t *testing.T, p handoff.Policy) {
			b := p.BusinessHours
			want := [7]bool{time.Monday: true, time.Tuesday: true, time.Wednesday: true, time.Thursday: true, time.Friday: true}
			if b == nil || b.Days != want || b.Start != 8*time.Hour || b.End != 17*time.Hour {
				t.Errorf("BusinessHours = %+v", b)
			}
		}},
		{"full day names, any case, and a 24:00 close", "sla:\n  business_hours:\n    days: [Saturday, SUN]\n    start: \"00:00\"\n    end: \"24:00\"\n", func(t *testing.T, p handoff.Policy) {
			b := p.BusinessHours
			if b.Days != [7]bool{time.Sunday: true, time.Saturday: true} || b.Start != 0 || b.End != 24*time.Hour {
				t.Errorf("BusinessHours = %+v", b)
			}
		}},
		{"release on breach", "sla:\n  release_on_breach: true\n", func(t *testing.T, p handoff.Policy) {
			if !p.ReleaseOnBreach {
				t.Error("ReleaseOnBreach = false")
			}
		}},
		{"zero targets are allowed", "sla:\n  targets: {sqls_per_month: 0, avg_deal_size: 0.0, currency: EUR}\n", func(t *testing.T, p handoff.Policy) {
			if p.Targets != (handoff.Targets{Currency: "EUR"}) {
				t.Errorf("Targets = %+v", p.Targets)
			}
		}},
		{"document markers around the one document", "---\nsla:\n  claim_within: 1h\n---\n", func(t *testing.T, p handoff.Policy) {
			if p.ClaimWithin != time.Hour {
				t.Errorf("ClaimWithin = %v, want 1h", p.ClaimWithin)
			}
		}},
		{"cron descriptor", "digest:\n  schedule: \"@weekly\"\n", func(t *testing.T, p handoff.Policy) {
			if p.DigestSchedule != "@weekly" {
				t.Errorf("DigestSchedule = %q", p.DigestSchedule)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := parsePolicy([]byte(tt.yaml))
			if err != nil {
				t.Fatalf("ParsePolicy error: %v", err)
			}
			tt.check(t, p)
		})
	}
}

func TestParsePolicyErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // substrings of the error: the key path and the value
	}{
		{"unknown time zone", "timezone: Mars/Base", []string{"config: timezone:", `unknown time zone "Mars/Base"`}},
		{"Local time zone", "timezone: Local", []string{"timezone", `"Local"`}},
		{"bad contact_within", "sla:\n  contact_within: 48 hours", []string{`config: sla.contact_within: invalid duration "48 hours"`}},
		{"bad claim_within", "sla:\n  claim_within: 2", []string{"sla.claim_within", `"2"`}},
		{"zero claim_within", "sla:\n  claim_within: 0s", []string{"sla.claim_within", `"0s"`, "greater than zero"}},
		{"negative contact_within", "sla:\n  contact_within: -1h", []string{"sla.contact_within", `"-1h"`}},
		{"claim longer than contact", "sla:\n  claim_within: 72h", []string{"sla.claim_within", "72h0m0s", "48h0m0s"}},
		{"duration as a list", "sla:\n  claim_within: [2h]", []string{"sla.claim_within", "a list"}},
		{"bad reminder", "sla:\n  remind_before: [12h, soon]", []string{"sla.remind_before[1]", `"soon"`}},
		{"zero reminder", "sla:\n  remind_before: [0m]", []string{"sla.remind_before[0]", `"0m"`}},
		{"reminder not before deadline", "sla:\n  contact_within: 24h\n  remind_before: [24h]", []string{"sla.remind_before[0]", `"24h"`, "less than sla.contact_within"}},
		{"reminders not a list", "sla:\n  remind_before: 1h", []string{"sla.remind_before", `"1h"`, "list"}},
		{"unknown day", "sla:\n  business_hours:\n    days: [mon, funday]", []string{`config: sla.business_hours.days: unknown day "funday"`}},
		{"no days", "sla:\n  business_hours:\n    days: []", []string{"sla.business_hours.days", "no open days"}},
		{"start not HH:MM", "sla:\n  business_hours:\n    start: 8am", []string{"sla.business_hours.start", `"8am"`, "HH:MM"}},
		{"end out of range", "sla:\n  business_hours:\n    end: \"25:00\"", []string{"sla.business_hours.end", `"25:00"`}},
		{"start 24:00", "sla:\n  business_hours:\n    start: \"24:00\"", []string{"sla.business_hours.start", `"24:00"`}},
		{"minutes out of range", "sla:\n  business_hours:\n    end: \"16:60\"", []string{"sla.business_hours.end", `"16:60"`}},
		{"start after end", "sla:\n  business_hours:\n    start: \"17:00\"\n    end: \"08:00\"", []string{"sla.business_hours", `start "17:00" must be before end "08:00"`}},
		{"start equals end", "sla:\n  business_hours:\n    start: \"09:00\"\n    end: \"09:00\"", []string{"sla.business_hours", `"09:00"`}},
		{"bad holiday", "sla:\n  business_hours:\n    holidays: [\"2026-12-24\", \"24/12/2026\"]", []string{"sla.business_hours.holidays[1]", `"24/12/2026"`, "YYYY-MM-DD"}},
		{"impossible holiday", "sla:\n  business_hours:\n    holidays: [\"2026-02-30\"]", []string{"sla.business_hours.holidays[0]", `"2026-02-30"`}},
		{"bad release_on_breach", "sla:\n  release_on_breach: maybe", []string{"sla.release_on_breach", `"maybe"`}},
		{"negative sqls target", "sla:\n  targets:\n    sqls_per_month: -3", []string{"sla.targets.sqls_per_month", `"-3"`}},
		{"fractional customers target", "sla:\n  targets:\n    customers_per_month: 2.5", []string{"sla.targets.customers_per_month", `"2.5"`}},
		{"negative deal size", "sla:\n  targets:\n    avg_deal_size: -1", []string{"sla.targets.avg_deal_size", `"-1"`}},
		{"deal size not a number", "sla:\n  targets:\n    avg_deal_size: lots", []string{"sla.targets.avg_deal_size", `"lots"`}},
		{"NaN deal size", "sla:\n  targets:\n    avg_deal_size: .nan", []string{"sla.targets.avg_deal_size", `".nan"`}},
		{"lowercase currency", "sla:\n  targets:\n    currency: dkk", []string{"sla.targets.currency", `"dkk"`}},
		{"long currency", "sla:\n  targets:\n    currency: DKKR", []string{"sla.targets.currency", `"DKKR"`}},
		{"bad cron", "digest:\n  schedule: \"every monday\"", []string{`config: digest.schedule: invalid cron "every monday": `}},
		{"cron with seconds", "digest:\n  schedule: \"0 0 8 * * MON\"", []string{"digest.schedule", `"0 0 8 * * MON"`}},
		{"TZ prefix", "digest:\n  schedule: \"TZ=Europe/Copenhagen\"", []string{"digest.schedule", `"TZ=Europe/Copenhagen"`, "agreement's timezone"}},
		{"TZ prefix with fields", "digest:\n  schedule: \"TZ=Europe/Copenhagen 0 8 * * MON\"", []string{"digest.schedule", "agreement's timezone"}},
		{"CRON_TZ prefix", "digest:\n  schedule: \"CRON_TZ=UTC 0 8 * * MON\"", []string{"digest.schedule", "agreement's timezone"}},
		{"cron that never runs", "digest:\n  schedule: \"0 8 30 2 *\"", []string{"digest.schedule", `"0 8 30 2 *"`, "never runs"}},
		{"unknown top-level key", "timezone: UTC\ntimezon: UTC", []string{"line 2", `unknown key "timezon"`}},
		{"unknown sla key", "sla:\n  claim_witin: 2h", []string{`unknown key "sla.claim_witin"`}},
		{"unknown business_hours key", "sla:\n  business_hours:\n    weekdays: [mon]", []string{`unknown key "sla.business_hours.weekdays"`}},
		{"unknown targets key", "sla:\n  targets:\n    sql_per_month: 3", []string{`unknown key "sla.targets.sql_per_month"`}},
		{"unknown digest key", "digest:\n  cron: \"0 8 * * MON\"", []string{`unknown key "digest.cron"`}},
		{"section of the wrong shape", "sla: fast", []string{"sla section", "fast"}},
		{"not YAML", "sla: [unclosed", []string{"config:", "yaml"}},
		{"second document", "timezone: UTC\n---\nsla:\n  claim_within: 1h\n", []string{"line 3", "second YAML document", "nothing from this line on would apply"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := parsePolicy([]byte(tt.yaml))
			if err == nil {
				t.Fatalf("ParsePolicy succeeded with %+v, want an error", p)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %q:\n%v", w, err)
				}
			}
			if !reflect.DeepEqual(p, handoff.Policy{}) {
				t.Errorf("ParsePolicy returned %+v with an error, want the zero Policy", p)
			}
		})
	}
}

func TestParsePolicyReportsEveryError(t *testing.T) {
	yaml := `timezone: Mars/Base
sla:
  claim_within: soon
  contact_within: 48 hours
  business_hours:
    days: [mon, funday]
    start: 8am
    holidays: [christmas]
  remind_before: [never]
  targets:
    sqls_per_month: -1
    currency: kr
  colour: blue
digest:
  schedule: sometimes
`
	_, err := parsePolicy([]byte(yaml))
	if err == nil {
		t.Fatal("ParsePolicy succeeded, want errors")
	}
	want := []string{
		`timezone: unknown time zone "Mars/Base"`,
		`sla.claim_within: invalid duration "soon"`,
		`sla.contact_within: invalid duration "48 hours"`,
		`sla.business_hours.days: unknown day "funday"`,
		`sla.business_hours.start: invalid time "8am"`,
		`sla.business_hours.holidays[0]: invalid date "christmas"`,
		`sla.remind_before[0]: invalid duration "never"`,
		`sla.targets.sqls_per_month: must not be negative, got "-1"`,
		`sla.targets.currency: invalid currency "kr"`,
		`unknown key "sla.colour"`,
		`digest.schedule: invalid cron "sometimes"`,
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error does not mention %q", w)
		}
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(want) {
		t.Errorf("got %d lines, want one per problem (%d):\n%v", len(lines), len(want), err)
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "config: ") {
			t.Errorf("line %q does not start with \"config: \"", l)
		}
	}
}

func TestAPIRateLimit(t *testing.T) {
	tests := []struct {
		value   string
		want    float64
		wantErr bool
	}{
		{"", DefaultAPIRateLimit, false},
		{"0", 0, false},
		{"12.5", 12.5, false},
		{"-1", 0, true},
		{"fast", 0, true},
	}
	for _, tc := range tests {
		c, err := Load(func(k string) string {
			if k == "HANDOFF_API_RATE_LIMIT" {
				return tc.value
			}
			if k == "HANDOFF_CONFIG" {
				return ""
			}
			return ""
		})
		if tc.wantErr {
			if err == nil || !strings.Contains(err.Error(), "HANDOFF_API_RATE_LIMIT") {
				t.Errorf("%q: err = %v, want one naming HANDOFF_API_RATE_LIMIT", tc.value, err)
			}
			continue
		}
		if err != nil || c.APIRateLimit != tc.want {
			t.Errorf("%q: rate %v, err %v; want %v", tc.value, c.APIRateLimit, err, tc.want)
		}
	}
}

func TestChannelsFromFileAndEnvironment(t *testing.T) {
	path := filepath.Join(t.TempDir(), "handoff.yml")
	os.WriteFile(path, []byte("channels:\n  slack:\n    sales: CSALES\n    managers: CMGR\n  teams:\n    sales: Sales Team/Sales\n"), 0o644)
	tests := []struct {
		name                           string
		env                            map[string]string
		slackSales, slackMgr, teamsSal string
	}{
		{"FromFile", nil, "CSALES", "CMGR", "Sales Team/Sales"},
		{"EnvironmentWins", map[string]string{"SLACK_SALES_CHANNEL": "COTHER", "TEAMS_SALES_CHANNEL": "19:abc"}, "COTHER", "CMGR", "19:abc"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load(func(k string) string {
				if k == "HANDOFF_CONFIG" {
					return path
				}
				return tc.env[k]
			})
			if err != nil {
				t.Fatal(err)
			}
			if c.Slack.SalesChannel != tc.slackSales || c.Slack.ManagerChannel != tc.slackMgr || c.Teams.SalesChannel != tc.teamsSal {
				t.Fatalf("channels = %q %q %q", c.Slack.SalesChannel, c.Slack.ManagerChannel, c.Teams.SalesChannel)
			}
		})
	}
	if _, err := parsePolicy([]byte("channels:\n  slack:\n    sale: C1\n")); err == nil || !strings.Contains(err.Error(), "channels.slack.sale") {
		t.Fatalf("unknown channel key: err = %v", err)
	}
	if _, err := parsePolicy([]byte("channels:\n  slack:\n    sales: C0123456789\n    managers: \"#sales-managers\"\n")); err == nil ||
		!strings.Contains(err.Error(), `config: channels.slack.managers: line 4: "#sales-managers" is not a Slack channel id`) || strings.Contains(err.Error(), "sales:") {
		t.Fatalf("a channel named, not its id: err = %v", err)
	}
	long := "19:" + strings.Repeat("a", handoff.MaxChatIDLen) + "@thread.tacv2"
	if _, err := parsePolicy([]byte("channels:\n  teams:\n    sales: Sales Team/Sales\n    managers: \"" + long + "\"\n")); err == nil ||
		!strings.Contains(err.Error(), `config: channels.teams.managers: line 4: "19:`+strings.Repeat("a", 36)+`…" is longer than 300 characters`) || strings.Contains(err.Error(), "sales:") {
		t.Fatalf("a Teams channel longer than the store keeps: err = %v", err)
	}
}

func TestTeamsTenants(t *testing.T) {
	teams := map[string]string{"TEAMS_APP_ID": "app-id", "TEAMS_APP_PASSWORD": "pw"}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range teams {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name    string
		env     map[string]string
		want    []string // Tenants()
		wantErr string
	}{
		{"no tenant is refused", with(nil), nil, "TEAMS_TENANT_ID: required when TEAMS_APP_ID is set"},
		{"our tenant", with(map[string]string{"TEAMS_TENANT_ID": "t-ours"}), []string{"t-ours"}, ""},
		{"several tenants listed", with(map[string]string{"TEAMS_ALLOWED_TENANTS": "t-a, t-b"}), []string{"t-a", "t-b"}, ""},
		{"ours and others", with(map[string]string{"TEAMS_TENANT_ID": "t-ours", "TEAMS_ALLOWED_TENANTS": "t-b"}), []string{"t-ours", "t-b"}, ""},
		{"teams off needs none", map[string]string{}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inEmptyDir(t)
			c, err := Load(envOf(tt.env))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "TEAMS_ALLOWED_TENANTS") {
					t.Fatalf("Load() error = %v, want %q naming TEAMS_ALLOWED_TENANTS", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load() error: %v", err)
			}
			if got := c.Teams.Tenants(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Tenants() = %q, want %q", got, tt.want)
			}
		})
	}
}

// The metrics listener's address, and Go's profiles beside it: served
// only when HANDOFF_PPROF says on, and only on a loopback listener.
func TestMetricsAddr(t *testing.T) {
	tests := []struct {
		metrics, pprof, want string
		wantPprof            bool
		wantErr              string
	}{
		{"", "", DefaultMetricsAddr, false, ""},
		{"0.0.0.0:9100", "", "0.0.0.0:9100", false, ""},
		{"off", "", MetricsOff, false, ""},
		{"9100", "", "", false, "HANDOFF_METRICS_ADDR"},
		{"", "off", DefaultMetricsAddr, false, ""},
		{"", "on", DefaultMetricsAddr, true, ""},
		{"[::1]:9100", "on", "[::1]:9100", true, ""},
		{"localhost:9100", "on", "localhost:9100", true, ""},
		{":9090", "on", "", false, "HANDOFF_PPROF"},
		{"0.0.0.0:9090", "on", "", false, "HANDOFF_PPROF"},
		{"10.0.0.7:9090", "on", "", false, "HANDOFF_PPROF"},
		{"off", "on", "", false, "HANDOFF_PPROF"},
		{"", "yes", "", false, "HANDOFF_PPROF"},
	}
	for _, tt := range tests {
		t.Run(tt.metrics+" pprof "+tt.pprof, func(t *testing.T) {
			inEmptyDir(t)
			c, err := Load(envOf(map[string]string{"HANDOFF_METRICS_ADDR": tt.metrics, "HANDOFF_PPROF": tt.pprof}))
			switch {
			case tt.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Load() error = %v, want one naming %s", err, tt.wantErr)
				}
			case err != nil:
				t.Fatalf("Load() error: %v", err)
			case c.MetricsAddr != tt.want || c.Pprof != tt.wantPprof:
				t.Errorf("MetricsAddr, Pprof = %q, %v, want %q, %v", c.MetricsAddr, c.Pprof, tt.want, tt.wantPprof)
			}
		})
	}
}
