package csvimport

import (
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// TestUTF8Watch: the first byte that is not UTF-8 is found with its
// offset, line and column however the reads cut the characters, and
// valid text, characters cut or not, has none.
func TestUTF8Watch(t *testing.T) {
	long := strings.Repeat("a", maxWatchedLine+1)
	for _, tc := range []struct {
		name      string
		in        string
		bad       int64 // -1: none
		line, col int
		b         byte
	}{
		{"Valid", "id,name\n1,Søren Ærø 😀\n2,“Zoë”\n", -1, 0, 0, 0},
		{"Latin1", "id,name\n1,S\xF8ren\n", 11, 2, 1, 0xF8},
		{"AfterBareQuote", "id,name,co\n1,Bo \"x\",Br\xF8drene\n", 22, 2, 2, 0xF8},
		{"QuotedComma", "id,name,co\n1,\"Berg, Ann\",\xC6r\xF8\n", 25, 2, 2, 0xC6},
		{"CutCharacterNotContinued", "id\n\xE2\x82A\n", 3, 2, 0, 0xE2},
		{"StrayContinuation", "id\nA\x80\n", 4, 2, 0, 0x80},
		{"CutAtEnd", "id\n1,\xF0\x9F\x98", 5, 2, 1, 0xF0},
		{"LongLine", "id\n" + long + "\xF8\n", int64(3 + len(long)), 2, -1, 0xF8},
	} {
		for _, read := range []struct {
			name string
			r    func(io.Reader) io.Reader
		}{{"Whole", func(r io.Reader) io.Reader { return r }}, {"ByteByByte", iotest.OneByteReader}} {
			t.Run(tc.name+"/"+read.name, func(t *testing.T) {
				w := newUTF8Watch(strings.NewReader(tc.in))
				if got, err := io.ReadAll(read.r(w)); err != nil || string(got) != tc.in {
					t.Fatalf("passed on %q, %v; want the input unchanged", got, err)
				}
				if w.bad != tc.bad {
					t.Fatalf("bad byte at %d, want %d", w.bad, tc.bad)
				}
				if tc.bad < 0 {
					return
				}
				if w.badLine != tc.line || w.badByte != tc.b || w.column(',') != tc.col {
					t.Errorf("line %d, byte %#x, column %d; want %d, %#x, %d", w.badLine, w.badByte, w.column(','), tc.line, tc.b, tc.col)
				}
			})
		}
	}
}
