package teams

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/internal/cache"
)

// Outbound auth facts.
const (
	// Scope is the client-credentials scope of Bot Connector tokens in the
	// public cloud; sovereign clouds have their own (Connector.Scope).
	Scope = "https://api.botframework.com/.default"
	// legacyTenant is the token tenant of (deprecated) multi-tenant bots.
	legacyTenant = "botframework.com"
)

// TokenURL returns the client-credentials token endpoint of the tenant: the
// bot's own tenant for a single-tenant bot, "botframework.com" (the legacy
// multi-tenant registration) when tenantID is "".
func TokenURL(tenantID string) string {
	if tenantID == "" {
		tenantID = legacyTenant
	}
	return "https://login.microsoftonline.com/" + url.PathEscape(tenantID) + "/oauth2/v2.0/token"
}

// Connector is a Bot Connector REST client: it gets and caches the bot's
// access token and sends, creates and updates activities. Every call has a
// timeout. Errors are classified for the outbox: *bot.RetryAfterError for
// 429, and for a 408, 412 or 5xx that says when to come back (Retry-After,
// as a 503 Service Unavailable may), bot.Permanent for 400/403/404 and
// other client errors, and plain (retried) errors for 401, a 403 of a
// Teams admin having blocked the app (BotDisabledByAdmin), other 408, 412
// and 5xx answers, and network failures. Microsoft's refusal of the bot's
// credentials (the token endpoint's 4xx, the Bot Connector's 401) is also
// marked for what to tell a user (credentialsRefused). It is safe for
// concurrent use.
type Connector struct {
	appID, password string
	tokenURL        string
	client          *http.Client
	// Scope is asked for in token requests (the public cloud's Scope by
	// default; e.g. https://api.botframework.us/.default in US Government
	// clouds). Timeout bounds each call, the token it may first fetch
	// included (NewConnector's timeout: TEAMS_TIMEOUT); Now is the clock.
	// Set them before the first call.
	Scope   string
	Timeout time.Duration
	Now     func() time.Time

	mu      sync.Mutex // held while fetching, so one fetch serves all
	token   string
	expires time.Time
}

// NewConnector returns a Connector for the bot appID and its client secret,
// getting tokens from tokenURL (see TokenURL), over client (a new client
// when nil, whose calls only Timeout bounds). timeout is the Timeout
// (TEAMS_TIMEOUT, whose default is config's); one that is not positive
// panics: every call has a bound.
func NewConnector(appID, password, tokenURL string, client *http.Client, timeout time.Duration) *Connector {
	if timeout <= 0 {
		panic("teams: NewConnector: the timeout must be positive")
	}
	if client == nil {
		client = &http.Client{}
	}
	if tokenURL == "" {
		tokenURL = TokenURL("")
	}
	return &Connector{appID: appID, password: password, tokenURL: tokenURL, client: client, Scope: Scope, Timeout: timeout, Now: time.Now}
}

// AppID returns the bot's app id.
func (c *Connector) AppID() string { return c.appID }

// accessToken returns a cached token, or fetches one within ctx's
// deadline, the call's (do). A failed or empty answer is never cached, so
// the next call tries again.
func (c *Connector) accessToken(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && c.Now().Before(c.expires) {
		return c.token, nil
	}
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {c.appID},
		"client_secret": {c.password},
		"scope":         {c.Scope},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", fmt.Errorf("teams token: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.client.Do(req)
	if err != nil {
		return "", fmt.Errorf("teams token: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode == http.StatusTooManyRequests {
		return "", &bot.RetryAfterError{After: retryAfter(resp.Header, c.Now()), Err: fmt.Errorf("teams token: HTTP 429")}
	}
	if resp.StatusCode != http.StatusOK {
		// Bad credentials too are retried: messages should survive until
		// an admin fixes the secret.
		err := unavailable(resp, c.Now(), tokenError(resp.StatusCode, body))
		if resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != http.StatusRequestTimeout {
			err = &credentialsError{err: err} // Handoff's request, from its configuration alone
		}
		return "", err
	}
	var tok struct {
		AccessToken string          `json:"access_token"`
		ExpiresIn   json.RawMessage `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &tok); err != nil || tok.AccessToken == "" {
		return "", fmt.Errorf("teams token: answer has no access_token")
	}
	life, _ := strconv.ParseFloat(strings.Trim(string(tok.ExpiresIn), `"`), 64)
	if life <= 0 {
		life = 3600
	}
	// Renew 5 minutes early, or at half-life for short-lived tokens.
	ttl := time.Duration(life) * time.Second
	ttl -= min(5*time.Minute, ttl/2)
	c.token, c.expires = tok.AccessToken, c.Now().Add(ttl)
	return c.token, nil
}

// forgetToken drops the cached token after the service refused it.
func (c *Connector) forgetToken(token string) {
	c.mu.Lock()
	if c.token == token {
		c.token = ""
	}
	c.mu.Unlock()
}

// SendActivity posts a to the conversation and returns the new activity's
// id (empty when the service returns none).
func (c *Connector) SendActivity(ctx context.Context, serviceURL, conversationID string, a schema.Activity) (string, error) {
	body, err := encodeActivity(a, c.Now())
	if err != nil {
		return "", bot.Permanent(err)
	}
	var res schema.ResourceResponse
	path := "v3/conversations/" + url.PathEscape(conversationID) + "/activities"
	if err := c.do(ctx, http.MethodPost, serviceURL, path, body, &res); err != nil {
		return "", err
	}
	return res.ID, nil
}

// UpdateActivity replaces activity activityID of the conversation with a.
func (c *Connector) UpdateActivity(ctx context.Context, serviceURL, conversationID, activityID string, a schema.Activity) error {
	a.ID = activityID
	body, err := encodeActivity(a, c.Now())
	if err != nil {
		return bot.Permanent(err)
	}
	path := "v3/conversations/" + url.PathEscape(conversationID) + "/activities/" + url.PathEscape(activityID)
	return c.do(ctx, http.MethodPut, serviceURL, path, body, nil)
}

// CreateConversation creates a conversation: a new thread in a channel
// (ChannelData {"channel":{"id":…}} with an Activity) or a one-to-one chat
// (Members [{ID: user}], TenantID). It returns the new conversation's id
// and, when an activity was sent with it, that activity's id.
func (c *Connector) CreateConversation(ctx context.Context, serviceURL string, p schema.ConversationParameters) (schema.ConversationResourceResponse, error) {
	var res schema.ConversationResourceResponse
	body, err := encodeConversationParameters(p, c.Now())
	if err != nil {
		return res, bot.Permanent(err)
	}
	err = c.do(ctx, http.MethodPost, serviceURL, "v3/conversations", body, &res)
	return res, err
}

// Member is a conversation member as Teams describes it (the Bot
// Connector's TeamsChannelAccount).
type Member struct {
	ID                string `json:"id"`
	Name              string `json:"name"`
	AADObjectID       string `json:"aadObjectId"`
	Email             string `json:"email"`
	UserPrincipalName string `json:"userPrincipalName"`
	// UserRole is the user's kind in the tenant: RoleUser for a full
	// member, "guest" for a guest (an outsider invited to a team),
	// "anonymous" for someone who joined a meeting without an account.
	UserRole string `json:"userRole"`
}

// RoleUser is the UserRole of a full member of the tenant.
const RoleUser = "user"

// FullMember reports whether the member is a full member of the tenant:
// their UserRole is "user". A member record without a role (the Bot
// Connector has always sent one) counts as a full member; any other role,
// "guest", "anonymous" or one Teams may add later, does not.
func (m Member) FullMember() bool {
	return m.UserRole == "" || strings.EqualFold(m.UserRole, RoleUser)
}

// NotFullMember words, for a manager, what a member of role is when not a
// full member: "a guest of this Microsoft 365 organization", or their
// userRole as Teams names it.
func NotFullMember(role string) string {
	if strings.EqualFold(role, "guest") {
		return "a guest of this Microsoft 365 organization"
	}
	return fmt.Sprintf("userRole %q in this Microsoft 365 organization", role)
}

// ConversationMember returns one member of a conversation (with email and
// UPN in Teams).
func (c *Connector) ConversationMember(ctx context.Context, serviceURL, conversationID, userID string) (Member, error) {
	var m Member
	path := "v3/conversations/" + url.PathEscape(conversationID) + "/members/" + url.PathEscape(userID)
	err := c.do(ctx, http.MethodGet, serviceURL, path, nil, &m)
	return m, err
}

// TeamDetails is what the Bot Connector says of a team (GET
// v3/teams/{teamId}): its name and its Microsoft 365 group's id.
type TeamDetails struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	AADGroupID string `json:"aadGroupId"`
}

// TeamDetails asks the Bot Connector for team teamID's details (the bot
// must be in the team).
func (c *Connector) TeamDetails(ctx context.Context, serviceURL, teamID string) (TeamDetails, error) {
	var t TeamDetails
	err := c.do(ctx, http.MethodGet, serviceURL, "v3/teams/"+url.PathEscape(teamID), nil, &t)
	return t, err
}

// do makes one authenticated call and decodes a JSON answer into out
// (when not nil). The failures of the token service and of the Bot
// Connector (no answer, an error status, an answer that cannot be read)
// are marked bot.Unanswered: Teams did not answer, whatever Handoff read
// before asking. In a cache's fetch, the call is noted (cache.Calling):
// a wait for the fetch that runs out meanwhile is Teams' doing (slow).
func (c *Connector) do(ctx context.Context, method, serviceURL, path string, body []byte, out any) error {
	op := method + " " + path
	if serviceURL == "" {
		return bot.Permanent(fmt.Errorf("teams %s: no service URL", op))
	}
	if !strings.HasSuffix(serviceURL, "/") {
		serviceURL += "/"
	}
	defer cache.Calling(ctx)() // a cache's fetch waiting from here waits on Teams
	// One deadline for the fresh token the call may need and the call:
	// Timeout is the most a call waits on Microsoft. (A call waiting for
	// another's token fetch waits no longer: that fetch began earlier and
	// ends by its own deadline.)
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	token, err := c.accessToken(ctx)
	if err != nil {
		return bot.Unanswered(err)
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, serviceURL+path, rd)
	if err != nil {
		return bot.Permanent(fmt.Errorf("teams %s: %w", op, err))
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	req.Header.Set("Accept", "application/json")
	return bot.Unanswered(c.send(req, op, token, out))
}

// send sends do's request, authenticated with token, and decodes a JSON
// answer into out (when not nil).
func (c *Connector) send(req *http.Request, op, token string, out any) error {
	resp, err := c.client.Do(req)
	if err != nil {
		return fmt.Errorf("teams %s: %w", op, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("teams %s: read answer: %w", op, err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if out != nil && len(bytes.TrimSpace(raw)) > 0 {
			if err := json.Unmarshal(raw, out); err != nil {
				return fmt.Errorf("teams %s: decode answer: %w", op, err)
			}
		}
		return nil
	}
	se := &StatusError{Op: op, Code: resp.StatusCode, Body: snippet(raw)}
	se.ErrorCode, se.Message = connectorError(raw)
	err = se
	switch code := resp.StatusCode; {
	case code == http.StatusTooManyRequests:
		return &bot.RetryAfterError{After: retryAfter(resp.Header, c.Now()), Err: err}
	case code == http.StatusUnauthorized:
		c.forgetToken(token)
		return &credentialsError{err: err}
	case code == http.StatusRequestTimeout, code == http.StatusPreconditionFailed, code >= 500:
		return unavailable(resp, c.Now(), err)
	case appBlocked(err):
		// Only a Teams admin can mend it, by allowing the app: retried,
		// as a refused credential is, so that messages survive until then.
		return err
	default:
		return bot.Permanent(err)
	}
}

// credentialsError is Microsoft's refusal of the bot's credentials: the
// token endpoint's 4xx answer to the client-credentials request, which
// Handoff makes from its configuration alone (a wrong or expired
// TEAMS_APP_PASSWORD, an unknown TEAMS_APP_ID or TEAMS_TENANT_ID, a scope
// of another cloud), or the Bot Connector's 401 to the token it was given.
// Only an admin can mend it; it is retried as the error it wraps is, so
// that messages survive until then.
type credentialsError struct{ err error }

func (e *credentialsError) Error() string { return e.err.Error() }
func (e *credentialsError) Unwrap() error { return e.err }

// credentialsRefused reports whether err, or an error it wraps, is
// Microsoft's refusal of the bot's credentials (credentialsError).
func credentialsRefused(err error) bool {
	var ce *credentialsError
	return errors.As(err, &ce)
}

// appBlocked reports whether err, or an error it wraps, is the Bot
// Connector's refusal of an app a Teams admin has blocked (403
// BotDisabledByAdmin, whose fix the error names): Handoff's credentials
// are fine, and only the admin can allow the app again.
func appBlocked(err error) bool {
	var se *StatusError
	return errors.As(err, &se) && se.ErrorCode == "BotDisabledByAdmin"
}

// StatusError is a Bot Connector answer other than 2xx.
type StatusError struct {
	Op   string
	Code int
	Body string // the start of the answer, for the log
	// ErrorCode and Message are the answer's error, when it is the Bot
	// Connector's {"error":{"code":…,"message":…}}.
	ErrorCode, Message string
}

// Error names the call, the status and the answer: the Bot Connector's
// error code and message when it gave them (and what to do about a code an
// admin can mend, fixes), else the start of the body.
func (e *StatusError) Error() string {
	if e.ErrorCode == "" {
		return fmt.Sprintf("teams %s: HTTP %d: %s", e.Op, e.Code, e.Body)
	}
	s := fmt.Sprintf("teams %s: HTTP %d %s", e.Op, e.Code, e.ErrorCode)
	if e.Message != "" {
		s += ": " + e.Message
	}
	if f := fixes[e.ErrorCode]; f != "" {
		s += " (" + f + ")"
	}
	return s
}

// retryAfter reads Retry-After (bot.AskedWait); without one it waits 1–3 s,
// jittered so that many senders do not come back together.
func retryAfter(h http.Header, now time.Time) time.Duration {
	if wait, ok := bot.AskedWait(h, now); ok {
		return wait
	}
	return time.Second + time.Duration(mrand.Int64N(int64(2*time.Second)))
}

// unavailable is err, a failed answer worth a retry (a 503 Service
// Unavailable, a 5xx, 408, 412), as a *bot.RetryAfterError when the
// answer said when to come back (Retry-After): the outbox then waits
// that long rather than its own backoff, which may be far shorter.
func unavailable(resp *http.Response, now time.Time, err error) error {
	code := resp.StatusCode
	if code != http.StatusRequestTimeout && code != http.StatusPreconditionFailed && code < 500 {
		return err
	}
	if wait, ok := bot.AskedWait(resp.Header, now); ok {
		return &bot.RetryAfterError{After: wait, Err: err, Unavailable: true}
	}
	return err
}

// snippet returns the start of an answer body for an error message.
func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
