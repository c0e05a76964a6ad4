package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
)

// Deduper remembers handled events; *storage.Store implements it.
type Deduper interface {
	// MarkProcessed records key from source and reports whether it is new.
	MarkProcessed(ctx context.Context, source, key string, now time.Time) (bool, error)
}

// AppConfig is what NewApp needs. Bot, Platform, Workspace and Dedup are
// required.
type AppConfig struct {
	Bot      *bot.Bot
	Platform *Platform
	// Workspace says whom Handoff acts for: full members of the bot
	// token's workspace. Everyone else is refused privately.
	Workspace *Workspace
	// Answerer answers /funnel, /sla and /leads; nil answers "not available yet".
	Answerer bot.CommandAnswerer
	Dedup    Deduper
	Now      func() time.Time
	Logger   *slog.Logger
	// AnswerWithin is how long a command answer may take before the ack
	// says "working on it" and the answer follows through response_url
	// (default 2 s, inside Slack's 3 s).
	AnswerWithin time.Duration
	// AnswerTimer starts the timer that ends AnswerWithin and returns its
	// channel and its stop function; a time.Timer when nil. Tests fire it
	// themselves.
	AnswerTimer func(d time.Duration) (<-chan time.Time, func())
}

// App answers Slack's slash commands, interactions and events. The HTTP
// handlers and the Socket Mode runner both call it, after verifying the
// request; it returns the body of the acknowledgement (nil for an empty
// one). Slow work goes to the outbox, so it answers well inside 3 s. It
// acts only for full members of the bot token's workspace: commands,
// clicks and form submissions of anyone else (another workspace, a Slack
// Connect user, a guest) are refused privately and change nothing, and
// events of another workspace are ignored.
type App struct {
	cfg    AppConfig
	logger *slog.Logger
}

// NewApp returns the App over cfg.
func NewApp(cfg AppConfig) *App {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.AnswerWithin <= 0 {
		cfg.AnswerWithin = 2 * time.Second
	}
	if cfg.AnswerTimer == nil {
		cfg.AnswerTimer = func(d time.Duration) (<-chan time.Time, func()) {
			t := time.NewTimer(d)
			return t.C, func() { t.Stop() }
		}
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	return &App{cfg: cfg, logger: logger}
}

// commandResponse is a slash command's acknowledgement with a private answer.
type commandResponse struct {
	ResponseType string           `json:"response_type"`
	Text         string           `json:"text"`
	Blocks       []slackapi.Block `json:"blocks,omitempty"`
}

func private(m bot.Message) commandResponse {
	return commandResponse{ResponseType: slackapi.ResponseTypeEphemeral, Text: summary(m), Blocks: RenderBlocks(m)}
}

// respond is a slash command's acknowledgement with the answer: private,
// or shared in the channel (in_channel) when m is not Private.
func respond(m bot.Message) commandResponse {
	r := private(m)
	if !m.Private {
		r.ResponseType = slackapi.ResponseTypeInChannel
	}
	return r
}

// Command answers /funnel, /sla and /leads, privately unless the answer
// is not Private (shared in the channel). An answer that takes
// longer than AnswerWithin is acknowledged with "working on it" and sent
// through response_url when ready. It never returns an error: failures are
// answered to the user and logged.
func (a *App) Command(ctx context.Context, cmd slackapi.SlashCommand) (any, error) {
	name := strings.TrimPrefix(strings.TrimSpace(cmd.Command), "/")
	known := false
	for _, c := range bot.Commands {
		known = known || c == name
	}
	if !known {
		return private(bot.Notice("I don't know `/" + bot.Escape(name) + "`.")), nil
	}
	if err := a.cfg.Workspace.Check(ctx, cmd.TeamID, "", cmd.UserID); err != nil {
		return private(a.refusal(ctx, err)), nil
	}
	if a.cfg.Answerer == nil {
		return private(bot.Notice("`/" + bot.Escape(name) + "` is not available yet.")), nil
	}
	actor := bot.Actor{Platform: Name, UserID: cmd.UserID, Channel: cmd.ChannelID, ReplyTo: cmd.ResponseURL}
	c := bot.Command{Platform: Name, Name: name, Text: strings.TrimSpace(cmd.Text), UserID: cmd.UserID, Channel: cmd.ChannelID}
	type answer struct {
		msg bot.Message
		err error
	}
	done := make(chan answer, 1)
	// The answer may outlive the request; it ends on its own deadline.
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	go func() {
		defer cancel()
		var ans answer
		defer func() {
			if p := recover(); p != nil { // a report that panics is an error answer, not a crash
				ans = answer{err: fmt.Errorf("slack: /%s panicked: %v", name, p)}
			}
			done <- ans
		}()
		ans.msg, ans.err = a.cfg.Answerer.Answer(actx, c)
	}()
	expired, stop := a.cfg.AnswerTimer(a.cfg.AnswerWithin)
	defer stop()
	select {
	case ans := <-done:
		msg := a.commandAnswer(ctx, c, ans.msg, ans.err)
		a.recordShown(ctx, msg, cmd.ResponseURL)
		return respond(msg), nil
	case <-expired:
	}
	go func() {
		defer func() {
			if p := recover(); p != nil {
				a.logger.ErrorContext(ctx, "slack: late command answer panicked", "command", name, "panic", p)
			}
		}()
		ans := <-done
		msg := a.commandAnswer(actx, c, ans.msg, ans.err)
		if err := a.cfg.Bot.Reply(context.WithoutCancel(ctx), actor, msg); err != nil {
			a.logger.ErrorContext(ctx, "slack: queue late command answer", "command", name, "err", err)
		}
	}()
	return private(bot.Notice("⏳ Working on `/" + name + "` …")), nil
}

// recordShown records an answer given in the HTTP response that showed
// leads, with its response_url, so that erasing one of them replaces the
// answer while Slack accepts the URL. A failure is logged: the answer
// stands.
func (a *App) recordShown(ctx context.Context, msg bot.Message, responseURL string) {
	expires := a.cfg.Now().UTC().Add(ResponseURLLifetime)
	if err := a.cfg.Bot.RecordShown(context.WithoutCancel(ctx), bot.Shown(msg, handoff.PostReply, Name, "", responseURL, &expires)); err != nil {
		a.logger.ErrorContext(ctx, "slack: record a command answer that showed leads", "err", err)
	}
}

// refusal is the private answer to a request from someone Handoff does
// not act for, or whose membership could not be checked.
func (a *App) refusal(ctx context.Context, err error) bot.Message {
	if handoff.ErrorCode(err) == handoff.EFORBIDDEN {
		a.logger.WarnContext(ctx, "slack: request refused", "err", err)
		return bot.ErrorNotice(err)
	}
	a.logger.ErrorContext(ctx, "slack: cannot check the user's membership", "err", err)
	return bot.Notice("Sorry, I could not check your Slack account just now. Please try again.")
}

// commandAnswer turns an answerer's result into what the user sees.
func (a *App) commandAnswer(ctx context.Context, c bot.Command, msg bot.Message, err error) bot.Message {
	switch {
	case err == nil:
		return msg
	case handoff.ErrorCode(err) == handoff.EINTERNAL:
		a.logger.ErrorContext(ctx, "slack: command failed", "command", c.Name, "user", c.UserID, "err", err)
		return bot.Notice("Sorry, `/" + c.Name + "` failed. Please try again.")
	}
	return bot.ErrorNotice(err)
}

// Interaction handles a button click (block_actions) or a modal submission
// (view_submission). It returns EINVALID for a payload it cannot use, and
// other errors when the store fails; refusals go to the user privately.
func (a *App) Interaction(ctx context.Context, ic slackapi.InteractionCallback) (any, error) {
	switch ic.Type {
	case slackapi.InteractionTypeBlockActions:
		return nil, a.click(ctx, ic)
	case slackapi.InteractionTypeViewSubmission:
		return a.submit(ctx, ic)
	}
	return nil, nil
}

func (a *App) click(ctx context.Context, ic slackapi.InteractionCallback) error {
	if ic.User.ID == "" {
		return handoff.Errorf(handoff.EINVALID, "interaction without a user")
	}
	channel := ic.Channel.ID
	if channel == "" {
		channel = ic.Container.ChannelID
	}
	actor := bot.Actor{Platform: Name, UserID: ic.User.ID, Channel: channel, ReplyTo: ic.ResponseURL}
	if err := a.cfg.Workspace.Check(ctx, ic.Team.ID, ic.User.TeamID, ic.User.ID); err != nil {
		return a.cfg.Bot.Notify(ctx, actor, a.refusal(ctx, err))
	}
	for _, act := range ic.ActionCallback.BlockActions {
		if act == nil || !strings.HasPrefix(act.ActionID, "lead.") {
			continue
		}
		res, err := a.cfg.Bot.Act(ctx, actor, act.ActionID, act.Value)
		if err != nil {
			return err
		}
		if res.Form == nil {
			continue
		}
		if err := a.cfg.Platform.OpenForm(ctx, ic.TriggerID, *res.Form); err != nil {
			a.logger.ErrorContext(ctx, "slack: open form", "form", res.Form.ID, "user", ic.User.ID, "err", err)
			if nerr := a.cfg.Bot.Notify(ctx, actor, bot.Notice("Sorry, the form could not be opened. Please try again.")); nerr != nil {
				return nerr
			}
		}
	}
	return nil
}

// viewErrors is a view_submission answer that shows errors on the inputs.
type viewErrors struct {
	ResponseAction string            `json:"response_action"`
	Errors         map[string]string `json:"errors"`
}

func (a *App) submit(ctx context.Context, ic slackapi.InteractionCallback) (any, error) {
	values := map[string]string{}
	if ic.View.State != nil {
		for _, block := range ic.View.State.Values {
			for id, v := range block {
				val := v.Value
				if v.SelectedOption.Value != "" {
					val = v.SelectedOption.Value
				}
				if v.SelectedUser != "" {
					val = v.SelectedUser
				}
				values[id] = val
			}
		}
	}
	actor := bot.Actor{Platform: Name, UserID: ic.User.ID}
	if err := a.cfg.Workspace.Check(ctx, ic.Team.ID, ic.User.TeamID, ic.User.ID); err != nil {
		refusal := a.refusal(ctx, err)
		if k := firstInput(values); k != "" {
			return viewErrors{ResponseAction: "errors", Errors: map[string]string{k: formText(refusal.Summary)}}, nil
		}
		return nil, a.cfg.Bot.Notify(ctx, actor, refusal)
	}
	err := a.cfg.Bot.Submit(ctx, actor, ic.View.CallbackID, ic.View.PrivateMetadata, values)
	if err == nil {
		return nil, nil
	}
	fields := handoff.ErrorFields(err)
	code := handoff.ErrorCode(err)
	if code == handoff.EINTERNAL || (code == handoff.EINVALID && len(fields) == 0) {
		return nil, err
	}
	// Show the message on the form: on the named inputs, or the first one.
	errs := map[string]string{}
	for k, msg := range fields {
		if _, ok := values[k]; ok {
			errs[k] = msg
		}
	}
	if k := firstInput(values); len(errs) == 0 && k != "" {
		errs[k] = formText(handoff.ErrorMessage(err))
	}
	if len(errs) == 0 {
		return nil, err
	}
	return viewErrors{ResponseAction: "errors", Errors: errs}, nil
}

// firstInput is the form input an error without a field is shown on: the
// first by id, or "" for a form without inputs.
func firstInput(values map[string]string) string {
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) == 0 {
		return ""
	}
	return keys[0]
}

// formText is a message as plain text for a form's error line.
func formText(msg string) string {
	return strings.ReplaceAll(bot.Unescape(msg), "*", "")
}

// eventEnvelope is the part of an Events API body Handoff reads.
type eventEnvelope struct {
	Type      string `json:"type"`
	Challenge string `json:"challenge"`
	EventID   string `json:"event_id"`
	TeamID    string `json:"team_id"`
	Event     struct {
		Type string `json:"type"`
		// User is a user id, or for user_change the user object.
		User json.RawMessage `json:"user"`
		Tab  string          `json:"tab"`
	} `json:"event"`
}

// userID is the event's user id; "" when the event names none.
func (e eventEnvelope) userID() string {
	var id string
	if json.Unmarshal(e.Event.User, &id) != nil {
		return ""
	}
	return id
}

// changedUser is the user object of a user_change event.
type changedUser struct {
	ID      string `json:"id"`
	TeamID  string `json:"team_id"`
	Deleted bool   `json:"deleted"`
	IsBot   bool   `json:"is_bot"`
	Profile struct {
		StatusText       string `json:"status_text"`
		StatusEmoji      string `json:"status_emoji"`
		StatusExpiration int64  `json:"status_expiration"`
	} `json:"profile"`
}

// userChanged handles user_change: a status that reads as out of office
// marks the rep away until it expires, and a deactivated account leaves
// the rotation with its claimed leads returned to the channel (see
// bot.Bot.RepChanged). Users of other workspaces and bots are ignored.
func (a *App) userChanged(ctx context.Context, env eventEnvelope) error {
	var u changedUser
	if err := json.Unmarshal(env.Event.User, &u); err != nil || u.ID == "" {
		return handoff.Errorf(handoff.EINVALID, "user_change without a user")
	}
	if u.IsBot || (u.TeamID != "" && u.TeamID != env.TeamID) {
		return nil
	}
	now := a.cfg.Now().UTC()
	var expires time.Time
	if u.Profile.StatusExpiration > 0 {
		expires = time.Unix(u.Profile.StatusExpiration, 0).UTC()
	}
	away := handoff.AwayFromSlackStatus(u.Profile.StatusEmoji, u.Profile.StatusText, expires, now)
	return a.cfg.Bot.RepChanged(ctx, bot.RepChange{Platform: Name, UserID: u.ID, Deleted: u.Deleted, Away: away})
}

// Event handles an Events API body: it answers url_verification with the
// challenge, and handles each event_callback once, however often Slack
// retries it (deduplicated by event_id): app_home_opened on the Home tab
// queues the publishing of the user's home; user_change records a rep's
// out-of-office status and deactivation. It returns EINVALID for a body
// that is not an event.
func (a *App) Event(ctx context.Context, body []byte) (any, error) {
	var env eventEnvelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, handoff.Errorf(handoff.EINVALID, "event body is not JSON: %v", err)
	}
	switch env.Type {
	case "url_verification":
		if env.Challenge == "" {
			return nil, handoff.Errorf(handoff.EINVALID, "url_verification without a challenge")
		}
		return map[string]string{"challenge": env.Challenge}, nil
	case "event_callback":
		if env.EventID == "" {
			return nil, handoff.Errorf(handoff.EINVALID, "event_callback without an event_id")
		}
		ours, err := a.cfg.Workspace.TeamID(ctx)
		if err != nil {
			return nil, err // Slack retries
		}
		if env.TeamID != ours {
			a.logger.WarnContext(ctx, "slack: event of another workspace ignored", "team", env.TeamID, "event_id", env.EventID)
			return nil, nil
		}
		first, err := a.cfg.Dedup.MarkProcessed(ctx, Name, env.EventID, a.cfg.Now().UTC())
		if err != nil {
			return nil, err
		}
		if !first {
			a.logger.DebugContext(ctx, "slack: duplicate event ignored", "event_id", env.EventID)
			return nil, nil
		}
		switch env.Event.Type {
		case "app_home_opened":
			user := env.userID()
			if env.Event.Tab != "home" || user == "" {
				return nil, nil // the Messages or About tab
			}
			if err := a.cfg.Workspace.Check(ctx, env.TeamID, "", user); err != nil {
				if handoff.ErrorCode(err) == handoff.EFORBIDDEN {
					a.logger.WarnContext(ctx, "slack: home of a non-member not published", "err", err)
					return nil, nil
				}
				return nil, err
			}
			return nil, a.cfg.Bot.RefreshHome(ctx, Name, user)
		case "user_change":
			return nil, a.userChanged(ctx, env)
		case "app_uninstalled", "tokens_revoked":
			a.logger.WarnContext(ctx, "slack: the app lost access to the workspace", "event", env.Event.Type, "team", env.TeamID)
		default:
			a.logger.InfoContext(ctx, "slack: event", "event", env.Event.Type, "event_id", env.EventID)
		}
		return nil, nil
	case "":
		return nil, handoff.Errorf(handoff.EINVALID, "event body without a type")
	}
	return nil, nil
}

// IsClaim reports whether ic is a click on a lead's Claim button, whose
// acknowledgement latency is measured (over HTTP and Socket Mode alike).
func IsClaim(ic slackapi.InteractionCallback) bool {
	actions := ic.ActionCallback.BlockActions
	return len(actions) > 0 && actions[0].ActionID == bot.ActionClaim
}
