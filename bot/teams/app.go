package teams

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
)

// Leads reads a lead for the refreshed card of an invoke response;
// *storage.Store implements it.
type Leads interface {
	Lead(ctx context.Context, id int64) (*handoff.Lead, error)
}

// Deduper remembers the activities handled; *storage.Store implements it.
type Deduper interface {
	// MarkProcessed records key from source and reports whether it is new.
	MarkProcessed(ctx context.Context, source, key string, now time.Time) (bool, error)
	// ForgetProcessed forgets key, for a retry of what failed.
	ForgetProcessed(ctx context.Context, source, key string) error
}

// AppConfig is what NewApp needs. Bot, Leads, Store and Platform are
// required.
type AppConfig struct {
	Bot      *bot.Bot
	Leads    Leads
	Store    Store
	Platform *Platform
	// Dedup, when set, makes a message or card action that Teams delivers
	// again (it does when the first delivery took over 15 s or failed) run
	// once, in the database so across replicas.
	Dedup Deduper
	// Members, when set, forgets what it knew of a person added to or
	// removed from the sales channel's team (teamMemberAdded,
	// teamMemberRemoved), so that whether they may see leads is asked
	// again at their next request; learns where each sender wrote, where
	// the role of someone outside that team is asked (SalesMembers.Saw);
	// and tells guests of the tenant apart, whose commands are refused and
	// who cannot be picked as a lead's new owner.
	Members *SalesMembers
	// SalesChannel and ManagerChannel are the channels Handoff posts to
	// (TEAMS_SALES_CHANNEL, TEAMS_MANAGER_CHANNEL): the deletion of one,
	// or the app removed from a team, is logged as a warning, and
	// OnChannelLost, when set, is called.
	SalesChannel, ManagerChannel string
	OnChannelLost                func()
	// OnChannelBack, when set, is called with the place where the app is
	// back: a team's id when the app is added (back) to it, a channel's
	// when it is restored; what was refused there is queued again
	// (outbox.Dispatcher.ChannelBack).
	OnChannelBack func(ctx context.Context, place string)
	Policy        handoff.Policy
	// Answerer answers funnel, sla and leads; nil answers "not available
	// yet".
	Answerer bot.CommandAnswerer
	Now      func() time.Time
	Logger   *slog.Logger
}

// App handles authenticated Bot Framework activities: installation
// (conversationUpdate, installationUpdate) stores conversation references;
// Action.Execute clicks (invoke adaptiveCard/action) run the bot's flows and
// are answered with the refreshed card or a form; Action.Submit clicks
// (message with value) run them too and are answered through the outbox;
// text messages are the commands funnel, sla, leads and help.
type App struct {
	cfg    AppConfig
	logger *slog.Logger
	// told are the Action.Submit deliveries whose sender was told that
	// they could not be recorded (unrecorded).
	told toldKeys
}

// NewApp returns the App over cfg.
func NewApp(cfg AppConfig) *App {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	return &App{cfg: cfg, logger: logger}
}

// InvokeResponse is the HTTP answer to an invoke activity: its body, sent
// with HTTP 200 (the status Teams reads is the body's statusCode).
type InvokeResponse struct {
	StatusCode int    `json:"statusCode"`
	Type       string `json:"type"`
	Value      any    `json:"value"`
}

// errorValue is the value of an invoke error response.
type errorValue struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func cardResponse(c Card) *InvokeResponse {
	return &InvokeResponse{StatusCode: 200, Type: CardContentType, Value: c}
}

func errorResponse(status int, code, msg string) *InvokeResponse {
	return &InvokeResponse{StatusCode: status, Type: "application/vnd.microsoft.error", Value: errorValue{Code: code, Message: msg}}
}

// Handle handles one authenticated activity. It returns the invoke response
// to send as the HTTP body (nil for an empty 200), or an error: EINVALID
// for an activity it cannot use (400), anything else when the store fails
// (500, and Bot Framework retries). An Action.Submit that fails so is told
// to its sender instead and answered 200, unless they cannot be told
// either (unrecorded).
//
// A message or card action is handled once however often Teams delivers
// it (by the conversation and activity id, with Dedup): a command answered
// twice would send its answer twice, a form submitted twice would log its
// contact or note twice. A delivery again of a card action is answered
// with the lead's card as it stands; a message whose handling failed is
// forgotten, so that Bot Framework's retry handles it. A Claim or an
// offer's Accept (claimsOnce), as an Action.Execute invoke or an
// Action.Submit message, is not recorded first, which would cost every
// click a commit before its claim: the claim it wins records its delivery
// in the claim's commit, a refusal in its notice's, and the owner's click,
// which changes nothing, on its own (bot.Actor's Delivery), so that a
// delivery again claims nothing, queues nothing, and is answered with the
// lead's card as it stands too; a click that failed recorded nothing, so
// that its retry runs. An Action.Submit whose sender was told that it
// failed is not run again: its deliveries again are dropped.
//
// Any activity from a team shows the bot in it, unless it says the bot
// left: links to messages there that Teams refused to give the team's
// details for are asked for again (Platform.heardFrom). A team's event
// that names its Microsoft 365 group (a conversationUpdate) keeps it for
// every replica's links when the store lacks it (keepTeamGroup), after
// install, so that an install's own write leaves nothing to add; messages
// and clicks, which do not name it, are not held up by the read.
func (a *App) Handle(ctx context.Context, act *Activity) (*InvokeResponse, error) {
	a.cfg.Platform.heardFrom(act)
	a.remember(ctx, act)
	if a.cfg.Members != nil {
		a.cfg.Members.Saw(act)
	}
	switch act.Type {
	case schema.ConversationUpdate, "installationUpdate":
		if err := a.install(ctx, act); err != nil {
			return nil, err
		}
		a.keepTeamGroup(ctx, act)
		return nil, nil
	case schema.Invoke:
		if act.Name != "adaptiveCard/action" {
			return errorResponse(400, "BadRequest", "unsupported invoke "+act.Name), nil
		}
		who := actor(act)
		if claimsOnce(act) {
			who.Delivery = a.deliveryKey(act)
			return a.invoke(ctx, act, who), nil
		}
		first, _, err := a.firstDelivery(ctx, act)
		switch {
		case err != nil:
			a.logger.ErrorContext(ctx, "teams: card action not recorded", "user", act.From.ID, "err", err)
			return errorResponse(500, "InternalServerError", "Sorry, that did not work. Please try again."), nil
		case !first:
			return a.invokedAgain(ctx, act), nil
		}
		return a.invoke(ctx, act, who), nil
	case schema.Message:
		submit := len(act.Value) > 0 && string(act.Value) != "null"
		if submit && a.toldAlready(ctx, act) {
			return nil, nil
		}
		if claimsOnce(act) {
			who := actor(act)
			who.Delivery = a.deliveryKey(act)
			return nil, a.unrecorded(ctx, act, a.submitMessage(ctx, act, who))
		}
		first, key, err := a.firstDelivery(ctx, act)
		switch {
		case err != nil && submit:
			return nil, a.unrecorded(ctx, act, err)
		case err != nil || !first:
			return nil, err
		case submit:
			err = a.unrecorded(ctx, act, a.submitMessage(ctx, act, actor(act)))
		default:
			err = a.command(ctx, act)
		}
		if err != nil && key != "" && handoff.ErrorCode(err) != handoff.EINVALID {
			if ferr := a.cfg.Dedup.ForgetProcessed(context.WithoutCancel(ctx), Name, key); ferr != nil {
				a.logger.ErrorContext(ctx, "teams: failed message not forgotten; its retry is dropped", "err", ferr)
			}
		}
		return nil, err
	}
	return nil, nil
}

// firstDelivery records the activity and reports whether this is its
// first delivery, and the key it was recorded by ("" when it was not:
// without Dedup or an activity id).
func (a *App) firstDelivery(ctx context.Context, act *Activity) (first bool, key string, err error) {
	if key = a.deliveryKey(act); key == "" {
		return true, "", nil
	}
	first, err = a.cfg.Dedup.MarkProcessed(ctx, Name, key, a.cfg.Now().UTC())
	if err == nil && !first {
		a.logger.DebugContext(ctx, "teams: activity delivered again, ignored", "type", act.Type, "activity", act.ID)
	}
	return first, key, err
}

// claimsOnce reports whether the activity is a click whose delivery is
// recorded with what it writes rather than first: a Claim, or an offer's
// Accept, which is the same claim (bot.Bot.Claim).
func claimsOnce(act *Activity) bool {
	switch act.ActionID() {
	case bot.ActionClaim, bot.ActionAccept:
		return true
	}
	return false
}

// deliveryKey is the key the activity's deliveries are recorded by, or ""
// when they are not: without Dedup or an activity id.
func (a *App) deliveryKey(act *Activity) string {
	if a.cfg.Dedup == nil || act.ID == "" {
		return ""
	}
	return activityKey(act)
}

// activityKey names an activity among all of the app's: an activity id is
// unique within its conversation only (a channel message's is its time).
func activityKey(act *Activity) string {
	h := sha256.Sum256([]byte(act.Conversation.ID + "\x00" + act.ID))
	return hex.EncodeToString(h[:])
}

// invokedAgain answers a card action delivered again: the lead's card as
// it stands (what the first delivery's action led to), or, for an action
// without a lead, that it was done.
func (a *App) invokedAgain(ctx context.Context, act *Activity) *InvokeResponse {
	data, err := invokeData(act.Value)
	if err != nil {
		return errorResponse(400, "BadRequest", "this card action cannot be read")
	}
	if err := a.cfg.Bot.ReadsLeads(ctx, actor(act)); err != nil {
		return errorResponse(403, "Forbidden", handoff.ErrorMessage(err))
	}
	card, err := a.leadCard(ctx, data.str("value"))
	if err != nil {
		return errorResponse(409, "Conflict", "This action was already done.")
	}
	return cardResponse(card)
}

// remember records the sender (name for mentions, personal chat for DMs,
// and where they wrote, where any replica asks their role: roles).
func (a *App) remember(ctx context.Context, act *Activity) {
	if act.From.ID == "" || act.From.Role == "bot" || act.From.ID == act.Recipient.ID {
		return
	}
	u := handoff.TeamsUser{ID: act.From.ID, AADObjectID: act.From.AadObjectID, Name: act.From.Name,
		TenantID: act.TenantID(), ServiceURL: act.ServiceURL, WroteIn: activityPlace(act).conversation}
	if act.Conversation.ConversationType == "personal" {
		u.DMConversationID = act.Conversation.ID
	}
	if err := a.cfg.Platform.RememberUser(ctx, u); err != nil {
		a.logger.WarnContext(ctx, "teams: remember user", "user", act.From.ID, "err", err)
	}
}

// actor is the user of an activity, in its conversation.
func actor(act *Activity) bot.Actor {
	return bot.Actor{Platform: Name, UserID: act.From.ID, Channel: handoff.TeamsBaseConversation(act.Conversation.ID)}
}

// invoke answers who's Action.Execute click with the card they see next:
// the lead's refreshed card, or a form. Failures are answered as invoke
// errors, never as HTTP errors, so Teams shows them on the card.
func (a *App) invoke(ctx context.Context, act *Activity, who bot.Actor) *InvokeResponse {
	data, err := invokeData(act.Value)
	if err != nil || act.From.ID == "" {
		return errorResponse(400, "BadRequest", "this card action cannot be read")
	}
	card, err := a.run(ctx, who, data)
	if err != nil {
		switch handoff.ErrorCode(err) {
		case handoff.EINVALID:
			return errorResponse(400, "BadRequest", handoff.ErrorMessage(err))
		case handoff.EFORBIDDEN:
			return errorResponse(403, "Forbidden", handoff.ErrorMessage(err))
		}
		if a.roleUnknown(ctx, act, data, err) {
			return errorResponse(503, "ServiceUnavailable", RoleUnknown)
		}
		// The Bot Connector's failure (bot.IsUnanswered) is a warning.
		a.logger.Log(ctx, bot.FailureLevel(err), "teams: card action failed", "action", data.str("action"), "user", act.From.ID, "err", err)
		return errorResponse(500, "InternalServerError", "Sorry, that did not work. Please try again.")
	}
	return cardResponse(card)
}

// roleUnknown reports whether err is a bot.RoleUnknownError (the sender's
// membership or role could not be read, for seeing leads or for the action
// itself), logging that the card action of act was refused for it: the
// user is answered RoleUnknown.
func (a *App) roleUnknown(ctx context.Context, act *Activity, data actionData, err error) bool {
	if !bot.IsRoleUnknown(err) {
		return false
	}
	a.logger.WarnContext(ctx, "teams: whether the sender may see leads is not known; card action refused", "action", data.str("action"), "user", act.From.ID, "err", err)
	return true
}

// run does what a card's data asks (a lead action, a form submission, or
// showing the card) and returns the card the user should see next. Each
// shows a lead's card, so it is for those who may see leads (ReadsLeads)
// alone: anyone else gets the EFORBIDDEN error, and no card; when the
// platform cannot tell, a bot.RoleUnknownError.
func (a *App) run(ctx context.Context, who bot.Actor, data actionData) (Card, error) {
	if err := a.cfg.Bot.ReadsLeads(ctx, who); err != nil {
		return Card{}, err
	}
	action, value := data.str("action"), data.str("value")
	switch action {
	case VerbShowCard:
		return a.leadCard(ctx, value)
	case VerbFormSubmit:
		return a.submitForm(ctx, who, data)
	}
	res, err := a.cfg.Bot.Act(ctx, who, action, value)
	if err != nil {
		return Card{}, err
	}
	if res.Form != nil {
		return RenderForm(*res.Form, value, "", nil), nil
	}
	return a.leadCard(ctx, value)
}

// submitForm completes a form; a refused or invalid submission shows the
// form again with the problem.
func (a *App) submitForm(ctx context.Context, who bot.Actor, data actionData) (Card, error) {
	formID, state, value := data.str("form"), data.str("state"), data.str("value")
	values := map[string]string{}
	for k := range data {
		if id, ok := strings.CutPrefix(k, FormInputPrefix); ok {
			values[id] = strings.TrimSpace(data.str(k))
		}
	}
	err := a.userInputs(ctx, who, formID, values)
	if err == nil {
		err = a.cfg.Bot.Submit(ctx, who, formID, state, values)
		if owner := values["owner"]; formID == bot.ActionReassign && owner != "" && bot.RoleUnknownUser(err) == owner {
			// The new owner's role could not be read, not the sender's.
			err = a.ownerUnknown(ctx, who, formID, owner, err)
		}
	}
	switch code := handoff.ErrorCode(err); {
	case err == nil:
		return a.leadCard(ctx, value)
	case code == handoff.EINTERNAL:
		return Card{}, err
	case code == handoff.EINVALID && (handoff.ErrorFields(err) == nil || bot.StateRefused(err)):
		return Card{}, err // a bad form id or state: not the user's doing
	}
	// Ask again for the form (the lead may have moved on meanwhile).
	res, aerr := a.cfg.Bot.Act(ctx, who, formID, value)
	if aerr != nil || res.Form == nil {
		if aerr != nil && handoff.ErrorCode(aerr) == handoff.EINTERNAL {
			return Card{}, aerr
		}
		return a.leadCard(ctx, value)
	}
	problem := ""
	if handoff.ErrorCode(err) != handoff.EINVALID {
		problem = handoff.ErrorMessage(err)
	}
	return RenderForm(*res.Form, value, problem, handoff.ErrorFields(err)), nil
}

// userInputs turns a people picker's answer (an Entra object id) into the
// Bot Framework user id the bot knows the rep by, for who's form. The
// picker lists the tenant's guests too: a guest (SalesMembers.IsGuest) is
// refused on the form, as Slack refuses one, since only full members may
// own leads. When the Bot Connector cannot say just then who the new owner
// is or whether they are a guest (bot.IsUnanswered), the form is refused
// with ownerUnknown; when the store fails on the way, it is an internal
// error (a failed card action), never blamed on Teams.
func (a *App) userInputs(ctx context.Context, who bot.Actor, formID string, values map[string]string) error {
	if formID != bot.ActionReassign || values["owner"] == "" {
		return nil
	}
	id, err := a.cfg.Platform.UserID(ctx, values["owner"])
	switch {
	case handoff.ErrorCode(err) == handoff.ENOTFOUND:
		return &handoff.Error{Code: handoff.EINVALID, Message: "unknown user",
			Fields: map[string]string{"owner": "This person has not used Handoff in Teams yet: ask them to say hi to the bot first."}}
	case bot.IsUnanswered(err):
		return a.ownerUnknown(ctx, who, formID, values["owner"], err)
	case err != nil:
		return fmt.Errorf("teams: the new owner %s: %w", values["owner"], err) // the store failed
	}
	if a.cfg.Members != nil {
		guest, err := a.cfg.Members.IsGuest(ctx, id)
		switch {
		case bot.IsUnanswered(err):
			return a.ownerUnknown(ctx, who, formID, id, fmt.Errorf("teams: is the new owner %s a full member: %w", id, err))
		case err != nil:
			return fmt.Errorf("teams: is the new owner %s a full member: %w", id, err) // the store failed
		case guest:
			return &handoff.Error{Code: handoff.EINVALID, Message: "the new owner is a guest",
				Fields: map[string]string{"owner": GuestCannotOwn}}
		}
	}
	values["owner"] = id
	return nil
}

// ownerUnknown is the refusal of who's Reassign form (formID) whose new
// owner (the picker's Entra object id, or their Bot Framework id) the Bot
// Connector could not place just then (err: the team's roster, the
// owner's member record or role could not be read): bot.OwnerUnknown on
// the owner input, nothing saved, the form shown again to be sent again.
// It is logged as a warning.
func (a *App) ownerUnknown(ctx context.Context, who bot.Actor, formID, owner string, err error) error {
	a.logger.WarnContext(ctx, "teams: whether the new owner may own leads is not known; form not saved",
		"form", formID, "user", who.UserID, "owner", owner, "err", err)
	return &handoff.Error{Code: handoff.EINVALID, Message: "the new owner could not be checked",
		Fields: map[string]string{"owner": bot.OwnerUnknown(Name)}}
}

// leadCard is the current card of the lead whose id is value.
func (a *App) leadCard(ctx context.Context, value string) (Card, error) {
	id, ok := bot.LeadID(value)
	if !ok {
		return Card{}, handoff.Errorf(handoff.EINVALID, "bad lead id %q", value)
	}
	lead, err := a.cfg.Leads.Lead(ctx, id)
	if err != nil {
		return Card{}, err
	}
	return a.cfg.Platform.Render(ctx, bot.LeadCard(lead, a.cfg.Now(), a.cfg.Policy)), nil
}

// submitMessage handles who's Action.Submit click (clients without
// Universal Actions). The channel card is refreshed through the outbox; a
// form is sent to the user's one-to-one chat, where it is submitted with
// Action.Execute, and so is a form submitted there as an Action.Submit and
// refused on its inputs, with the problem. A click whose sender's role the Bot Connector cannot
// tell is answered there with RoleUnknown, as an Action.Execute is on its
// card, and is no error: Bot Framework would deliver it again, unseen by
// the user, who is asked to click again in a minute. A form that cannot be
// sent to the chat is no error either: the user is told there why, once
// the outbox can send (formFailure).
func (a *App) submitMessage(ctx context.Context, act *Activity, who bot.Actor) error {
	data, err := decodeData(act.Value)
	if err != nil || act.From.ID == "" {
		return handoff.Errorf(handoff.EINVALID, "this card action cannot be read")
	}
	card, err := a.run(ctx, who, data)
	switch {
	case a.roleUnknown(ctx, act, data, err):
		return a.cfg.Bot.Notify(ctx, who, bot.Notice(RoleUnknown))
	case handoff.ErrorCode(err) == handoff.EINVALID, handoff.ErrorCode(err) == handoff.EFORBIDDEN:
		return a.cfg.Bot.Notify(ctx, who, bot.ErrorNotice(err))
	case err != nil:
		return err
	}
	if !isForm(card) {
		return nil // the outbox refreshes the channel card
	}
	// A form opened, or a submitted one refused on its inputs (shown
	// again with the problem): to the user's chat, where forms are sent.
	if err := a.cfg.Platform.SendCard(ctx, who.UserID, card); err != nil {
		level, notice := formFailure(err)
		a.logger.Log(ctx, level, "teams: send form", "user", who.UserID, "err", err)
		return a.cfg.Bot.Notify(ctx, who, bot.Notice(notice))
	}
	return nil
}

// isForm reports whether a card is a rendered form.
func isForm(c Card) bool {
	for _, el := range c.Body {
		if set, ok := el.(actionSet); ok && set.ID == "form_actions" {
			return true
		}
	}
	return false
}

// refused returns the answer to the sender of act, whose command is
// name, when they are not a full member of the tenant
// (SalesMembers.IsGuest: a guest in the sales channel's team or outside
// it, an anonymous user), whose commands Handoff refuses, reports
// included, as Slack refuses a guest's; and when the Bot Connector cannot
// tell (NotKnownMember, a warning), since a report is for full members
// only. When the store failed on the way, not Teams' doing, the command
// is answered as one that failed (failed: logged as an error).
func (a *App) refused(ctx context.Context, act *Activity, name string) (bot.Message, bool) {
	if a.cfg.Members == nil {
		return bot.Message{}, false
	}
	guest, err := a.cfg.Members.IsGuest(ctx, act.From.ID)
	switch {
	case bot.IsUnanswered(err):
		a.logger.WarnContext(ctx, "teams: whether the sender is a full member is not known; command refused", "user", act.From.ID, "err", err)
		return bot.Notice(NotKnownMember), true
	case err != nil:
		return a.failed(ctx, name, act.From.ID, err), true
	case guest:
		return bot.Notice(NotAMember), true
	}
	return bot.Message{}, false
}

// failed is the answer to user's command name that failed on Handoff's
// side (err: an internal error, the store's), logged once at error level:
// the command failed, and may be sent again.
func (a *App) failed(ctx context.Context, name, user string, err error) bot.Message {
	a.logger.ErrorContext(ctx, "teams: command failed", "command", name, "user", user, "err", err)
	return bot.Notice("Sorry, *" + bot.Escape(cmp.Or(name, "help")) + "* failed. Please try again.")
}

// mentionTag matches the bot's own mention in a channel message.
var mentionTag = regexp.MustCompile(`(?s)<at>.*?</at>`)

// HelpText lists the commands.
const HelpText = "*Handoff* hands new SQLs to sales: claim them on the cards in the sales channel.\n\n" +
	"Commands (send them to me here, or mention me in a channel):\n" +
	"• *funnel [period] [source] [public]*: the marketing-to-sales funnel, e.g. *funnel last-month webinar*\n" +
	"• *sla [period]*: the open SQLs now and who met the response times, e.g. *sla last-month*\n" +
	"• *leads [mine|open|open <page>|breached|<lead id>|why <lead id>]*: your open leads, all open leads (20 a page: *leads open 2* the next 20), the breached ones, one lead's history, or how it was routed\n" +
	"• *away [until YYYY-MM-DD] [reason]* and *back*: your time off, when no leads are offered to you (a manager names the rep first: @mention, name or email)\n" +
	"• *routing*: each rep's weight, who can be offered leads now, and the leads received this week against the fair share\n" +
	"• *help*: this message\n\n" +
	"A period is " + handoff.PeriodForms + ".\n\n" +
	"Answers come to you privately, in this chat; add *public* (e.g. *funnel month public*) to share one in the channel."

// answerWithin bounds the making of a command's answer: Handoff's own work
// (reading the store, building the report) with the role check it may
// need. It is fixed, not TEAMS_TIMEOUT: the role check's waits on Teams
// (the members API, through a cache or, for a manager named by email,
// directly) are each bounded by TEAMS_TIMEOUT already, and the answer is
// posted by the outbox, through the connector TEAMS_TIMEOUT bounds. It is
// as long as the bound on the activity's request (cmd/handoff's
// requestTimeout), which the answer is made within.
const answerWithin = 20 * time.Second

// command answers a text message: funnel, sla, leads, away, back,
// routing or help. Answers go
// to the user's one-to-one chat through the outbox, so reports asked for
// in a channel stay private, unless the answer is meant to be shared
// ("funnel month public" in a channel).
func (a *App) command(ctx context.Context, act *Activity) error {
	if act.From.ID == "" {
		return nil
	}
	text := strings.TrimSpace(mentionTag.ReplaceAllString(act.Text, " "))
	name, rest, _ := strings.Cut(strings.Join(strings.Fields(text), " "), " ")
	name = strings.ToLower(strings.TrimPrefix(name, "/"))
	who := actor(act)
	if refusal, ok := a.refused(ctx, act, name); ok {
		return a.cfg.Bot.Notify(ctx, who, refusal)
	}
	known := false
	for _, c := range bot.Commands {
		known = known || c == name
	}
	var named error
	if known && repNamingCommand(name) {
		rest, named = a.namedRep(ctx, act)
	}
	var msg bot.Message
	switch {
	case name == "" || name == "help" || name == "hi" || name == "hello":
		msg = bot.Message{Summary: "Handoff help", Header: "Handoff", Sections: []bot.Section{{Text: HelpText}}, Private: true}
	case !known:
		msg = bot.Notice("I don't know *" + bot.Escape(name) + "*. Send *help* to see what I can do.")
	case a.cfg.Answerer == nil:
		msg = bot.Notice("*" + bot.Escape(name) + "* is not available yet.")
	case named != nil:
		msg = bot.ErrorNotice(named)
	default:
		c := bot.Command{Platform: Name, Name: name, Text: rest, UserID: act.From.ID, Channel: who.Channel}
		actx, cancel := context.WithTimeout(ctx, answerWithin)
		began := a.cfg.Now() // the answer reads the leads after this
		ans, err := a.cfg.Answerer.Answer(actx, c)
		cancel()
		ans.ReadAt = began
		switch {
		case err == nil:
			msg = ans
		case bot.IsRoleUnknown(err):
			// leads and sla ask whether the sender may see leads.
			a.logger.WarnContext(ctx, "teams: whether the sender may see leads is not known; command refused", "command", name, "user", act.From.ID, "err", err)
			msg = bot.Notice(RoleUnknown)
		case handoff.ErrorCode(err) == handoff.EINTERNAL:
			msg = a.failed(ctx, name, act.From.ID, err)
		default:
			msg = bot.ErrorNotice(err)
		}
	}
	if !msg.Private && act.Conversation.ConversationType == "channel" {
		return a.cfg.Bot.Share(ctx, who, msg)
	}
	return a.cfg.Bot.Notify(ctx, who, msg)
}
