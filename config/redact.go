package config

import (
	"cmp"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/internal/redact"
)

// Printing and logging the settings: every way of formatting a Config, or
// one part of it, shows the settings as Redacted does, never a secret. Each
// part fills its keys in with a redacted method (URLs masked by
// internal/redact, secrets shown only as set or unset), and its String,
// Format (every fmt verb, %d and %#v too), LogValue and MarshalText (JSON,
// and slog's handlers for a part within a slice or a struct) print only
// that. A value of one string (a token, a webhook) has String, Format and
// MarshalText.

// Redacted returns the effective settings for logging, keyed by environment
// variable (and "policy.*" for the agreement). Secrets show only "(set)" or
// "(unset)"; the database password and secret-looking query parameters are
// masked. Nothing it returns is a secret.
func (c Config) Redacted() map[string]string {
	m := map[string]string{}
	c.redacted(m)
	return m
}

func (c Config) redacted(m map[string]string) {
	p := c.Policy
	m["HANDOFF_ADDR"] = c.Addr
	m["HANDOFF_METRICS_ADDR"] = c.MetricsAddr
	m["HANDOFF_PPROF"] = onOff(c.Pprof)
	m["HANDOFF_LOG_LEVEL"] = c.LogLevel.String()
	m["HANDOFF_API_RATE_LIMIT"] = strconv.FormatFloat(c.APIRateLimit, 'g', -1, 64)
	m["HANDOFF_OUTBOX_LEASE"] = c.OutboxLease.String()
	m["DATABASE_URL"] = redact.URL(c.DatabaseURL)
	m["HANDOFF_API_TOKEN"] = secret(c.APIToken)
	m["HANDOFF_API_TOKENS"] = describeTokens(c.APITokens)
	m["HANDOFF_CONFIG"] = cmp.Or(c.ConfigFile, "(none, built-in agreement)")
	m["policy.timezone"] = locationName(p)
	m["policy.claim_within"] = p.ClaimWithin.String()
	m["policy.contact_within"] = p.ContactWithin.String()
	m["policy.business_hours"] = describeHours(p.BusinessHours)
	m["policy.remind_before"] = fmt.Sprint(p.RemindBefore)
	m["policy.release_on_breach"] = strconv.FormatBool(p.ReleaseOnBreach)
	m["policy.targets"] = fmt.Sprintf("%d SQLs, %d customers, avg %g %s per month",
		p.Targets.SQLsPerMonth, p.Targets.CustomersPerMonth, p.Targets.AvgDealSize, p.Targets.Currency)
	m["policy.digest_schedule"] = p.DigestSchedule
	m["webhooks"] = fmt.Sprint(c.Webhooks)
	c.Slack.redacted(m)
	c.Teams.redacted(m)
	c.CRM.redacted(m)
}

func (s SlackConfig) redacted(m map[string]string) {
	m["SLACK_BOT_TOKEN"] = secret(s.BotToken)
	m["SLACK_SIGNING_SECRET"] = secret(s.SigningSecret)
	m["SLACK_APP_TOKEN"] = secret(s.AppToken)
	m["SLACK_API_URL"] = redact.URL(s.APIURL)
	m["SLACK_SALES_CHANNEL"] = s.SalesChannel
	m["SLACK_MANAGER_CHANNEL"] = s.ManagerChannel
	m["SLACK_MANAGERS"] = strings.Join(s.Managers, ",")
	m["SLACK_MANAGER_GROUP"] = s.ManagerGroup
	m["SLACK_TIMEOUT"] = s.Timeout.String()
}

func (t TeamsConfig) redacted(m map[string]string) {
	m["TEAMS_APP_ID"] = t.AppID
	m["TEAMS_APP_PASSWORD"] = secret(t.AppPassword)
	m["TEAMS_TENANT_ID"] = t.TenantID
	m["TEAMS_ALLOWED_TENANTS"] = strings.Join(t.AllowedTenants, ",")
	m["TEAMS_CLOUD"] = t.Cloud
	m["TEAMS_TOKEN_URL"] = redact.URL(t.TokenURL)
	m["TEAMS_OPENID_METADATA_URL"] = redact.URL(t.OpenIDMetadataURL)
	m["TEAMS_TOKEN_ISSUER"] = redact.URL(t.TokenIssuer)
	m["TEAMS_TOKEN_SCOPE"] = redact.URL(t.TokenScope)
	m["TEAMS_SALES_CHANNEL"] = t.SalesChannel
	m["TEAMS_MANAGER_CHANNEL"] = t.ManagerChannel
	m["TEAMS_MANAGERS"] = strings.Join(t.Managers, ",")
	m["TEAMS_TIMEOUT"] = t.Timeout.String()
}

// String returns the redacted settings.
func (c Config) String() string { return show(c.redacted) }

// Format prints String, whatever the verb.
func (c Config) Format(f fmt.State, _ rune) { io.WriteString(f, c.String()) }

// LogValue makes slog log the redacted settings.
func (c Config) LogValue() slog.Value { return logValue(c.redacted) }

// MarshalText is String, for encoding/json and encoding's other users.
func (c Config) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// String returns the redacted Slack settings.
func (s SlackConfig) String() string { return show(s.redacted) }

// Format prints String, whatever the verb.
func (s SlackConfig) Format(f fmt.State, _ rune) { io.WriteString(f, s.String()) }

// LogValue makes slog log the redacted Slack settings.
func (s SlackConfig) LogValue() slog.Value { return logValue(s.redacted) }

// MarshalText is String, for encoding/json and encoding's other users.
func (s SlackConfig) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// String returns the redacted Teams settings.
func (t TeamsConfig) String() string { return show(t.redacted) }

// Format prints String, whatever the verb.
func (t TeamsConfig) Format(f fmt.State, _ rune) { io.WriteString(f, t.String()) }

// LogValue makes slog log the redacted Teams settings.
func (t TeamsConfig) LogValue() slog.Value { return logValue(t.redacted) }

// MarshalText is String, for encoding/json and encoding's other users.
func (t TeamsConfig) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// show is the settings fill puts in, as fmt prints a map: sorted by key.
func show(fill func(map[string]string)) string {
	m := map[string]string{}
	fill(m)
	return fmt.Sprint(m)
}

// logValue is the settings fill puts in as a slog group, sorted by key.
func logValue(fill func(map[string]string)) slog.Value {
	m := map[string]string{}
	fill(m)
	attrs := make([]slog.Attr, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		attrs = append(attrs, slog.String(k, m[k]))
	}
	return slog.GroupValue(attrs...)
}

// onOff words a switch as its variable is set.
func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func secret(s string) string {
	if s == "" {
		return "(unset)"
	}
	return "(set)"
}

func locationName(p handoff.Policy) string {
	if p.Location == nil {
		return "UTC"
	}
	return p.Location.String()
}

func describeHours(b *handoff.BusinessHours) string {
	if b == nil {
		return "24/7"
	}
	var days []string
	for d, open := range b.Days {
		if open {
			days = append(days, strings.ToLower(time.Weekday(d).String()[:3]))
		}
	}
	return fmt.Sprintf("%s %s-%s, %d holidays", strings.Join(days, ","), hhmm(b.Start), hhmm(b.End), len(b.Holidays))
}
