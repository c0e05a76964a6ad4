package redact_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/handoff/handoff/internal/redact"
)

func TestRedactURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"/var/lib/handoff.db", "/var/lib/handoff.db"},
		{`C:\handoff\handoff.db`, `C:\handoff\handoff.db`},
		{"https://hooks.example.com/in", "https://hooks.example.com/in"},
		{"https://hooks.example.com/in?token=s3cr3t&lead=1", "https://hooks.example.com/in?lead=1&token=xxxxx"},
		{"https://hooks.example.com/in?API_KEY=s3cr3t", "https://hooks.example.com/in?API_KEY=xxxxx"},
		{"https://user:pw@hooks.example.com/in", "https://user:xxxxx@hooks.example.com/in"},
		{"postgres://handoff:pw@db:5432/handoff?sslmode=require&password=s3cr3t", "postgres://handoff:xxxxx@db:5432/handoff?password=xxxxx&sslmode=require"},
		{"https://hooks.example.com/%zz?token=s3cr3t", "(unparsable URL)"},
		{"https://fn.azurewebsites.net/api/in?code=s3cr3t&clientId=default", "https://fn.azurewebsites.net/api/in?clientId=default&code=xxxxx"},
		{"https://acct.blob.core.windows.net/in?sv=2024&sig=s3cr3t", "https://acct.blob.core.windows.net/in?sig=xxxxx&sv=2024"},
		{"https://s3cr3tkey@api.example.com/hooks", "https://xxxxx@api.example.com/hooks"},
	} {
		if got := redact.URL(tc.in); got != tc.want {
			t.Errorf("URL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestRedactWebhook: an outgoing webhook's URL shows its scheme, host and
// port and, when more follow, its first path segment; the receivers' path
// secrets, user info and query never.
func TestRedactWebhook(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"Zapier", "https://hooks.zapier.com/hooks/catch/123456/abcdef/", "https://hooks.zapier.com/hooks/xxxxx"},
		{"Slack", "https://hooks.slack.com/services/T0001/B0002/XXXXsecret", "https://hooks.slack.com/services/xxxxx"},
		{"Discord", "https://discord.com/api/webhooks/1234567/tok-en_secret", "https://discord.com/api/xxxxx"},
		{"TeamsIncoming", "https://contoso.webhook.office.com/webhookb2/aaaa-1@bbbb-2/IncomingWebhook/cccc3/dddd-4",
			"https://contoso.webhook.office.com/webhookb2/xxxxx"},
		{"TeamsWorkflow", "https://prod-01.westus.logic.azure.com:443/workflows/abc123/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers&sv=1.0&sig=s3cr3t",
			"https://prod-01.westus.logic.azure.com:443/workflows/xxxxx?xxxxx"},
		{"MakeOneSegment", "https://hook.eu1.make.com/abcdefghijklmnop1234567890", "https://hook.eu1.make.com/xxxxx"},
		{"UserInfoAndQuery", "http://user:pw@127.0.0.1:8080/in/s3cr3t?token=s3cr3t#frag", "http://127.0.0.1:8080/in/xxxxx?xxxxx"},
		{"APIKeyAsUser", "https://s3cr3tkey@api.example.com/hooks", "https://api.example.com/xxxxx"},
		{"HostOnly", "https://crm.example.com", "https://crm.example.com"},
		{"Root", "https://crm.example.com/", "https://crm.example.com/"},
		{"EmptyQuery", "https://crm.example.com/?", "https://crm.example.com/?xxxxx"},
		{"Escaped", "https://crm.example.com/a%20b/c", "https://crm.example.com/a%20b/xxxxx"},
		{"Unparsable", "https://hooks.example.com/%zz/s3cr3t", "(unparsable URL)"},
		{"NotAURL", "s3cr3t", "(unparsable URL)"},
		{"Empty", "", "(unparsable URL)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := redact.Webhook(tc.in); got != tc.want {
				t.Errorf("Webhook(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestRedactURLError(t *testing.T) {
	cause := context.DeadlineExceeded
	in := &url.Error{Op: "Post", URL: "https://user:***@hooks.example.com/in/s3cr3t?token=s3cr3t", Err: cause}
	for _, tc := range []struct {
		name string
		mask func(string) string
		want string
	}{
		{"URL", redact.URL, `Post "https://user:xxxxx@hooks.example.com/in/s3cr3t?token=xxxxx": context deadline exceeded`},
		{"Webhook", redact.Webhook, `Post "https://hooks.example.com/in/xxxxx?xxxxx": context deadline exceeded`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := redact.URLError(in, tc.mask)
			if s := err.Error(); strings.Contains(s, "***") || s != tc.want {
				t.Errorf("redacted error = %q, want %q", s, tc.want)
			}
			var ue *url.Error
			if !errors.Is(err, cause) || !errors.As(err, &ue) || !ue.Timeout() {
				t.Errorf("redacted error %v lost its cause", err)
			}
		})
	}
	other := errors.New("other")
	if redact.URLError(other, redact.Webhook) != other || redact.URLError(nil, redact.Webhook) != nil {
		t.Error("URLError changed an error that is not a *url.Error")
	}
}

func TestRedactText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"HTTP 500: oops", "HTTP 500: oops"},
		{`permanent: webhook: post to http://user:pw@127.0.0.1:41775/in?token=s3cr3t&lead=1: Post "http://user:***@127.0.0.1:41775/in?token=s3cr3t&lead=1": EOF`,
			`permanent: webhook: post to http://user:xxxxx@127.0.0.1:41775/in?lead=1&token=xxxxx: Post "http://user:xxxxx@127.0.0.1:41775/in?lead=1&token=xxxxx": EOF`},
		{"see https://hooks.example.com/in?key=s3cr3t, then (https://a.example.com/x?secret=s3cr3t).",
			"see https://hooks.example.com/in?key=xxxxx, then (https://a.example.com/x?secret=xxxxx)."},
		{"https://hooks.example.com/in is fine", "https://hooks.example.com/in is fine"},
	} {
		if got := redact.Text(tc.in, redact.URL); got != tc.want {
			t.Errorf("Text(%q)\n = %q\nwant %q", tc.in, got, tc.want)
		}
	}
	// An old webhook error, masked as webhook URLs are.
	old := `permanent: webhook: post to https://hooks.zapier.com/hooks/catch/123456/abcdef/: Post "https://hooks.zapier.com/hooks/catch/123456/abcdef/": EOF`
	want := `permanent: webhook: post to https://hooks.zapier.com/hooks/xxxxx: Post "https://hooks.zapier.com/hooks/xxxxx": EOF`
	if got := redact.Text(old, redact.Webhook); got != want {
		t.Errorf("Text(%q, Webhook)\n = %q\nwant %q", old, got, want)
	}
}
