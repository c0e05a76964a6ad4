package teams_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/teams/teamstest"
)

// TestConnectorUnavailableRetryAfter: a 503 Service Unavailable that says
// when to come back (Retry-After, in seconds or as an HTTP date), from the
// Bot Connector or from the token endpoint, is a *bot.RetryAfterError of
// that wait, marked Unavailable (a failure, not a rate limit); one
// without Retry-After is a plain retryable error, left to the outbox's
// backoff.
func TestConnectorUnavailableRetryAfter(t *testing.T) {
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		token      bool   // the token endpoint answers 503, else the connector
		retryAfter string // "" for none
		want       time.Duration
	}{
		{name: "connector seconds", retryAfter: "120", want: 2 * time.Minute},
		{name: "connector date", retryAfter: now.Add(90 * time.Second).Format(http.TimeFormat), want: 90 * time.Second},
		{name: "connector none"},
		{name: "token seconds", token: true, retryAfter: "30", want: 30 * time.Second},
		{name: "token none", token: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bf := teamstest.New(t)
			c := newConnector(bf)
			c.Now = func() time.Time { return now }
			if tt.token {
				bf.TokenUnavailable(1, tt.retryAfter)
			} else {
				bf.Unavailable(1, tt.retryAfter)
			}
			_, err := c.SendActivity(context.Background(), bf.ServiceURL(), "19:x", schema.Activity{Type: schema.Message})
			if err == nil || bot.IsPermanent(err) {
				t.Fatalf("err = %v, want a retryable error", err)
			}
			var ra *bot.RetryAfterError
			asked := errors.As(err, &ra)
			switch {
			case tt.want == 0 && asked:
				t.Fatalf("err = %v, want no wait of the platform's (none was given)", err)
			case tt.want != 0 && (!asked || ra.After != tt.want || !ra.Unavailable):
				t.Fatalf("err = %v, want the platform's wait of %s, unavailable", err, tt.want)
			}
			if _, err := c.SendActivity(context.Background(), bf.ServiceURL(), "19:x", schema.Activity{Type: schema.Message}); err != nil {
				t.Fatalf("once the service is back: %v", err)
			}
		})
	}
}
