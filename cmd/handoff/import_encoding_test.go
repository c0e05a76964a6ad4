package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestImportEncodingFlag runs `handoff import` on a HubSpot export that
// Excel saved as "CSV (Comma delimited)" on a Danish Windows: Windows-1252
// bytes. Without --encoding it stops, naming the first bad line and the
// flag, and stores nothing, dry run or not, also when the bad line is not
// valid CSV either; with --encoding windows-1252 the names are stored as
// they were typed. Excel's "Unicode Text" (UTF-16 with a byte order mark,
// tabs) needs no flag. On SQLite and PostgreSQL.
func TestImportEncodingFlag(t *testing.T) {
	export := "Record ID,First Name,Last Name,Email,Company Name,Lifecycle Stage\r\n" +
		"901,Ann,Berg,ann@berg.dk,Berg ApS,marketingqualifiedlead\r\n" +
		"902,Søren,Ærø,soren@aeroe.dk,Brødrene Åberg A/S,marketingqualifiedlead\r\n"
	cp1252, err := charmap.Windows1252.NewEncoder().String(export)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(cp1252, "902,S\xF8ren,\xC6r\xF8,") {
		t.Fatalf("the export is not Windows-1252: %q", cp1252)
	}
	// The same with a quote that closes too early before the bad byte:
	// not valid CSV either, it stops all the same.
	quoted, err := charmap.Windows1252.NewEncoder().String(strings.Replace(export, "902,Søren,", `902,"Sonny" Søren,`, 1))
	if err != nil {
		t.Fatal(err)
	}
	utf16, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().String(
		strings.NewReplacer(",", "\t", "901", "911", "902", "912").Replace(export))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file, unicodeText, badQuote := filepath.Join(dir, "hubspot.csv"), filepath.Join(dir, "hubspot.txt"), filepath.Join(dir, "quoted.csv")
	os.WriteFile(file, []byte(cp1252), 0o644)
	os.WriteFile(badQuote, []byte(quoted), 0o644)
	os.WriteFile(unicodeText, []byte(utf16), 0o644)
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			vars := map[string]string{"DATABASE_URL": storagetest.URL(t, dialect), "HANDOFF_CONFIG": os.DevNull}
			s := storagetest.OpenURL(t, vars["DATABASE_URL"], storage.Options{})
			stored := func(t *testing.T, id string) *handoff.Lead {
				t.Helper()
				l, err := s.LeadByExternalID(context.Background(), id)
				if err != nil && handoff.ErrorCode(err) != handoff.ENOTFOUND {
					t.Fatal(err)
				}
				return l
			}
			steps := []struct {
				name     string
				args     []string
				wantCode int
				wantOut  []string
			}{
				{"WithoutFlag", []string{"import", "--quiet", file}, 1, []string{
					"Stopped at line 3, not UTF-8", "line 3 (column First Name) is not UTF-8 (byte 0xF8)",
					"Import again with --encoding windows-1252", "nothing was saved"}},
				{"DryRunWithoutFlag", []string{"import", "--dry-run", file}, 1, []string{
					"Dry run, nothing saved: stopped at line 3, not UTF-8", "Import again with --encoding windows-1252"}},
				{"QuoteWithoutFlag", []string{"import", "--quiet", badQuote}, 1, []string{
					"Stopped at line 3, not UTF-8", "line 3 (column First Name) is not UTF-8 (byte 0xF8)",
					"Import again with --encoding windows-1252", "nothing was saved"}},
				{"DryRunWithFlag", []string{"import", "--dry-run", "--encoding", "windows-1252", file}, 0, []string{
					"Dry run, nothing saved: 2 rows", "2 new, 0 updated, 0 unchanged, 0 rejected"}},
				{"UnknownEncoding", []string{"import", "--encoding", "ebcdic", file}, 2, []string{
					`--encoding "ebcdic": want one of utf-8, windows-1252`}},
			}
			for _, st := range steps {
				e, out, errOut := testEnv(vars, st.args...)
				code := run(context.Background(), e)
				all := out.String() + errOut.String()
				if code != st.wantCode {
					t.Fatalf("%s: exit %d, want %d; output %q", st.name, code, st.wantCode, all)
				}
				for _, want := range st.wantOut {
					if !strings.Contains(all, want) {
						t.Errorf("%s: output %q does not say %q", st.name, all, want)
					}
				}
				if l := stored(t, "901"); l != nil {
					t.Fatalf("%s: lead 901 stored (%q); nothing should be", st.name, l.Name)
				}
			}

			e, out, errOut := testEnv(vars, "import", "--quiet", "--encoding", "windows-1252", file)
			if code := run(context.Background(), e); code != 0 || !strings.Contains(out.String(), "2 new") {
				t.Fatalf("--encoding windows-1252: exit %d, output %q", code, out.String()+errOut.String())
			}
			e, out, errOut = testEnv(vars, "import", "--quiet", unicodeText)
			if code := run(context.Background(), e); code != 0 || !strings.Contains(out.String(), "2 new") {
				t.Fatalf("UTF-16 with a byte order mark: exit %d, output %q", code, out.String()+errOut.String())
			}
			for id, want := range map[string][2]string{
				"901": {"Ann Berg", "Berg ApS"}, "902": {"Søren Ærø", "Brødrene Åberg A/S"},
				"911": {"Ann Berg", "Berg ApS"}, "912": {"Søren Ærø", "Brødrene Åberg A/S"},
			} {
				l := stored(t, id)
				if l == nil || l.Name != want[0] || l.Company != want[1] {
					t.Errorf("lead %s = %+v, want %q of %q", id, l, want[0], want[1])
				}
			}
		})
	}
}
