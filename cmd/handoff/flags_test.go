package main

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestEveryCommandAnswersHelp runs `handoff NAME -h` and `--help` for every
// subcommand in the table: usage on stdout, exit 0, nothing on stderr, and
// nothing done (no database opened, no server started).
func TestEveryCommandAnswersHelp(t *testing.T) {
	names := make([]string, 0, len(commands()))
	for name := range commands() {
		names = append(names, name)
	}
	slices.Sort(names)
	if len(names) < 11 {
		t.Fatalf("only %d commands: %v", len(names), names)
	}
	for _, name := range names {
		for _, help := range []string{"-h", "--help"} {
			t.Run(name+help, func(t *testing.T) {
				dir := t.TempDir()
				t.Chdir(dir)
				db := filepath.Join(dir, "h.db")
				e, out, errOut := testEnv(map[string]string{"DATABASE_URL": db, "HANDOFF_API_TOKEN": "tok"}, name, help)
				code := run(context.Background(), e)
				if code != 0 || errOut.Len() != 0 {
					t.Fatalf("exit %d, stderr %q; want exit 0 and no error", code, errOut)
				}
				if !strings.Contains(strings.ToLower(out.String()), "usage: handoff "+name) {
					t.Errorf("stdout %q does not show the usage of %s", out, name)
				}
				if _, err := os.Stat(db); err == nil {
					t.Errorf("%s %s opened the database", name, help)
				}
				if entries, _ := os.ReadDir(dir); len(entries) != 0 {
					t.Errorf("%s %s left files behind: %v", name, help, entries)
				}
			})
		}
	}
}

// TestUsageListsEveryCommand checks `handoff --help`: every command once,
// its summary starting in the same column as the others'.
func TestUsageListsEveryCommand(t *testing.T) {
	var out strings.Builder
	usage(&out)
	col, seen := -1, map[string]bool{}
	for _, line := range strings.Split(out.String(), "\n") {
		name, _, ok := strings.Cut(strings.TrimPrefix(line, "  "), " ")
		if !strings.HasPrefix(line, "  ") || !ok {
			continue
		}
		seen[name] = true
		at := len(line) - len(strings.TrimLeft(line[2+len(name):], " "))
		if col == -1 {
			col = at
		}
		if at != col {
			t.Errorf("%q: summary at column %d, want %d like the others", line, at, col)
		}
	}
	for name := range commands() {
		if !seen[name] {
			t.Errorf("usage does not list %s", name)
		}
	}
}

// TestFlagsAfterArguments checks the shared flag parser: flags before,
// between and after positional arguments, "--" ending the flags, and "-"
// as an argument.
func TestFlagsAfterArguments(t *testing.T) {
	tests := []struct {
		args      []string
		wantArgs  []string
		wantQuiet bool
		wantBatch int
		wantErr   string
		wantName  string
	}{
		{[]string{"leads.csv"}, []string{"leads.csv"}, false, 500, "", ""},
		{[]string{"--quiet", "leads.csv"}, []string{"leads.csv"}, true, 500, "", ""},
		{[]string{"leads.csv", "--quiet"}, []string{"leads.csv"}, true, 500, "", ""},
		{[]string{"leads.csv", "--batch", "10", "--quiet"}, []string{"leads.csv"}, true, 10, "", ""},
		{[]string{"a.csv", "-batch=7", "b.csv"}, []string{"a.csv", "b.csv"}, false, 7, "", ""},
		{[]string{"-", "--quiet"}, []string{"-"}, true, 500, "", ""},
		{[]string{"--quiet", "--", "--batch", "x.csv"}, []string{"--batch", "x.csv"}, true, 500, "", ""},
		{[]string{"--name", "--", "a.csv", "--quiet"}, []string{"a.csv"}, true, 500, "", "--"},
		{[]string{"-name=x", "--", "--quiet"}, []string{"--quiet"}, false, 500, "", "x"},
		{[]string{"leads.csv", "--loud"}, nil, false, 0, "flag provided but not defined: -loud", ""},
		{[]string{"leads.csv", "--batch"}, nil, false, 0, "flag needs an argument", ""},
	}
	for _, tc := range tests {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(new(strings.Builder))
		quiet := fs.Bool("quiet", false, "")
		batch := fs.Int("batch", 500, "")
		name := fs.String("name", "", "")
		got, err := parseArgs(fs, tc.args)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("parseArgs(%q) err = %v, want %q", tc.args, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.wantArgs) || *quiet != tc.wantQuiet || *batch != tc.wantBatch || *name != tc.wantName {
			t.Errorf("parseArgs(%q) = %q quiet=%v batch=%d name=%q (%v), want %q quiet=%v batch=%d name=%q",
				tc.args, got, *quiet, *batch, *name, err, tc.wantArgs, tc.wantQuiet, tc.wantBatch, tc.wantName)
		}
	}
}

// TestBadUseExitsTwo checks that wrong flags and arguments answer exit 2
// with the usage on stderr, for commands with and without flags, and
// create nothing (no database).
func TestBadUseExitsTwo(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "--bogus"}, {"serve", "extra"}, {"migrate", "now"}, {"version", "-v"},
		{"import", "leads.csv", "--bogus"}, {"forget"}, {"teams-package"}, {"healthcheck", "--timeout", "soon"},
		{"demo", "--bogus"}, {"funnel", "--colour"}, {"funnel", "month"}, {"digest", "extra"},
		{"funnel", "--format", "xml"}, {"funnel", "--period", "nope"}, {"digest", "--week", "bad"}, {"digest", "--week", "2026-11", "--print"},
		{"score"}, {"score", "--explain", "a", "--what-if", "x.yml"}, {"score", "--what-if", "x.yml", "--period", "nope"},
		{"config"}, {"config", "verify"}, {"config", "check", "handoff.yml", "extra"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			dir := t.TempDir()
			t.Chdir(dir)
			e, out, errOut := testEnv(map[string]string{"DATABASE_URL": filepath.Join(dir, "h.db")}, args...)
			if code := run(context.Background(), e); code != 2 || out.Len() != 0 || !strings.Contains(errOut.String(), "usage") {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit 2 with the usage on stderr", code, out, errOut)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("left files behind: %v", entries)
			}
		})
	}
}
