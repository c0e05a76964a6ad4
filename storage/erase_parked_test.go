package storage_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// A lead whose SLA timer failed is parked with the failure's text, and a
// storage error names the lead by its external id (often an email): the
// erasure must not leave that text behind.
func TestErasureClearsAParkedLeadsCause(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		id := saveCRMLead(t, s, "ann@example.com")
		park := fmt.Sprintf(`UPDATE leads SET parked_ms = 1, parked_error = 'storage: save lead "ann@example.com": %s' WHERE id = %d`, crmRecord, id)
		if err := s.Exec(ctx, park); err != nil {
			t.Fatal(err)
		}
		if n, err := forgetRecord.run(ctx, s); err != nil || n != 1 {
			t.Fatalf("erase = %d, %v", n, err)
		}
		for _, text := range []string{"ann@example.com", crmRecord} {
			where, err := s.FindText(ctx, text)
			if err != nil {
				t.Fatal(err)
			}
			if len(where) > 0 {
				t.Errorf("after the erasure %q is still in %v", text, where)
			}
		}
	})
}
