package csvimport_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/csvimport"
	"github.com/handoff/handoff/storage/storagetest"
)

// FuzzImport imports arbitrary CSV into a real store (SQLite, or
// storagetest.FuzzDialect's): it must never panic, and every row must be
// counted exactly once (new, updated, unchanged or rejected).
func FuzzImport(f *testing.F) {
	f.Add([]byte("external_id,email,stage\nf1,a@b.dk,sql\nf2,bad,mql\n"))
	f.Add([]byte("Record ID;First Name;Lifecycle Stage\n1;Ann;salesqualifiedlead\n"))
	f.Add([]byte("\xEF\xBB\xBFLead ID\tLead Status\n00Q;Closed - Converted\n"))
	f.Add([]byte("external_id,name\n\"x\n"))
	f.Add([]byte("external_id,name\nw1,S\xF8ren \xC6r\xF8\n"))
	f.Add([]byte("\xFF\xFEe\x00x\x00t\x00e\x00r\x00n\x00a\x00l\x00_\x00i\x00d\x00\n\x00u\x001\x00\n\x00"))
	s := storagetest.Open(f, storagetest.FuzzDialect())
	im := &csvimport.Importer{Store: s, Policy: handoff.DefaultPolicy(), Now: time.Now}
	f.Fuzz(func(t *testing.T, data []byte) {
		sum, err := im.Import(context.Background(), bytes.NewReader(data), int64(len(data)))
		var old *csvimport.OldRowError
		var enc *csvimport.EncodingError
		if err != nil && !errors.As(err, &old) && !errors.As(err, &enc) {
			return // no header or no id column: refused whole
		}
		if got := sum.Created + sum.Updated + sum.Unchanged + sum.RejectedRows; got != sum.Rows {
			t.Fatalf("%d rows, but %d counted: %+v", sum.Rows, got, sum)
		}
	})
}
