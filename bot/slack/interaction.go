package slack

import (
	"context"
	"fmt"
	"sort"
	"strings"

	slackapi "github.com/slack-go/slack"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
)

// Interaction handles a button click (block_actions) or a modal submission
// (view_submission). It returns EINVALID for a payload it cannot use (one
// naming an id or response_url Handoff cannot keep, or a form's
// callback_id or private_metadata not as Handoff made it,
// checkInteraction, before any call to Slack), and
// other errors when the store fails (during a role check too); never a
// refusal (bot.IsRefusal), nor RoleUnknown when Slack could not say what
// the user may do (bot.IsUnanswered): a click's go to the user
// privately, a form's are its answer, shown on the form's first input or
// in its place (onForm), and logged here, once for both transports
// (logRefused).
func (a *App) Interaction(ctx context.Context, ic slackapi.InteractionCallback) (any, error) {
	if err := checkInteraction(ic); err != nil {
		return nil, err
	}
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
		refusal, err := a.refusal(ctx, err)
		if err != nil {
			return err // Handoff's own failure: not Slack's doing
		}
		return a.cfg.Bot.Notify(ctx, actor, refusal)
	}
	for _, act := range ic.ActionCallback.BlockActions {
		if act == nil || !strings.HasPrefix(act.ActionID, "lead.") {
			continue
		}
		res, err := a.cfg.Bot.Act(ctx, actor, act.ActionID, act.Value)
		if bot.IsRoleUnknown(err) {
			a.logger.WarnContext(ctx, "slack: whether the user may do this is not known; click refused", "action", act.ActionID, "user", ic.User.ID, "err", err)
			return a.cfg.Bot.Notify(ctx, actor, bot.Notice(RoleUnknown))
		}
		if err != nil {
			return err
		}
		if res.Form == nil {
			continue
		}
		if err := a.cfg.Platform.OpenForm(ctx, ic.TriggerID, *res.Form); err != nil {
			// The trigger is gone: the user is told through the click's
			// channel, or its response_url (Notify).
			level, notice, viaResponseURL := formFailure(err)
			a.logger.Log(ctx, level, "slack: open form", "form", res.Form.ID, "user", ic.User.ID, "err", err)
			to := actor
			if viaResponseURL && to.ReplyTo != "" {
				to.Channel = "" // Notify answers through ReplyTo
			}
			if nerr := a.cfg.Bot.Notify(ctx, to, bot.Notice(notice)); nerr != nil {
				return nerr
			}
		}
	}
	return nil
}

// RoleUnknown is the answer to a click or form when Slack could not say
// whether its user may do it (their membership of the sales channel, the
// managers' user group): what failed, and what to do.
const RoleUnknown = "Sorry, Handoff could not check your role just now (Slack did not answer), so it did nothing. " +
	"Please try again in a minute; if it keeps failing, ask your Slack admin to check that Handoff is still in the sales channel " +
	"and that the managers' user group still exists."

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
	if err := a.cfg.Workspace.Check(ctx, ic.Team.ID, ic.User.TeamID, ic.User.ID); err != nil {
		if handoff.ErrorCode(err) == handoff.EFORBIDDEN {
			// The workspace's reasons name Slack ids alone (a guest,
			// another workspace): logged with the refusal.
			a.logRefused(ctx, ic, err, "err", err)
			return onForm(ic, values, bot.ErrorNotice(err)), nil
		}
		refusal, err := a.refusal(ctx, err)
		if err != nil {
			return nil, err // Handoff's own failure: not Slack's doing
		}
		return onForm(ic, values, refusal), nil
	}
	var owner string // a Reassign form's new owner
	if ic.View.CallbackID == bot.ActionReassign {
		owner = values["owner"]
	}
	if owner != "" {
		// Slack's user picker lists guests and Slack Connect users too:
		// only a full member of the workspace may own a lead.
		if err := a.cfg.Workspace.Check(ctx, ic.Team.ID, "", owner); err != nil {
			switch {
			case bot.IsUnanswered(err):
				return a.ownerUnknown(ctx, ic, owner, err), nil
			case handoff.ErrorCode(err) != handoff.EFORBIDDEN:
				// Handoff's own store failed: not Slack's doing.
				return nil, fmt.Errorf("slack: check the new owner %s: %w", owner, err)
			}
			return viewErrors{ResponseAction: "errors", Errors: map[string]string{"owner": "Only full members of this Slack workspace can own leads."}}, nil
		}
	}
	actor := bot.Actor{Platform: Name, UserID: ic.User.ID}
	err := a.cfg.Bot.Submit(ctx, actor, ic.View.CallbackID, ic.View.PrivateMetadata, values)
	if err == nil {
		return nil, nil
	}
	if bot.IsRoleUnknown(err) {
		if owner != "" && bot.RoleUnknownUser(err) == owner {
			return a.ownerUnknown(ctx, ic, owner, err), nil
		}
		// The form stays open with the reason on it, to be sent again
		// (with no input to show it on, the reason takes its place).
		a.logger.WarnContext(ctx, "slack: whether the user may do this is not known; form refused", "form", ic.View.CallbackID, "user", ic.User.ID, "err", err)
		return onForm(ic, values, bot.Notice(RoleUnknown)), nil
	}
	fields := handoff.ErrorFields(err)
	code := handoff.ErrorCode(err)
	if code == handoff.EINTERNAL || (code == handoff.EINVALID && len(fields) == 0) || bot.StateRefused(err) {
		return nil, err // a form or state not as Handoff made it: not the user's doing
	}
	if bot.IsRefusal(err) {
		a.logRefused(ctx, ic, err)
	}
	// Show the message on the form: on the named inputs, or the first one.
	errs := map[string]string{}
	for k, msg := range fields {
		if _, ok := values[k]; ok {
			errs[k] = msg
		}
	}
	if k := firstInput(values); len(errs) == 0 && k != "" {
		// As in the form's place (onForm): a mention as its name, since
		// Slack shows an input's error as plain text.
		errs[k] = formText(bot.ErrorNotice(err).Summary)
	}
	switch {
	case len(errs) > 0:
		return viewErrors{ResponseAction: "errors", Errors: errs}, nil
	case bot.IsRefusal(err):
		// Slack sent none of the form's inputs: the refusal takes its place.
		return onForm(ic, values, bot.ErrorNotice(err)), nil
	}
	return nil, err // EINVALID naming inputs the form does not have
}

// ownerUnknown is the answer to a Reassign form whose new owner Slack
// could not place just then (users.info, the sales channel's members or
// the managers' user group could not be read: err, bot.IsUnanswered; a
// failure of the store is no such answer): bot.OwnerUnknown on
// the owner input, the form left open to be sent again. It is logged as a
// warning.
func (a *App) ownerUnknown(ctx context.Context, ic slackapi.InteractionCallback, owner string, err error) any {
	a.logger.WarnContext(ctx, "slack: whether the new owner may own leads is not known; form not saved",
		"form", ic.View.CallbackID, "user", ic.User.ID, "owner", owner, "err", err)
	return viewErrors{ResponseAction: "errors", Errors: map[string]string{"owner": bot.OwnerUnknown(Name)}}
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

// IsClaim reports whether ic is a click on a lead's Claim button, whose
// acknowledgement latency is measured (over HTTP and Socket Mode alike).
func IsClaim(ic slackapi.InteractionCallback) bool {
	actions := ic.ActionCallback.BlockActions
	return len(actions) > 0 && actions[0].ActionID == bot.ActionClaim
}
