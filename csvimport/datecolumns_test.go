package csvimport_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff/csvimport"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// A Salesforce Data Loader export carries CreatedDate and, after it,
// LastModifiedDate; both name the row's date. As with every field two
// columns give, the first non-empty one wins: the lead became an SQL when
// it was created, a month ago, so the import stops at it instead of
// announcing it as a fresh SQL dated by its last edit.
func TestImportFirstDateColumnWins(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		im := importer(s)
		im.Old = csvimport.OldRowsStop
		csv := "Id,Email,Status,CreatedDate,LastModifiedDate\n" +
			"00Q5e00000AbE01EAA,tor@ulv.dk,Open - Not Contacted,2026-10-20T09:30:00.000Z,2026-11-20T08:50:00.000Z\n"
		sum, err := im.Import(ctx, strings.NewReader(csv), 0)
		var old *csvimport.OldRowError
		if !errors.As(err, &old) || old.Line != 2 || !old.At.Equal(time.Date(2026, 10, 20, 9, 30, 0, 0, time.UTC)) {
			t.Fatalf("import = %+v, %v; want a stop at line 2, an SQL since 2026-10-20 09:30 UTC (its CreatedDate)", sum, err)
		}
	})
}
