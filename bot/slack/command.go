package slack

import (
	"context"
	"fmt"
	"strings"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/report"
)

// commandResponse is a slash command's acknowledgement with a private answer.
type commandResponse struct {
	ResponseType string           `json:"response_type"`
	Text         string           `json:"text"`
	Blocks       []slackapi.Block `json:"blocks,omitempty"`
}

// private is a private acknowledgement without tables or charts (a
// notice).
func private(m bot.Message) commandResponse {
	return commandResponse{ResponseType: slackapi.ResponseTypeEphemeral, Text: summary(m), Blocks: RenderClassicBlocks(m)}
}

// lateAnswerWithin bounds the making of a slash command's answer, late or
// not: Handoff's own work (reading the store, building the report). It is
// fixed, not SLACK_TIMEOUT: the answer's waits on Slack (the role checks,
// through their caches; a rep's email) have shorter bounds of their own,
// each call within SLACK_TIMEOUT, and a late answer is posted by the
// outbox, through the client SLACK_TIMEOUT bounds.
const lateAnswerWithin = 30 * time.Second

// namesWithin bounds the wait for the names of the Slack users a command
// answer's text tables mention, inside Slack's 3 seconds: a user not
// named by then is written as the mention's label.
const namesWithin = 500 * time.Millisecond

// respond is a slash command's acknowledgement with the answer: private,
// or shared in the channel (in_channel) when m is not Private. Its tables
// and charts are text (their Slack users by name): Slack promises no
// data_table or data_visualization block in a command's HTTP response, and
// one it refuses there is lost without an error Handoff could answer
// again with text, as it does for every post, update and response_url
// answer (Platform.withClassic).
func (a *App) respond(ctx context.Context, m bot.Message) commandResponse {
	var names report.Options
	if a.cfg.Platform != nil && (len(m.Tables) > 0 || len(m.Charts) > 0) {
		nctx, cancel := context.WithTimeout(ctx, namesWithin)
		names = a.cfg.Platform.names.options(nctx, m)
		cancel()
	}
	r := commandResponse{ResponseType: slackapi.ResponseTypeEphemeral, Text: summary(m), Blocks: RenderClassicBlocksNamed(m, names)}
	if !m.Private {
		r.ResponseType = slackapi.ResponseTypeInChannel
	}
	return r
}

// Command answers /funnel, /sla and /leads, privately unless the answer
// is not Private (shared in the channel). An answer that takes
// longer than AnswerWithin is acknowledged with "working on it" and sent
// through response_url when ready. It returns an error only for a
// command naming an id or response_url Handoff cannot keep
// (checkCommand: EINVALID, before any call to Slack); other failures are
// answered to the user and logged.
func (a *App) Command(ctx context.Context, cmd slackapi.SlashCommand) (any, error) {
	if err := checkCommand(cmd); err != nil {
		return nil, err
	}
	name := strings.TrimPrefix(strings.TrimSpace(cmd.Command), "/")
	known := false
	for _, c := range bot.Commands {
		known = known || c == name
	}
	if !known {
		return private(bot.Notice("I don't know `/" + bot.Escape(name) + "`.")), nil
	}
	c := bot.Command{Platform: Name, Name: name, Text: strings.TrimSpace(cmd.Text), UserID: cmd.UserID, Channel: cmd.ChannelID}
	if err := a.cfg.Workspace.Check(ctx, cmd.TeamID, "", cmd.UserID); err != nil {
		refusal, err := a.refusal(ctx, err)
		if err != nil {
			refusal = a.commandAnswer(ctx, c, bot.Message{}, err) // Handoff's own failure
		}
		return private(refusal), nil
	}
	if a.cfg.Answerer == nil {
		return private(bot.Notice("`/" + bot.Escape(name) + "` is not available yet.")), nil
	}
	actor := bot.Actor{Platform: Name, UserID: cmd.UserID, Channel: cmd.ChannelID, ReplyTo: cmd.ResponseURL}
	type answer struct {
		msg bot.Message
		err error
	}
	done := make(chan answer, 1)
	began := a.cfg.Now() // the answer reads the leads after this
	// The answer may outlive the request; it ends on its own deadline.
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), lateAnswerWithin)
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
		ans.msg.ReadAt = began
	}()
	expired, stop := a.cfg.AnswerTimer(a.cfg.AnswerWithin)
	defer stop()
	select {
	case ans := <-done:
		msg := a.commandAnswer(ctx, c, ans.msg, ans.err)
		a.recordShown(ctx, msg, cmd.ResponseURL, began)
		return a.respond(ctx, msg), nil
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
// leads, with its response_url, so that erasing one of them (also one
// erased while the answer was being made, after began) replaces the answer
// while Slack accepts the URL. A failure is logged: the answer stands.
func (a *App) recordShown(ctx context.Context, msg bot.Message, responseURL string, began time.Time) {
	expires := a.cfg.Now().UTC().Add(ResponseURLLifetime)
	if err := a.cfg.Bot.RecordShown(context.WithoutCancel(ctx), began, bot.Shown(msg, handoff.PostReply, Name, "", responseURL, &expires)); err != nil {
		a.logger.ErrorContext(ctx, "slack: record a command answer that showed leads", "err", err)
	}
}

// accountUnknown is the private answer to a request whose user Slack
// could not place just then (auth.test or users.info did not answer).
const accountUnknown = "Sorry, I could not check your Slack account just now. Please try again."

// refusal is the private answer, logged, to a request whose user failed
// Workspace.Check with err: someone Handoff does not act for
// (EFORBIDDEN), or whose account Slack could not tell just then
// (bot.IsUnanswered: accountUnknown, a warning: Slack's doing, not
// Handoff's). Any other err is Handoff's own failure on the way (the
// store, sharing users' changes), not Slack's: refusal returns it,
// unlogged, for its caller to answer and log as it does an internal
// error.
func (a *App) refusal(ctx context.Context, err error) (bot.Message, error) {
	switch {
	case handoff.ErrorCode(err) == handoff.EFORBIDDEN:
		a.logger.WarnContext(ctx, "slack: request refused", "err", err)
		return bot.ErrorNotice(err), nil
	case bot.IsUnanswered(err):
		a.logger.WarnContext(ctx, "slack: whether the user is a full member of the workspace is not known; request refused", "err", err)
		return bot.Notice(accountUnknown), nil
	}
	return bot.Message{}, err
}

// commandAnswer turns an answerer's result into what the user sees. A
// command whose user's role Slack could not tell (bot.IsRoleUnknown:
// /leads and /sla ask whether they may see leads) is answered RoleUnknown
// and logged as a warning; any other internal error as a failed command,
// logged as an error.
func (a *App) commandAnswer(ctx context.Context, c bot.Command, msg bot.Message, err error) bot.Message {
	switch {
	case err == nil:
		return msg
	case bot.IsRoleUnknown(err):
		a.logger.WarnContext(ctx, "slack: whether the user may see leads is not known; command refused", "command", c.Name, "user", c.UserID, "err", err)
		return bot.Notice(RoleUnknown)
	case handoff.ErrorCode(err) == handoff.EINTERNAL:
		a.logger.Log(ctx, bot.FailureLevel(err), "slack: command failed", "command", c.Name, "user", c.UserID, "err", err)
		return bot.Notice("Sorry, `/" + c.Name + "` failed. Please try again.")
	}
	return bot.ErrorNotice(err)
}
