package config

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
)

// SecretVars are the variables that hold secrets. Each may instead be given
// as the same name with a _FILE suffix naming a file that holds the value
// (Docker and Kubernetes secrets, systemd credentials).
var SecretVars = []string{
	"HANDOFF_API_TOKEN",
	"DATABASE_URL", // may carry the database password
	"SLACK_BOT_TOKEN",
	"SLACK_SIGNING_SECRET",
	"SLACK_APP_TOKEN",
	"TEAMS_APP_PASSWORD",
}

// withSecretFiles returns a getenv that answers each secret variable from
// its _FILE variant when that is set: the file's content without its
// trailing line break. Both forms set, or an unreadable file, is an error,
// reported through bad; the error names the variable and the path, never
// the content.
func withSecretFiles(getenv func(string) string, bad func(key, format string, args ...any)) func(string) string {
	fromFile := map[string]string{}
	for _, key := range SecretVars {
		path := strings.TrimSpace(getenv(key + "_FILE"))
		if path == "" {
			continue
		}
		if strings.TrimSpace(getenv(key)) != "" {
			bad(key+"_FILE", "both %s and %s_FILE are set; set one", key, key)
			continue
		}
		b, err := os.ReadFile(path)
		if err != nil {
			bad(key+"_FILE", "%v", err)
			continue
		}
		fromFile[key] = strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
	}
	return func(key string) string {
		if v, ok := fromFile[key]; ok {
			return v
		}
		return getenv(key)
	}
}

// SecretEnv returns getenv with every secret variable answered from its
// _FILE variant when that is set, as Load does, for tools that read a few
// variables themselves.
func SecretEnv(getenv func(string) string) (func(string) string, error) {
	var errs []error
	wrapped := withSecretFiles(getenv, func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("config: "+key+": "+format, args...))
	})
	return wrapped, errors.Join(errs...)
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
