package storage

import (
	"context"
	"errors"
	"sync"
	"time"
)

// ReadLeadsTogether reads the leads of ids as concurrent clicks do on
// PostgreSQL, all queued before one worker of leadReads starts, and
// returns each read's external id or error, in the order of ids, and the
// number of statements that served them.
func (s *Store) ReadLeadsTogether(ctx context.Context, ids []int64) (externalIDs []string, errs []error, statements int, err error) {
	if s.dialect != DialectPostgres {
		return nil, nil, 0, errors.New("storage test: leadReads is PostgreSQL's")
	}
	r := &leadReads{db: s.db, queue: make(chan leadRead, leadReadBatch), ran: func(int) { statements++ }}
	externalIDs, errs = make([]string, len(ids)), make([]error, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			row, err := r.read(ctx, id)
			externalIDs[i], errs[i] = row.ExternalID, err
		}()
	}
	for len(r.queue) < len(ids) {
		time.Sleep(time.Millisecond)
	}
	r.start(1)
	wg.Wait()
	r.stop()
	return externalIDs, errs, statements, nil
}
