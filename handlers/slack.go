package handlers

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/handoff/handoff"
	slackbot "github.com/handoff/handoff/bot/slack"
	"github.com/handoff/handoff/internal/busy"
	"github.com/handoff/handoff/metrics"
)

// SlackApp answers verified Slack requests; *bot/slack.App implements it
// (and serves Socket Mode too). Each method returns the acknowledgement's
// JSON body, nil for an empty 200, or an error: EINVALID for a malformed
// payload (400), anything else 500.
type SlackApp interface {
	Command(ctx context.Context, cmd slack.SlashCommand) (any, error)
	Interaction(ctx context.Context, ic slack.InteractionCallback) (any, error)
	Event(ctx context.Context, body []byte) (any, error)
}

// Slack serves Slack's HTTP endpoints: slash commands, interactions and the
// Events API. Every request must carry a valid v0 signature made with the
// signing secret and a timestamp within 5 minutes; otherwise it is answered
// 401 and nothing happens. A signed but malformed payload is answered 400.
type Slack struct {
	SigningSecret string // SLACK_SIGNING_SECRET; empty refuses every request
	App           SlackApp
	Logger        *slog.Logger
	// Metrics records how long claim clicks take to acknowledge; may be nil.
	Metrics *metrics.Metrics
	// Interactive counts the clicks and commands being acknowledged, so
	// background work (the outbox) steps aside while someone waits; may be
	// nil.
	Interactive *busy.Gate
}

// Register adds POST /slack/commands, /slack/interactions and /slack/events
// to mux.
func (s *Slack) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /slack/commands", s.commands)
	mux.HandleFunc("POST /slack/interactions", s.interactions)
	mux.HandleFunc("POST /slack/events", s.events)
}

func (s *Slack) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

// verified reads the body while checking its signature. It writes the
// 401/400/413 answer itself and returns false when the request must not be
// handled.
func (s *Slack) verified(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	if s.SigningSecret == "" {
		s.logger().WarnContext(r.Context(), "slack: request refused, SLACK_SIGNING_SECRET is not set", "path", r.URL.Path)
		writeJSON(w, http.StatusUnauthorized, errorBody{Error: "Slack is not configured"})
		return nil, false
	}
	sv, err := slack.NewSecretsVerifier(r.Header, s.SigningSecret)
	if err != nil {
		s.logger().WarnContext(r.Context(), "slack: bad signature headers", "path", r.URL.Path, "err", err)
		writeJSON(w, http.StatusUnauthorized, errorBody{Error: "invalid or expired Slack signature"})
		return nil, false
	}
	body, ok := readBody(w, r, &sv)
	if !ok {
		return nil, false
	}
	if err := sv.Ensure(); err != nil {
		s.logger().WarnContext(r.Context(), "slack: signature mismatch", "path", r.URL.Path)
		writeJSON(w, http.StatusUnauthorized, errorBody{Error: "invalid or expired Slack signature"})
		return nil, false
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body, true
}

// answer writes the App's acknowledgement.
func (s *Slack) answer(w http.ResponseWriter, r *http.Request, body any, err error) {
	if err != nil {
		if handoff.ErrorCode(err) == handoff.EINVALID {
			s.logger().WarnContext(r.Context(), "slack: malformed payload", "path", r.URL.Path, "err", err)
		}
		writeError(w, r, s.logger(), err)
		return
	}
	if body == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	writeJSON(w, http.StatusOK, body)
}

// formNotUTF8 is the error for a form body with a value that is not UTF-8
// (Go's decoders would turn its bytes into U+FFFD unseen), naming the
// field; nil when every value is UTF-8.
func formNotUTF8(body []byte) error {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil // the form's own parser says what is wrong
	}
	for _, key := range slices.Sorted(maps.Keys(form)) {
		for _, v := range form[key] {
			if !utf8.ValidString(key) || !utf8.ValidString(v) {
				return handoff.Errorf(handoff.EINVALID, "form field %q is not valid UTF-8", strings.ToValidUTF8(key, "?"))
			}
		}
	}
	return nil
}

func (s *Slack) commands(w http.ResponseWriter, r *http.Request) {
	raw, ok := s.verified(w, r)
	if !ok {
		return
	}
	defer s.Interactive.Enter()() // only signed requests hold the outbox back
	if err := formNotUTF8(raw); err != nil {
		s.answer(w, r, nil, err)
		return
	}
	cmd, err := slack.SlashCommandParse(r)
	if err == nil && (cmd.Command == "" || cmd.UserID == "") {
		err = errors.New("command or user_id missing")
	}
	if err != nil {
		s.answer(w, r, nil, handoff.Errorf(handoff.EINVALID, "malformed slash command: %v", err))
		return
	}
	body, err := s.App.Command(r.Context(), cmd)
	s.answer(w, r, body, err)
}

func (s *Slack) interactions(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	raw, ok := s.verified(w, r)
	if !ok {
		return
	}
	defer s.Interactive.Enter()() // only signed requests hold the outbox back
	if err := formNotUTF8(raw); err != nil {
		s.answer(w, r, nil, err)
		return
	}
	ic, err := slack.InteractionCallbackParse(r)
	if err == nil && ic.Type == "" {
		err = errors.New("payload without a type")
	}
	if err != nil {
		s.answer(w, r, nil, handoff.Errorf(handoff.EINVALID, "malformed interaction: %v", err))
		return
	}
	body, err := s.App.Interaction(r.Context(), ic)
	s.answer(w, r, body, err)
	if slackbot.IsClaim(ic) {
		s.Metrics.ClaimAck("slack", time.Since(start))
	}
}

func (s *Slack) events(w http.ResponseWriter, r *http.Request) {
	raw, ok := s.verified(w, r)
	if !ok {
		return
	}
	if !utf8.Valid(raw) {
		s.answer(w, r, nil, handoff.Errorf(handoff.EINVALID, "body is not valid UTF-8"))
		return
	}
	body, err := s.App.Event(r.Context(), raw)
	s.answer(w, r, body, err)
}
