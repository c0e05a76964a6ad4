package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// An erased CRM record leaves no id in crm_versions, yet a re-sent old
// version of it stays stale (the person does not come back from a retry),
// while a version the CRM made after the erasure is a new lead; erasing
// that one too works, and the erased view is found by the old id.
func TestForgetCRMRecord(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		policy := handoff.DefaultPolicy()
		v1, v2 := t0.Add(-time.Hour), t0.Add(2*time.Hour)
		record := map[string]any{"external_id": "00Q5e000001AbcD", "email": "ann@acme.dk", "name": "Ann Berg", "stage": "sql"}
		save := func(version time.Time, at time.Time) (handoff.SaveResult, bool) {
			t.Helper()
			res, stale, err := s.SaveLeadVersion(ctx, input(t, record), policy, at, "salesforce", "salesforce", handoff.VersionOf(input(t, record), version))
			if err != nil {
				t.Fatal(err)
			}
			return res, stale
		}
		first, stale := save(v1, t0)
		if stale || !first.Created {
			t.Fatalf("first save: created %v, stale %v", first.Created, stale)
		}
		if err := s.ForgetLead(ctx, "00Q5e000001AbcD", policy, t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if found, err := s.FindText(ctx, "00Q5e000001AbcD"); err != nil || len(found) > 0 {
			t.Fatalf("the record id is still in %v (%v)", found, err)
		}
		for _, v := range []time.Time{v1, v1.Add(-time.Minute)} {
			if res, stale := save(v, t0.Add(2*time.Minute)); !stale || res.Lead != nil {
				t.Fatalf("re-sent version %s after erasure: stale %v, lead %+v; want stale", v, stale, res.Lead)
			}
		}
		if found, _ := s.FindText(ctx, "ann@acme.dk"); len(found) > 0 {
			t.Fatalf("a stale re-send stored the person: %v", found)
		}
		second, stale := save(v2, t0.Add(3*time.Minute))
		if stale || !second.Created || second.Lead.ID == first.Lead.ID {
			t.Fatalf("newer version after erasure: created %v, stale %v; want a new lead", second.Created, stale)
		}
		if _, stale := save(v1, t0.Add(4*time.Minute)); !stale {
			t.Fatal("an older version overwrote the new lead")
		}
		if err := s.ForgetLead(ctx, "00Q5e000001AbcD", policy, t0.Add(5*time.Minute)); err != nil {
			t.Fatalf("erase again: %v", err)
		}
		if found, err := s.FindText(ctx, "00Q5e000001AbcD"); err != nil || len(found) > 0 {
			t.Fatalf("the record id is still in %v (%v)", found, err)
		}
		if _, stale := save(v2, t0.Add(6*time.Minute)); !stale {
			t.Fatal("the second erased version came back")
		}
		erased, err := s.ErasedLeadByExternalID(ctx, "00Q5e000001AbcD")
		if err != nil || erased.ID != second.Lead.ID || erased.Email != "" {
			t.Fatalf("erased view = %+v, %v; want lead %d without data", erased, err, second.Lead.ID)
		}
		if _, err := s.ErasedLeadByExternalID(ctx, "never-seen"); handoff.ErrorCode(err) != handoff.ENOTFOUND {
			t.Fatalf("unknown id: %v, want ENOTFOUND", err)
		}
	})
}
