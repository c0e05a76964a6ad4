package teams_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/teams"
	"github.com/handoff/handoff/bot/teams/teamstest"
	"github.com/handoff/handoff/internal/testkit"
)

func newConnector(bf *teamstest.Server) *teams.Connector {
	return teams.NewConnector(teamstest.AppID, teamstest.AppSecret, bf.TokenURL(), nil, teamstest.ClientTimeout)
}

func TestConnectorSendKeepsActivityID(t *testing.T) {
	bf := teamstest.New(t)
	c := newConnector(bf)
	ctx := context.Background()
	id, err := c.SendActivity(ctx, bf.ServiceURL(), "19:abc@thread.tacv2;messageid=7", schema.Activity{Type: schema.Message, Text: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	if id == "" {
		t.Fatal("no activity id returned")
	}
	if _, err := c.SendActivity(ctx, bf.ServiceURL(), "19:abc@thread.tacv2", schema.Activity{Type: schema.Message, Text: "again"}); err != nil {
		t.Fatal(err)
	}
	calls := bf.Calls()
	if len(calls) != 2 || calls[0].ConversationID != "19:abc@thread.tacv2;messageid=7" {
		t.Fatalf("calls = %+v", calls)
	}
	if bf.TokenCalls() != 1 {
		t.Errorf("token fetched %d times, want 1 (cached)", bf.TokenCalls())
	}
	body := calls[0].Body
	if ts, _ := body["timestamp"].(string); ts == "" || strings.HasPrefix(ts, "0001-") {
		t.Errorf("timestamp = %q, want a real time", ts)
	}
	for _, k := range []string{"localTimestamp", "expiration", "relatesTo", "from", "semanticAction", "suggestedActions"} {
		if _, ok := body[k]; ok {
			t.Errorf("outbound activity carries empty %s: %v", k, body[k])
		}
	}
}

func TestConnectorRateLimited(t *testing.T) {
	bf := teamstest.New(t)
	c := newConnector(bf)
	bf.RateLimit(1, "7")
	_, err := c.SendActivity(context.Background(), bf.ServiceURL(), "19:x", schema.Activity{Type: schema.Message})
	var ra *bot.RetryAfterError
	if !errors.As(err, &ra) || ra.After != 7*time.Second {
		t.Fatalf("err = %v, want RetryAfterError of 7s", err)
	}
	if bot.IsPermanent(err) {
		t.Fatal("429 marked permanent")
	}
	if _, err := c.SendActivity(context.Background(), bf.ServiceURL(), "19:x", schema.Activity{Type: schema.Message}); err != nil {
		t.Fatalf("after the wait: %v", err)
	}
}

func TestConnectorTokenFailureNotCached(t *testing.T) {
	bf := teamstest.New(t)
	c := newConnector(bf)
	bf.FailToken(1)
	_, err := c.SendActivity(context.Background(), bf.ServiceURL(), "19:x", schema.Activity{Type: schema.Message})
	if err == nil || bot.IsPermanent(err) {
		t.Fatalf("token failure: %v, want a retryable error", err)
	}
	if _, err := c.SendActivity(context.Background(), bf.ServiceURL(), "19:x", schema.Activity{Type: schema.Message}); err != nil {
		t.Fatalf("after the token endpoint recovered: %v", err)
	}
	if n := bf.TokenCalls(); n != 2 {
		t.Fatalf("token calls = %d, want 2 (the failure was not cached)", n)
	}
}

// TestConnectorTokenRefusalNamesTheFix: a wrong client secret, as the
// identity platform refuses it, is named with the platform's code and what
// to do; it stays retryable (messages wait for the admin's fix).
func TestConnectorTokenRefusalNamesTheFix(t *testing.T) {
	bf := teamstest.New(t)
	c := teams.NewConnector(teamstest.AppID, "the secret's id, not its value", bf.TokenURL(), nil, teamstest.ClientTimeout)
	_, err := c.SendActivity(context.Background(), bf.ServiceURL(), "19:x", schema.Activity{Type: schema.Message})
	want := "teams token: HTTP 401 invalid_client: AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, " +
		"not the client secret ID, for a secret added to app '" + teamstest.AppID + "'. " +
		"(TEAMS_APP_PASSWORD is not the value of one of the app registration's client secrets (its ID will not do): copy a secret's value)"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
	if bot.IsPermanent(err) {
		t.Errorf("err = %v: permanent, want retried until the secret is mended", err)
	}
}

func TestConnectorClassifiesStatuses(t *testing.T) {
	bf := teamstest.New(t)
	var status atomic.Int64
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(int(status.Load()))
		_, _ = w.Write([]byte(`{"error":{"code":"x"}}`))
	}))
	t.Cleanup(svc.Close)
	c := newConnector(bf)
	tests := []struct {
		status    int
		permanent bool
	}{
		{400, true}, {403, true}, {404, true}, {401, false}, {412, false}, {500, false}, {502, false}, {504, false},
	}
	for _, tt := range tests {
		status.Store(int64(tt.status))
		err := c.UpdateActivity(context.Background(), svc.URL, "19:x", "1", schema.Activity{Type: schema.Message})
		if err == nil || bot.IsPermanent(err) != tt.permanent {
			t.Errorf("HTTP %d: err = %v, permanent = %v, want %v", tt.status, err, bot.IsPermanent(err), tt.permanent)
		}
	}
	// Network failure: retryable, no panic.
	svc.Close()
	if err := c.UpdateActivity(context.Background(), svc.URL, "19:x", "1", schema.Activity{Type: schema.Message}); err == nil || bot.IsPermanent(err) {
		t.Errorf("network error: %v, want retryable", err)
	}
}

func TestConnectorTimeout(t *testing.T) {
	bf := teamstest.New(t)
	block := make(chan struct{})
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(block); svc.Close() })
	c := newConnector(bf)
	c.Timeout = 200 * time.Millisecond
	_, err := c.SendActivity(context.Background(), svc.URL, "19:x", schema.Activity{Type: schema.Message})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the call's timeout", err)
	}
}

// TestConnectorCallWaitsOneTimeout: TEAMS_TIMEOUT is the most a Bot
// Connector call waits, the fresh token it first needs included: the token
// request and the call share one deadline. With the setting at 1s and the
// token endpoint held, the token request is given up and the call is never
// sent; with the Bot Connector held, the call is given up at the deadline
// its token request had, not a timeout later. The deadlines are read from
// the requests (testkit.Deadlines), never timed.
func TestConnectorCallWaitsOneTimeout(t *testing.T) {
	tests := []struct {
		name string
		held teamstest.Endpoint
		// calls is how many requests reach the Bot Connector; says is in
		// the error the caller (the outbox, a role check) gets.
		calls int
		says  string
	}{
		{name: "token endpoint held", held: teamstest.TokenEndpoint, calls: 0, says: "teams token: "},
		{name: "Bot Connector held", held: teamstest.ConnectorEndpoint, calls: 1, says: "teams POST v3/conversations/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bf := teamstest.New(t)
			deadlines := &testkit.Deadlines{}
			c := teams.NewConnector(teamstest.AppID, teamstest.AppSecret, bf.TokenURL(), &http.Client{Transport: deadlines}, time.Second)
			gaveUp, release := bf.HoldEndpoint(tt.held)
			t.Cleanup(release)
			_, err := c.SendActivity(context.Background(), bf.ServiceURL(), "19:x@thread.tacv2", schema.Activity{Type: schema.Message, Text: "hi"})
			if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("SendActivity = %v; want the deadline exceeded, saying %q", err, tt.says)
			}
			if e := <-gaveUp; e != tt.held { // the fake saw its caller give up
				t.Fatalf("gave up at %s, want %s", e, tt.held)
			}
			if n := bf.ConnectorRequests(); n != tt.calls {
				t.Errorf("requests to the Bot Connector = %d, want %d", n, tt.calls)
			}
			seen := deadlines.Seen()
			if len(seen) != 1+tt.calls || seen[0].Path != "/token" {
				t.Fatalf("requests = %+v, want the token's and %d call(s)", seen, tt.calls)
			}
			for _, d := range seen[1:] {
				if !d.At.Equal(seen[0].At) {
					t.Errorf("%s had the deadline %s, the token request %s: want one deadline for both",
						d.Path, d.At.Format(time.RFC3339Nano), seen[0].At.Format(time.RFC3339Nano))
				}
			}
		})
	}
}

func TestCreateConversationWire(t *testing.T) {
	bf := teamstest.New(t)
	c := newConnector(bf)
	res, err := c.CreateConversation(context.Background(), bf.ServiceURL(), schema.ConversationParameters{
		IsGroup:     true,
		Activity:    schema.Activity{Type: schema.Message, Summary: "s"},
		ChannelData: map[string]interface{}{"channel": map[string]string{"id": "19:sales@thread.tacv2"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.ActivityID == "" || !strings.HasPrefix(res.ID, "19:sales@thread.tacv2;messageid=") {
		t.Fatalf("result = %+v", res)
	}
	raw, _ := json.Marshal(bf.Calls()[0].Body)
	for _, bad := range []string{`"0001-01-01`, `"bot":{}`, `"members"`} {
		if strings.Contains(string(raw), bad) {
			t.Errorf("create body contains %s: %s", bad, raw)
		}
	}
	if !strings.Contains(string(raw), `"isGroup":true`) {
		t.Errorf("isGroup missing: %s", raw)
	}
}

func TestTokenURL(t *testing.T) {
	if got := teams.TokenURL("contoso-tenant"); got != "https://login.microsoftonline.com/contoso-tenant/oauth2/v2.0/token" {
		t.Errorf("TokenURL = %s", got)
	}
	if got := teams.TokenURL(""); !strings.Contains(got, "/botframework.com/") {
		t.Errorf("TokenURL() = %s", got)
	}
}

func TestDecodeActivityValue(t *testing.T) {
	for _, body := range []string{
		`{"type":"message","value":"just a string"}`,
		`{"type":"message","value":42,"timestamp":"not a time"}`,
		`{"type":"message","value":[1,2]}`,
		`{"type":"invoke","name":"adaptiveCard/action","value":{"action":{"verb":"lead.claim","data":"x"}}}`,
	} {
		if _, err := teams.DecodeActivity([]byte(body)); err != nil {
			t.Errorf("DecodeActivity(%s): %v", body, err)
		}
	}
	if _, err := teams.DecodeActivity([]byte(`[1]`)); err == nil {
		t.Error("a JSON array decoded as an activity")
	}
}

// TestConnectorErrorNamesTheFix: a Bot Connector error answer is named by
// its code and message, and a code an admin can mend says how; an answer
// that is not the Bot Connector's error shows the start of its body.
func TestConnectorErrorNamesTheFix(t *testing.T) {
	bf := teamstest.New(t)
	var status atomic.Int64
	var body atomic.Value
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(int(status.Load()))
		_, _ = w.Write([]byte(body.Load().(string)))
	}))
	t.Cleanup(svc.Close)
	c := newConnector(bf)
	tests := []struct {
		name   string
		status int
		body   string
		want   string
	}{
		{"removed from the team", 403, `{"error":{"code":"BotNotInConversationRoster","message":"The bot is not part of the conversation roster."}}`,
			"/activities: HTTP 403 BotNotInConversationRoster: The bot is not part of the conversation roster. " +
				"(the app is not in that team or chat (removed or uninstalled): add Handoff to the team again)"},
		{"wrong channel id", 404, `{"error":{"code":"ConversationNotFound","message":"Conversation not found."}}`,
			": HTTP 404 ConversationNotFound: Conversation not found. (no conversation with that id: check the channel ids (TEAMS_SALES_CHANNEL"},
		{"a code without a fix", 413, `{"error":{"code":"MessageSizeTooBig","message":"Message size too large."}}`,
			": HTTP 413 MessageSizeTooBig: Message size too large."},
		{"a code without a message", 403, `{"error":{"code":"BotDisabledByAdmin"}}`,
			": HTTP 403 BotDisabledByAdmin (a Teams admin has blocked the app"},
		{"not the Bot Connector's answer", 403, `<html>Forbidden</html>`, ": HTTP 403: <html>Forbidden</html>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status.Store(int64(tt.status))
			body.Store(tt.body)
			_, err := c.SendActivity(context.Background(), svc.URL, "19:sales@thread.tacv2", schema.Activity{Type: schema.Message})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
			if tt.name == "a code without a fix" && strings.Contains(err.Error(), "(") {
				t.Errorf("err = %v: a fix for a code that has none", err)
			}
			// A Teams admin's block is retried until they allow the app
			// again; every other refusal here is given up.
			if want := tt.name != "a code without a message"; bot.IsPermanent(err) != want {
				t.Errorf("HTTP %d: err = %v, permanent = %v, want %v", tt.status, err, bot.IsPermanent(err), want)
			}
		})
	}
}

// TestConversationMemberRole: the single member API's answer, as
// Microsoft documents it (a TeamsChannelAccount), is decoded with its
// userRole; only "user" (or no role) is a full member of the tenant.
func TestConversationMemberRole(t *testing.T) {
	bf := teamstest.New(t)
	answers := map[string]string{
		"29:larry": `{"id":"29:larry","objectId":"9d3e08f9-a7ae-43aa-a4d3-de3f319a8a9c","givenName":"Larry","surname":"Brown","email":"Larry.Brown@fabrikam.com","userPrincipalName":"labrown@fabrikam.com","tenantId":"72f988bf-86f1-41af-91ab-2d7cd011db47","userRole":"user"}`,
		"29:gina":  `{"id":"29:gina","objectId":"0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0","givenName":"Gina","surname":"Guest","email":"gina@contoso.example","userPrincipalName":"gina_contoso.example#EXT#@fabrikam.onmicrosoft.com","tenantId":"72f988bf-86f1-41af-91ab-2d7cd011db47","userRole":"guest"}`,
		"29:anon":  `{"id":"29:anon","name":"Anon1 (Guest)","tenantId":"72f988bf-86f1-41af-91ab-2d7cd011db47","userRole":"anonymous"}`,
		"29:old":   `{"id":"29:old","name":"Old","email":"old@fabrikam.com"}`,
	}
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(answers[strings.ReplaceAll(id, "%3A", ":")]))
	}))
	t.Cleanup(svc.Close)
	c := newConnector(bf)
	for _, tt := range []struct {
		id, role string
		full     bool
	}{{"29:larry", "user", true}, {"29:gina", "guest", false}, {"29:anon", "anonymous", false}, {"29:old", "", true}} {
		m, err := c.ConversationMember(context.Background(), svc.URL, "19:general@thread.tacv2", tt.id)
		if err != nil {
			t.Fatalf("%s: %v", tt.id, err)
		}
		if m.ID != tt.id || m.UserRole != tt.role || m.FullMember() != tt.full {
			t.Errorf("%s: member %+v, full member %v; want role %q, full member %v", tt.id, m, m.FullMember(), tt.role, tt.full)
		}
	}
}
