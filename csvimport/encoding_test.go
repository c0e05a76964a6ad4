package csvimport_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/csvimport"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// hubspotExport is a HubSpot contact export as Excel saves it again, rows
// named p1, p2, p3 after the prefix p; sep is its delimiter.
func hubspotExport(p, sep string) string {
	rows := []string{
		"Record ID,First Name,Last Name,Email,Company Name,Job Title,Lifecycle Stage",
		p + "1,Ann,Berg,ann@berg.dk,Berg ApS,CFO,marketingqualifiedlead",
		p + "2,Søren,Ærø,soren@aeroe.dk,Brødrene Åberg A/S,Indkøbschef (€-budget),marketingqualifiedlead",
		p + "3,Zoë,Müller-Straße,zoe@mueller.de,Société Générale,Directrice générale,marketingqualifiedlead",
	}
	return strings.ReplaceAll(strings.Join(rows, "\r\n")+"\r\n", ",", sep)
}

// encode returns s in enc, as the encoder writes it (UTF-16 with UseBOM
// writes a byte order mark, with IgnoreBOM none).
func encode(t *testing.T, enc encoding.Encoding, s string) string {
	t.Helper()
	b, err := enc.NewEncoder().String(s)
	if err != nil {
		t.Fatalf("encoding %q: %v", s, err)
	}
	return b
}

func lookup(t *testing.T, name string) encoding.Encoding {
	t.Helper()
	enc, err := csvimport.LookupEncoding(name)
	if err != nil {
		t.Fatal(err)
	}
	return enc
}

// TestImportEncodings imports the same export in each encoding Excel and
// CRMs write, as real bytes: with --encoding (Importer.Encoding), or found
// by its byte order mark. Every row goes in and the names are stored as
// they were typed.
func TestImportEncodings(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		tests := []struct {
			name     string
			encoding string // the flag; "" for none
			file     func(p string) string
		}{
			{"UTF8", "", func(p string) string { return hubspotExport(p, ",") }},
			{"UTF8Named", "UTF-8", func(p string) string { return hubspotExport(p, ",") }},
			{"UTF8BOM", "", func(p string) string { return "\xEF\xBB\xBF" + hubspotExport(p, ",") }},
			{"Windows1252", "windows-1252", func(p string) string { return encode(t, charmap.Windows1252, hubspotExport(p, ",")) }},
			{"Windows1252Semicolons", "cp1252", func(p string) string { return encode(t, charmap.Windows1252, hubspotExport(p, ";")) }},
			{"Windows1252LiteralBytes", "windows-1252", func(p string) string {
				return "Record ID,First Name,Last Name,Email,Company Name,Job Title,Lifecycle Stage\r\n" +
					p + "1,Ann,Berg,ann@berg.dk,Berg ApS,CFO,marketingqualifiedlead\r\n" +
					p + "2,S\xF8ren,\xC6r\xF8,soren@aeroe.dk,Br\xF8drene \xC5berg A/S,Indk\xF8bschef (\x80-budget),marketingqualifiedlead\r\n" +
					p + "3,Zo\xEB,M\xFCller-Stra\xDFe,zoe@mueller.de,Soci\xE9t\xE9 G\xE9n\xE9rale,Directrice g\xE9n\xE9rale,marketingqualifiedlead\r\n"
			}},
			// Latin-1 is read as Windows-1252: 0x80 is €, not a control character.
			{"ISO88591", "iso-8859-1", func(p string) string { return encode(t, charmap.Windows1252, hubspotExport(p, ",")) }},
			{"ISO885915", "iso-8859-15", func(p string) string { return encode(t, charmap.ISO8859_15, hubspotExport(p, ",")) }},
			{"MacRoman", "macintosh", func(p string) string { return encode(t, charmap.Macintosh, hubspotExport(p, ",")) }},
			// Excel's "Unicode Text": UTF-16LE with a byte order mark, tabs.
			{"UTF16LEWithBOM", "", func(p string) string {
				return encode(t, unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), hubspotExport(p, "\t"))
			}},
			{"UTF16BEWithBOM", "", func(p string) string {
				return encode(t, unicode.UTF16(unicode.BigEndian, unicode.UseBOM), hubspotExport(p, "\t"))
			}},
			{"UTF16WithoutBOM", "utf-16", func(p string) string {
				return encode(t, unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), hubspotExport(p, "\t"))
			}},
			{"UTF16BEWithoutBOM", "utf-16be", func(p string) string {
				return encode(t, unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), hubspotExport(p, "\t"))
			}},
			// A byte order mark says more than the flag.
			{"UTF8BOMOverFlag", "windows-1252", func(p string) string { return "\xEF\xBB\xBF" + hubspotExport(p, ",") }},
			{"UTF16BOMOverFlag", "windows-1252", func(p string) string {
				return encode(t, unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), hubspotExport(p, ","))
			}},
		}
		for i, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				p := fmt.Sprintf("enc%d-", i)
				file := tc.file(p)
				im := importer(s)
				if tc.encoding != "" {
					im.Encoding = lookup(t, tc.encoding)
				}
				sum, err := im.Import(ctx, strings.NewReader(file), int64(len(file)))
				if err != nil {
					t.Fatal(err)
				}
				if sum.Rows != 3 || sum.Created != 3 || sum.RejectedRows != 0 {
					t.Fatalf("summary %+v, want 3 rows created", sum)
				}
				for id, want := range map[string][3]string{
					p + "1": {"Ann Berg", "Berg ApS", "CFO"},
					p + "2": {"Søren Ærø", "Brødrene Åberg A/S", "Indkøbschef (€-budget)"},
					p + "3": {"Zoë Müller-Straße", "Société Générale", "Directrice générale"},
				} {
					l, err := s.LeadByExternalID(ctx, id)
					if err != nil {
						t.Fatalf("%s: %v", id, err)
					}
					if got := [3]string{l.Name, l.Company, l.Title}; got != want {
						t.Errorf("%s stored as %q, want %q", id, got, want)
					}
				}
			})
		}
	})
}

// TestImportStopsAtFirstLineNotUTF8: a file read as UTF-8 that is not
// stops at its first bad line, before the batch that would hold it is
// saved, instead of rejecting every row with a letter beyond ASCII, also
// when that line is not valid CSV either (a bare quote); the same file
// with its encoding then goes through, finding the rows saved before the
// stop unchanged. The dry runs read the file a byte at a time, cutting
// every character.
func TestImportStopsAtFirstLineNotUTF8(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		cp1252 := func(text string) string { return encode(t, charmap.Windows1252, text) }
		tests := []struct {
			name  string
			p     string // the rows' prefix
			file  string
			batch int
			want  csvimport.EncodingError
			saved []string // leads stored before the stop
			again int      // rows unchanged when imported again with the encoding
			bad   int      // rows rejected then: not valid CSV
		}{
			{name: "FirstBatch", p: "s1-", file: cp1252(hubspotExport("s1-", ",")), batch: 500,
				want: csvimport.EncodingError{Line: 3, Column: "First Name", Byte: 0xF8, From: 2}},
			// Rows 2-3 are saved in the first batch; row 4 waits in the
			// second with the bad row 5, and is not saved.
			{name: "LaterBatch", p: "s2-", batch: 2, file: cp1252("Record ID,Name,Company\r\ns2-1,Ann,Acme\r\ns2-2,Bo,Beta\r\ns2-3,Cy,Gamma\r\ns2-4,Di,Brødrene Åberg\r\n"),
				want:  csvimport.EncodingError{Line: 5, Column: "Company", Byte: 0xF8, From: 4},
				saved: []string{"s2-1", "s2-2"}, again: 2},
			{name: "Header", p: "s3-", batch: 500, file: cp1252("Record ID,Første navn,Stilling\r\ns3-1,Søren,Indkøber\r\n"),
				want: csvimport.EncodingError{Line: 1, Byte: 0xF8, From: 1}},
			// The bad byte after a bare quote, which the CSV reader
			// stops at: the line's own bytes name the column.
			{name: "BareQuote", p: "s5-", batch: 500, file: cp1252("Record ID,Name,Company\r\ns5-1,Ann,Acme\r\ns5-2,Bo \"the boss\",Brødrene Åberg\r\n"),
				want: csvimport.EncodingError{Line: 3, Column: "Company", Byte: 0xF8, From: 2}, bad: 1},
			// Before a quote that closes too early, in a later batch.
			{name: "LaterBatchQuote", p: "s6-", batch: 2, file: cp1252("Record ID,Name,Company\r\ns6-1,Ann,Acme\r\ns6-2,Bo,Beta\r\ns6-3,Cy,Gamma\r\ns6-4,Søren,\"Ærø\" A/S\r\n"),
				want:  csvimport.EncodingError{Line: 5, Column: "Name", Byte: 0xF8, From: 4},
				saved: []string{"s6-1", "s6-2"}, again: 2, bad: 1},
			{name: "UTF16WithoutBOM", p: "s4-", batch: 500, file: encode(t, unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), hubspotExport("s4-", "\t")),
				want: csvimport.EncodingError{Line: 1, From: 1, UTF16: true}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				for _, dry := range []bool{true, false} {
					im := importer(s)
					im.BatchSize, im.DryRun = tc.batch, dry
					var file io.Reader = strings.NewReader(tc.file)
					if dry {
						file = iotest.OneByteReader(file)
					}
					sum, err := im.Import(ctx, file, 0)
					var got *csvimport.EncodingError
					if !errors.As(err, &got) || *got != tc.want {
						t.Fatalf("dry run %v: %v (%+v), want %+v", dry, err, got, tc.want)
					}
					if sum.Rows != len(tc.saved) || sum.Created != len(tc.saved) || sum.RejectedRows != 0 {
						t.Errorf("dry run %v: summary %+v, want the %d rows before the stop's batch", dry, sum, len(tc.saved))
					}
				}
				for n := 1; n <= 4; n++ {
					id := fmt.Sprint(tc.p, n)
					_, err := s.LeadByExternalID(ctx, id)
					if saved := slices.Contains(tc.saved, id); saved != (err == nil) {
						t.Errorf("%s stored: %v (%v), want %v", id, err == nil, err, saved)
					}
				}
				if tc.want.UTF16 {
					return
				}
				im := importer(s)
				im.BatchSize, im.Encoding = tc.batch, charmap.Windows1252
				sum, err := im.Import(ctx, strings.NewReader(tc.file), 0)
				if err != nil || sum.Unchanged != tc.again || sum.RejectedRows != tc.bad {
					t.Fatalf("imported again as windows-1252: %+v, %v; want %d unchanged, %d rejected", sum, err, tc.again, tc.bad)
				}
			})
		}
	})
}

// A stop at a bad line keeps the summary whole: the rows rejected before
// it are counted and listed.
func TestImportEncodingStopKeepsRejections(t *testing.T) {
	s := storagetest.Open(t, storage.DialectSQLite)
	file := "external_id,email,name\nr1,not-an-email,Ann\nr2,bo@acme.dk,Bo\nr3,cy@acme.dk,C\xE9line\n"
	sum, err := importer(s).Import(context.Background(), strings.NewReader(file), 0)
	var stop *csvimport.EncodingError
	if !errors.As(err, &stop) || stop.Line != 4 || stop.Column != "name" || stop.From != 3 {
		t.Fatalf("%v (%+v), want the stop at line 4, column name, from line 3", err, stop)
	}
	if sum.Rows != 1 || sum.RejectedRows != 1 || len(sum.Rejected) != 1 || sum.Rejected[0].Line != 2 {
		t.Fatalf("summary %+v, want line 2 rejected and counted", sum)
	}
	if _, err := s.LeadByExternalID(context.Background(), "r2"); handoff.ErrorCode(err) != handoff.ENOTFOUND {
		t.Fatalf("r2, in the stop's batch, stored: %v", err)
	}
}

func TestLookupEncoding(t *testing.T) {
	for _, name := range append(csvimport.EncodingNames, "UTF-8", "Windows-1252", "cp1252", "latin1", "utf-16le") {
		if enc, err := csvimport.LookupEncoding(name); err != nil || enc == nil {
			t.Errorf("LookupEncoding(%q) = %v, %v", name, enc, err)
		}
	}
	if _, err := csvimport.LookupEncoding("ebcdic"); err == nil || !strings.Contains(err.Error(), "windows-1252") {
		t.Errorf("LookupEncoding(ebcdic): %v, want an error naming the encodings", err)
	}
}
