package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

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
	return func(ctx context.Context, e env) error { return runImport(ctx, e, *batch, *quiet) }
}

// runImport imports the CSV file named in e.args ("-" for standard input).
func runImport(ctx context.Context, e env, batch int, quiet bool) error {
	if len(e.args) != 1 {
		return usageError("want one CSV file, or - for standard input")
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
	store, err := openStore(ctx, cfg, storage.Options{})
	if err != nil {
		return err
	}
	defer store.Close()

	im := &csvimport.Importer{Store: store, Policy: cfg.Policy, BatchSize: batch, LeadStatus: cfg.CRM.SalesforceStatus,
		MaxRejections: maxListedRejections}
	bar := &progressBar{w: e.stderr, start: time.Now()}
	if !quiet && isTerminal(e.stderr) && size > 0 {
		im.Progress = bar.update
	}
	start := time.Now()
	sum, err := im.Import(ctx, in, size)
	bar.finish()
	printSummary(e.stdout, sum, time.Since(start))
	if err != nil {
		return err
	}
	if sum.RejectedRows > 0 {
		return &exitError{code: 1, err: fmt.Errorf("%d of %d rows rejected", sum.RejectedRows, sum.Rows)}
	}
	return nil
}

func printSummary(w io.Writer, sum csvimport.Summary, took time.Duration) {
	fmt.Fprintf(w, "%d rows in %s: %d new, %d updated, %d unchanged, %d rejected\n",
		sum.Rows, took.Round(time.Millisecond), sum.Created, sum.Updated, sum.Unchanged, sum.RejectedRows)
	for _, r := range sum.Rejected {
		fmt.Fprintf(w, "  line %d: %s\n", r.Line, report.Printable(r.Reason))
	}
	if more := sum.RejectedRows - len(sum.Rejected); more > 0 {
		fmt.Fprintf(w, "  … and %d more\n", more)
	}
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
