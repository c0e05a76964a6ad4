// Clicks and forms: Act dispatches a clicked button to its flow, or
// answers with the form that asks for the flow's input; Submit completes it.

package bot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/handoff/handoff"
)

// Result is what a click asks the platform to do next.
type Result struct {
	// Form, when set, must be shown to the actor (a Slack modal); its
	// answers come back through Submit.
	Form *Form
}

// Act runs the action of a clicked button (one of the Action constants)
// on the lead whose id is value, for actors who may see leads (ReadsLeads).
// Refusals and conflicts (not in the sales channel, someone else claimed
// first, not the owner) are queued as private notices to the actor and are
// not errors. It returns EINVALID for an unknown action or a bad
// value, and other errors when the store fails.
func (b *Bot) Act(ctx context.Context, a Actor, action, value string) (Result, error) {
	id, ok := LeadID(value)
	if !ok {
		return Result{}, handoff.Errorf(handoff.EINVALID, "bad lead id %q", value)
	}
	var err error
	if err = b.ReadsLeads(ctx, a); err != nil {
		return b.refuse(ctx, a, err)
	}
	switch action {
	case ActionClaim, ActionAccept:
		err = b.Claim(ctx, a, id)
	case ActionPass:
		var form *Form
		if form, err = b.passForm(ctx, a, id); err == nil {
			return Result{Form: form}, nil
		}
	case ActionLogContact:
		_, err = b.LogContact(ctx, a, id)
	case ActionOpportunity:
		_, err = b.Opportunity(ctx, a, id)
	case ActionRelease:
		_, err = b.Release(ctx, a, id)
	default:
		if !isForm(action) {
			return Result{}, handoff.Errorf(handoff.EINVALID, "unknown action %q", action)
		}
		var form *Form
		if form, err = b.form(ctx, a, action, id); err == nil {
			return Result{Form: form}, nil
		}
	}
	return b.refuse(ctx, a, err, id)
}

// refuse queues a refusal (see IsRefusal) as a private notice to the
// actor and returns no error; any other error is returned as it is. The
// notice may name the leads (a "too late" names the lead claimed).
func (b *Bot) refuse(ctx context.Context, a Actor, err error, leads ...int64) (Result, error) {
	if err == nil || !IsRefusal(err) {
		return Result{}, err
	}
	msg := Notice(handoff.ErrorMessage(err))
	msg.Leads = leads
	if nerr := b.Notify(ctx, a, msg); nerr != nil {
		return Result{}, nerr
	}
	return Result{}, nil
}

// IsRefusal reports whether err is an answer for the user rather than a
// failure: the user may not (EFORBIDDEN), the lead moved on (ECONFLICT)
// or is gone (ENOTFOUND).
func IsRefusal(err error) bool {
	switch handoff.ErrorCode(err) {
	case handoff.EFORBIDDEN, handoff.ECONFLICT, handoff.ENOTFOUND:
		return true
	}
	return false
}

// formState is a Form's State: the lead and where the click happened.
type formState struct {
	Lead    int64  `json:"lead"`
	Channel string `json:"channel,omitempty"`
}

// form checks that the actor may do action on lead id and returns the
// form asking for its input.
func (b *Bot) form(ctx context.Context, a Actor, action string, id int64) (*Form, error) {
	l, err := b.cfg.Store.Lead(ctx, id)
	if err != nil {
		return nil, err
	}
	manager, err := b.isManager(ctx, a)
	if err != nil {
		return nil, err
	}
	allow := ownerOrManager
	switch action {
	case ActionNotAFit:
		allow = anyoneWhileUnclaimed
	case ActionReassign:
		allow = managersOnly
	}
	if err := allow(l, a, manager); err != nil {
		return nil, err
	}
	if !l.Stage.Open() {
		return nil, alreadyIn(l)
	}
	state, err := encodeJSON(formState{Lead: id, Channel: a.Channel})
	if err != nil {
		return nil, err
	}
	name := formName(l)
	f := &Form{ID: action, State: state}
	switch action {
	case ActionNotAFit:
		f.Title, f.Submit, f.Intro = "Not a fit", "Return it", "Send "+name+" back to marketing."
		f.Inputs = b.reasonInputs("Why is it not a fit?")
	case ActionWon:
		f.Title, f.Submit, f.Intro = "Won", "Save", "🏆 Congratulations on "+name+"!"
		f.Inputs = []Input{{ID: "amount", Label: "Deal value (" + currency(b.cfg.Policy) + ")", Kind: InputNumber, Placeholder: "40000"}}
	case ActionLost:
		f.Title, f.Submit, f.Intro = "Lost", "Save", "Close "+name+" as lost."
		f.Inputs = b.reasonInputs("Why was it lost?")
	case ActionRecycle:
		f.Title, f.Submit, f.Intro = "Recycle", "Return it", "Send "+name+" back to marketing for more nurturing."
		f.Inputs = b.reasonInputs("Why is it not ready?")
	case ActionReassign:
		f.Title, f.Submit, f.Intro = "Reassign", "Reassign", "Give "+name+" to another rep."
		f.Inputs = []Input{{ID: "owner", Label: "New owner", Kind: InputUser}}
	}
	return f, nil
}

// formName names lead l in a form's intro: its title in bold, or, for a
// lead whose personal data was erased, Handoff's id as LeadRef gives it,
// never its anonymous external id.
func formName(l *handoff.Lead) string {
	if l.ErasedAt != nil {
		return LeadRef(l)
	}
	return "*" + Escape(LeadTitle(l)) + "*"
}

// reasonInputs ask for a reason from the agreement's list and an optional note.
func (b *Bot) reasonInputs(question string) []Input {
	return []Input{
		{ID: "reason", Label: question, Kind: InputChoice, Options: b.cfg.Policy.ReasonList(), Placeholder: "Pick a reason"},
		{ID: "note", Label: "Anything marketing should know?", Kind: InputMultiline, Optional: true},
	}
}

// Submit completes the action of a submitted Form with the answers keyed by
// Input.ID. It returns EINVALID with Fields keyed by input id for a bad
// answer, and EFORBIDDEN or ECONFLICT when the action is refused (not in
// the sales channel, not the owner: for the platform to show on the form).
// A form id that is none of Handoff's forms (CheckFormID, which the
// platforms' edges apply first too), or a state that is not as Handoff
// made it (decodeFormState: too long, its lead not a positive id,
// its channel not a chat id), is refused first, before the store or the
// platform is asked anything: EINVALID naming "form", "state",
// "state.lead" or "state.channel" (StateRefused). The state's channel
// stands in for the actor's when the platform sent none (a Slack form's
// submission).
func (b *Bot) Submit(ctx context.Context, a Actor, formID, state string, values map[string]string) error {
	if p := CheckFormID(formID); p != "" {
		return handoff.Invalid("invalid form", map[string]string{"form": p})
	}
	st, bad := decodeFormState("state", state)
	if bad != nil {
		return handoff.Invalid("invalid form state", bad)
	}
	if a.Channel == "" {
		a.Channel = st.Channel
	}
	if err := b.ReadsLeads(ctx, a); err != nil {
		return err
	}
	var err error
	switch formID {
	case ActionNotAFit, ActionRecycle, ActionLost:
		var reason string
		if reason, err = pickedReason(b.cfg.Policy.ReasonList(), values); err != nil {
			return err
		}
		switch formID {
		case ActionNotAFit:
			_, err = b.recycle(ctx, a, st.Lead, reason, values["note"], anyoneWhileUnclaimed, true)
		case ActionRecycle:
			_, err = b.recycle(ctx, a, st.Lead, reason, values["note"], ownerOrManager, false)
		default:
			_, err = b.lost(ctx, a, st.Lead, reason, values["note"])
		}
	case ActionReassign:
		_, err = b.Reassign(ctx, a, st.Lead, values["owner"])
	case ActionPass:
		err = b.Pass(ctx, a, st.Lead, values["reason"])
	case ActionWon:
		var minor int64
		if minor, err = ParseAmount(values["amount"]); err != nil {
			return &handoff.Error{Code: handoff.EINVALID, Message: "invalid amount", Fields: map[string]string{"amount": err.Error()}}
		}
		_, err = b.Won(ctx, a, st.Lead, minor)
	}
	return err
}

// ParseAmount reads the deal value typed into a form (see
// handoff.ParseAmount) and returns it in minor units, or a sentence to show
// the user.
func ParseAmount(s string) (int64, error) {
	if strings.TrimSpace(s) == "" {
		return 0, errors.New("Enter the deal value.")
	}
	minor, err := handoff.ParseAmount(s)
	if err != nil {
		return 0, fmt.Errorf("The amount: %v.", err)
	}
	return minor, nil
}

func currency(p handoff.Policy) string {
	return cmp.Or(p.Targets.Currency, handoff.DefaultCurrency)
}
