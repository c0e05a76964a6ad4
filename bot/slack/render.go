// Package slack connects Handoff's bot to Slack with slack-go: it renders
// bot messages and forms as Block Kit, implements bot.Platform over the Web
// API, answers commands, clicks and events (App, shared by the HTTP handlers
// and Socket Mode), and knows who the sales managers are.
package slack

import (
	"fmt"
	"strings"
	"unicode"

	slackapi "github.com/slack-go/slack"

	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/report"
)

// Block Kit limits, in characters.
const (
	maxHeader      = 150
	maxSectionText = 3000
	maxFieldText   = 2000
	maxFields      = 10
	maxContext     = 10
	maxButtonText  = 75
	maxButtons     = 25
	maxModalTitle  = 24
	maxModalButton = 24
	maxLabel       = 2000
	maxPlaceholder = 150
	// Static select limits: 100 options, 75 characters of text and 150 of value.
	maxSelectOptions = 100
	maxOptionText    = 75
	maxOptionValue   = 150
	maxSummary       = 4000
)

// ActionsBlockID is the block id of a card's buttons.
const ActionsBlockID = "lead_actions"

// maxMessageBlocks is Slack's limit of blocks in one message
// (chat.postMessage, chat.update, a response_url or a command's answer); a
// view holds maxViewBlocks.
const maxMessageBlocks = 50

// RenderBlocks renders a message as Block Kit: a header block, a section
// per section (fields in two columns, at most 10 per block), one context
// block and one actions block. Texts longer than Slack allows are cut with
// an ellipsis, and a message is kept to Slack's 50 blocks: it shows as
// many whole sections as fit beside its header, tables, charts, context
// and buttons, and a line saying how many it leaves out (bot.AndMore).
func RenderBlocks(m bot.Message) []slackapi.Block {
	return renderBlocks(m, true, "", report.Options{}, maxMessageBlocks)
}

// RenderClassicBlocks renders m like RenderBlocks, but tables and charts
// as preformatted text in section blocks, for clients and workspaces that
// refuse the data_table and data_visualization blocks. A Slack user in a
// text table is written as the label of the mention (see
// RenderClassicBlocksNamed).
func RenderClassicBlocks(m bot.Message) []slackapi.Block {
	return renderBlocks(m, false, "", report.Options{}, maxMessageBlocks)
}

// RenderClassicBlocksNamed is RenderClassicBlocks with the Slack users of
// its text tables written by the names names knows: a code block cannot
// hold a mention, so a name is the only way a reader there learns who
// owns a lead.
func RenderClassicBlocksNamed(m bot.Message, names report.Options) []slackapi.Block {
	return renderBlocks(m, false, "", names, maxMessageBlocks)
}

// renderBlocks renders m, with native tables and charts or as text (the
// users of a text table written by names), each block id prefixed with
// prefix (for several messages in one view), in at most limit blocks (0
// for no limit: a view fits its messages itself).
func renderBlocks(m bot.Message, native bool, prefix string, names report.Options, limit int) []slackapi.Block {
	var head []slackapi.Block
	if m.Header != "" {
		head = append(head, slackapi.NewHeaderBlock(
			plain(bot.CutPlain(m.Header, maxHeader)),
			slackapi.HeaderBlockOptionBlockID(prefix+"header")))
	}
	sections := make([][]slackapi.Block, len(m.Sections))
	for i, s := range m.Sections {
		sections[i] = sectionBlocks(prefix, i, s)
	}
	var tail []slackapi.Block
	budget := maxTableChars // shared by every table of the message
	for i, t := range m.Tables {
		b, shown := tableBlock(prefix, i, t, native, &budget, names)
		tail = append(tail, b)
		if note := leftOut(prefix, i, t, shown); note != nil {
			tail = append(tail, note)
		}
	}
	for i, c := range m.Charts {
		tail = append(tail, chartBlock(prefix, i, c, native))
	}
	if len(m.Context) > 0 {
		var elems []slackapi.MixedElement
		for _, c := range m.Context[:min(len(m.Context), maxContext)] {
			elems = append(elems, mrkdwn(bot.Cut(c, maxSectionText)))
		}
		tail = append(tail, slackapi.NewContextBlock(prefix+"context", elems...))
	}
	if len(m.Buttons) > 0 {
		var elems []slackapi.BlockElement
		for _, b := range m.Buttons[:min(len(m.Buttons), maxButtons)] {
			btn := slackapi.NewButtonBlockElement(b.ActionID, b.Value,
				slackapi.NewTextBlockObject(slackapi.PlainTextType, bot.CutPlain(b.Text, maxButtonText), true, false))
			switch b.Style {
			case bot.StylePrimary:
				btn = btn.WithStyle(slackapi.StylePrimary)
			case bot.StyleDanger:
				btn = btn.WithStyle(slackapi.StyleDanger)
			}
			elems = append(elems, btn)
		}
		tail = append(tail, slackapi.NewActionBlock(prefix+ActionsBlockID, elems...))
	}
	return fitSections(head, sections, tail, prefix, limit)
}

// sectionBlocks renders section i: its text and its first fields in one
// block, then a block for each further 10 fields; none when it is empty.
func sectionBlocks(prefix string, i int, s bot.Section) []slackapi.Block {
	var blocks []slackapi.Block
	var text *slackapi.TextBlockObject
	if s.Text != "" {
		text = slackapi.NewTextBlockObject(slackapi.MarkdownType, sectionText(s), false, false)
	}
	fields := make([]*slackapi.TextBlockObject, 0, len(s.Fields))
	for _, f := range s.Fields {
		fields = append(fields, mrkdwn(bot.Cut("*"+f.Key+"*\n"+f.Value, maxFieldText)))
	}
	for part := 0; part == 0 || len(fields) > 0; part++ {
		n := min(len(fields), maxFields)
		var chunk []*slackapi.TextBlockObject
		if n > 0 {
			chunk = fields[:n]
		}
		fields = fields[n:]
		if text == nil && chunk == nil {
			break
		}
		id := fmt.Sprintf("%ssection_%d", prefix, i)
		if part > 0 {
			id = fmt.Sprintf("%ssection_%d_%d", prefix, i, part)
		}
		blocks = append(blocks, slackapi.NewSectionBlock(text, chunk, nil, slackapi.SectionBlockOptionBlockID(id)))
		text = nil
	}
	return blocks
}

// fitSections returns head, the blocks of the sections and tail, in at
// most limit blocks (0 for no limit): when they do not all fit, the first
// whole sections that fit beside head, tail and a context block saying how
// many sections it leaves out (bot.AndMore). A head and tail too long on
// their own are cut at the limit.
func fitSections(head []slackapi.Block, sections [][]slackapi.Block, tail []slackapi.Block, prefix string, limit int) []slackapi.Block {
	total := len(head) + len(tail)
	for _, s := range sections {
		total += len(s)
	}
	blocks := head
	if limit <= 0 || total <= limit {
		for _, s := range sections {
			blocks = append(blocks, s...)
		}
		return append(blocks, tail...)
	}
	room := limit - len(head) - len(tail) - 1 // the line saying how many are left out
	shown := 0
	for ; shown < len(sections) && len(sections[shown]) <= room; shown++ {
		room -= len(sections[shown])
		blocks = append(blocks, sections[shown]...)
	}
	left := 0
	for _, s := range sections[shown:] {
		if len(s) > 0 {
			left++
		}
	}
	if left > 0 {
		blocks = append(blocks, slackapi.NewContextBlock(prefix+"sections_more", mrkdwn(bot.AndMore(left)+".")))
	}
	blocks = append(blocks, tail...)
	return blocks[:min(len(blocks), limit)]
}

// summary is the message's notification text.
func summary(m bot.Message) string {
	if m.Summary != "" {
		return bot.Cut(slackText(m.Summary), maxSummary)
	}
	return bot.Cut(slackText(bot.Escape(m.Header)), maxSummary)
}

// msgOptions are the chat.postMessage / chat.update options for m. The text
// is sent unescaped: bot markup is already Slack mrkdwn.
func msgOptions(m bot.Message) []slackapi.MsgOption {
	return []slackapi.MsgOption{
		slackapi.MsgOptionText(summary(m), false),
		slackapi.MsgOptionBlocks(RenderBlocks(m)...),
	}
}

// RenderModal renders a form as a modal view: an intro section and one input
// block per input, whose block id and action id are the input's id.
func RenderModal(f bot.Form) slackapi.ModalViewRequest {
	v := slackapi.ModalViewRequest{
		Type:            slackapi.VTModal,
		Title:           plain(bot.CutPlain(f.Title, maxModalTitle)),
		Submit:          plain(bot.CutPlain(orDefault(f.Submit, "Save"), maxModalButton)),
		Close:           plain("Cancel"),
		CallbackID:      f.ID,
		PrivateMetadata: f.State,
	}
	if f.Intro != "" {
		v.Blocks.BlockSet = append(v.Blocks.BlockSet, slackapi.NewSectionBlock(mrkdwn(bot.Cut(f.Intro, maxSectionText)), nil, nil, slackapi.SectionBlockOptionBlockID("intro")))
	}
	for _, in := range f.Inputs {
		var ph *slackapi.TextBlockObject
		if in.Placeholder != "" {
			ph = plain(bot.CutPlain(in.Placeholder, maxPlaceholder))
		}
		var elem slackapi.BlockElement
		switch in.Kind {
		case bot.InputNumber:
			elem = slackapi.NewNumberInputBlockElement(ph, in.ID, true)
		case bot.InputUser:
			elem = slackapi.NewOptionsSelectBlockElement(slackapi.OptTypeUser, ph, in.ID)
		case bot.InputChoice:
			elem = slackapi.NewOptionsSelectBlockElement(slackapi.OptTypeStatic, ph, in.ID, choiceOptions(in)...)
		default:
			elem = slackapi.NewPlainTextInputBlockElement(ph, in.ID).WithMultiline(in.Kind == bot.InputMultiline)
		}
		block := slackapi.NewInputBlock(in.ID, plain(bot.CutPlain(in.Label, maxLabel)), nil, elem).WithOptional(in.Optional)
		v.Blocks.BlockSet = append(v.Blocks.BlockSet, block)
		if in.Kind == bot.InputChoice && len(in.Options) > maxSelectOptions {
			v.Blocks.BlockSet = append(v.Blocks.BlockSet, notListedBlocks(in)...)
		}
	}
	return v
}

// choiceOptions are the options of in's menu: all of them, or, past the
// 100 a Slack menu holds, the first 99 and bot.NotListed, whose value is
// bot.TypedChoice.
func choiceOptions(in bot.Input) []*slackapi.OptionBlockObject {
	shown := in.Options
	if len(shown) > maxSelectOptions {
		shown = shown[:maxSelectOptions-1]
	}
	opts := make([]*slackapi.OptionBlockObject, 0, len(shown)+1)
	for _, o := range shown {
		opts = append(opts, slackapi.NewOptionBlockObject(bot.CutPlain(o, maxOptionValue), plain(bot.CutPlain(o, maxOptionText)), nil))
	}
	if len(shown) < len(in.Options) {
		opts = append(opts, slackapi.NewOptionBlockObject(bot.TypedChoice, plain(bot.NotListed), nil))
	}
	return opts
}

// notListedBlocks follow the menu of in when choiceOptions cut it: a line
// saying how many choices it leaves out and how to give one
// (bot.NotListedHint), and the optional text input bot.TypedInput(in.ID)
// to type it in.
func notListedBlocks(in bot.Input) []slackapi.Block {
	typed := bot.TypedInput(in.ID)
	why := fmt.Sprintf("a Slack menu holds %d", maxSelectOptions)
	return []slackapi.Block{
		slackapi.NewContextBlock(typed+"_hint", mrkdwn(bot.NotListedHint(len(in.Options)-(maxSelectOptions-1), why))),
		slackapi.NewInputBlock(typed, plain(bot.TypedLabel), nil, slackapi.NewPlainTextInputBlockElement(nil, typed)).WithOptional(true),
	}
}

func mrkdwn(s string) *slackapi.TextBlockObject {
	return slackapi.NewTextBlockObject(slackapi.MarkdownType, slackText(s), false, false)
}

// sectionText renders a section's text as Slack mrkdwn, cut to fit a
// section, its Link's words as a Slack link (<url|words>) when the cut
// text holds them.
func sectionText(s bot.Section) string {
	limit := maxSectionText
	if s.Link != nil {
		limit = max(limit-len(s.Link.URL)-3, 0) // the link's <, | and >
	}
	before, words, after, ok := bot.LinkIn(bot.Cut(s.Text, limit), s.Link)
	if !ok {
		return slackText(bot.Cut(s.Text, maxSectionText))
	}
	return slackText(before) + "<" + slackURL(s.Link.URL) + "|" + slackText(words) + ">" + slackText(after)
}

// slackURL writes url as a link's target in mrkdwn: &, < and > as Slack's
// entities, and a | (which would end the target) percent-encoded.
func slackURL(url string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "|", "%7C").Replace(url)
}

// slackText renders Message text as Slack mrkdwn: mentions as Slack
// mentions (slackMentions), and data written literally (slackLiteral).
func slackText(s string) string { return slackLiteral(slackMentions(s)) }

// slackLiteral is Slack's one escaping function for data: it turns the
// entities of escaped text into characters Slack shows as they are. &, <
// and > stay entities (Slack's own escaping), so data never becomes a
// mention, a channel-wide alert or a link. Slack's mrkdwn has no escape
// for * _ ~ and `, so where one could open or close formatting (next to a
// space, punctuation or the end) it is written as a look-alike (∗ ˍ ∼ ˋ);
// inside a word (ann_berg@acme.dk) it stays, as Slack formats nothing
// there. Inside ``` blocks everything is literal already, but for a
// backtick next to another, which could close the block.
func slackLiteral(s string) string {
	parts := strings.Split(s, "```")
	for i, p := range parts {
		inCode := i%2 == 1
		parts[i] = bot.MapEntities(p, func(char string, before, after rune) string {
			switch char {
			case "&":
				return "&amp;"
			case "<":
				return "&lt;"
			case ">":
				return "&gt;"
			}
			alike, ok := slackLookalikes[char]
			switch {
			case !ok:
				return char
			case inCode:
				if char == "`" && (before == '`' || after == '`') {
					return alike
				}
				return char
			case isWordChar(before) && isWordChar(after):
				return char
			}
			return alike
		})
	}
	return strings.Join(parts, "```")
}

// slackLookalikes stand in for mrkdwn's formatting characters in data.
var slackLookalikes = map[string]string{"*": "∗", "_": "ˍ", "~": "∼", "`": "ˋ"}

func isWordChar(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// slackMentions writes mentions of Slack users as Slack mentions, and
// mentions of other platforms' users as their label.
func slackMentions(s string) string {
	return bot.RewriteMentions(s, func(m bot.MentionRef) string {
		if m.Platform == "" || m.Platform == Name {
			return "<@" + m.UserID + ">"
		}
		if m.Label != "" {
			return m.Label
		}
		return "a " + m.Platform + " user"
	})
}

// plain is a plain_text object of s, which can hold data as it is (a
// header names the lead) but for the bidi controls (bot.DropBidi).
func plain(s string) *slackapi.TextBlockObject {
	return slackapi.NewTextBlockObject(slackapi.PlainTextType, bot.DropBidi(s), true, false)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
