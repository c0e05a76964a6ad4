package storage

import (
	"context"
	"fmt"

	"gorm.io/gorm"
)

// FailInCommitter queues a write on the group committer named committer
// (CommitterSQLite, CommitterIntake, …) that fails its group's
// transaction, not only itself, and returns the write's error. It must
// be the group's only write: it releases the savepoint of the group's
// first job, its own, so that the committer's RELEASE of it fails.
func (s *Store) FailInCommitter(ctx context.Context, committer string) error {
	for _, g := range []*groupCommitter{s.group, s.intake, s.enqueuer, s.claims} {
		if g != nil && g.name == committer {
			return g.run(ctx, func(tx *gorm.DB) error { return tx.Exec("RELEASE SAVEPOINT job0").Error })
		}
	}
	return fmt.Errorf("storage test: no committer %q", committer)
}
