package teams

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/handoff/handoff/bot"
)

// TestFormFailure: what an Action.Submit click whose form could not be
// sent to the user's chat tells its user, and at which level it is
// logged, for each way the send fails, as the Connector returns it from
// the answers of Microsoft's token endpoint and Bot Connector. Microsoft
// refusing the bot's credentials (the token endpoint's 4xx: a wrong or
// expired secret, an unknown tenant; the Bot Connector's 401) is an error
// for an admin to mend; so is a Teams admin having blocked the app (the
// Bot Connector's 403 BotDisabledByAdmin), told in words of its own, as
// its credentials are fine; Microsoft not answering (5xx, 429) is a
// warning; a form or chat the Bot Connector refused, and a failure of
// Handoff's own, are errors told as before. Before, the credentials'
// refusals and the Bot Connector's refusals were warnings, and every
// failure was told the same words; the blocked app was told them until
// FormAppBlocked.
func TestFormFailure(t *testing.T) {
	noAnswer, refused := bot.FormUnanswered(Name), bot.FormAccessRefused(Name)
	tests := []struct {
		name     string
		endpoint string // "token" or "connector": the one that answers status with body (and Retry-After)
		status   int
		body     string
		level    slog.Level
		notice   string
	}{
		{"SecretWrong", "token", http.StatusUnauthorized, `{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.","error_codes":[7000215]}`,
			slog.LevelError, refused},
		{"SecretExpired", "token", http.StatusUnauthorized, `{"error":"invalid_client","error_description":"AADSTS7000222: The provided client secret keys are expired.","error_codes":[7000222]}`,
			slog.LevelError, refused},
		{"TenantUnknown", "token", http.StatusBadRequest, `{"error":"invalid_request","error_description":"AADSTS90002: Tenant not found.","error_codes":[90002]}`,
			slog.LevelError, refused},
		{"TokenEndpointDown", "token", http.StatusServiceUnavailable, `{"error":"temporarily_unavailable"}`, slog.LevelWarn, noAnswer},
		{"TokenEndpointRateLimited", "token", http.StatusTooManyRequests, `{"error":"temporarily_unavailable"}`, slog.LevelWarn, noAnswer},
		{"TokenRefused", "connector", http.StatusUnauthorized, `{"error":{"code":"Unauthorized","message":"Authorization has been denied for this request."}}`,
			slog.LevelError, refused},
		{"BotConnectorDown", "connector", http.StatusServiceUnavailable, `{"error":{"code":"ServiceUnavailable"}}`, slog.LevelWarn, noAnswer},
		{"BotConnectorFailed", "connector", http.StatusInternalServerError, `{"error":{"code":"InternalServerError"}}`, slog.LevelWarn, noAnswer},
		{"BotConnectorRateLimited", "connector", http.StatusTooManyRequests, `{"error":{"code":"TooManyRequests"}}`, slog.LevelWarn, noAnswer},
		{"FormTooLarge", "connector", http.StatusRequestEntityTooLarge, `{"error":{"code":"MessageSizeTooBig","message":"Message size too large."}}`,
			slog.LevelError, bot.FormNotOpened},
		{"AppBlockedByAdmin", "connector", http.StatusForbidden, `{"error":{"code":"BotDisabledByAdmin","message":"The tenant admin disabled this bot"}}`,
			slog.LevelError, bot.FormAppBlocked(Name)},
		{"ChatBlocked", "connector", http.StatusForbidden, `{"error":{"code":"ConversationBlockedByUser","message":"User blocked the conversation with the bot."}}`,
			slog.LevelError, bot.FormNotOpened},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			failing := "/token"
			if tt.endpoint == "connector" {
				failing = "/v3/conversations/a:chat/activities"
			}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				switch r.URL.Path {
				case failing:
					w.Header().Set("Retry-After", "1")
					w.WriteHeader(tt.status)
					_, _ = w.Write([]byte(tt.body))
				case "/token":
					_, _ = w.Write([]byte(`{"token_type":"Bearer","expires_in":3599,"access_token":"access-1"}`))
				default:
					http.NotFound(w, r)
				}
			}))
			defer srv.Close()
			c := NewConnector("app", "secret", srv.URL+"/token", nil, 30*time.Second)
			_, err := c.SendActivity(context.Background(), srv.URL+"/", "a:chat", schema.Activity{Type: schema.Message, Text: "form"})
			if err == nil {
				t.Fatal("the send did not fail")
			}
			if level, notice := formFailure(err); level != tt.level || notice != tt.notice {
				t.Errorf("formFailure(%v) = %s, %q; want %s, %q", err, level, notice, tt.level, tt.notice)
			}
		})
	}
	t.Run("StoreFailed", func(t *testing.T) {
		err := errors.New("storage: teams user 29:rita: database is closed")
		if level, notice := formFailure(err); level != slog.LevelError || notice != bot.FormNotOpened {
			t.Errorf("formFailure(%v) = %s, %q; want %s, %q", err, level, notice, slog.LevelError, bot.FormNotOpened)
		}
	})
}
