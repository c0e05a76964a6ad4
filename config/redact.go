package config

import (
	"cmp"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/internal/redact"
)

// Printing and logging the settings: every way of formatting a Config shows
// the redacted settings, never a secret.

// Redacted returns the effective settings for logging, keyed by environment
// variable (and "policy.*" for the agreement). Secrets show only "(set)" or
// "(unset)"; the database password and secret-looking query parameters are
// masked. Nothing it returns is a secret.
func (c Config) Redacted() map[string]string {
	p := c.Policy
	m := map[string]string{
		"HANDOFF_ADDR":              c.Addr,
		"HANDOFF_METRICS_ADDR":      c.MetricsAddr,
		"HANDOFF_PPROF":             onOff(c.Pprof),
		"HANDOFF_LOG_LEVEL":         c.LogLevel.String(),
		"HANDOFF_API_RATE_LIMIT":    strconv.FormatFloat(c.APIRateLimit, 'g', -1, 64),
		"HANDOFF_OUTBOX_LEASE":      c.OutboxLease.String(),
		"DATABASE_URL":              redact.URL(c.DatabaseURL),
		"HANDOFF_API_TOKEN":         secret(c.APIToken),
		"HANDOFF_CONFIG":            cmp.Or(c.ConfigFile, "(none, built-in agreement)"),
		"SLACK_BOT_TOKEN":           secret(c.Slack.BotToken),
		"SLACK_SIGNING_SECRET":      secret(c.Slack.SigningSecret),
		"SLACK_APP_TOKEN":           secret(c.Slack.AppToken),
		"SLACK_API_URL":             redact.URL(c.Slack.APIURL),
		"SLACK_SALES_CHANNEL":       c.Slack.SalesChannel,
		"SLACK_MANAGER_CHANNEL":     c.Slack.ManagerChannel,
		"SLACK_MANAGERS":            strings.Join(c.Slack.Managers, ","),
		"SLACK_MANAGER_GROUP":       c.Slack.ManagerGroup,
		"TEAMS_APP_ID":              c.Teams.AppID,
		"TEAMS_APP_PASSWORD":        secret(c.Teams.AppPassword),
		"TEAMS_TENANT_ID":           c.Teams.TenantID,
		"TEAMS_ALLOWED_TENANTS":     strings.Join(c.Teams.AllowedTenants, ","),
		"TEAMS_CLOUD":               c.Teams.Cloud,
		"TEAMS_TOKEN_URL":           redact.URL(c.Teams.TokenURL),
		"TEAMS_OPENID_METADATA_URL": redact.URL(c.Teams.OpenIDMetadataURL),
		"TEAMS_TOKEN_ISSUER":        c.Teams.TokenIssuer,
		"TEAMS_TOKEN_SCOPE":         c.Teams.TokenScope,
		"TEAMS_SALES_CHANNEL":       c.Teams.SalesChannel,
		"TEAMS_MANAGER_CHANNEL":     c.Teams.ManagerChannel,
		"TEAMS_MANAGERS":            strings.Join(c.Teams.Managers, ","),
		"policy.timezone":           locationName(p),
		"policy.claim_within":       p.ClaimWithin.String(),
		"policy.contact_within":     p.ContactWithin.String(),
		"policy.business_hours":     describeHours(p.BusinessHours),
		"policy.remind_before":      fmt.Sprint(p.RemindBefore),
		"policy.release_on_breach":  strconv.FormatBool(p.ReleaseOnBreach),
		"policy.targets": fmt.Sprintf("%d SQLs, %d customers, avg %g %s per month",
			p.Targets.SQLsPerMonth, p.Targets.CustomersPerMonth, p.Targets.AvgDealSize, p.Targets.Currency),
		"policy.digest_schedule": p.DigestSchedule,
	}
	c.CRM.redacted(m)
	m["HANDOFF_API_TOKENS"] = describeTokens(c.APITokens)
	m["webhooks"] = fmt.Sprint(c.Webhooks)
	return m
}

// LogValue makes slog print the redacted settings, so logging a Config
// directly never leaks a secret.
func (c Config) LogValue() slog.Value {
	m := c.Redacted()
	attrs := make([]slog.Attr, 0, len(m))
	for k, v := range m {
		attrs = append(attrs, slog.String(k, v))
	}
	return slog.GroupValue(attrs...)
}

// String returns the redacted settings, so printing a Config with fmt never
// leaks a secret.
func (c Config) String() string { return fmt.Sprint(c.Redacted()) }

// GoString is String, so %#v does not leak secrets either.
func (c Config) GoString() string { return c.String() }

// String hides the secrets of a SlackConfig printed on its own.
func (s SlackConfig) String() string {
	return fmt.Sprintf("{bot token %s, signing secret %s, app token %s, api %s, sales %s, managers %s %v %s}",
		secret(s.BotToken), secret(s.SigningSecret), secret(s.AppToken), s.APIURL, s.SalesChannel, s.ManagerChannel, s.Managers, s.ManagerGroup)
}

// GoString is String, so %#v does not leak secrets either.
func (s SlackConfig) GoString() string { return s.String() }

// String hides the secret of a TeamsConfig printed on its own.
func (t TeamsConfig) String() string {
	return fmt.Sprintf("{app %s, password %s, tenant %s, cloud %s, token %s, openid %s, issuer %s, scope %s, sales %s, managers %s %v}",
		t.AppID, secret(t.AppPassword), t.TenantID, t.Cloud, t.TokenURL, t.OpenIDMetadataURL, t.TokenIssuer, t.TokenScope, t.SalesChannel, t.ManagerChannel, t.Managers)
}

// GoString is String, so %#v does not leak secrets either.
func (t TeamsConfig) GoString() string { return t.String() }

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
