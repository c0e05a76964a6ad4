package slack

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/internal/busy"
)

// SocketMode receives commands, clicks and events over a Socket Mode
// WebSocket instead of HTTP, and hands them to the same App. No public URL
// is needed.
type SocketMode struct {
	client  *socketmode.Client
	dial    *websocket.Dialer // the client's (socket_live.go)
	app     *App
	logger  *slog.Logger
	workers int
	// timeout is NewSocketMode's (SLACK_TIMEOUT): it bounds each
	// handshake (dial) and each post to a response_url (responses).
	timeout time.Duration
	// responses posts answers too big for an acknowledgement to their
	// response_url, each post bounded by NewSocketMode's timeout.
	responses *http.Client
	// OnClaimAck, when set, observes how long each Claim click took from
	// its envelope's arrival to its acknowledgement (the claim latency that
	// handlers.Slack measures for HTTP). Set it before Run.
	OnClaimAck func(d time.Duration)
	// Backoff is the first wait before reconnecting after a failed
	// connection (default 1 s); each further failure doubles it, up to a
	// minute, with the upper half jittered. Set it before Run.
	Backoff time.Duration
	// Interactive, when set, counts the envelopes being handled, so
	// background work (the outbox) steps aside until they are
	// acknowledged. Set it before Run.
	Interactive *busy.Gate
	// PingInterval is how long a connection may be silent (Slack pings a
	// live one) before the runner closes it and connects again (default
	// 30 s, slack-go's). Set it before Run.
	PingInterval time.Duration
	// Now is the runner's clock (time.Now when nil): when Slack was last
	// heard on a connection, and how long a connection lasted. Set it
	// before Run.
	Now func() time.Time
	// Ticker starts the ticker of a connection's liveness check (every
	// quarter of PingInterval) and returns its channel and its stop
	// function; a time.Ticker when nil. Tests tick it themselves. Set it
	// before Run.
	Ticker func(every time.Duration) (<-chan time.Time, func())
	// TLSConfig, when set, is the TLS client configuration of the
	// WebSocket connections (wss://), for example RootCAs holding the
	// private CA of a TLS-inspecting proxy; nil verifies Slack's
	// certificate against the system roots. The server name checked is
	// the URL's host unless ServerName is set. Only the WebSocket
	// connections use it: the Web API calls (apps.connections.open among
	// them) go through api's HTTP client (on Linux SSL_CERT_FILE and
	// SSL_CERT_DIR choose the system roots of both). Set it before Run.
	TLSConfig *tls.Config
}

// NewSocketMode returns a runner over api, which must carry the app-level
// token (NewClient with appToken). timeout bounds each WebSocket
// handshake (a connection Slack does not open within it is tried again)
// and each post of an answer to its response_url, as NewClient's bounds
// each Web API call (SLACK_TIMEOUT); one that is not positive panics.
// opts tune the socketmode client (for example socketmode.OptionDebug);
// its dialer and ping interval are the runner's (PingInterval).
func NewSocketMode(api *slackapi.Client, app *App, logger *slog.Logger, timeout time.Duration, opts ...socketmode.Option) *SocketMode {
	if timeout <= 0 {
		panic("slack: NewSocketMode: the timeout must be positive")
	}
	if logger == nil {
		logger = slog.Default()
	}
	s := &SocketMode{app: app, logger: logger, workers: 32, timeout: timeout, responses: &http.Client{Timeout: timeout}}
	s.dial = s.dialer(timeout)
	s.client = socketmode.New(api, append(slices.Clip(opts), socketmode.OptionDialer(s.dial))...)
	return s
}

// Run connects and serves until ctx ends, then returns nil. slack-go's
// RunContext returns on a fatal connect error (invalid_auth, network): Run
// reconnects with capped, jittered backoff. Envelopes are drained from the
// client continuously and handled concurrently, each acknowledged as soon as
// the App answers, so acks never wait behind one another.
func (s *SocketMode) Run(ctx context.Context) error {
	// slack-go's own check of PINGs, on the wall clock: a backstop
	// behind the runner's (socket_live.go).
	socketmode.OptionPingInterval(backstopIntervals * s.pingInterval())(s.client)
	s.dial.TLSClientConfig = s.TLSConfig
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil && s.drainRecovered(ctx) {
			// drain panicked: keep draining, or acks would stall
		}
	}()
	first := s.Backoff
	if first <= 0 {
		first = time.Second
	}
	wait := first
	for {
		started := s.now()
		err := s.client.RunContext(ctx)
		if ctx.Err() != nil {
			break
		}
		if s.now().Sub(started) > time.Minute {
			wait = first // it ran for a while: start over
		}
		sleep := wait/2 + time.Duration(mrand.Int64N(int64(wait/2)+1))
		s.logger.ErrorContext(ctx, "slack socket mode: disconnected", "err", err, "reconnect_in", sleep)
		select {
		case <-ctx.Done():
		case <-time.After(sleep):
		}
		if ctx.Err() != nil {
			break
		}
		wait = min(wait*2, max(first, time.Minute))
	}
	cancel()
	wg.Wait()
	return nil
}

// logFailure logs the App's error for the envelope: an internal error
// as it is, a malformed payload (EINVALID) as a warning with its problem,
// and a refusal (EFORBIDDEN, ECONFLICT, ENOTFOUND), which the App answers
// to the user itself (a form's in its answer, onForm, logged by the App
// by its code, logRefused) and so should not return, as a warning with
// its code alone, since its message is the user's answer and names the
// lead by its title and its owner ("Only @ann (the owner) or a sales
// manager can do that with *Acme A/S* (lead 42).").
func (s *SocketMode) logFailure(ctx context.Context, typ socketmode.EventType, envelopeID string, err error) {
	switch code := handoff.ErrorCode(err); code {
	case handoff.EINTERNAL:
		s.logger.ErrorContext(ctx, "slack socket mode: request failed", "type", string(typ), "envelope", envelopeID, "err", err)
	case handoff.EINVALID:
		s.logger.WarnContext(ctx, "slack socket mode: request failed", "type", string(typ), "envelope", envelopeID, "err", err)
	default:
		s.logger.WarnContext(ctx, "slack socket mode: request refused", "type", string(typ), "envelope", envelopeID, "code", code)
	}
}

// respond decodes the payload of an envelope of type typ and hands it to
// the App: its answer, a slash command's response_url, whether it was a
// Claim click, and the App's error (EINVALID for a payload it cannot
// read).
func (s *SocketMode) respond(ctx context.Context, typ socketmode.EventType, payload json.RawMessage) (answer any, responseURL string, claim bool, err error) {
	switch typ {
	case socketmode.EventTypeEventsAPI:
		answer, err = s.app.Event(ctx, payload)
	case socketmode.EventTypeInteractive:
		var ic slackapi.InteractionCallback
		if err = json.Unmarshal(payload, &ic); err != nil {
			return nil, "", false, handoff.Errorf(handoff.EINVALID, "malformed interaction: %v", err)
		}
		answer, err = s.app.Interaction(ctx, ic)
		claim = IsClaim(ic)
	case socketmode.EventTypeSlashCommand:
		var cmd slackapi.SlashCommand
		if err = json.Unmarshal(payload, &cmd); err != nil {
			return nil, "", false, handoff.Errorf(handoff.EINVALID, "malformed slash command: %v", err)
		}
		answer, err = s.app.Command(ctx, cmd)
		responseURL = cmd.ResponseURL
	}
	return answer, responseURL, claim, err
}

// drainRecovered runs drain and reports whether it panicked (logged).
func (s *SocketMode) drainRecovered(ctx context.Context) (panicked bool) {
	defer func() {
		if p := recover(); p != nil {
			s.logger.ErrorContext(ctx, "slack socket mode: drain panicked", "panic", p)
			panicked = true
		}
	}()
	s.drain(ctx)
	return false
}

// drain reads every event the client emits, so its 50-slot channel never
// fills and stalls acks, and handles requests on up to s.workers goroutines.
func (s *SocketMode) drain(ctx context.Context) {
	sem := make(chan struct{}, s.workers)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		var evt socketmode.Event
		select {
		case <-ctx.Done():
			return
		case evt = <-s.client.Events:
		}
		switch evt.Type {
		case socketmode.EventTypeConnecting, socketmode.EventTypeConnected, socketmode.EventTypeHello:
			s.logger.DebugContext(ctx, "slack socket mode", "state", string(evt.Type))
		case socketmode.EventTypeConnectionError:
			s.connectFailed(ctx, evt.Data)
		case socketmode.EventTypeInvalidAuth, socketmode.EventTypeIncomingError,
			socketmode.EventTypeErrorWriteFailed, socketmode.EventTypeErrorBadMessage:
			s.logger.WarnContext(ctx, "slack socket mode", "state", string(evt.Type), "data", evt.Data)
		case socketmode.EventTypeEventsAPI, socketmode.EventTypeInteractive, socketmode.EventTypeSlashCommand:
			if evt.Request == nil {
				continue
			}
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			wg.Add(1)
			go func() {
				defer func() { <-sem; wg.Done() }()
				s.handle(ctx, evt.Type, *evt.Request)
			}()
		}
	}
}

// connectFailed logs a failed attempt to connect (data, slack-go's
// connection_error event), which slack-go tries again after a short
// wait. One that ran out of time (apps.connections.open or the
// WebSocket handshake: Slack did not answer) names the timeout it ran
// out of, SLACK_TIMEOUT, so an admin on a slow network knows what to
// raise.
func (s *SocketMode) connectFailed(ctx context.Context, data any) {
	const state = string(socketmode.EventTypeConnectionError)
	ce, ok := data.(*slackapi.ConnectionErrorEvent)
	if !ok || !isTimeout(ce.ErrorObj) {
		s.logger.WarnContext(ctx, "slack socket mode", "state", state, "data", data)
		return
	}
	s.logger.WarnContext(ctx, "slack socket mode: Slack did not answer within SLACK_TIMEOUT, connecting again",
		"state", state, "timeout", s.timeout, "err", ce.ErrorObj)
}

// isTimeout reports whether err is a wait that ran out: a deadline of the
// network (the handshake's) or of a context or client (a Web API call's).
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}

// handle passes one envelope to the App and acknowledges it with the App's
// answer.
func (s *SocketMode) handle(ctx context.Context, typ socketmode.EventType, req socketmode.Request) {
	start := time.Now()
	defer s.Interactive.Enter()()
	defer func() {
		if p := recover(); p != nil {
			s.logger.ErrorContext(ctx, "slack socket mode: panic", "type", string(typ), "panic", p)
		}
	}()
	answer, responseURL, claim, err := s.respond(ctx, typ, req.Payload)
	if claim && s.OnClaimAck != nil {
		defer func() { s.OnClaimAck(time.Since(start)) }()
	}
	if err != nil {
		s.logFailure(ctx, typ, req.EnvelopeID, err)
		answer = nil
	}
	if err := s.client.AckCtx(ctx, req.EnvelopeID, answer); err != nil {
		s.logger.WarnContext(ctx, "slack socket mode: ack failed", "envelope", req.EnvelopeID, "err", err)
		if answer != nil && ctx.Err() == nil {
			// Too big (acks are limited to 20 KB): at least acknowledge,
			// and send a command's answer through its response_url.
			if err := s.client.AckCtx(ctx, req.EnvelopeID, nil); err != nil {
				s.logger.WarnContext(ctx, "slack socket mode: empty ack failed", "envelope", req.EnvelopeID, "err", err)
			}
			if r, ok := answer.(commandResponse); ok && responseURL != "" {
				msg := &slackapi.WebhookMessage{ResponseType: r.ResponseType, Text: r.Text}
				if len(r.Blocks) > 0 {
					msg.Blocks = &slackapi.Blocks{BlockSet: r.Blocks}
				}
				if err := slackapi.PostWebhookCustomHTTPContext(ctx, responseURL, s.responses, msg); err != nil {
					s.logger.ErrorContext(ctx, "slack socket mode: answer through response_url", "envelope", req.EnvelopeID, "err", err)
				}
			}
		}
	}
}
