package storage_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// On PostgreSQL, reads of leads by id that wait together (a burst of
// clicks) are served by one statement, each read its own lead (a lead
// read twice, twice), and a lead that does not exist is ENOTFOUND for its
// read alone.
func TestLeadReadsTogetherOnPostgres(t *testing.T) {
	ctx := context.Background()
	s := storagetest.Open(t, storage.DialectPostgres)
	var ids []int64
	for i := range 3 {
		res, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: fmt.Sprintf("read-%d", i), Company: "Read"}, handoff.DefaultPolicy(), t0, handoff.ActorAPI)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.Lead.ID)
	}
	missing := ids[2] + 1000
	reads := []int64{ids[1], missing, ids[0], ids[2], ids[1]}
	want := []string{"read-1", "", "read-0", "read-2", "read-1"}
	got, errs, statements, err := s.ReadLeadsTogether(ctx, reads)
	if err != nil {
		t.Fatal(err)
	}
	for i := range reads {
		switch {
		case want[i] == "" && handoff.ErrorCode(errs[i]) != handoff.ENOTFOUND:
			t.Errorf("read of %d (none) = %q, %v; want ENOTFOUND", reads[i], got[i], errs[i])
		case want[i] != "" && (errs[i] != nil || got[i] != want[i]):
			t.Errorf("read of %d = %q, %v; want %s", reads[i], got[i], errs[i], want[i])
		}
	}
	if statements != 1 {
		t.Errorf("statements = %d, want 1 for %d reads waiting together", statements, len(reads))
	}
}
