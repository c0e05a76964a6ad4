package csvimport_test

import (
	"context"
	"strings"
	"testing"

	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// A row whose lead the database refuses to write (a constraint, a trigger)
// is rejected with its line and the database's reason, as a bad field is;
// the other rows of its batch and of the batches after it are imported,
// rather than the import stopping at that batch, where every import of
// the same file would stop again.
func TestImportRowTheDatabaseRefuses(t *testing.T) {
	storagetest.EachFailingInsertsOf(t, "f2", func(t *testing.T, s *storage.Store) {
		csv := "external_id,company\nf1,A\nf2,B\nf3,C\nf4,D\nf1,A2\n"
		sum, err := importer(s).Import(context.Background(), strings.NewReader(csv), int64(len(csv)))
		if err != nil {
			t.Fatalf("import stopped: %v", err)
		}
		if sum.Created != 3 || sum.Updated != 1 || sum.RejectedRows != 1 {
			t.Errorf("created %d, updated %d, rejected %d; want 3, 1, 1", sum.Created, sum.Updated, sum.RejectedRows)
		}
		if len(sum.Rejected) != 1 || sum.Rejected[0].Line != 3 || !strings.Contains(sum.Rejected[0].Reason, "lead refused") {
			t.Errorf("rejected = %+v, want line 3 with the database's reason", sum.Rejected)
		}
		for _, id := range []string{"f1", "f3", "f4"} {
			if _, err := s.LeadByExternalID(context.Background(), id); err != nil {
				t.Errorf("%s: %v", id, err)
			}
		}
		if l, err := s.LeadByExternalID(context.Background(), "f1"); err != nil || l.Company != "A2" {
			t.Errorf("f1 = %+v, %v; want its later row's company", l, err)
		}
	})
}
