// Package redact masks the secrets a URL may carry wherever one is
// printed, logged or stored. URL masks a password in the userinfo and a
// token in the query, for the configuration's URLs; Webhook keeps no more
// than the first path segment of an outgoing webhook's URL, whose
// receiver may hide its secret anywhere in the path.
package redact

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
)

var schemeRE = regexp.MustCompile(`^([a-zA-Z][a-zA-Z0-9+.-]+):`)

// Scheme returns the lower-case URL scheme of s, or "" for a plain path
// (including Windows drive letters such as C:\).
func Scheme(s string) string {
	if m := schemeRE.FindStringSubmatch(s); m != nil {
		return strings.ToLower(m[1])
	}
	return ""
}

// secretNames are parts of query parameter names whose values URL masks:
// passwords, secrets, tokens and keys, and the signatures and codes that
// webhook receivers put in their URLs (Azure Functions' code, a SAS sig).
var secretNames = []string{"pass", "secret", "token", "key", "sig", "code", "auth", "cred"}

// URL masks the password and secret-looking query parameters (names
// holding one of secretNames) of a URL as xxxxx, and a user name given
// without a password (https://APIKEY@host/, an API key in its place).
// Strings that are not URLs (file paths) are returned unchanged; ones that
// fail to parse are hidden entirely.
func URL(s string) string {
	if Scheme(s) == "" {
		return s
	}
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	q := u.Query()
	changed := false
	for k := range q {
		lk := strings.ToLower(k)
		if slices.ContainsFunc(secretNames, func(n string) bool { return strings.Contains(lk, n) }) {
			q.Set(k, "xxxxx")
			changed = true
		}
	}
	if changed {
		u.RawQuery = q.Encode()
	}
	if u.User != nil {
		if _, hasPassword := u.User.Password(); !hasPassword && u.User.Username() != "" {
			u.User = url.User("xxxxx")
		}
	}
	return u.Redacted()
}

// Webhook shows an outgoing webhook's URL as errors, logs and the
// commands' output do: its scheme, host and port, the first segment of its
// path when more follow, and xxxxx for the rest of the path and for the
// query; user info and fragment are left out. Receivers put their secret
// anywhere in the path (Zapier's /hooks/catch/123456/abcdef/, Slack's
// /services/T…/B…/…, Discord's /api/webhooks/…/…, Teams' /webhookb2/…,
// Make's single /<token>), where it cannot be told from the rest, so all
// but a leading segment that names the kind of hook is hidden. A string
// that is not an absolute URL is hidden entirely.
func Webhook(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "(unparsable URL)"
	}
	out := u.Scheme + "://" + u.Host
	switch segs := strings.Split(strings.Trim(u.EscapedPath(), "/"), "/"); {
	case segs[0] == "":
		out += u.EscapedPath() // "" or "/"
	case len(segs) == 1:
		out += "/xxxxx"
	default:
		out += "/" + segs[0] + "/xxxxx"
	}
	if u.RawQuery != "" || u.ForceQuery {
		out += "?xxxxx"
	}
	return out
}

// URLError returns err with the URL of a *url.Error it is (as an HTTP
// client's errors are: `Post "https://…": dial tcp …: connection refused`)
// masked by mask (URL or Webhook), still a *url.Error wrapping the same
// cause, so that errors.Is and a timeout's Timeout() keep working. Any
// other error, including one that wraps a *url.Error, is returned as it
// is: redact an error where it comes back from the client, before it is
// wrapped.
func URLError(err error, mask func(string) string) error {
	ue, ok := err.(*url.Error)
	if !ok || ue == nil {
		return err
	}
	return &url.Error{Op: ue.Op, URL: mask(ue.URL), Err: ue.Err}
}

// urlInText is a URL within free text: a scheme, "://", and what follows
// up to a space or a quote.
var urlInText = regexp.MustCompile(`\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s"'<>]+`)

// Text masks every URL within s with mask (URL or Webhook), such as an
// error's text stored before its URL was redacted ("post to
// https://…?token=…: HTTP 500"). Punctuation that ends a URL there (":"
// "," "." ";" ")") is kept outside it.
func Text(s string, mask func(string) string) string {
	return urlInText.ReplaceAllStringFunc(s, func(u string) string {
		trimmed := strings.TrimRight(u, ":,.;)")
		return mask(trimmed) + u[len(trimmed):]
	})
}
