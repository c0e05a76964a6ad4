package config

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
)

// SecretVars are the fixed variables that hold secrets; a webhook's
// secret_env names one more. Every variable Load reads may instead be given
// as the same name with a _FILE suffix naming a file that holds the value
// (Docker and Kubernetes secrets, systemd credentials); these are the ones
// it is meant for.
var SecretVars = []string{
	"HANDOFF_API_TOKEN",
	"DATABASE_URL", // may carry the database password
	"SLACK_BOT_TOKEN",
	"SLACK_SIGNING_SECRET",
	"SLACK_APP_TOKEN",
	"TEAMS_APP_PASSWORD",
	"HUBSPOT_CLIENT_SECRET",
	"SALESFORCE_OUTBOUND_TOKEN",
	"HANDOFF_WEBHOOK_SECRET",
}

// withSecretFiles returns a getenv that answers a variable X from the file
// that X_FILE names, when X_FILE is set: the file's content without its
// trailing line break. X and X_FILE both set, or an unreadable file, is an
// error reported through bad (once per variable); the error names the
// variable and the path, never the content.
func withSecretFiles(getenv func(string) string, bad func(key, format string, args ...any)) func(string) string {
	seen := map[string]string{}
	return func(key string) string {
		if v, ok := seen[key]; ok {
			return v
		}
		v := getenv(key)
		if path := strings.TrimSpace(getenv(key + "_FILE")); path != "" {
			switch b, err := os.ReadFile(path); {
			case strings.TrimSpace(v) != "":
				bad(key+"_FILE", "both %s and %s_FILE are set; set one", key, key)
			case err != nil:
				bad(key+"_FILE", "%v", err)
			default:
				v = strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
			}
		}
		seen[key] = v
		return v
	}
}

// refuseQuoted returns env, reporting through bad, once per variable, a
// value wrapped in quotes ("…" or '…'): docker run --env-file and some
// other env files keep them as part of the value, and no setting of
// Handoff's is written with them, so a quoted token or channel id would
// fail only later, as a refused token or an unknown channel. The error
// never shows the value.
func refuseQuoted(env func(string) string, bad func(key, format string, args ...any)) func(string) string {
	reported := map[string]bool{}
	return func(key string) string {
		v := env(key)
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] && !reported[key] {
			reported[key] = true
			bad(key, "the value is wrapped in quotes (%c…%c), which would be part of it: remove them "+
				"(docker run --env-file keeps quotes as they are written)", v[0], v[0])
		}
		return v
	}
}

// SecretEnv reads the named variables as Load does, each from its _FILE
// variant when that is set, for tools that read a few variables
// themselves; it returns a getenv over them.
func SecretEnv(getenv func(string) string, keys ...string) (func(string) string, error) {
	var errs []error
	wrapped := withSecretFiles(getenv, func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("config: "+key+": "+format, args...))
	})
	vals := map[string]string{}
	for _, k := range keys {
		vals[k] = wrapped(k)
	}
	return func(k string) string { return vals[k] }, errors.Join(errs...)
}

// ListenAddr returns the HTTP listen address and the variable it came from:
// HANDOFF_ADDR when set, else ":$PORT" when PORT is set (as container
// platforms set it), else DefaultAddr (from "").
func ListenAddr(getenv func(string) string) (addr, from string) {
	if a := strings.TrimSpace(getenv("HANDOFF_ADDR")); a != "" {
		return a, "HANDOFF_ADDR"
	}
	if p := strings.TrimSpace(getenv("PORT")); p != "" {
		return ":" + p, "PORT"
	}
	return DefaultAddr, ""
}

// parseLogLevel reads HANDOFF_LOG_LEVEL: debug, info, warn or error (any
// case; "" is info).
func parseLogLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "", "info":
		return slog.LevelInfo, nil
	case "debug":
		return slog.LevelDebug, nil
	case "warn":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("invalid level %q: want debug, info, warn or error", s)
}
