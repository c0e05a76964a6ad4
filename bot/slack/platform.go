package slack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
)

// Name is the platform name stored with Slack posts and outbox messages.
const Name = "slack"

// NewClient returns a Web API client for the bot token. apiURL, when not
// "", replaces https://slack.com/api/ (GovSlack, a proxy, a fake in tests);
// a missing final "/" is added. appToken, when not "", is the xapp- token
// Socket Mode needs. timeout bounds each call, its answer read whole
// (SLACK_TIMEOUT, whose default is config's): a call that takes longer
// fails. A timeout that is not positive panics: every call has a bound.
// slack-go's own retries stay off: the outbox retries. An answer that
// failed the call and said when to come back (a 503 with Retry-After)
// keeps its wait (askedWaits).
func NewClient(botToken, appToken, apiURL string, timeout time.Duration) *slackapi.Client {
	if timeout <= 0 {
		panic("slack: NewClient: the timeout must be positive")
	}
	opts := []slackapi.Option{slackapi.OptionHTTPClient(askedWaits{client: &http.Client{Timeout: timeout}, now: time.Now})}
	if apiURL != "" {
		if !strings.HasSuffix(apiURL, "/") {
			apiURL += "/"
		}
		opts = append(opts, slackapi.OptionAPIURL(apiURL))
	}
	if appToken != "" {
		opts = append(opts, slackapi.OptionAppLevelToken(appToken))
	}
	return slackapi.New(botToken, opts...)
}

// askedWaits is the Web API's HTTP client. An answer that failed the call
// (a 5xx, a 408) and said when to come back (Retry-After, as a 503 Service
// Unavailable may) it returns as an *unavailableError, which slack-go
// passes on as is: slack-go's own error for such an answer
// (StatusCodeError) keeps no header, so the wait would be lost and the
// outbox would come back after its own backoff, which may be far shorter.
type askedWaits struct {
	client *http.Client
	now    func() time.Time
}

// Do sends req.
func (a askedWaits) Do(req *http.Request) (*http.Response, error) {
	resp, err := a.client.Do(req)
	if err != nil || resp.StatusCode < 500 && resp.StatusCode != http.StatusRequestTimeout {
		return resp, err
	}
	wait, ok := bot.AskedWait(resp.Header, a.now())
	if !ok {
		return resp, nil
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // so that the connection is reused
	_ = resp.Body.Close()
	return nil, &unavailableError{status: resp.Status, after: wait}
}

// unavailableError is an answer that failed the call and said when to
// come back (askedWaits).
type unavailableError struct {
	status string // "503 Service Unavailable"
	after  time.Duration
}

// Error names the status, as slack-go's StatusCodeError does.
func (e *unavailableError) Error() string { return "slack server error: " + e.status }

// Platform is bot.Platform over the Slack Web API. It also opens modals
// (OpenForm) and looks up emails (bot.Directory).
type Platform struct {
	api   *slackapi.Client
	names *userNames // of the users text tables name

	mu  sync.Mutex
	dms map[string]string // user → DM channel id
}

var (
	_ bot.Platform      = (*Platform)(nil)
	_ bot.Directory     = (*Platform)(nil)
	_ bot.ReplyReplacer = (*Platform)(nil)
	_ bot.PostFinder    = (*Platform)(nil)
	_ bot.DirectOpener  = (*Platform)(nil)
	_ bot.MessageLinker = (*Platform)(nil)
)

// NewPlatform returns the Slack platform over api.
func NewPlatform(api *slackapi.Client) *Platform {
	return &Platform{api: api, names: newUserNames(api), dms: map[string]string{}}
}

// Name returns "slack".
func (p *Platform) Name() string { return Name }

// Post sends msg with chat.postMessage and returns its ts.
func (p *Platform) Post(ctx context.Context, channel string, msg bot.Message) (string, error) {
	return p.post(ctx, channel, msg)
}

// post sends msg with chat.postMessage, with extra options, and returns
// its ts.
func (p *Platform) post(ctx context.Context, channel string, msg bot.Message, extra ...slackapi.MsgOption) (string, error) {
	var ts string
	err := p.withClassic(ctx, msg, func(opts []slackapi.MsgOption) (err error) {
		_, ts, err = p.api.PostMessageContext(ctx, channel, append(opts, extra...)...)
		return err
	})
	if err != nil {
		p.forgetDirect(channel)
		return "", classifyIn("chat.postMessage", channel, err)
	}
	return ts, nil
}

// Update replaces the message ts in channel with chat.update.
func (p *Platform) Update(ctx context.Context, channel, ts string, msg bot.Message) error {
	err := p.withClassic(ctx, msg, func(opts []slackapi.MsgOption) error {
		_, _, _, err := p.api.UpdateMessageContext(ctx, channel, ts, opts...)
		return err
	})
	return classifyIn("chat.update", channel, err)
}

// MessageLink returns the permalink of message ts in channel, from
// chat.getPermalink (which needs no scope beyond the bot token's); Slack's
// refusal (message_not_found, channel_not_found) is an error as classify
// makes it.
func (p *Platform) MessageLink(ctx context.Context, channel, ts string) (string, error) {
	link, err := p.api.GetPermalinkContext(ctx, &slackapi.PermalinkParameters{Channel: channel, Ts: ts})
	if err != nil {
		return "", classify("chat.getPermalink", err)
	}
	return link, nil
}

// PostPrivate shows msg to userID only, with chat.postEphemeral.
func (p *Platform) PostPrivate(ctx context.Context, channel, userID string, msg bot.Message) error {
	err := p.withClassic(ctx, msg, func(opts []slackapi.MsgOption) error {
		_, err := p.api.PostEphemeralContext(ctx, channel, userID, opts...)
		return err
	})
	return classify("chat.postEphemeral", err)
}

// DirectChannel opens (once) the DM with userID with conversations.open
// and returns its channel id.
func (p *Platform) DirectChannel(ctx context.Context, userID string) (string, error) {
	p.mu.Lock()
	channel := p.dms[userID]
	p.mu.Unlock()
	if channel != "" {
		return channel, nil
	}
	ch, _, _, err := p.api.OpenConversationContext(ctx, &slackapi.OpenConversationParameters{Users: []string{userID}})
	if err != nil {
		return "", classify("conversations.open", err)
	}
	if problem := handoff.CheckLen(ch.ID, handoff.MaxChatIDLen); problem != "" {
		// A message there could not be kept, nor updated or erased later.
		return "", bot.Permanent(fmt.Errorf("slack: conversations.open answered a channel.id %s", problem))
	}
	p.mu.Lock()
	p.dms[userID] = ch.ID
	p.mu.Unlock()
	return ch.ID, nil
}

// DirectMessage opens (once) the DM with userID, posts msg there and
// returns the DM's channel id and the message's ts.
func (p *Platform) DirectMessage(ctx context.Context, userID string, msg bot.Message) (string, string, error) {
	channel, err := p.DirectChannel(ctx, userID)
	if err != nil {
		return "", "", err
	}
	ts, err := p.post(ctx, channel, msg)
	if err != nil {
		return "", "", err
	}
	return channel, ts, nil
}

// forgetDirect drops the DM channel a post to channel failed in, so that
// the next message to its user opens the DM again.
func (p *Platform) forgetDirect(channel string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for user, ch := range p.dms {
		if ch == channel {
			delete(p.dms, user)
		}
	}
}

// Reply answers through a response_url, visible only to the user unless
// msg is not Private (a report shared with `public`).
func (p *Platform) Reply(ctx context.Context, responseURL string, msg bot.Message) error {
	if responseURL == "" {
		return bot.Permanent(errors.New("slack: reply without a response_url"))
	}
	responseType := slackapi.ResponseTypeEphemeral
	if !msg.Private {
		responseType = slackapi.ResponseTypeInChannel
	}
	err := p.withClassic(ctx, msg, func(opts []slackapi.MsgOption) error {
		opts = append(opts, slackapi.MsgOptionResponseURL(responseURL, responseType))
		_, _, _, err := p.api.SendMessageContext(ctx, "", opts...)
		return err
	})
	return classify("response_url", err)
}

// ResponseURLLifetime is how long Slack accepts posts to a response_url
// (at most 5 of them).
const ResponseURLLifetime = 30 * time.Minute

// ReplaceReply replaces the private answer sent through responseURL with
// msg (replace_original), while Slack still accepts the URL.
func (p *Platform) ReplaceReply(ctx context.Context, responseURL string, msg bot.Message) error {
	err := p.withClassic(ctx, msg, func(opts []slackapi.MsgOption) error {
		opts = append(opts, slackapi.MsgOptionResponseURL(responseURL, slackapi.ResponseTypeEphemeral), slackapi.MsgOptionReplaceOriginal(responseURL))
		_, _, _, err := p.api.SendMessageContext(ctx, "", opts...)
		return err
	})
	return classify("response_url", err)
}

// ReplyLifetime is ResponseURLLifetime.
func (p *Platform) ReplyLifetime() time.Duration { return ResponseURLLifetime }

// withClassic calls send with msg's options and, when Slack refuses the
// blocks of a message with tables or charts (invalid_blocks, e.g. a
// workspace without the data_table and data_visualization blocks), once
// more with them rendered as text, the tables' Slack users by name.
func (p *Platform) withClassic(ctx context.Context, msg bot.Message, send func(opts []slackapi.MsgOption) error) error {
	err := send(msgOptions(msg))
	var se slackapi.SlackErrorResponse
	if err == nil || (len(msg.Tables) == 0 && len(msg.Charts) == 0) || !errors.As(err, &se) || se.Err != "invalid_blocks" {
		return err
	}
	blocks := RenderClassicBlocksNamed(msg, p.names.options(ctx, msg))
	return send([]slackapi.MsgOption{slackapi.MsgOptionText(summary(msg), false), slackapi.MsgOptionBlocks(blocks...)})
}

// OpenForm shows f as a modal with views.open. It must be called within 3 s
// of the click that brought triggerID, so it is not queued in the outbox.
//
// Its error is marked bot.Unanswered when Slack did not answer
// (unanswered): the form could not be opened through no fault of
// Handoff's, and the trigger, good for 3 seconds, is gone by then.
func (p *Platform) OpenForm(ctx context.Context, triggerID string, f bot.Form) error {
	_, err := p.api.OpenViewContext(ctx, triggerID, RenderModal(f))
	return unanswered(classify("views.open", err))
}

// failedBySlack lists the Slack error codes of a call Slack failed on its
// own side.
var failedBySlack = map[string]bool{"internal_error": true, "fatal_error": true, "service_unavailable": true, "request_timeout": true}

// unanswered marks err, a call's error from classify, bot.Unanswered when
// Slack did not answer the call: no answer at all or not within the
// client's timeout (SLACK_TIMEOUT), a 5xx or 408, a rate limit, or a
// Slack error of its own failure (failedBySlack). A refusal (bot.Permanent:
// a modal Slack found invalid, an expired trigger) and a Slack error an
// admin must mend (invalid_auth, token_revoked …) stay unmarked: the click
// answers each in its own words (formFailure).
func unanswered(err error) error {
	if err == nil || bot.IsPermanent(err) {
		return err
	}
	var se slackapi.SlackErrorResponse
	if errors.As(err, &se) && !failedBySlack[se.Err] && !rateLimited[se.Err] {
		return err
	}
	return bot.Unanswered(err)
}

// Email returns the user's email from users.info (scope users:read.email).
func (p *Platform) Email(ctx context.Context, userID string) (string, error) {
	u, err := p.api.GetUserInfoContext(ctx, userID)
	if err != nil {
		return "", classify("users.info", err)
	}
	return u.Profile.Email, nil
}

// transient lists Slack error codes worth retrying, with tokenRefused's
// and movingToOrg's. Auth errors are among them: messages should survive
// until an admin fixes the token. So is a workspace's migration to an
// Enterprise organization (unavailable until it is done).
var transient = map[string]bool{
	"internal_error": true, "fatal_error": true, "service_unavailable": true, "request_timeout": true,
}

// movingToOrg lists the Slack error codes of a workspace Slack is moving
// into its Enterprise organization: Slack takes no calls from apps until
// the move is done.
var movingToOrg = map[string]bool{"team_added_to_org": true, "org_login_required": true}

// tokenRefused lists the Slack error codes of a bot token Slack does not
// accept (an auth failure): every call fails alike until an admin sets a
// token that works.
var tokenRefused = map[string]bool{
	"invalid_auth": true, "not_authed": true, "account_inactive": true, "token_revoked": true, "token_expired": true,
}

// rateLimited lists the Slack error codes of a rate limit answered with
// HTTP 200 and no Retry-After (chat.postMessage's rate_limited:
// "Application has posted too many messages").
var rateLimited = map[string]bool{"ratelimited": true, "rate_limited": true}

// RateLimitedWait is how long a call Slack refused with rate_limited (or
// ratelimited), which says no Retry-After, waits before that method is
// called again, as a 429 waits its Retry-After: Slack counts its rate
// limits per minute.
const RateLimitedWait = time.Minute

// refusals are the Slack errors that refuse a channel itself rather than a
// message: the app is not a member, the channel is archived, or the app
// cannot see it (a private channel it was never invited to).
var refusals = map[string]bool{"not_in_channel": true, "is_archived": true, "channel_not_found": true}

// classifyIn is classify for a post or an update in channel: a refusal of
// the channel is marked with bot.ChannelRefused, so that what it refused
// is queued again when the app is back there. A direct message's channel
// ("D…") is not one the app comes back to.
func classifyIn(method, channel string, err error) error {
	err = classify(method, err)
	var se slackapi.SlackErrorResponse
	if errors.As(err, &se) && refusals[se.Err] && !strings.HasPrefix(channel, "D") {
		return bot.ChannelRefused(channel, err)
	}
	return err
}

// classify turns a slack-go error into what the dispatcher understands: a
// *bot.RetryAfterError for HTTP 429 and for a rate limit answered with
// HTTP 200 (rateLimited: it waits RateLimitedWait) and for a 5xx or 408
// that said when to come back (unavailableError: Unavailable), a
// bot.Permanent error for a Slack error retrying cannot fix
// (channel_not_found, invalid_blocks …) and for other 4xx, and the error
// as is (retried with backoff) for other 5xx and network errors.
// A Slack error an admin can mend says how after its code (fixes).
func classify(method string, err error) error {
	if err == nil {
		return nil
	}
	err = withFix(fmt.Errorf("slack %s: %w", method, err))
	var rl *slackapi.RateLimitedError
	if errors.As(err, &rl) {
		return &bot.RetryAfterError{After: rl.RetryAfter, Err: err}
	}
	var un *unavailableError
	if errors.As(err, &un) {
		return &bot.RetryAfterError{After: un.after, Err: err, Unavailable: true}
	}
	var se slackapi.SlackErrorResponse
	if errors.As(err, &se) {
		if rateLimited[se.Err] {
			return &bot.RetryAfterError{After: RateLimitedWait, Err: err}
		}
		if transient[se.Err] || tokenRefused[se.Err] || movingToOrg[se.Err] {
			return err
		}
		return bot.Permanent(err)
	}
	var sc slackapi.StatusCodeError
	if errors.As(err, &sc) && sc.Code >= 400 && sc.Code < 500 && sc.Code != http.StatusTooManyRequests && sc.Code != http.StatusRequestTimeout {
		return bot.Permanent(err)
	}
	return err
}
