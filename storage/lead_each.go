package storage

import (
	"errors"

	"github.com/handoff/handoff"
	"gorm.io/gorm"
)

// saveBatchOrEach is saveBatchInTx for a batch of an import (SaveLeads):
// when the batch fails as a whole, for a reason other than a race (which
// SaveLeads runs the batch again for), its writes are rolled back and each
// item is saved alone, in order, under a savepoint of its own, so that a
// row the database refuses (a constraint, a trigger) is reported in errs
// at its index (EINTERNAL, with the database's reason) as a domain error
// is, and the others are saved. When every item fails so, the database
// failed rather than a row: the batch's error is returned.
func saveBatchOrEach(tx *gorm.DB, items []saveItem) (results []handoff.SaveResult, errs []error, err error) {
	if len(items) < 2 {
		return saveBatchInTx(tx, items)
	}
	if err := tx.SavePoint("batch").Error; err != nil {
		return nil, nil, err
	}
	results, errs, batchErr := saveBatchInTx(tx, items)
	if batchErr == nil || errors.Is(batchErr, errRaced) {
		return results, errs, batchErr
	}
	if err := tx.RollbackTo("batch").Error; err != nil {
		return nil, nil, errors.Join(batchErr, err)
	}
	results, errs = make([]handoff.SaveResult, len(items)), make([]error, len(items))
	failed := 0
	for i, it := range items {
		if err := tx.SavePoint("item").Error; err != nil {
			return nil, nil, err
		}
		res, itemErrs, err := saveBatchInTx(tx, []saveItem{it})
		switch {
		case errors.Is(err, errRaced):
			return nil, nil, err
		case err != nil:
			if rbErr := tx.RollbackTo("item").Error; rbErr != nil {
				return nil, nil, errors.Join(err, rbErr)
			}
			errs[i] = &handoff.Error{Code: handoff.EINTERNAL, Message: "the database refused it: " + err.Error()}
			failed++
		default:
			results[i], errs[i] = res[0], itemErrs[0]
		}
	}
	if failed == len(items) {
		return nil, nil, batchErr
	}
	return results, errs, nil
}
