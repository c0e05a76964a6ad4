package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/text/encoding"

	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/report"
	"github.com/handoff/handoff/csvimport"
	"github.com/handoff/handoff/storage"
)

// maxListedRejections bounds how many rejected rows the summary lists.
const maxListedRejections = 50

// importFlags declares `handoff import`'s flags.
func importFlags(fs *flag.FlagSet, _ env) runFunc {
	batch := fs.Int("batch", 500, "rows per transaction")
	quiet := fs.Bool("quiet", false, "no progress bar")
	old := fs.String("old", "", "records SQLs dated before their claim deadline as `history|live`: history (not announced, no SLA deadlines) or live (announced and escalated at once); unset, the import stops at the first it would announce")
	dry := fs.Bool("dry-run", false, "save nothing: say what the import would do")
	enc := fs.String("encoding", "utf-8", "the file's character `encoding`: "+strings.Join(csvimport.EncodingNames, ", ")+
		" (Excel's \"CSV (Comma delimited)\" on Windows writes windows-1252); a byte order mark (UTF-8 or UTF-16) decides by itself")
	return func(ctx context.Context, e env) error {
		return runImport(ctx, e, importOptions{batch: *batch, quiet: *quiet, old: *old, dryRun: *dry, encoding: *enc})
	}
}

// importOptions are import's flags.
type importOptions struct {
	batch         int
	quiet, dryRun bool
	old           string // --old: what becomes of rows that are old records
	encoding      string // --encoding: the file's character encoding; "" is UTF-8
}

// oldRows are the values of import's --old.
var oldRows = map[string]csvimport.OldRows{"": csvimport.OldRowsStop, "history": csvimport.OldRowsHistory, "live": csvimport.OldRowsLive}

// runImport imports the CSV file named in e.args ("-" for standard input).
func runImport(ctx context.Context, e env, opts importOptions) error {
	if len(e.args) != 1 {
		return usageError("want one CSV file, or - for standard input")
	}
	oldMode, ok := oldRows[opts.old]
	if !ok {
		return usageError("--old %q: want history or live", opts.old)
	}
	var enc encoding.Encoding
	if opts.encoding != "" {
		var err error
		if enc, err = csvimport.LookupEncoding(opts.encoding); err != nil {
			return usageError("--encoding %q: want one of %s", opts.encoding, strings.Join(csvimport.EncodingNames, ", "))
		}
	}
	cfg, err := loadConfig(e)
	if err != nil {
		return err
	}
	var (
		in   io.Reader = e.stdin
		size int64
	)
	if name := e.args[0]; name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		if st, err := f.Stat(); err == nil {
			size = st.Size()
		}
		in = f
	}
	store, err := openStore(ctx, cfg, storage.Options{Clock: e.wall})
	if err != nil {
		return err
	}
	defer store.Close()

	// The leads are stamped, and their deadlines counted, on the
	// database's clock, as serve's are (storage.Store.Clock): on this
	// machine's, an import on a machine whose clock is off set SQL times
	// and deadlines that far off, and the replicas' SLA clock reminded
	// and escalated by them that much early or late.
	im := &csvimport.Importer{Store: store, Policy: cfg.Policy, BatchSize: opts.batch, LeadStatus: cfg.CRM.SalesforceStatus,
		MaxRejections: maxListedRejections, Old: oldMode, DryRun: opts.dryRun, Encoding: enc, Now: e.clockOf(store)}
	bar := &progressBar{w: e.stderr, start: time.Now()}
	if !opts.quiet && isTerminal(e.stderr) && size > 0 {
		im.Progress = bar.update
	}
	start := time.Now()
	sum, err := im.Import(ctx, in, size)
	bar.finish()
	printSummary(e.stdout, sum, time.Since(start), opts.dryRun, err)
	var oldRow *csvimport.OldRowError
	if errors.As(err, &oldRow) {
		return errors.New(oldRowAdvice(oldRow))
	}
	var badText *csvimport.EncodingError
	if errors.As(err, &badText) {
		return errors.New(encodingAdvice(badText, sum, opts.dryRun))
	}
	if err != nil {
		return err
	}
	if sum.RejectedRows > 0 {
		return &exitError{code: 1, err: fmt.Errorf("%d of %d rows rejected", sum.RejectedRows, sum.Rows)}
	}
	return nil
}

// oldRowAdvice says why an import stopped at an old record and how to
// import the file again.
func oldRowAdvice(old *csvimport.OldRowError) string {
	return fmt.Sprintf("line %d is an SQL dated %s, past its claim deadline: imported live it would be announced and"+
		" escalated at once. Import again with --old history to record such rows as history (not announced, no SLA"+
		" deadlines; rows still within their deadline are announced as usual) or --old live to announce them anyway;"+
		" no row from line %d on was saved", old.Line, old.At.Format("2006-01-02 15:04 MST"), old.From)
}

// encodingAdvice says why an import stopped at a line that is not UTF-8
// (or at a header of UTF-16 read as something else), which encoding to
// import the file in, and what was saved.
func encodingAdvice(bad *csvimport.EncodingError, sum csvimport.Summary, dryRun bool) string {
	var advice string
	if bad.UTF16 {
		advice = "the header holds NUL bytes: the file looks like UTF-16 without a byte order mark (Excel's \"Unicode Text\"" +
			" writes one). Import again with --encoding utf-16 (or utf-16be)"
	} else {
		where := fmt.Sprintf("line %d", bad.Line)
		switch {
		case bad.Column != "":
			where += fmt.Sprintf(" (column %s)", report.Printable(bad.Column))
		case bad.Line == 1:
			where += " (the header)"
		}
		advice = fmt.Sprintf("%s is not UTF-8 (byte 0x%02X): the file is in another encoding, most likely Windows-1252,"+
			" which Excel writes for \"CSV (Comma delimited)\" on Windows. Import again with --encoding windows-1252"+
			" (--dry-run with it shows the names as they would be stored; a file saved otherwise: --encoding"+
			" iso-8859-15, macintosh or utf-16)", where, bad.Byte)
	}
	switch {
	case dryRun:
		return advice
	case sum.Created+sum.Updated+sum.Unchanged == 0:
		return advice + "; nothing was saved"
	}
	return fmt.Sprintf("%s; no row from line %d on was saved (imported again, the rows before it are found unchanged)", advice, bad.From)
}

// printSummary prints what an import did, or would have done (dryRun); an
// import that stopped at an old record (err, an OldRowError) counts only
// the rows before the stop's batch, and says so.
func printSummary(w io.Writer, sum csvimport.Summary, took time.Duration, dryRun bool, err error) {
	verb := func(did, would string) string {
		if dryRun {
			return would
		}
		return did
	}
	if dryRun {
		fmt.Fprint(w, "Dry run, nothing saved: ")
	}
	var old *csvimport.OldRowError
	var badText *csvimport.EncodingError
	switch {
	case errors.As(err, &old):
		fmt.Fprintf(w, "%s at line %d; before line %d, ", verb("Stopped", "stopped"), old.Line, old.From)
	case errors.As(err, &badText):
		why := "not UTF-8"
		if badText.UTF16 {
			why = "NUL bytes in the header"
		}
		fmt.Fprintf(w, "%s at line %d, %s; before line %d, ", verb("Stopped", "stopped"), badText.Line, why, badText.From)
	}
	fmt.Fprintf(w, "%s in %s: %d new, %d updated, %d unchanged, %d rejected\n",
		bot.Count(sum.Rows, "row", "rows"), took.Round(time.Millisecond), sum.Created, sum.Updated, sum.Unchanged, sum.RejectedRows)
	for _, r := range sum.Rejected {
		fmt.Fprintf(w, "  line %d: %s\n", r.Line, report.Printable(r.Reason))
	}
	if more := sum.RejectedRows - len(sum.Rejected); more > 0 {
		fmt.Fprintf(w, "  … and %d more\n", more)
	}
	if sum.History > 0 {
		fmt.Fprintf(w, "%s %s as history: not announced, no SLA deadlines\n", bot.Count(sum.History, "SQL", "SQLs"), verb("recorded", "would be recorded"))
	}
	if n := sum.Announced; n > 0 {
		fmt.Fprintf(w, "%s for sales: the server %s %s to sales\n", bot.Count(n, "SQL", "SQLs"), verb("announces", "would announce"), pronoun(n))
	}
	if n := sum.PastClaimDeadline; n > 0 {
		fmt.Fprintf(w, "%d already past the claim deadline: the server %s %s at once\n", n, verb("escalates", "would escalate"), pronoun(n))
	}
}

// pronoun is "it" for one, else "them".
func pronoun(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

// progressBar draws one self-overwriting line on a terminal.
type progressBar struct {
	w     io.Writer
	start time.Time
	drawn bool
}

func (p *progressBar) update(done, total int64) {
	if total <= 0 {
		return
	}
	frac := float64(done) / float64(total)
	if frac > 1 {
		frac = 1
	}
	const width = 30
	filled := int(frac * width)
	// \x1b[K clears what a longer earlier line left behind.
	fmt.Fprintf(p.w, "\r[%s%s] %3.0f%%  %5.1fs\x1b[K", strings.Repeat("=", filled), strings.Repeat(" ", width-filled),
		frac*100, time.Since(p.start).Seconds())
	p.drawn = true
}

func (p *progressBar) finish() {
	if p.drawn {
		fmt.Fprintln(p.w)
	}
}
