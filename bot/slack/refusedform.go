package slack

import (
	"context"

	slackapi "github.com/slack-go/slack"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/report"
)

// viewErrors is a view_submission answer that shows errors on the inputs.
type viewErrors struct {
	ResponseAction string            `json:"response_action"`
	Errors         map[string]string `json:"errors"`
}

// viewUpdate is a view_submission answer that replaces the form with View.
type viewUpdate struct {
	ResponseAction string                    `json:"response_action"`
	View           slackapi.ModalViewRequest `json:"view"`
}

// RenderRefusedForm renders m (a bot.FormRefused) as the modal view that
// takes a refused form's place: the form's title ("Handoff" when it has
// none), m's blocks and a Close button, with nothing to submit.
func RenderRefusedForm(title string, m bot.Message) slackapi.ModalViewRequest {
	return slackapi.ModalViewRequest{
		Type:   slackapi.VTModal,
		Title:  plain(bot.CutPlain(orDefault(title, "Handoff"), maxModalTitle)),
		Close:  plain("Close"),
		Blocks: slackapi.Blocks{BlockSet: renderBlocks(m, false, "", report.Options{}, maxViewBlocks)},
	}
}

// onForm is the answer to the submitted form of ic that tells its user
// notice (a refusal): on the form's first input, or, when Slack sent none
// of its inputs (values is empty), in the form's place. Either way the
// user sees it where they acted; an error or an empty answer would show
// Slack's bare "We had some trouble connecting" or close the form with
// nothing said.
func onForm(ic slackapi.InteractionCallback, values map[string]string, notice bot.Message) any {
	if k := firstInput(values); k != "" {
		return viewErrors{ResponseAction: "errors", Errors: map[string]string{k: formText(notice.Summary)}}
	}
	var title string
	if ic.View.Title != nil {
		title = ic.View.Title.Text
	}
	return viewUpdate{ResponseAction: "update", View: RenderRefusedForm(title, bot.FormRefused(notice))}
}

// logRefused logs the refusal err of the submitted form of ic, once
// whichever transport brought it (HTTP or Socket Mode, which both call
// the App): at info, with the form's callback id, err's code and the
// Slack user, and attrs. Never err's message, the user's answer, which
// names the lead by its title and its owner.
func (a *App) logRefused(ctx context.Context, ic slackapi.InteractionCallback, err error, attrs ...any) {
	a.logger.InfoContext(ctx, "slack: form refused",
		append([]any{"form", ic.View.CallbackID, "code", handoff.ErrorCode(err), "user", ic.User.ID}, attrs...)...)
}
