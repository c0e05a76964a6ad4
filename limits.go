package handoff

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits on what a sender can store. Over a limit is an EINVALID error
// naming the field; the README lists them under "What the service refuses".
const (
	// MaxFieldLen bounds every text field of a lead and every reason, in characters.
	MaxFieldLen = 500
	// MaxAttributes bounds the number of custom attributes of one lead.
	MaxAttributes = 50
	// MaxAttributeNameLen bounds an attribute's name, in characters.
	MaxAttributeNameLen = 100
	// MaxAttributeLen bounds an attribute's value, in characters: the text
	// of a string, the JSON form of anything else.
	MaxAttributeLen = 2000
	// MaxEventIDLen bounds a platform's id of an event it may deliver
	// again (a Slack event_id), in characters: the store remembers it to
	// handle each event once, in a column of that size. Slack's are about
	// a dozen.
	MaxEventIDLen = 200
	// MaxChatIDLen bounds a chat platform's id of a user, conversation,
	// channel or team (a Teams "29:…" user id, a personal chat's "a:…",
	// an Entra object id; a Slack "U…"), in characters. Teams' run to
	// about 130; the store keeps them in columns of 300, and keys of the
	// form "teams:<id>" in wider ones.
	MaxChatIDLen = 300
	// MaxChatNameLen bounds a chat platform's name of a user, team or
	// channel, in characters (Teams allows 256).
	MaxChatNameLen = 300
	// MaxServiceURLLen bounds a Bot Framework service URL, in characters.
	MaxServiceURLLen = 500
	// MaxEmailLen bounds an email a chat platform answers for a user
	// (Slack's users.info, Teams' conversation member), in characters:
	// 64 for the local part, "@" and 255 for the domain. The store keeps
	// an owner's in a column of 500 and a Teams rep's key,
	// "teams:<email>", in one of 350; a longer answer is not recorded.
	MaxEmailLen = 320
	// MaxRepKeyLen bounds a rep's key in the routing agreement,
	// "slack:<id>" or "teams:<Entra id or email>", in characters: the
	// store keeps the offered rep's key in a column of 300.
	MaxRepKeyLen = 300
	// MaxFormStateLen bounds a form's state as a platform sends it back
	// (a Slack view's private_metadata, a Teams form's data "state"), in
	// characters: Slack's own limit on private_metadata. Handoff's own
	// state, a lead id and a channel id, takes a few hundred.
	MaxFormStateLen = 3000
	// MaxFormIDLen bounds a form's id as a platform sends it back (a
	// Slack view's callback_id, a Teams form's data "form"), in
	// characters: Slack's own limit on callback_id. Handoff's are a few
	// dozen.
	MaxFormIDLen = 255
	// MaxScoreReasonsLen bounds a lead's score summary
	// (Lead.ScoreReasons), in characters: its labels quote the values
	// that matched (a title, an attribute of up to 2,000), and it is cut
	// to what its column keeps.
	MaxScoreReasonsLen = 1000
)

// EarliestOccurredAt is the earliest time an intake may date a stage
// change; earlier times are typos or placeholders, never CRM history.
var EarliestOccurredAt = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// MaxClockSkew is how far in the future a sender's clock may be.
const MaxClockSkew = 5 * time.Minute

// CheckOccurredAt returns what is wrong with t as the time a stage change
// happened, judged at now, or "" when nothing is: before 2000-01-01 or more
// than MaxClockSkew in the future. Deadlines computed from such a time would
// stop the SLA clock for everyone.
func CheckOccurredAt(t, now time.Time) string {
	switch {
	case t.Before(EarliestOccurredAt):
		return "before 2000-01-01"
	case t.After(now.Add(MaxClockSkew)):
		return "more than 5 minutes in the future"
	}
	return ""
}

// CheckChatPost returns what is wrong with p, a chat post a platform
// answered, as something the store keeps, or "" when nothing is: its
// channel or message id longer than MaxChatIDLen, the size of their
// columns ("message id is longer than 300 characters").
func CheckChatPost(p ChatPost) string {
	if problem := CheckLen(p.Channel, MaxChatIDLen); problem != "" {
		return "channel is " + problem
	}
	if problem := CheckLen(p.MessageID, MaxChatIDLen); problem != "" {
		return "message id is " + problem
	}
	return ""
}

// CheckEmail returns what is wrong with s as an email a chat platform
// answered for a user (Slack's users.info, a Teams member), said to
// follow "an email", or "" when nothing is: "that is not valid UTF-8",
// "with the control character U+0000" (a line break, a tab, NUL, which
// PostgreSQL refuses and SQLite keeps), or "longer than 320 characters"
// (MaxEmailLen). Such an email is not recorded.
func CheckEmail(s string) string {
	if p := checkToken(s); p != "" {
		return p
	}
	return CheckLen(s, MaxEmailLen)
}

// CheckChatID returns what is wrong with s as a chat platform's id of a
// user, channel, team or trigger, or "" when nothing is: "longer than
// 300 characters" (MaxChatIDLen, the store's columns), "that is not
// valid UTF-8" or "with the control character U+0000" (a line break, a
// tab, NUL, which PostgreSQL refuses and SQLite keeps): no platform's id
// holds one.
func CheckChatID(s string) string {
	if p := CheckLen(s, MaxChatIDLen); p != "" {
		return p
	}
	return checkToken(s)
}

// checkToken returns what is wrong with s as one word a platform names
// something by (an id, an email): not valid UTF-8, or holding a control
// character, line breaks and tabs included; "" when nothing is.
func checkToken(s string) string {
	if !utf8.ValidString(s) {
		return "that is not valid UTF-8"
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return fmt.Sprintf("with the control character %U", r)
		}
	}
	return ""
}

// CheckLen returns "longer than max characters" when s is, or "" when
// it is not: for an id or name that a column of max characters keeps.
func CheckLen(s string, max int) string {
	if len(s) <= max || utf8.RuneCountInString(s) <= max {
		return ""
	}
	return fmt.Sprintf("longer than %d characters", max)
}

// CutChars is s cut to at most n characters between whole characters,
// with "…" (within the n) when it was cut: for text kept only to be read,
// in a column of n characters.
func CutChars(s string, n int) string {
	if len(s) <= n || utf8.RuneCountInString(s) <= n {
		return s
	}
	k := 0
	for i := range s {
		if k == n-1 {
			return s[:i] + "…"
		}
		k++
	}
	return s
}

// CheckText returns what is wrong with s as a text field of at most max
// characters, or "" when nothing is: not valid UTF-8, a control character
// (NUL, escape sequences; line breaks and tabs are allowed), or longer than
// max. The same rule holds on every path in (API, CSV, chat forms), so both
// databases store the same text.
func CheckText(s string, max int) string {
	if !utf8.ValidString(s) {
		return "not valid UTF-8"
	}
	n := 0
	for _, r := range s {
		n++
		if r != '\t' && r != '\n' && r != '\r' && (unicode.IsControl(r) || r == '\u2028' || r == '\u2029') {
			return fmt.Sprintf("contains the control character %U", r)
		}
	}
	if n > max {
		return fmt.Sprintf("longer than %d characters", max)
	}
	return ""
}

// SingleLine returns s with every run of white space that holds a line
// break or a tab folded into one space: names and companies from CRM
// exports sometimes span lines, cards and tables show them on one.
func SingleLine(s string) string {
	if !strings.ContainsAny(s, "\t\n\r") {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

// checkAttributes returns the problems of custom attributes keyed by the
// field to name: "attributes" for the count, else the attribute's name.
func checkAttributes(attrs map[string]any, bad map[string]string) {
	if len(attrs) > MaxAttributes {
		bad["attributes"] = fmt.Sprintf("more than %d attributes", MaxAttributes)
		return
	}
	for k, v := range attrs {
		if p := CheckText(k, MaxAttributeNameLen); p != "" {
			bad["attributes"] = "attribute name: " + p
			continue
		}
		if p := checkAttributeValue(v); p != "" {
			bad[k] = p
		}
	}
}

// checkAttributeValue checks one attribute value: a string as multiline
// text, anything else by its JSON form, whose strings must be clean too.
func checkAttributeValue(v any) string {
	if s, ok := v.(string); ok {
		return CheckText(s, MaxAttributeLen)
	}
	if p := checkNestedStrings(v); p != "" {
		return p
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "not a JSON value"
	}
	if utf8.RuneCount(b) > MaxAttributeLen {
		return fmt.Sprintf("longer than %d characters", MaxAttributeLen)
	}
	return ""
}

// checkNestedStrings applies CheckText to every key and string inside a
// JSON list or object.
func checkNestedStrings(v any) string {
	switch v := v.(type) {
	case string:
		return CheckText(v, MaxAttributeLen)
	case []any:
		for _, e := range v {
			if p := checkNestedStrings(e); p != "" {
				return p
			}
		}
	case map[string]any:
		for k, e := range v {
			if p := CheckText(k, MaxAttributeNameLen); p != "" {
				return p
			}
			if p := checkNestedStrings(e); p != "" {
				return p
			}
		}
	}
	return ""
}
