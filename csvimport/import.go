// Package csvimport loads leads from CSV exports (Handoff's own field names,
// or HubSpot's and Salesforce's column names) through the same validation
// and store as the intake API, in batches.
package csvimport

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/encoding"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/config"
	"github.com/handoff/handoff/salesforce"
)

// Store is what an import needs from storage: saving a batch in one
// transaction, with a last look at its results before the commit (an error
// from check writes nothing of the batch and is returned as it is, with
// the results), and which of a batch's external ids an erased lead had
// (and no lead has now).
type Store interface {
	SaveLeadsChecked(ctx context.Context, ins []handoff.LeadInput, policy handoff.Policy, now time.Time, actor string,
		check func(results []handoff.SaveResult, errs []error) error) ([]handoff.SaveResult, []error, error)
	ErasedExternalIDs(ctx context.Context, ids []string) (map[string]bool, error)
}

// ErasedRow is the reason a row whose external id an erased lead had is
// rejected: a file of old records (an export made before the erasure, a
// backup) never brings an erased person back, and the reason names no
// one. A person who comes back does so through the API or their CRM.
const ErasedRow = "external_id: a lead with this id was erased; an import does not bring it back"

// Rejection is one row that was not imported.
type Rejection struct {
	Line   int
	Reason string
}

// Summary counts what an import did. Its size does not grow with the file:
// only the first rejected rows are kept.
type Summary struct {
	Rows      int
	Created   int
	Updated   int
	Unchanged int
	// RejectedRows counts every rejected row; Rejected holds the first
	// Importer.MaxRejections of them, in file order.
	RejectedRows int
	Rejected     []Rejection
	// History counts the rows that became SQLs as history (OldRowsHistory);
	// Announced the rows that became SQLs for sales to act on, which the
	// server announces (or offers to a rep first); PastClaimDeadline those
	// of them whose claim deadline had already passed (OldRowsLive): they
	// are escalated at once.
	History, Announced, PastClaimDeadline int
}

// DefaultMaxRejections is how many rejected rows a Summary keeps by default.
const DefaultMaxRejections = 1000

func (im *Importer) reject(sum *Summary, r Rejection) {
	sum.RejectedRows++
	keep := im.MaxRejections
	if keep == 0 {
		keep = DefaultMaxRejections
	}
	if len(sum.Rejected) < keep {
		sum.Rejected = append(sum.Rejected, r)
	}
	if im.OnReject != nil {
		im.OnReject(r)
	}
}

// Importer reads CSV files into the store.
type Importer struct {
	Store     Store
	Policy    handoff.Policy
	Now       func() time.Time
	BatchSize int                     // rows per transaction; default 500
	Progress  func(done, total int64) // bytes read of total; may be nil
	// LeadStatus maps Lead Status values to stages, as the Salesforce
	// connector does (the agreement's salesforce.status); nil is
	// config.DefaultSalesforceStatus. Other statuses stay attributes.
	LeadStatus map[string]handoff.Stage
	// MaxRejections bounds the rejected rows the Summary keeps (default
	// DefaultMaxRejections; negative keeps none); OnReject, when set, sees
	// every one as it happens, so that a report of them all can be streamed.
	MaxRejections int
	OnReject      func(Rejection)
	// DryRun saves nothing: each batch is rolled back once its results
	// are counted, so the Summary (or the *OldRowError) says what the
	// import would do. A lead named in two batches counts as new in both,
	// as the first is not kept.
	DryRun bool
	// Old says what becomes of a row that is an old record (an SQL dated
	// before its claim deadline, LeadInput.OldRecord); by default the
	// import stops at the first that would be announced.
	Old OldRows
	// Encoding is the file's character encoding (LookupEncoding); nil is
	// UTF-8. A byte order mark decides over it (UTF-8's, or UTF-16's in
	// either byte order). Read as UTF-8, the file must be UTF-8: the
	// import stops at the first line that is not (an *EncodingError).
	Encoding encoding.Encoding
}

// OldRows says what an import does with rows that are old records: SQLs
// dated so long ago that their claim deadline has passed.
type OldRows int

const (
	// OldRowsStop stops the import before the batch holding the first old
	// row that would be announced (a new SQL, or a known lead's move into
	// SQL) is saved, with an *OldRowError: an export of last year's SQLs
	// must not reach the sales channel and the managers' escalations by
	// mistake. A known lead's row that announces nothing goes in as usual.
	OldRowsStop OldRows = iota
	// OldRowsHistory records them as history (LeadInput.History): counted
	// in the funnel by their dates, never announced, held to no deadline.
	OldRowsHistory
	// OldRowsLive imports them as any other lead: announced, and their
	// claim escalated at once.
	OldRowsLive
)

// errDryRun rolls back a batch of a dry run.
var errDryRun = errors.New("csvimport: dry run")

// OldRowError is the old record an import stopped at (OldRowsStop).
type OldRowError struct {
	Line int
	At   time.Time // when the row made its lead an SQL
	From int       // the first line not saved: its batch's
}

func (e *OldRowError) Error() string {
	return fmt.Sprintf("csvimport: line %d: an SQL dated %s, past its claim deadline", e.Line, e.At.Format("2006-01-02 15:04 MST"))
}

// Import reads a CSV with a header row from r (size bytes long, or 0 when
// unknown) and saves every valid row. Bad rows are rejected with their line
// number and reason and do not stop the import; an unreadable file, a line
// that is not valid UTF-8 in a file read as UTF-8 (*EncodingError, be the
// line valid CSV or not) or a database error does, after the batches before it were committed. The
// file is decoded from im.Encoding as it streams, as is a file with a
// UTF-16 byte order mark; a UTF-8 one is dropped.
func (im *Importer) Import(ctx context.Context, r io.Reader, size int64) (Summary, error) {
	var sum Summary
	counter := &countingReader{r: r}
	watch := newUTF8Watch(counter)
	br := bufio.NewReaderSize(watch, 64<<10)
	txt, decoded := text(br, im.Encoding)
	if decoded {
		br = bufio.NewReaderSize(txt, 64<<10)
	}
	cr := csv.NewReader(br)
	cr.Comma = sniffDelimiter(br)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	// start is the file's offset of the CSV reader's first byte (after a
	// byte order mark); passedBad says whether the reader has passed the
	// first byte that is not UTF-8 of a file read as UTF-8, on a line it
	// could not parse as on any other.
	start := watch.n - int64(br.Buffered())
	passedBad := func() bool { return !decoded && watch.bad >= 0 && watch.bad-start < cr.InputOffset() }
	header, err := cr.Read()
	if err != nil && passedBad() {
		return sum, &EncodingError{Line: watch.badLine, Byte: watch.badByte, From: 1}
	}
	if err != nil {
		return sum, fmt.Errorf("csvimport: read header: %w", err)
	}
	if slices.ContainsFunc(header, func(h string) bool { return strings.IndexByte(h, 0) >= 0 }) {
		return sum, &EncodingError{Line: 1, From: 1, UTF16: true}
	}
	if i, b := badUTF8(header); i >= 0 && !decoded {
		return sum, &EncodingError{Line: 1, Byte: b, From: 1}
	}
	columns := slices.Clone(header) // the reader reuses header's slice
	fields := make([]string, len(header))
	hasID := false
	for i, h := range header {
		fields[i] = fieldFor(h)
		hasID = hasID || fields[i] == "external_id" || fields[i] == salesforceID
	}
	if !hasID {
		return sum, fmt.Errorf("csvimport: no external_id column (or Record ID / Lead ID) in header %q", strings.Join(header, ","))
	}
	table := im.LeadStatus
	if table == nil {
		table = config.DefaultSalesforceStatus()
	}
	statusStage := statusTable(table)
	batch := newBatch(im.batchSize())
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var perr *csv.ParseError
		if errors.As(err, &perr) && passedBad() {
			// Not UTF-8 either: that rule wins, as on a line that parses.
			return sum, stopNotUTF8(&sum, batch, columns, watch.badLine, watch.column(cr.Comma), watch.badByte)
		}
		if errors.As(err, &perr) {
			sum.Rows++
			im.reject(&sum, Rejection{Line: perr.Line, Reason: perr.Err.Error()})
			continue
		}
		if err != nil {
			return sum, fmt.Errorf("csvimport: after line %d: %w", sum.Rows+1, err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a blank line
		}
		if i, b := badUTF8(rec); i >= 0 && !decoded {
			bad, _ := cr.FieldPos(i)
			return sum, stopNotUTF8(&sum, batch, columns, bad, i, b)
		}
		sum.Rows++
		if len(rec) != len(fields) {
			columns := "columns"
			if len(rec) == 1 {
				columns = "column"
			}
			im.reject(&sum, Rejection{Line: line, Reason: fmt.Sprintf("%d %s, header has %d", len(rec), columns, len(fields))})
			continue
		}
		in, err := handoff.ParseLeadInput(rowToRaw(fields, rec, im.Policy.Location, statusStage), im.now())
		if err != nil {
			im.reject(&sum, Rejection{Line: line, Reason: handoff.ErrorMessage(err)})
			continue
		}
		batch.add(line, in)
		if batch.full() {
			if err := im.flush(ctx, batch, &sum); err != nil {
				return sum, err
			}
			if im.Progress != nil {
				im.Progress(counter.n, size)
			}
		}
	}
	if err := im.flush(ctx, batch, &sum); err != nil {
		return sum, err
	}
	if im.Progress != nil {
		im.Progress(counter.n, size)
	}
	return sum, nil
}

// stopNotUTF8 is the stop at byte b, not UTF-8, on line in the field
// col of columns (-1: not known) of a file read as UTF-8: the file is in
// another encoding. The import stops before the batch that would hold the
// line is saved, rather than reject every row with a letter beyond ASCII.
func stopNotUTF8(sum *Summary, batch *batch, columns []string, line, col int, b byte) *EncodingError {
	e := &EncodingError{Line: line, Byte: b, From: line}
	if col >= 0 && col < len(columns) {
		e.Column = strings.TrimSpace(columns[col])
	}
	if len(batch.lines) > 0 {
		e.From = batch.lines[0]
	}
	sum.Rows -= len(batch.inputs) // none of the batch is saved
	return e
}

func (im *Importer) batchSize() int {
	if im.BatchSize > 0 {
		return im.BatchSize
	}
	return 500
}

// now is the importer's clock, in UTC.
func (im *Importer) now() time.Time {
	if im.Now != nil {
		return im.Now().UTC()
	}
	return time.Now().UTC()
}

func (im *Importer) flush(ctx context.Context, b *batch, sum *Summary) error {
	if len(b.inputs) == 0 {
		return nil
	}
	now := im.now()
	if im.Old == OldRowsHistory {
		for i, in := range b.inputs {
			b.inputs[i].History = in.OldRecord(im.Policy, now)
		}
	}
	erased, err := im.erasedRows(ctx, b)
	if err != nil {
		return fmt.Errorf("csvimport: lines %d-%d: %w", b.lines[0], b.lines[len(b.lines)-1], err)
	}
	save := b
	if len(erased) > 0 {
		save = &batch{}
		for i, in := range b.inputs {
			if !erased[i] {
				save.add(b.lines[i], in)
			}
		}
	}
	check := func(results []handoff.SaveResult, errs []error) error {
		if im.Old == OldRowsStop {
			if err := im.stopAtLateSQL(save, results, errs, now); err != nil {
				return err
			}
		}
		if im.DryRun {
			return errDryRun
		}
		return nil
	}
	var (
		results []handoff.SaveResult
		errs    []error
	)
	if len(save.inputs) > 0 {
		results, errs, err = im.Store.SaveLeadsChecked(ctx, save.inputs, im.Policy, now, handoff.ActorImport, check)
	}
	var old *OldRowError
	switch {
	case errors.As(err, &old):
		sum.Rows -= len(b.inputs) // none of the batch is saved
		old.From = b.lines[0]
		return old
	case errors.Is(err, errDryRun):
		err = nil // counted below as if saved
	}
	if err != nil {
		return fmt.Errorf("csvimport: lines %d-%d: %w", b.lines[0], b.lines[len(b.lines)-1], err)
	}
	k := 0 // the next of save's results
	for i := range b.inputs {
		if erased[i] {
			im.reject(sum, Rejection{Line: b.lines[i], Reason: ErasedRow})
			continue
		}
		res, err := results[k], errs[k]
		k++
		switch {
		case err != nil:
			im.reject(sum, Rejection{Line: b.lines[i], Reason: handoff.ErrorMessage(err)})
			continue
		case res.Created:
			sum.Created++
		case res.Changed:
			sum.Updated++
		default:
			sum.Unchanged++
		}
		if res.Lead == nil {
			continue
		}
		switch {
		case handoff.BecameSQLAsHistory(res.Lead, res.Events):
			sum.History++
		case handoff.BecameSQLPastClaimDeadline(res.Lead, res.Events, now):
			sum.Announced++
			sum.PastClaimDeadline++
		case handoff.BecameSQLForSales(res.Lead, res.Events):
			sum.Announced++
		}
	}
	b.reset()
	return nil
}

// erasedRows returns the rows of b (their indexes) whose external id an
// erased lead had and no lead has now: the import rejects them (ErasedRow).
func (im *Importer) erasedRows(ctx context.Context, b *batch) (map[int]bool, error) {
	ids := make([]string, len(b.inputs))
	for i, in := range b.inputs {
		ids[i] = in.ExternalID
	}
	erased, err := im.Store.ErasedExternalIDs(ctx, ids)
	if err != nil || len(erased) == 0 {
		return nil, err
	}
	rows := map[int]bool{}
	for i, id := range ids {
		if erased[id] {
			rows[i] = true
		}
	}
	return rows, nil
}

// stopAtLateSQL is the check of a batch imported with OldRowsStop: the
// first row that made its lead an SQL already past its claim deadline (an
// old record of a new lead, or one that moves a known lead into SQL) stops
// the import. An old row of a lead that is already an SQL, or beyond,
// announces nothing and does not.
func (im *Importer) stopAtLateSQL(b *batch, results []handoff.SaveResult, errs []error, now time.Time) error {
	for i, res := range results {
		if errs[i] != nil || res.Lead == nil || !handoff.BecameSQLPastClaimDeadline(res.Lead, res.Events, now) {
			continue
		}
		at := now
		if res.Lead.SQLAt != nil {
			at = *res.Lead.SQLAt
		}
		return &OldRowError{Line: b.lines[i], At: at.In(cmp.Or(im.Policy.Location, time.UTC)), From: b.lines[0]}
	}
	return nil
}

// rowToRaw turns a CSV row into the intake's field map: first and last name
// are joined, CRM stage values and dates are translated, empty cells dropped.
// Where two columns give one field, the first non-empty one wins. A lead
// status sets the stage through statusStage when the row has none.
func rowToRaw(fields, rec []string, loc *time.Location, statusStage func(string) (string, bool)) map[string]any {
	raw := make(map[string]any, len(fields))
	var first, last, fromStatus string
	for i, f := range fields {
		v := strings.TrimSpace(rec[i])
		if v == "" {
			continue
		}
		switch f {
		case "first_name":
			first = v
		case "last_name":
			last = v
		case "stage":
			if _, taken := raw[f]; !taken {
				raw[f] = stageFor(v)
			}
		case leadStatus:
			if _, taken := raw[f]; !taken {
				raw[f] = v
				if st, ok := statusStage(v); ok {
					fromStatus = st
				}
			}
		case "occurred_at":
			if _, taken := raw[f]; !taken {
				raw[f] = normaliseTime(v, loc)
			}
		case salesforceID:
			if id, err := salesforce.ID18(v); err == nil {
				v = id
			}
			raw["external_id"] = v
		default:
			if _, taken := raw[f]; !taken {
				raw[f] = v
			}
		}
	}
	if _, ok := raw["stage"]; !ok && fromStatus != "" {
		raw["stage"] = fromStatus
	}
	if _, ok := raw["name"]; !ok && (first != "" || last != "") {
		raw["name"] = strings.TrimSpace(first + " " + last)
	}
	return raw
}

// timeLayouts are the date formats CRM exports use besides RFC 3339.
var timeLayouts = []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04:05", "2006-01-02", "01/02/2006 15:04", "01/02/2006", "02-01-2006 15:04", "02.01.2006"}

// normaliseTime returns v as RFC 3339 when it is in a known layout
// (interpreted in loc), and v unchanged otherwise, for validation to name.
func normaliseTime(v string, loc *time.Location) string {
	if _, err := time.Parse(time.RFC3339, v); err == nil {
		return v
	}
	if loc == nil {
		loc = time.UTC
	}
	for _, layout := range timeLayouts {
		if t, err := time.ParseInLocation(layout, v, loc); err == nil {
			return t.Format(time.RFC3339)
		}
	}
	return v
}

// sniffDelimiter picks ';' or tab over ',' when the header line has more of
// them (Excel in Danish and German locales writes ';').
func sniffDelimiter(br *bufio.Reader) rune {
	peek, _ := br.Peek(4096)
	if i := bytes.IndexByte(peek, '\n'); i >= 0 {
		peek = peek[:i]
	}
	best, n := ',', bytes.Count(peek, []byte{','})
	for _, d := range []rune{';', '\t'} {
		if c := bytes.Count(peek, []byte(string(d))); c > n {
			best, n = d, c
		}
	}
	return best
}

type batch struct {
	size   int
	inputs []handoff.LeadInput
	lines  []int
}

func newBatch(size int) *batch { return &batch{size: size} }

func (b *batch) add(line int, in handoff.LeadInput) {
	b.inputs = append(b.inputs, in)
	b.lines = append(b.lines, line)
}

func (b *batch) full() bool { return len(b.inputs) >= b.size }

func (b *batch) reset() { b.inputs, b.lines = b.inputs[:0], b.lines[:0] }

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
