// Package teams connects Handoff's bot to Microsoft Teams through the Bot
// Framework. It uses msbotbuilder-go only for its schema types and owns the
// rest, closing the library's gaps: inbound JWT validation (Validator), the
// outbound Bot Connector client (Connector), Adaptive Card rendering,
// bot.Platform over stored conversation references (Platform), and the
// handling of activities (App, served by handlers.Teams).
package teams

import (
	"cmp"
	"encoding/json"
	"strings"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
)

// Adaptive Card facts.
const (
	// CardContentType is the attachment and invoke-response type of a card.
	CardContentType = "application/vnd.microsoft.card.adaptive"
	// CardVersion is the schema version of rendered cards; Action.Execute
	// (Universal Actions) needs 1.4 or later.
	CardVersion = "1.5"
	cardSchema  = "http://adaptivecards.io/schemas/adaptive-card.json"
	maxText     = 4000
	maxTitle    = 120
)

// Verbs of the card actions that are not bot actions.
const (
	// VerbFormSubmit submits a rendered bot.Form.
	VerbFormSubmit = "form.submit"
	// VerbShowCard answers with the lead's current card (a form's Cancel).
	VerbShowCard = "card.show"
)

// Card is an Adaptive Card.
type Card struct {
	Type         string      `json:"type"`
	Schema       string      `json:"$schema"`
	Version      string      `json:"version"`
	FallbackText string      `json:"fallbackText,omitempty"`
	Body         []any       `json:"body"`
	MSTeams      cardMSTeams `json:"msteams"`
}

type cardMSTeams struct {
	Width    string    `json:"width,omitempty"`
	Entities []mention `json:"entities,omitempty"`
}

// mention is a Teams mention entity; its Text appears in a TextBlock.
type mention struct {
	Type      string    `json:"type"`
	Text      string    `json:"text"`
	Mentioned mentioned `json:"mentioned"`
}

type mentioned struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type textBlock struct {
	Type     string `json:"type"`
	ID       string `json:"id,omitempty"`
	Text     string `json:"text"`
	Wrap     bool   `json:"wrap"`
	Size     string `json:"size,omitempty"`
	Weight   string `json:"weight,omitempty"`
	Color    string `json:"color,omitempty"`
	IsSubtle bool   `json:"isSubtle,omitempty"`
	Spacing  string `json:"spacing,omitempty"`
}

type factSet struct {
	Type  string `json:"type"`
	Facts []fact `json:"facts"`
}

type fact struct {
	Title string `json:"title"`
	Value string `json:"value"`
}

type actionSet struct {
	Type    string   `json:"type"`
	ID      string   `json:"id,omitempty"`
	Actions []action `json:"actions"`
}

// action is an Action.Execute (with an Action.Submit fallback for clients
// without Universal Actions) or the fallback itself.
type action struct {
	Type  string         `json:"type"`
	Title string         `json:"title"`
	Verb  string         `json:"verb,omitempty"`
	Data  map[string]any `json:"data"`
	Style string         `json:"style,omitempty"`
	// AssociatedInputs "none" sends no input values and skips their
	// validation (a form's Cancel).
	AssociatedInputs string  `json:"associatedInputs,omitempty"`
	Fallback         *action `json:"fallback,omitempty"`
}

type input struct {
	Type         string         `json:"type"`
	ID           string         `json:"id"`
	Label        string         `json:"label"`
	Placeholder  string         `json:"placeholder,omitempty"`
	IsMultiline  bool           `json:"isMultiline,omitempty"`
	IsRequired   bool           `json:"isRequired,omitempty"`
	ErrorMessage string         `json:"errorMessage,omitempty"`
	Min          *float64       `json:"min,omitempty"`
	Choices      []any          `json:"choices,omitempty"`
	ChoicesData  map[string]any `json:"choices.data,omitempty"`
	Style        string         `json:"style,omitempty"`
}

// Names returns the display name of a Teams user id, and false when it is
// not known (the mention is then written as plain text).
type Names func(userID string) (string, bool)

// renderer turns bot markup into Adaptive Card markdown and collects the
// mentions it wrote.
type renderer struct {
	names    Names
	mentions []mention
}

// RenderCard renders a message as an Adaptive Card: the header as a bold
// TextBlock, each section's text as a TextBlock and its fields as a
// FactSet, tables as Table elements and charts as tables with text bars
// (each after a bold title), the context lines as small subtle TextBlocks, and the buttons as
// an ActionSet of Action.Execute actions (verb and data {action, value}),
// each with an Action.Submit fallback carrying the same data. Mentions of
// users that names knows become Teams mentions.
//
// Teams refuses a message over about 28 KB: a card whose JSON would take
// more than maxCardBytes shows only as many first rows of each table as
// fit, each table followed by the line saying how many it left out
// (bot.Table.Below).
func RenderCard(m bot.Message, names Names) Card {
	most := 0
	for _, t := range m.Tables {
		most = max(most, len(t.Rows))
	}
	return fitCard(most, func(rows int) Card { return renderCard(m, names, rows) })
}

// fitCard is render(-1), the card with every row (or choice), when its
// JSON takes at most maxCardBytes; else render(n) with the most n below
// most (the longest list's length) that fits, or render(0).
func fitCard(most int, render func(n int) Card) Card {
	c := render(-1)
	if cardBytes(c) <= maxCardBytes {
		return c
	}
	lo, hi := 0, most-1 // lo fits, more than hi does not
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if cardBytes(render(mid)) <= maxCardBytes {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return render(lo)
}

// maxCardBytes bounds a card's JSON: Teams takes about 28 KB in one
// message, and the activity around the card needs some of it.
const maxCardBytes = 24 * 1024

// cardBytes is the size of c as the connector sends it.
func cardBytes(c Card) int {
	raw, err := json.Marshal(c)
	if err != nil {
		return 0
	}
	return len(raw)
}

// renderCard renders m, with at most rows rows of each table (all when
// rows < 0).
func renderCard(m bot.Message, names Names, rows int) Card {
	r := &renderer{names: names}
	c := newCard(fallbackText(m, names))
	if m.Header != "" {
		c.Body = append(c.Body, textBlock{Type: "TextBlock", ID: "header", Text: r.plain(bot.CutPlain(m.Header, maxTitle)), Wrap: true, Size: "Medium", Weight: "Bolder"})
	}
	for _, s := range m.Sections {
		if s.Text != "" {
			c.Body = append(c.Body, textBlock{Type: "TextBlock", Text: r.sectionText(s), Wrap: true})
		}
		if len(s.Fields) > 0 {
			fs := factSet{Type: "FactSet"}
			for _, f := range s.Fields {
				fs.Facts = append(fs.Facts, fact{Title: r.markdown(f.Key), Value: r.markdown(bot.Cut(f.Value, maxText))})
			}
			c.Body = append(c.Body, fs)
		}
	}
	for _, t := range m.Tables {
		c.Body = append(c.Body, r.table(t, rows)...)
	}
	for _, ch := range m.Charts {
		c.Body = append(c.Body, r.chart(ch)...)
	}
	for i, line := range m.Context {
		tb := textBlock{Type: "TextBlock", Text: r.markdown(bot.Cut(line, maxText)), Wrap: true, Size: "Small", IsSubtle: true}
		if i == 0 {
			tb.Spacing = "Medium"
		}
		c.Body = append(c.Body, tb)
	}
	if len(m.Buttons) > 0 {
		set := actionSet{Type: "ActionSet", ID: "lead_actions"}
		for _, b := range m.Buttons {
			set.Actions = append(set.Actions, executeAction(bot.CutPlain(b.Text, maxTitle), b.ActionID, map[string]any{"action": b.ActionID, "value": b.Value}, style(b.Style)))
		}
		c.Body = append(c.Body, set)
	}
	c.MSTeams.Entities = r.mentions
	return c
}

// RenderForm renders a form as a card that replaces the clicked card for
// the user who clicked: the intro, one input per question (ids prefixed
// with "in_"), an optional error line, and Submit (verb VerbFormSubmit,
// data {action, form, state, value}) and Cancel (VerbShowCard) actions.
// leadID is the value of the click, so Cancel and Submit can show the
// lead's card again. fieldErrs (keyed by input id) and problem describe a
// refused submission.
//
// Teams takes about 28 KB in a card action's answer as in a message: a
// form whose card would take more than maxCardBytes (a long list of
// reasons) offers only as many first choices of each list as fit and,
// last, bot.NotListed, each list followed by a line saying how many it
// left out (bot.NotListedHint) and a text input to type one of them
// (bot.TypedInput), as Slack's menus of 100 are.
func RenderForm(f bot.Form, leadID string, problem string, fieldErrs map[string]string) Card {
	most := 0
	for _, in := range f.Inputs {
		if in.Kind == bot.InputChoice {
			most = max(most, len(in.Options))
		}
	}
	return fitCard(most, func(choices int) Card { return renderForm(f, leadID, problem, fieldErrs, choices) })
}

// renderForm renders f, with at most choices choices of each list (all
// when choices < 0).
func renderForm(f bot.Form, leadID string, problem string, fieldErrs map[string]string, choices int) Card {
	r := &renderer{}
	c := newCard(bot.Unescape(f.Title))
	c.Body = append(c.Body, textBlock{Type: "TextBlock", ID: "header", Text: bot.CutPlain(f.Title, maxTitle), Wrap: true, Size: "Medium", Weight: "Bolder"})
	if f.Intro != "" {
		c.Body = append(c.Body, textBlock{Type: "TextBlock", Text: r.markdown(bot.Cut(f.Intro, maxText)), Wrap: true})
	}
	if problem != "" {
		c.Body = append(c.Body, textBlock{Type: "TextBlock", ID: "problem", Text: r.markdown(bot.Cut(problem, maxText)), Wrap: true, Color: "Attention"})
	}
	for _, in := range f.Inputs {
		el := input{ID: FormInputPrefix + in.ID, Label: bot.CutPlain(in.Label, maxTitle), Placeholder: in.Placeholder, IsRequired: !in.Optional}
		var typed []any // under a list of choices cut short: how to give another
		switch in.Kind {
		case bot.InputNumber:
			zero := 0.0
			el.Type, el.Min = "Input.Number", &zero
		case bot.InputChoice:
			el.Type, el.Style = "Input.ChoiceSet", "compact"
			options := in.Options
			if choices >= 0 && choices < len(options) {
				options = options[:choices]
				typed = r.notListed(in, len(in.Options)-choices, fieldErrs)
			}
			list := make([]any, len(options), len(options)+1)
			for i, o := range options {
				list[i] = map[string]string{"title": o, "value": o}
			}
			if typed != nil {
				list = append(list, map[string]string{"title": bot.NotListed, "value": bot.TypedChoice})
			}
			el.Choices = list
		case bot.InputUser:
			// The people picker answers with the user's Entra object id.
			el.Type = "Input.ChoiceSet"
			el.Choices = []any{}
			el.ChoicesData = map[string]any{"type": "Data.Query", "dataset": "graph.microsoft.com/users"}
		default:
			el.Type, el.IsMultiline = "Input.Text", in.Kind == bot.InputMultiline
		}
		c.Body = append(c.Body, r.withError(el, fieldErrs[in.ID])...)
		c.Body = append(c.Body, typed...)
	}
	submit := executeAction(orDefault(f.Submit, "Save"), VerbFormSubmit,
		map[string]any{"action": VerbFormSubmit, "form": f.ID, "state": f.State, "value": leadID}, "positive")
	cancel := executeAction("Cancel", VerbShowCard, map[string]any{"action": VerbShowCard, "value": leadID}, "")
	cancel.AssociatedInputs, cancel.Fallback.AssociatedInputs = "none", "none"
	c.Body = append(c.Body, actionSet{Type: "ActionSet", ID: "form_actions", Actions: []action{submit, cancel}})
	return c
}

// withError is el with its error: msg, when a refused submission gave
// one (shown on the input and in a line under it), else "Required." for
// Teams to show when a required input is left empty.
func (r *renderer) withError(el input, msg string) []any {
	switch {
	case msg != "":
		el.ErrorMessage = msg
	case el.IsRequired:
		el.ErrorMessage = "Required."
	}
	if msg == "" {
		return []any{el}
	}
	return []any{el, textBlock{Type: "TextBlock", Text: r.markdown(msg), Wrap: true, Color: "Attention", Size: "Small", Spacing: "None"}}
}

// notListed follows the list of choices of in that renderForm cut, left
// of them left out: a line saying so and how to give one
// (bot.NotListedHint), and the optional text input bot.TypedInput(in.ID)
// to type it in, with its error from fieldErrs.
func (r *renderer) notListed(in bot.Input, left int, fieldErrs map[string]string) []any {
	hint := textBlock{Type: "TextBlock", Text: r.markdown(bot.NotListedHint(left, "a Teams card holds only so many")),
		Wrap: true, Size: "Small", IsSubtle: true, Spacing: "None"}
	id := bot.TypedInput(in.ID)
	el := input{Type: "Input.Text", ID: FormInputPrefix + id, Label: bot.TypedLabel}
	return append([]any{hint}, r.withError(el, fieldErrs[id])...)
}

// FormInputPrefix prefixes a form input's id in the card, so that input
// values cannot collide with the action's own data keys.
const FormInputPrefix = "in_"

func newCard(fallback string) Card {
	return Card{Type: "AdaptiveCard", Schema: cardSchema, Version: CardVersion, FallbackText: fallback, Body: []any{}, MSTeams: cardMSTeams{Width: "Full"}}
}

func executeAction(title, verb string, data map[string]any, style string) action {
	return action{Type: "Action.Execute", Title: title, Verb: verb, Data: data, Style: style,
		Fallback: &action{Type: "Action.Submit", Title: title, Data: data, Style: style}}
}

func style(s bot.ButtonStyle) string {
	switch s {
	case bot.StylePrimary:
		return "positive"
	case bot.StyleDanger:
		return "destructive"
	}
	return ""
}

// fallbackText is the message's notification text as plain text.
func fallbackText(m bot.Message, names Names) string {
	return bot.CutPlain(plainText(cmp.Or(m.Summary, bot.Escape(m.Header)), names), maxText)
}

// plainText drops bot markup: bold stars, and mentions become names.
func plainText(s string, names Names) string {
	var b strings.Builder
	for _, seg := range splitMentions(s) {
		if seg.user != "" {
			b.WriteString(nameOf(seg.user, names))
			continue
		}
		b.WriteString(bot.Unescape(strings.ReplaceAll(seg.text, "*", "")))
	}
	return b.String()
}

// plain renders a plain-text header (no markup, but mentions).
func (r *renderer) plain(s string) string {
	return r.convert(bot.Escape(s), false)
}

// sectionText renders a section's text as Adaptive Card markdown, cut to
// fit, its Link's words as a Markdown link ([words](url)) when the cut
// text holds them.
func (r *renderer) sectionText(s bot.Section) string {
	text := bot.Cut(s.Text, maxText)
	before, words, after, ok := bot.LinkIn(text, s.Link)
	if !ok {
		return r.markdown(text)
	}
	return r.markdown(before) + "[" + r.markdown(words) + "](" + markdownURL(s.Link.URL) + ")" + r.markdown(after)
}

// markdownURL writes url as a Markdown link's target: the characters that
// would end it or break it (space, parentheses, < and >) percent-encoded.
func markdownURL(url string) string {
	return strings.NewReplacer(" ", "%20", "(", "%28", ")", "%29", "<", "%3C", ">", "%3E").Replace(url)
}

// markdown renders bot markup as Adaptive Card markdown: *bold* becomes
// **bold**, <@id> a Teams mention, and entities literal characters.
func (r *renderer) markdown(s string) string { return r.convert(s, true) }

func (r *renderer) convert(s string, bold bool) string {
	var b strings.Builder
	for _, seg := range splitMentions(s) {
		if seg.user != "" {
			b.WriteString(r.mention(seg.user))
			continue
		}
		text := seg.text
		if bold {
			text = strings.ReplaceAll(text, "*", "**")
		}
		b.WriteString(teamsLiteral(text))
	}
	return b.String()
}

// teamsLiteral is Teams' one escaping function for data: it turns the
// entities of escaped text into characters that Adaptive Card markdown
// shows as they are, backslash-escaping those that would make a link or
// emphasis (* _ ~ ` [ ]), so a name like "[Open in CRM](https://x)" or
// "*urgent*" is shown, not followed or formatted. A backslash (which
// Message markup never writes, so it is data) is doubled: markdown reads
// a doubled backslash as one, and a backslash of the data can then never
// escape the one put before a mark (data `\[x\](https://x)` stays text).
// A < of the data is escaped too, so data can never write the <at>…</at>
// of a Teams mention: a lead named "<at>Rita Rep</at>" on a card that
// mentions Rita would otherwise become a second mention of her. (A < the
// markup writes itself, as in "`/leads <lead id>`", is left as it is: a
// backslash would show in a code span.)
func teamsLiteral(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	return bot.MapEntities(s, func(char string, _, _ rune) string {
		if strings.ContainsAny(char, "*_~`[]<") {
			return `\` + char
		}
		return char
	})
}

// mention writes a mention of userID: "<at>Name</at>" with an entity when
// the name is known, else plain text.
func (r *renderer) mention(userID string) string {
	name, ok := "", false
	if r.names != nil {
		name, ok = r.names(userID)
	}
	if !ok || name == "" {
		return nameOf(userID, nil)
	}
	text := "<at>" + name + "</at>"
	for _, m := range r.mentions {
		if m.Mentioned.ID == userID {
			return m.Text
		}
	}
	r.mentions = append(r.mentions, mention{Type: "mention", Text: text, Mentioned: mentioned{ID: userID, Name: name}})
	return text
}

// nameOf is a user's display name, or a description when unknown.
func nameOf(userID string, names Names) string {
	if names != nil {
		if name, ok := names(userID); ok && name != "" {
			return name
		}
	}
	if strings.HasPrefix(userID, "29:") || strings.HasPrefix(userID, "8:orgid:") || handoff.IsEntraID(userID) {
		return "a Teams user"
	}
	return "a Slack user" // owned on another platform
}

// segment is literal text or a mention.
type segment struct {
	text string
	user string
}

// splitMentions cuts s at the mentions written by bot.Mention and
// bot.MentionOn. A mention of another platform's user becomes its label.
func splitMentions(s string) []segment {
	var out []segment
	for _, p := range bot.SplitMentions(s) {
		switch m := p.Mention; {
		case m == nil:
			out = append(out, segment{text: p.Text})
		case m.Platform != "" && m.Platform != Name:
			label := m.Label
			if label == "" {
				label = "a " + m.Platform + " user"
			}
			out = append(out, segment{text: label})
		default:
			out = append(out, segment{user: m.UserID})
		}
	}
	return out
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
