// Package config loads Handoff's settings: process settings and secrets from
// the environment, the SLA agreement from a YAML file. It validates all of
// them at once and reports every problem, so a bad deployment fails at start
// with a complete list rather than one error per restart.
package config

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/internal/redact"
)

// Defaults for settings read from the environment.
const (
	DefaultAddr        = ":8080"
	DefaultDatabaseURL = "handoff.db"
	DefaultConfigFile  = "handoff.yml"
	DefaultSlackAPIURL = "https://slack.com/api/"
	// DefaultAPIRateLimit is the default HANDOFF_API_RATE_LIMIT.
	DefaultAPIRateLimit = 200
	// DefaultMetricsAddr is the default HANDOFF_METRICS_ADDR: the loopback
	// interface only, off the public port.
	DefaultMetricsAddr = "127.0.0.1:9090"
	// MetricsOff is the HANDOFF_METRICS_ADDR that serves no separate
	// metrics listener.
	MetricsOff = "off"
	// DefaultOutboxLease is the default HANDOFF_OUTBOX_LEASE.
	DefaultOutboxLease = 2 * time.Minute
	// DefaultSlackTimeout is the default SLACK_TIMEOUT, the only one:
	// bot/slack bounds its calls by the timeout it is given.
	DefaultSlackTimeout = 30 * time.Second
	// DefaultTeamsTimeout is the default TEAMS_TIMEOUT, the only one:
	// bot/teams bounds its calls by the timeout it is given.
	DefaultTeamsTimeout = 15 * time.Second
)

// Config is everything Handoff needs to run.
type Config struct {
	// Addr is the HTTP listen address, host:port (HANDOFF_ADDR, else ":$PORT"
	// when PORT is set, else ":8080").
	Addr string
	// LogLevel is the least level logged (HANDOFF_LOG_LEVEL, default info).
	LogLevel slog.Level
	// DatabaseURL is a SQLite path or sqlite:/file: URL, or a postgres:// or
	// postgresql:// URL (DATABASE_URL, default "handoff.db"). May hold a
	// password: never log it, use Redacted.
	DatabaseURL string
	// APIToken authenticates calls to the HTTP API (HANDOFF_API_TOKEN), as
	// a write token named "api". Secret.
	APIToken string
	// APITokens are the named tokens of HANDOFF_API_TOKENS, each read,
	// intake or write. Secret.
	APITokens []APIToken
	// APIRateLimit is the requests per second each API token may make, with
	// bursts of twice that (HANDOFF_API_RATE_LIMIT, default 200; 0 turns it off).
	APIRateLimit float64
	// MetricsAddr is where /metrics is served without a token, host:port
	// (HANDOFF_METRICS_ADDR, default "127.0.0.1:9090"; "off" for nowhere).
	// On the public Addr, /metrics needs the API token.
	MetricsAddr string
	// Pprof serves Go's profiles, /debug/pprof/, beside /metrics on a
	// loopback MetricsAddr (HANDOFF_PPROF=on; default off: anyone who
	// shares the loopback interface, such as a sidecar, could read them).
	Pprof bool
	// OutboxLease is how long a replica may hold an outbox message it is
	// sending before another replica takes it over (HANDOFF_OUTBOX_LEASE,
	// default 2m).
	OutboxLease time.Duration
	// Slack holds the Slack app settings.
	Slack SlackConfig
	// Teams holds the Microsoft Teams bot settings.
	Teams TeamsConfig
	// CRM holds the HubSpot and Salesforce connector settings.
	CRM CRMConfig
	// Webhooks are the endpoints of outgoing webhooks, from the agreement
	// file with their secrets from the environment.
	Webhooks []WebhookEndpoint
	// Policy is the SLA agreement from the YAML file, or the default one.
	Policy handoff.Policy
	// ConfigFile is the YAML path actually loaded, "" if none.
	ConfigFile string
}

// SlackConfig holds the Slack app settings.
type SlackConfig struct {
	BotToken       string   // SLACK_BOT_TOKEN, xoxb-…; secret
	SigningSecret  string   // SLACK_SIGNING_SECRET; secret
	AppToken       string   // SLACK_APP_TOKEN, xapp-…, for Socket Mode; secret
	APIURL         string   // SLACK_API_URL, default "https://slack.com/api/", always ends with "/"
	SalesChannel   string   // SLACK_SALES_CHANNEL, channel id where SQLs are posted
	ManagerChannel string   // SLACK_MANAGER_CHANNEL, channel id for escalations and digests
	Managers       []string // SLACK_MANAGERS, comma-separated user ids
	ManagerGroup   string   // SLACK_MANAGER_GROUP, user group id
	// Timeout bounds each Web API call, its answer read whole
	// (SLACK_TIMEOUT, default 30s).
	Timeout time.Duration
}

// Enabled reports whether Slack is configured (a bot token is set).
func (s SlackConfig) Enabled() bool { return s.BotToken != "" }

// SocketMode reports whether Slack events arrive over Socket Mode (an app
// token is set) rather than over HTTP.
func (s SlackConfig) SocketMode() bool { return s.AppToken != "" }

// TeamsConfig holds the Microsoft Teams (Bot Framework) settings.
type TeamsConfig struct {
	AppID             string   // TEAMS_APP_ID
	AppPassword       string   // TEAMS_APP_PASSWORD; secret
	TenantID          string   // TEAMS_TENANT_ID, our tenant: activities from others are refused
	AllowedTenants    []string // TEAMS_ALLOWED_TENANTS, comma-separated further tenants to accept
	Cloud             string   // TEAMS_CLOUD: public, usgov, usgovdod or china; sets the four below
	TokenURL          string   // TEAMS_TOKEN_URL, default from the cloud and the tenant
	OpenIDMetadataURL string   // TEAMS_OPENID_METADATA_URL
	TokenIssuer       string   // TEAMS_TOKEN_ISSUER, the iss of inbound tokens
	TokenScope        string   // TEAMS_TOKEN_SCOPE, the scope of outbound tokens
	SalesChannel      string   // TEAMS_SALES_CHANNEL, conversation id
	ManagerChannel    string   // TEAMS_MANAGER_CHANNEL, conversation id
	Managers          []string // TEAMS_MANAGERS, comma-separated AAD object ids or emails
	// Timeout bounds each call to the Bot Connector and to the token
	// endpoint, its answer read whole (TEAMS_TIMEOUT, default 15s).
	Timeout time.Duration
}

// Enabled reports whether Teams is configured (an app id is set).
func (t TeamsConfig) Enabled() bool { return t.AppID != "" }

// Tenants returns every tenant whose activities are accepted: TenantID and
// AllowedTenants.
func (t TeamsConfig) Tenants() []string {
	var out []string
	if t.TenantID != "" {
		out = append(out, t.TenantID)
	}
	return append(out, t.AllowedTenants...)
}

// Load reads the environment through getenv (os.Getenv in production),
// each secret from its _FILE variant when that is set (see SecretVars), and
// the agreement file named by HANDOFF_CONFIG. Without HANDOFF_CONFIG it
// loads "handoff.yml" from the working directory when that file exists and
// uses handoff.DefaultPolicy otherwise; an explicit HANDOFF_CONFIG that does
// not exist is an error.
//
// On failure it returns the zero Config and every problem found, in the
// environment and in the file, joined with errors.Join (one per line).
// Error messages never contain secrets.
func Load(getenv func(string) string) (Config, error) {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("config: "+key+": "+format, args...))
	}
	getenv = withSecretFiles(getenv, bad)
	env := refuseQuoted(func(key string) string { return strings.TrimSpace(getenv(key)) }, bad)

	addr, addrFrom := ListenAddr(getenv)
	c := Config{
		Addr:         addr,
		MetricsAddr:  cmp.Or(env("HANDOFF_METRICS_ADDR"), DefaultMetricsAddr),
		DatabaseURL:  cmp.Or(env("DATABASE_URL"), DefaultDatabaseURL),
		APIToken:     env("HANDOFF_API_TOKEN"),
		APIRateLimit: DefaultAPIRateLimit,
		Slack: SlackConfig{
			BotToken:       env("SLACK_BOT_TOKEN"),
			SigningSecret:  env("SLACK_SIGNING_SECRET"),
			AppToken:       env("SLACK_APP_TOKEN"),
			APIURL:         cmp.Or(env("SLACK_API_URL"), DefaultSlackAPIURL),
			SalesChannel:   env("SLACK_SALES_CHANNEL"),
			ManagerChannel: env("SLACK_MANAGER_CHANNEL"),
			Managers:       splitList(env("SLACK_MANAGERS")),
			ManagerGroup:   env("SLACK_MANAGER_GROUP"),
		},
		Teams: TeamsConfig{
			AppID:          env("TEAMS_APP_ID"),
			AppPassword:    env("TEAMS_APP_PASSWORD"),
			TenantID:       env("TEAMS_TENANT_ID"),
			AllowedTenants: splitList(env("TEAMS_ALLOWED_TENANTS")),
			SalesChannel:   env("TEAMS_SALES_CHANNEL"),
			ManagerChannel: env("TEAMS_MANAGER_CHANNEL"),
			Managers:       splitList(env("TEAMS_MANAGERS")),
		},
	}
	c.CRM = loadCRM(env, bad)
	c.APITokens = parseAPITokens(env("HANDOFF_API_TOKENS"), c.APIToken, bad)
	c.CRM.SalesforceStatus = DefaultSalesforceStatus()
	resolveTeamsCloud(env, &c.Teams, bad)

	if v := env("HANDOFF_API_RATE_LIMIT"); v != "" {
		if n, err := strconv.ParseFloat(v, 64); err != nil || n < 0 || math.IsNaN(n) || math.IsInf(n, 0) {
			bad("HANDOFF_API_RATE_LIMIT", "invalid rate %q: want requests per second, 0 for no limit", v)
		} else {
			c.APIRateLimit = n
		}
	}
	c.OutboxLease = duration(env, bad, "HANDOFF_OUTBOX_LEASE", DefaultOutboxLease, "2m")
	c.Slack.Timeout = duration(env, bad, "SLACK_TIMEOUT", DefaultSlackTimeout, "10s")
	c.Teams.Timeout = duration(env, bad, "TEAMS_TIMEOUT", DefaultTeamsTimeout, "10s")
	if err := checkAddr(c.Addr); err != nil {
		bad(cmp.Or(addrFrom, "HANDOFF_ADDR"), "invalid address %q: %v", c.Addr, err)
	}
	if l, err := parseLogLevel(env("HANDOFF_LOG_LEVEL")); err != nil {
		bad("HANDOFF_LOG_LEVEL", "%v", err)
	} else {
		c.LogLevel = l
	}
	if c.MetricsAddr != MetricsOff {
		if err := checkAddr(c.MetricsAddr); err != nil {
			bad("HANDOFF_METRICS_ADDR", "invalid address %q: %v (or %q for no metrics listener)", c.MetricsAddr, err, MetricsOff)
		}
	}
	switch v := env("HANDOFF_PPROF"); v {
	case "", "off":
	case "on":
		if !loopbackAddr(c.MetricsAddr) {
			bad("HANDOFF_PPROF", "on needs a loopback HANDOFF_METRICS_ADDR (such as %s), not %q: the profiles are never served where other machines reach them",
				DefaultMetricsAddr, c.MetricsAddr)
		}
		c.Pprof = true
	default:
		bad("HANDOFF_PPROF", "invalid value %q: want on or off", v)
	}
	if err := checkDatabaseURL(c.DatabaseURL); err != nil {
		bad("DATABASE_URL", "%v", err)
	}
	if err := checkHTTPURL(c.Slack.APIURL); err != nil {
		bad("SLACK_API_URL", "invalid URL %q: %v", redact.URL(c.Slack.APIURL), err)
	} else if !strings.HasSuffix(c.Slack.APIURL, "/") {
		c.Slack.APIURL += "/"
	}
	for _, ch := range []struct{ key, v string }{{"SLACK_SALES_CHANNEL", c.Slack.SalesChannel}, {"SLACK_MANAGER_CHANNEL", c.Slack.ManagerChannel}} {
		if p := slackIDProblem("channel", ch.v); p != "" {
			bad(ch.key, "%s", p)
		}
	}
	for _, ch := range []struct{ key, v string }{{"TEAMS_SALES_CHANNEL", c.Teams.SalesChannel}, {"TEAMS_MANAGER_CHANNEL", c.Teams.ManagerChannel}} {
		if p := teamsChannelProblem(ch.v); p != "" {
			bad(ch.key, "%s", p)
		}
	}
	for _, v := range c.Slack.Managers {
		if p := slackIDProblem("user", v); p != "" {
			bad("SLACK_MANAGERS", "%s", p)
		}
	}
	if p := slackIDProblem("user group", c.Slack.ManagerGroup); p != "" {
		bad("SLACK_MANAGER_GROUP", "%s", p)
	}
	for _, v := range c.Teams.Managers {
		if p := teamsUserProblem(v); p != "" {
			bad("TEAMS_MANAGERS", "%s", p)
		}
	}
	if c.Teams.Enabled() && len(c.Teams.Tenants()) == 0 {
		bad("TEAMS_TENANT_ID", "required when TEAMS_APP_ID is set: only activities from this tenant are accepted "+
			"(to accept several tenants, list them in TEAMS_ALLOWED_TENANTS)")
	}

	c.Policy = handoff.DefaultPolicy()
	path, explicit := env("HANDOFF_CONFIG"), true
	if path == "" {
		path, explicit = DefaultConfigFile, false
	}
	switch _, err := os.Stat(path); {
	case err == nil:
		ch, err := LoadAgreement(path)
		if err != nil {
			errs = append(errs, fmt.Errorf("config: in %s:\n%w", path, err))
		} else {
			c.Policy, c.ConfigFile = ch.Policy, path
			c.CRM.SalesforceStatus = ch.SalesforceStatus
			c.Webhooks = webhookEndpoints(ch.Webhooks, env, bad)
			c.Slack.SalesChannel = cmp.Or(c.Slack.SalesChannel, ch.SlackSales)
			c.Slack.ManagerChannel = cmp.Or(c.Slack.ManagerChannel, ch.SlackManagers)
			c.Teams.SalesChannel = cmp.Or(c.Teams.SalesChannel, ch.TeamsSales)
			c.Teams.ManagerChannel = cmp.Or(c.Teams.ManagerChannel, ch.TeamsManagers)
		}
	case explicit || !errors.Is(err, fs.ErrNotExist):
		bad("HANDOFF_CONFIG", "%v", err)
	}

	if len(errs) > 0 {
		return Config{}, errors.Join(errs...)
	}
	return c, nil
}

// CheckServe reports what serve refuses to start with beyond what Load
// checks, the secrets a chat platform's requests are verified or its bot
// signs in with, so that config check refuses it too: commands that only
// post (chat test, digest) run without them.
func (c Config) CheckServe() error {
	var errs []error
	if c.Slack.Enabled() && !c.Slack.SocketMode() && c.Slack.SigningSecret == "" {
		errs = append(errs, errors.New("config: SLACK_SIGNING_SECRET: required when SLACK_BOT_TOKEN is set: "+
			"Slack's requests over HTTP are verified with it (or set SLACK_APP_TOKEN for Socket Mode)"))
	}
	if c.Teams.Enabled() && c.Teams.AppPassword == "" {
		errs = append(errs, errors.New("config: TEAMS_APP_PASSWORD: required when TEAMS_APP_ID is set: the bot signs in with it"))
	}
	return errors.Join(errs...)
}

// DatabaseDialect returns "postgres" for a postgres:// or postgresql:// URL
// and "sqlite" for anything else Load accepts.
func (c Config) DatabaseDialect() string {
	if s := scheme(c.DatabaseURL); s == "postgres" || s == "postgresql" {
		return "postgres"
	}
	return "sqlite"
}

// scheme returns the lower-case URL scheme of s, or "" for a plain path
// (including Windows drive letters such as C:\): the test by which
// redact.URL leaves a path unchanged.
func scheme(s string) string { return redact.Scheme(s) }

// checkDatabaseURL accepts a file path, sqlite: and file: URLs, and
// postgres:// or postgresql:// URLs. Its errors show the scheme, never the
// whole URL, which may hold a password.
func checkDatabaseURL(s string) error {
	switch sc := scheme(s); sc {
	case "", "sqlite", "sqlite3", "file":
		return nil
	case "postgres", "postgresql":
		u, err := url.Parse(s)
		if err != nil || !strings.HasPrefix(strings.ToLower(s), sc+"://") {
			return fmt.Errorf("invalid %s URL %q, want %s://user:password@host:5432/dbname", sc, redact.URL(s), sc)
		}
		if u.Host == "" {
			return fmt.Errorf("invalid %s URL %q: missing host", sc, redact.URL(s))
		}
		return nil
	default:
		return fmt.Errorf("unsupported scheme %q, want a file path, sqlite:, file:, postgres:// or postgresql://", sc)
	}
}

// checkAddr accepts host:port with an empty or named host and a numeric port.
func checkAddr(s string) error {
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Errorf("want host:port such as :8080")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port %q is not a number between 0 and 65535", port)
	}
	return nil
}

// loopbackAddr tells whether the host:port addr names the loopback
// interface only: localhost or a loopback IP.
func loopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return host == "localhost" || ip != nil && ip.IsLoopback()
}

// checkHTTPURL accepts absolute http and https URLs.
func checkHTTPURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return errors.New("not a URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return errors.New("want an absolute http:// or https:// URL")
	}
	if u.Host == "" {
		return errors.New("missing host")
	}
	return nil
}

// duration reads the variable key, a Go duration of at least 1s (such as
// example); def when it is unset. Anything else (unparsable, zero,
// negative, under a second) is reported through bad, naming key, and def
// returned.
func duration(env func(string) string, bad func(key, format string, args ...any), key string, def time.Duration, example string) time.Duration {
	v := env(key)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < time.Second {
		bad(key, "invalid duration %q: want Go syntax of at least 1s, e.g. %s", v, example)
		return def
	}
	return d
}

// splitList splits a comma-separated list, trimming spaces and dropping
// empty entries; it returns nil for an empty string.
func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
