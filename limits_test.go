package handoff_test

import (
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
)

func TestCheckOccurredAt(t *testing.T) {
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	year0, _ := time.Parse(time.RFC3339, "0000-01-01T00:00:00+23:00")
	tests := []struct {
		name string
		at   time.Time
		ok   bool
	}{
		{"Now", now, true},
		{"FiveMinutesAhead", now.Add(5 * time.Minute), true},
		{"JustOverFiveMinutes", now.Add(5*time.Minute + time.Second), false},
		{"Year2000", time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), true},
		{"Before2000", time.Date(1999, 12, 31, 23, 59, 59, 0, time.UTC), false},
		{"YearZeroEastOfUTC", year0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := handoff.CheckOccurredAt(tc.at, now); (got == "") != tc.ok {
				t.Fatalf("CheckOccurredAt(%v) = %q, want ok=%v", tc.at, got, tc.ok)
			}
		})
	}
}

func TestCheckText(t *testing.T) {
	tests := []struct {
		name, s, want string
	}{
		{"Plain", "Ærø Å/S", ""},
		{"LinesAndTabs", "a\nb\r\n\tc", ""},
		{"NUL", "a\x00b", "U+0000"},
		{"Escape", "\x1b[2J", "U+001B"},
		{"DEL", "a\x7f", "U+007F"},
		{"C1", "a\u009b", "U+009B"},
		{"LineSeparator", "a\u2028b", "U+2028"},
		{"BrokenUTF8", "a\xffb", "not valid UTF-8"},
		{"AtMax", strings.Repeat("ø", 10), ""},
		{"OverMax", strings.Repeat("ø", 11), "longer than 10 characters"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := handoff.CheckText(tc.s, 10)
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Fatalf("CheckText(%q) = %q, want %q", tc.s, got, tc.want)
			}
		})
	}
}

func TestSingleLine(t *testing.T) {
	if got := handoff.SingleLine("Holm\r\n  A/S\tDK"); got != "Holm A/S DK" {
		t.Fatalf("SingleLine = %q", got)
	}
	if got := handoff.SingleLine("Ann  Berg"); got != "Ann  Berg" {
		t.Fatalf("SingleLine changed a line without breaks: %q", got)
	}
}

// CheckLen counts characters, not bytes, as PostgreSQL's varchar(n) does.
func TestCheckLen(t *testing.T) {
	tests := []struct {
		name, s, want string
	}{
		{"Empty", "", ""},
		{"AtTheLimit", strings.Repeat("x", 5), ""},
		{"AtTheLimitInTwoByteCharacters", strings.Repeat("é", 5), ""},
		{"AtTheLimitInFourByteCharacters", strings.Repeat("😀", 5), ""},
		{"OneOver", strings.Repeat("x", 6), "longer than 5 characters"},
		{"OneOverInTwoByteCharacters", strings.Repeat("é", 6), "longer than 5 characters"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := handoff.CheckLen(tc.s, 5); got != tc.want {
				t.Fatalf("CheckLen(%q, 5) = %q, want %q", tc.s, got, tc.want)
			}
		})
	}
}

// CutChars keeps text of up to n characters and cuts a longer one to n
// with "…", never inside a character.
func TestCutChars(t *testing.T) {
	tests := []struct {
		name, s, want string
	}{
		{"Short", "abc", "abc"},
		{"AtTheLimit", "abcde", "abcde"},
		{"AtTheLimitInTwoByteCharacters", "ééééé", "ééééé"},
		{"OneOver", "abcdef", "abcd…"},
		{"OneOverInTwoByteCharacters", "éééééé", "éééé…"},
		{"FarOverInFourByteCharacters", strings.Repeat("😀", 40), "😀😀😀😀…"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := handoff.CutChars(tc.s, 5); got != tc.want {
				t.Fatalf("CutChars(%q, 5) = %q, want %q", tc.s, got, tc.want)
			}
		})
	}
}

// An email a chat platform answers is kept when it is UTF-8 without
// control characters and at most handoff.MaxEmailLen characters long.
func TestCheckEmail(t *testing.T) {
	local := strings.Repeat("a", handoff.MaxEmailLen-len("@example.com"))
	for _, tt := range []struct {
		name, email, want string
	}{
		{"Plain", "ann.berg@acme.dk", ""},
		{"NonASCII", "åse@øresund.dk", ""},
		{"AtTheLimit", local + "@example.com", ""},
		{"OverTheLimit", local + "a@example.com", "longer than 320 characters"},
		{"NUL", "ann\x00@acme.dk", "with the control character U+0000"},
		{"LineBreak", "ann@acme.dk\r\n", "with the control character U+000D"},
		{"Tab", "ann\t@acme.dk", "with the control character U+0009"},
		{"LineSeparator", "ann\u2028@acme.dk", "with the control character U+2028"},
		{"NotUTF8", "ann\xff@acme.dk", "that is not valid UTF-8"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := handoff.CheckEmail(tt.email); got != tt.want {
				t.Errorf("CheckEmail(%.30q) = %q, want %q", tt.email, got, tt.want)
			}
		})
	}
}

// A chat platform's id (a user, channel, team or trigger a request names)
// is taken when it is UTF-8 without control characters and at most
// handoff.MaxChatIDLen characters long.
func TestCheckChatID(t *testing.T) {
	for _, tt := range []struct {
		name, id, want string
	}{
		{"Empty", "", ""},
		{"SlackChannel", "C0123ABCD", ""},
		{"TeamsThread", "19:abc@thread.tacv2;messageid=1700000000000", ""},
		{"AtTheLimit", strings.Repeat("C", handoff.MaxChatIDLen), ""},
		{"OverTheLimit", strings.Repeat("C", handoff.MaxChatIDLen+1), "longer than 300 characters"},
		{"NUL", "C01\x00", "with the control character U+0000"},
		{"LineBreak", "C01\n", "with the control character U+000A"},
		{"Tab", "C\t01", "with the control character U+0009"},
		{"Escape", "C01\x1b[2J", "with the control character U+001B"},
		{"ParagraphSeparator", "C01\u2029", "with the control character U+2029"},
		{"NotUTF8", "C01\xff", "that is not valid UTF-8"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := handoff.CheckChatID(tt.id); got != tt.want {
				t.Errorf("CheckChatID(%.30q) = %q, want %q", tt.id, got, tt.want)
			}
		})
	}
}
