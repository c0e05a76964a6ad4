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

// TeamsValidator checks the Bot Framework token of an activity;
// *bot/teams.Validator implements it. It returns EUNAUTHORIZED or
// EFORBIDDEN for a token to refuse, other errors when it cannot tell.
type TeamsValidator interface {
	Validate(ctx context.Context, authorization, channelID, serviceURL string) (*teams.Claims, error)
}

// TeamsApp handles an authenticated activity; *bot/teams.App implements
// it. It returns an invoke response to send as the body (nil for an empty
// 200), or an error: EINVALID (400) or anything else (500).
type TeamsApp interface {
	Handle(ctx context.Context, act *teams.Activity) (*teams.InvokeResponse, error)
}

// Teams serves the Bot Framework messaging endpoint. Every activity must
// carry a valid Bot Framework token: a missing or invalid one is answered
// 401, one for another bot, channel or service URL 403, and nothing
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
	act, derr := teams.DecodeActivity(body)
	channelID, serviceURL := "", ""
	if derr == nil {
		channelID, serviceURL = act.ChannelID, act.ServiceURL
	}
	// Authenticate before saying anything about the body.
	if _, err := t.Validator.Validate(ctx, auth, channelID, serviceURL); err != nil {
		switch handoff.ErrorCode(err) {
		case handoff.EUNAUTHORIZED, handoff.EFORBIDDEN:
			t.logger().WarnContext(ctx, "teams: activity refused", "err", err)
			writeError(w, r, t.logger(), err)
		default:
			t.logger().ErrorContext(ctx, "teams: cannot check token", "err", err)
			writeJSON(w, http.StatusServiceUnavailable, errorBody{Error: "cannot check the token now"})
		}
		return
	}
	if derr != nil {
		writeJSON(w, http.StatusBadRequest, errorBody{Error: "malformed activity"})
		return
	}
	if !utf8.Valid(body) { // decoding turned its bytes into U+FFFD unseen
		writeJSON(w, http.StatusBadRequest, errorBody{Error: "activity body is not valid UTF-8"})
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
