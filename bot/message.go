// Package bot holds Handoff's chat flows independent of any chat platform:
// the messages a rep sees (built once, rendered per platform), the actions a
// rep takes on a lead (claim, log contact, win …), and the durable outbox
// worker that delivers every message through the platform that owns it.
//
// It knows the domain (package handoff) and the store's types, and nothing of
// Slack or Teams: those live in their own packages (bot/slack) and implement
// Platform.
package bot

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/handoff/handoff"
)

// Message is a platform-neutral chat message, built once by the card
// builders and rendered by each platform (Block Kit, Adaptive Cards).
//
// Text uses a small markup every renderer understands: *bold*, user
// mentions written as Mention(id) ("<@U123>"), and entities (&amp;, &lt;,
// &gt;, &#42; …) for literal characters. Builders pass untrusted text
// through Escape, so lead data can never forge a mention, a link or
// formatting on any platform.
type Message struct {
	// Summary is the notification text (push notifications, screen readers,
	// clients that cannot show cards), in the same markup as section text.
	Summary string `json:"summary"`
	// Header is a short title in plain text (no markup); "" for none.
	Header   string    `json:"header,omitempty"`
	Sections []Section `json:"sections,omitempty"`
	// Context lines are small print under the sections (deadlines, hints).
	Context []string `json:"context,omitempty"`
	Buttons []Button `json:"buttons,omitempty"`
	// Tables and Charts are shown after the sections and before the
	// context lines, tables first.
	Tables []Table `json:"tables,omitempty"`
	Charts []Chart `json:"charts,omitempty"`
	// Private messages are shown only to the user they are addressed to.
	Private bool `json:"private,omitempty"`
	// Leads are the ids of the leads whose personal data the message
	// shows (a lead's history, a list of leads), so that erasing one of
	// them can replace the message where the platform allows (see Shown).
	Leads []int64 `json:"leads,omitempty"`
	// ReadAt is, for a message that shows leads, when it read them at the
	// latest (a command's answer: when the command began); zero when
	// unknown. Such a message queued for the outbox after one of its leads
	// was erased, though made before (which the erasure could not drop, as
	// it was queued after), is sent as ErasedAnswer instead.
	ReadAt time.Time `json:"read_at,omitzero"`
}

// LeadIDs returns the ids of leads, for Message.Leads.
func LeadIDs(leads ...[]*handoff.Lead) []int64 {
	var ids []int64
	for _, list := range leads {
		for _, l := range list {
			ids = append(ids, l.ID)
		}
	}
	return ids
}

// Shown are the records of a message shown on platform as messageID in
// channel, one per lead it shows (Message.Leads), of kind (a
// handoff.PostPrivate, PostReply …) and replaceable until expires (nil
// for no end); nil when it shows no lead or has no id.
func Shown(msg Message, kind, platform, channel, messageID string, expires *time.Time) []handoff.ChatPost {
	if messageID == "" {
		return nil
	}
	var out []handoff.ChatPost
	for _, id := range msg.Leads {
		out = append(out, handoff.ChatPost{LeadID: id, Kind: kind, Platform: platform, Channel: channel, MessageID: messageID, ExpiresAt: expires})
	}
	return out
}

// Section is a block of text and key/value fields.
type Section struct {
	Text   string  `json:"text,omitempty"`
	Fields []Field `json:"fields,omitempty"`
	// Link, when set, makes words of Text a link where the platform
	// shows links; nil for none.
	Link *Link `json:"link,omitempty"`
}

// Link makes Words, where they first appear in a section's Text, a link
// to URL. The text reads the same without it: a renderer that shows no
// links (terminal text), or a text cut before the words, shows it as it
// is. URL comes from the platform (Slack's permalink) or is built from
// what it said (a Teams deep link), never from lead data.
type Link struct {
	Words string `json:"words"` // Message markup, as it appears in Text
	URL   string `json:"url"`
}

// LinkIn cuts text, a section's text as a renderer shows it (perhaps cut
// short), around the words of l: the text before them, the words and the
// text after them. ok is false, and before the whole text, when l is
// nil, its URL not https or its words not in text.
func LinkIn(text string, l *Link) (before, words, after string, ok bool) {
	if l == nil || l.Words == "" || !strings.HasPrefix(l.URL, "https://") {
		return text, "", "", false
	}
	i := strings.Index(text, l.Words)
	if i < 0 {
		return text, "", "", false
	}
	return text[:i], l.Words, text[i+len(l.Words):], true
}

// Field is one labelled value, shown in two columns where the platform can.
type Field struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Table is a grid of values with a header row. Renderers that cannot show
// it natively fall back to aligned text.
type Table struct {
	// Title is a short caption in plain text (no markup).
	Title string `json:"title"`
	// Columns are the header cells, plain text.
	Columns []string `json:"columns"`
	// Rows are the data rows, each as long as Columns; cells are in Message
	// markup (mentions allowed, as written by Mention and MentionOn).
	Rows [][]string `json:"rows"`
	// Numeric marks the columns that hold numbers, so that renderers align
	// them right (and Slack sorts them numerically); missing entries are
	// false.
	Numeric []bool `json:"numeric,omitempty"`
	// More says, in Message markup, where every row can be read, for a
	// platform that can show only the first ones; "" for nowhere.
	More string `json:"more,omitempty"`
	// Page, when set, places the rows in a longer list that a command
	// reads a page at a time: the line under the table (Below) says which
	// of the list it shows and where the list goes on, from the first row
	// shown or not.
	Page *Page `json:"page,omitempty"`
}

// Page places a table's rows in a longer list.
type Page struct {
	First int `json:"first"` // the position in the list of the table's first row, from 1
	Total int `json:"total"` // the rows of the whole list
	Size  int `json:"size"`  // the rows of one page of Command
	// Command lists the list's page n when followed by n, and its Size
	// rows from position n on when followed by "from n" ("/leads open");
	// "" for none.
	Command string `json:"command,omitempty"`
	// Order says how the list is sorted ("most urgent first").
	Order string `json:"order,omitempty"`
}

// IsNumeric reports whether column col holds numbers.
func (t Table) IsNumeric(col int) bool { return col >= 0 && col < len(t.Numeric) && t.Numeric[col] }

// Below is the line, in Message markup, that a renderer showing the first
// shown rows of t writes under it, or "" for none: for a page of a list
// (Page), which rows of the list it shows and the command that shows the
// next ones, from the first row it left out, so that a page a platform
// cut short loses none; else (a page no command continues, too), when it
// left rows out, LeftOut.
func (t Table) Below(shown int) string {
	p := t.Page
	if p == nil || p.Command == "" && shown < len(t.Rows) {
		if shown >= len(t.Rows) {
			return ""
		}
		return t.LeftOut(shown)
	}
	last := p.First + shown - 1
	if shown == 0 || p.First == 1 && last >= p.Total {
		return ""
	}
	s := fmt.Sprintf("Showing %d–%d of %d", p.First, last, p.Total)
	if p.Order != "" {
		s += ", " + p.Order
	}
	s += "."
	switch {
	case p.Command == "" || p.Size <= 0:
	case last < p.Total:
		s += fmt.Sprintf(" `%s` shows the next %d.", p.from(last+1), min(p.Total-last, p.Size))
	case p.First > 1:
		s += fmt.Sprintf(" `%s` shows the ones before.", p.from(max(1, p.First-p.Size)))
	}
	return s
}

// from is the command that lists Size rows from position n: by its page
// number where a page starts there.
func (p Page) from(n int) string {
	if (n-1)%p.Size == 0 {
		return fmt.Sprintf("%s %d", p.Command, (n-1)/p.Size+1)
	}
	return fmt.Sprintf("%s from %d", p.Command, n)
}

// LeftOut is the line, in Message markup, that a renderer showing only the
// first shown rows of t writes under it: how many it left out, and where
// to read them (More).
func (t Table) LeftOut(shown int) string {
	s := "Not shown here: " + Count(len(t.Rows)-shown, "more row", "more rows") + "."
	if t.More != "" {
		s += " " + t.More
	}
	return s
}

// AndMore is the words, in Message markup, that end a list cut short:
// how many of its items, n, it leaves out ("…and 7 more").
func AndMore(n int) string { return fmt.Sprintf("…and %d more", n) }

// ChartKind says how a Chart is drawn.
type ChartKind string

// Chart kinds.
const (
	ChartBar  ChartKind = "bar"
	ChartLine ChartKind = "line"
)

// Chart is a small bar or line chart: one value per category in each
// series. Renderers without charts show it as a table or text bars.
type Chart struct {
	Kind  ChartKind `json:"kind"`
	Title string    `json:"title"` // plain text
	// Categories label the x axis, left to right.
	Categories []string `json:"categories"`
	Series     []Series `json:"series"`
	// Unit is appended to values where they are written out ("%"); "" for
	// plain counts.
	Unit string `json:"unit,omitempty"`
}

// Series is one named line or set of bars; Values has one value per
// Chart.Categories entry.
type Series struct {
	Name   string    `json:"name"`
	Values []float64 `json:"values"`
}

// ButtonStyle colours a button.
type ButtonStyle string

// Button styles; the zero value is the platform's default look.
const (
	StyleDefault ButtonStyle = ""
	StylePrimary ButtonStyle = "primary"
	StyleDanger  ButtonStyle = "danger"
)

// Button is a clickable action. A click comes back as ActionID and Value.
type Button struct {
	ActionID string      `json:"action_id"`
	Value    string      `json:"value"`
	Text     string      `json:"text"`
	Style    ButtonStyle `json:"style,omitempty"`
}

// Form asks a user for input before an action is done (a Slack modal, a
// Teams task module). The platform returns the answers keyed by Input.ID
// together with ID and State.
type Form struct {
	ID     string  `json:"id"`     // the action that the answers complete
	State  string  `json:"state"`  // opaque; returned unchanged on submit
	Title  string  `json:"title"`  // short, plain text
	Submit string  `json:"submit"` // the submit button's text
	Intro  string  `json:"intro,omitempty"`
	Inputs []Input `json:"inputs"`
}

// InputKind says what an Input asks for.
type InputKind string

// Input kinds.
const (
	InputText      InputKind = "text"      // one line of text
	InputMultiline InputKind = "multiline" // a paragraph
	InputNumber    InputKind = "number"    // a decimal number
	InputUser      InputKind = "user"      // a user of the platform
	InputChoice    InputKind = "choice"    // one of Input.Options
)

// Input is one question of a Form.
type Input struct {
	ID          string    `json:"id"`
	Label       string    `json:"label"`
	Kind        InputKind `json:"kind"`
	Placeholder string    `json:"placeholder,omitempty"`
	Optional    bool      `json:"optional,omitempty"`
	// Options are the choices of an InputChoice, in order.
	Options []string `json:"options,omitempty"`
}

// Mention returns the markup that mentions a platform user in Message text.
func Mention(userID string) string { return "<@" + userID + ">" }

// MentionOn returns the markup that mentions userID of platform, with label
// (an email or name, plain text) for renderers of other platforms, which
// cannot mention that user: "<@slack:U123|ann@acme.dk>".
func MentionOn(platform, userID, label string) string {
	return "<@" + platform + ":" + userID + "|" + Escape(strings.NewReplacer("|", " ", ">", " ").Replace(label)) + ">"
}

// MentionRef is one mention parsed from Message text.
type MentionRef struct {
	Platform string // "" for a Mention without platform
	UserID   string
	Label    string // Message text (entities escaped); "" when none
}

// TextPart is a run of Message text, or one mention in it.
type TextPart struct {
	Text    string      // literal Message text when Mention is nil
	Mention *MentionRef // the mention, or nil
}

// SplitMentions cuts Message text into literal runs and mentions.
func SplitMentions(s string) []TextPart {
	var out []TextPart
	for {
		i := strings.Index(s, "<@")
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], '>')
		if j < 0 {
			break
		}
		if i > 0 {
			out = append(out, TextPart{Text: s[:i]})
		}
		m := parseMention(s[i+2 : i+j])
		out = append(out, TextPart{Mention: &m})
		s = s[i+j+1:]
	}
	if s != "" {
		out = append(out, TextPart{Text: s})
	}
	return out
}

// RewriteMentions returns s with every mention replaced by what f returns
// for it; the rest of s is left as it is.
func RewriteMentions(s string, f func(MentionRef) string) string {
	var b strings.Builder
	for _, p := range SplitMentions(s) {
		if p.Mention != nil {
			b.WriteString(f(*p.Mention))
		} else {
			b.WriteString(p.Text)
		}
	}
	return b.String()
}

// parseMention reads the inside of "<@…>": "U123", or "slack:U123|label".
func parseMention(inner string) MentionRef {
	var m MentionRef
	if k := strings.IndexByte(inner, '|'); k >= 0 {
		inner, m.Label = inner[:k], inner[k+1:]
	}
	if k := strings.IndexByte(inner, ':'); k > 0 && (inner[:k] == "slack" || inner[:k] == "teams") {
		m.Platform, inner = inner[:k], inner[k+1:]
	}
	m.UserID = inner
	return m
}

// literals are the characters Escape writes as entities: the markup's own
// (&, <, >) and every character a platform reads as formatting or as part
// of a link (* _ ~ ` for Slack's mrkdwn; [ ] for Markdown links in Teams).
var literals = [...]struct{ char, entity string }{
	{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"},
	{"*", "&#42;"}, {"_", "&#95;"}, {"~", "&#126;"}, {"`", "&#96;"}, {"[", "&#91;"}, {"]", "&#93;"},
}

var escaper = func() *strings.Replacer {
	var pairs []string
	for _, l := range literals {
		pairs = append(pairs, l.char, l.entity)
	}
	return strings.NewReplacer(pairs...)
}()

// Escape makes untrusted text safe to put into Message text: the markup's
// characters and every character a platform could read as formatting or a
// link are written as entities, so data can never form a mention, a link or
// bold text; and the bidi controls are dropped (DropBidi), so data can
// never reorder the text around it. Each renderer turns the entities into
// literal characters the way its platform needs (MapEntities).
func Escape(s string) string { return escaper.Replace(DropBidi(s)) }

// DropBidi returns s without the Unicode bidi embeddings, overrides and
// isolates (U+202A–U+202E, U+2066–U+2069): one left open in a lead's name
// would show the rest of its line (who claimed it, the deadline) reversed
// or reordered, as in "Trojan Source". The marks (U+200E, U+200F, U+061C),
// which reorder nothing beyond themselves, stay.
func DropBidi(s string) string {
	if !strings.ContainsFunc(s, IsBidiControl) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if IsBidiControl(r) {
			return -1
		}
		return r
	}, s)
}

// IsBidiControl reports whether r is a bidi embedding, override or isolate
// (U+202A–U+202E, U+2066–U+2069).
func IsBidiControl(r rune) bool {
	return (r >= '\u202A' && r <= '\u202E') || (r >= '\u2066' && r <= '\u2069')
}

// MapEntities returns Message text s with every entity Escape writes
// replaced by lit(char, before, after): char is the character it stands
// for, before and after the characters around it once decoded (0 at either
// end). Renderers use it to write data literally for their platform.
func MapEntities(s string, lit func(char string, before, after rune) string) string {
	if !strings.Contains(s, "&") {
		return s
	}
	var b strings.Builder
	prev := rune(0)
	for i := 0; i < len(s); {
		if char, n := entityAt(s[i:]); n > 0 {
			next := rune(0)
			if rest := s[i+n:]; rest != "" {
				if c, m := entityAt(rest); m > 0 {
					next, _ = utf8.DecodeRuneInString(c)
				} else {
					next, _ = utf8.DecodeRuneInString(rest)
				}
			}
			b.WriteString(lit(char, prev, next))
			prev, _ = utf8.DecodeRuneInString(char)
			i += n
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		b.WriteString(s[i : i+size])
		prev = r
		i += size
	}
	return b.String()
}

// entityAt returns the character of the entity s starts with and its
// length, or "", 0.
func entityAt(s string) (string, int) {
	if s == "" || s[0] != '&' {
		return "", 0
	}
	for _, l := range literals {
		if strings.HasPrefix(s, l.entity) {
			return l.char, len(l.entity)
		}
	}
	return "", 0
}

// Unescape turns Message text back into plain text (entities decoded,
// mentions left as they are); renderers that have no markup use it.
func Unescape(s string) string {
	return MapEntities(s, func(char string, _, _ rune) string { return char })
}

// encodeJSON marshals v for an outbox payload.
func encodeJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("bot: encode payload: %w", err)
	}
	return string(b), nil
}

// decodeJSON unmarshals an outbox payload or form state.
func decodeJSON(s string, v any) error {
	if err := json.Unmarshal([]byte(s), v); err != nil {
		return fmt.Errorf("bot: decode payload: %w", err)
	}
	return nil
}
