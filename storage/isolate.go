package storage

import (
	"context"
	"fmt"

	"gorm.io/gorm"
)

// isolate runs f, the work on one record, in a savepoint of tx. An error or
// a panic in f undoes only that record's writes and is returned for the
// caller to park the record; the transaction goes on. A cancelled ctx is
// not the record's fault and is returned as it is.
func isolate(ctx context.Context, tx *gorm.DB, f func(tx *gorm.DB) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	err = tx.Transaction(f)
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}
