package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/teams"
	"github.com/handoff/handoff/internal/busy"
	"github.com/handoff/handoff/metrics"
)

// TeamsValidator checks the Bot Framework token of an activity by itself
// (signature, issuer, expiry, audience), before its body is decoded;
// *bot/teams.Validator implements it. It returns EUNAUTHORIZED or
// EFORBIDDEN for a token to refuse, other errors when it cannot tell. The
// token's claims about the activity are checked once it is decoded
// (teams.Token.CheckActivity).
type TeamsValidator interface {
	Authenticate(ctx context.Context, authorization string) (*teams.Token, error)
}

// TeamsApp handles an authenticated activity; *bot/teams.App implements
// it. It returns an invoke response to send as the body (nil for an empty
// 200), or an error: EINVALID (400) or anything else (500).
type TeamsApp interface {
	Handle(ctx context.Context, act *teams.Activity) (*teams.InvokeResponse, error)
}

// Teams serves the Bot Framework messaging endpoint. Every activity must
// carry a valid Bot Framework token: a missing or invalid one is answered
// 401, one for another bot 403, before anything of the body is decoded,
// so that a caller who cannot sign learns nothing of how it is read. With
// a valid token, a body that is no activity is answered 400 naming the
// field at fault, and an activity from a channel the token's key is not
// endorsed for or with another service URL than the token's 403; nothing
// happens. A valid activity from a tenant not in Tenants, or from a
// channel other than Microsoft Teams, is answered 403 and nothing happens
// either: nothing of it is stored.
type Teams struct {
	Validator TeamsValidator
	App       TeamsApp
	// Tenants are the Microsoft 365 tenants whose activities are handled
	// (TEAMS_TENANT_ID and TEAMS_ALLOWED_TENANTS); empty refuses every one.
	Tenants []string
	Logger  *slog.Logger
	// Metrics records how long claim clicks take to answer; may be nil.
	Metrics *metrics.Metrics
	// Interactive counts the activities being answered, so background work
	// steps aside while someone waits; may be nil.
	Interactive *busy.Gate
}

// NewTeams returns the Teams endpoint over a validator and an app,
// accepting activities from tenants only.
func NewTeams(v TeamsValidator, app TeamsApp, tenants []string, logger *slog.Logger) *Teams {
	return &Teams{Validator: v, App: app, Tenants: tenants, Logger: logger}
}

// Register adds POST /api/messages to mux.
func (t *Teams) Register(mux *http.ServeMux) {
	mux.Handle("POST /api/messages", t)
}

func (t *Teams) logger() *slog.Logger {
	if t.Logger != nil {
		return t.Logger
	}
	return slog.Default()
}

// ServeHTTP authenticates, decodes and handles one activity.
func (t *Teams) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	ctx := r.Context()
	auth := r.Header.Get("Authorization")
	if strings.TrimSpace(auth) == "" {
		writeJSON(w, http.StatusUnauthorized, errorBody{Error: "missing Bot Framework token"})
		return
	}
	body, ok := readBody(w, r, nil)
	if !ok {
		return
	}
	// Authenticate before saying anything about the body: the token's
	// signature, issuer, expiry and audience need none of it.
	tok, err := t.Validator.Authenticate(ctx, auth)
	if err != nil {
		t.refuse(w, r, err)
		return
	}
	act, err := teams.DecodeActivity(body)
	if err != nil {
		writeError(w, r, t.logger(), err)
		return
	}
	if !utf8.Valid(body) { // decoding turned its bytes into U+FFFD unseen
		writeError(w, r, t.logger(), handoff.Invalid("invalid activity", map[string]string{"body": handoff.ProblemUTF8}))
		return
	}
	if _, err := tok.CheckActivity(act.ChannelID, act.ServiceURL); err != nil {
		t.refuse(w, r, err)
		return
	}
	if err := act.CheckOrigin(t.Tenants); err != nil {
		t.logger().WarnContext(ctx, "teams: activity refused", "err", err)
		writeError(w, r, t.logger(), err)
		return
	}
	defer t.Interactive.Enter()() // only authenticated activities hold the outbox back
	res, err := t.App.Handle(ctx, act)
	if act.ActionID() == bot.ActionClaim {
		defer func() { t.Metrics.ClaimAck("teams", time.Since(start)) }()
	}
	if err != nil {
		writeError(w, r, t.logger(), err)
		return
	}
	if res == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// refuse answers an activity whose token err refuses (401, 403), or 503
// when the token could not be checked (the signing keys could not be
// fetched).
func (t *Teams) refuse(w http.ResponseWriter, r *http.Request, err error) {
	ctx := r.Context()
	switch handoff.ErrorCode(err) {
	case handoff.EUNAUTHORIZED, handoff.EFORBIDDEN:
		t.logger().WarnContext(ctx, "teams: activity refused", "err", err)
		writeError(w, r, t.logger(), err)
	default:
		t.logger().ErrorContext(ctx, "teams: cannot check token", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, errorBody{Error: "cannot check the token now"})
	}
}
