package storage

import (
	"context"
	"fmt"
	"sync"

	"github.com/handoff/handoff"
	"gorm.io/gorm"
)

// PostgreSQL serves each statement in a process of its own, so a read is a
// round trip: the client's encoding and system calls, the server process's
// wake-up, its answer, the client's wake-up. A burst of 200 Claim clicks
// read its 200 leads so, one statement a click, before each joined a
// claim batch (ClaimLeadIf), and those round trips cost both processes
// more CPU than the statements themselves. leadReads coalesces the reads
// of leads by id that arrive together into one statement (id = ANY of an
// array): each of its workers takes the first read waiting and every read
// queued behind it, up to leadReadBatch. A lone read costs one statement,
// as before.
const (
	leadReadWorkers = 4
	leadReadBatch   = 500
)

// leadReads coalesces concurrent reads of leads by id on PostgreSQL (see
// leadReadWorkers).
type leadReads struct {
	db    *gorm.DB
	queue chan leadRead
	wg    sync.WaitGroup
	// ran, when set, is called with the number of reads each statement
	// served (tests).
	ran func(n int)
}

// leadRead is one read waiting: the lead's id and where its row goes.
type leadRead struct {
	ctx context.Context
	id  int64
	out chan leadReadResult // buffered: a caller that gave up is not waited for
}

type leadReadResult struct {
	row leadRow
	err error
}

// newLeadReads starts workers goroutines reading leads of db.
func newLeadReads(db *gorm.DB, workers int) *leadReads {
	r := &leadReads{db: db, queue: make(chan leadRead, leadReadBatch)}
	r.start(workers)
	return r
}

func (r *leadReads) start(workers int) {
	for range workers {
		r.wg.Add(1)
		go r.loop()
	}
}

// stop ends the workers once every queued read has its answer.
func (r *leadReads) stop() {
	close(r.queue)
	r.wg.Wait()
}

// read returns the row of the lead with that id, or ENOTFOUND.
func (r *leadReads) read(ctx context.Context, id int64) (leadRow, error) {
	req := leadRead{ctx: ctx, id: id, out: make(chan leadReadResult, 1)}
	select {
	case r.queue <- req:
	case <-ctx.Done():
		return leadRow{}, fmt.Errorf("storage: find lead %d: %w", id, ctx.Err())
	}
	select {
	case res := <-req.out:
		return res.row, res.err
	case <-ctx.Done():
		return leadRow{}, fmt.Errorf("storage: find lead %d: %w", id, ctx.Err())
	}
}

func (r *leadReads) loop() {
	defer r.wg.Done()
	batch := make([]leadRead, 0, leadReadBatch)
	for first := range r.queue {
		batch = append(batch[:0], first)
	drain:
		for len(batch) < leadReadBatch {
			select {
			case req, ok := <-r.queue:
				if !ok {
					break drain
				}
				batch = append(batch, req)
			default:
				break drain
			}
		}
		r.serve(batch)
	}
}

// serve reads the leads of batch in one statement and answers each read.
// The statement runs under the first read's context without its
// cancellation: the others still want their rows.
func (r *leadReads) serve(batch []leadRead) {
	ids := make([]int64, 0, len(batch))
	seen := make(map[int64]bool, len(batch))
	for _, req := range batch {
		if !seen[req.id] {
			seen[req.id] = true
			ids = append(ids, req.id)
		}
	}
	if r.ran != nil {
		r.ran(len(batch))
	}
	ctx := context.WithoutCancel(batch[0].ctx)
	rows, err := queryLeadRows(r.db.WithContext(ctx), nil, leadsByIDPG, []any{pgPlanEach, ids})
	byID := make(map[int64]leadRow, len(rows))
	for _, row := range rows {
		byID[row.ID] = row
	}
	for _, req := range batch {
		res := leadReadResult{}
		row, ok := byID[req.id]
		switch {
		case err != nil:
			res.err = fmt.Errorf("storage: find lead %d: %w", req.id, err)
		case !ok:
			res.err = handoff.Errorf(handoff.ENOTFOUND, "lead %v not found", req.id)
		default:
			res.row = row
		}
		req.out <- res
	}
}

// leadRowByID reads the lead with that id: through the coalescing reads on
// PostgreSQL (leadReads), with a statement of its own on SQLite, whose
// reads cost no round trip.
func (s *Store) leadRowByID(ctx context.Context, id int64) (leadRow, error) {
	if s.leadReads != nil {
		return s.leadReads.read(ctx, id)
	}
	return s.findLeadRow(ctx, "id", id)
}
