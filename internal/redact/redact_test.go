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

func TestRedactURLError(t *testing.T) {
	cause := context.DeadlineExceeded
	err := redact.URLError(&url.Error{Op: "Post", URL: "https://user:***@hooks.example.com/in?token=s3cr3t", Err: cause})
	if s := err.Error(); strings.Contains(s, "s3cr3t") || strings.Contains(s, "***") ||
		s != `Post "https://user:xxxxx@hooks.example.com/in?token=xxxxx": context deadline exceeded` {
		t.Errorf("redacted error = %q", s)
	}
	var ue *url.Error
	if !errors.Is(err, cause) || !errors.As(err, &ue) || !ue.Timeout() {
		t.Errorf("redacted error %v lost its cause", err)
	}
	other := errors.New("other")
	if redact.URLError(other) != other || redact.URLError(nil) != nil {
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
		if got := redact.Text(tc.in); got != tc.want {
			t.Errorf("Text(%q)\n = %q\nwant %q", tc.in, got, tc.want)
		}
	}
}
