package config

import (
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/handoff/handoff"
)

// APIToken is one named token of HANDOFF_API_TOKENS.
type APIToken struct {
	Name   string
	Secret string // secret
	Scope  string // "read", "intake" or "write" (see tokenScopes)
}

// String hides the secret.
func (t APIToken) String() string { return t.Name + ":" + t.Scope }

// Format prints String, whatever the verb.
func (t APIToken) Format(f fmt.State, _ rune) { io.WriteString(f, t.String()) }

// MarshalText is String, for encoding/json and slog's handlers.
func (t APIToken) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

var tokenNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,39}$`)

// tokenScopes are the scopes a token may have, each with what it allows,
// as `config check` explains a scope it does not know.
const tokenScopes = "read (GET leads, the funnel, routing and metrics), " +
	"intake (POST leads and their activities, nothing else) or write (everything, erasure included)"

// parseAPITokens reads HANDOFF_API_TOKENS, "name=secret:scope" entries
// separated by commas (forms=…:intake,bi=…:read,admin=…:write). A name is recorded as
// the actor of its token's changes, so it must be unique, not "api" when
// HANDOFF_API_TOKEN is set, and none of Handoff's own actors
// (handoff.OwnActor). Errors never show a secret.
func parseAPITokens(v, single string, bad func(key, format string, args ...any)) []APIToken {
	var out []APIToken
	names, secrets := map[string]bool{}, map[string]bool{}
	if single != "" {
		names[handoff.ActorAPI], secrets[single] = true, true
	}
	for i, entry := range splitList(v) {
		name, rest, ok := strings.Cut(entry, "=")
		j := strings.LastIndexByte(rest, ':')
		if !ok || j < 0 {
			bad("HANDOFF_API_TOKENS", "entry %d: want name=secret:scope, the scope %s", i+1, tokenScopes)
			continue
		}
		t := APIToken{Name: strings.TrimSpace(name), Secret: strings.TrimSpace(rest[:j]), Scope: strings.TrimSpace(rest[j+1:])}
		switch {
		case !tokenNameRE.MatchString(t.Name):
			bad("HANDOFF_API_TOKENS", "entry %d: name %q: want lower-case letters, digits, '-', '_' or '.'", i+1, t.Name)
		case t.Scope != "read" && t.Scope != "intake" && t.Scope != "write":
			bad("HANDOFF_API_TOKENS", "entry %d (%s): scope %q: want %s", i+1, t.Name, t.Scope, tokenScopes)
		case t.Secret == "":
			bad("HANDOFF_API_TOKENS", "entry %d (%s): empty secret", i+1, t.Name)
		case handoff.OwnActor(t.Name):
			bad("HANDOFF_API_TOKENS", "entry %d: name %q is an actor Handoff records for its own changes (system, import, scoring, hubspot, salesforce): "+
				"the token's changes and erasures would read as Handoff's", i+1, t.Name)
		case names[t.Name]:
			bad("HANDOFF_API_TOKENS", "entry %d: name %q is used twice (\"api\" is HANDOFF_API_TOKEN's)", i+1, t.Name)
		case secrets[t.Secret]:
			bad("HANDOFF_API_TOKENS", "entry %d (%s): the same secret as another token", i+1, t.Name)
		default:
			names[t.Name], secrets[t.Secret] = true, true
			out = append(out, t)
			continue
		}
	}
	return out
}

func describeTokens(ts []APIToken) string {
	if len(ts) == 0 {
		return "(unset)"
	}
	return fmt.Sprint(ts)
}
