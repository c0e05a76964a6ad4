package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// A lead whose text columns an earlier version left NULL (a column added
// to an existing table) is read and claimed all the same.
func TestClaimReadsNullText(t *testing.T) {
	s := storagetest.Open(t, storage.DialectPostgres)
	ctx := context.Background()
	res, err := s.SaveLead(ctx, input(t, map[string]any{"external_id": "null-text", "company": "Acme"}), handoff.DefaultPolicy(), t0, handoff.ActorAPI)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Exec(ctx, "UPDATE leads SET title = NULL, offer_tried = NULL, offer_credits = NULL, parked_error = NULL"); err != nil {
		t.Fatal(err)
	}
	allow := func(*handoff.Lead) error { return nil }
	lead, won, err := s.ClaimLeadIf(ctx, res.Lead.ID, handoff.Owner{Platform: "slack", UserID: "U1"}, t0.Add(time.Minute), handoff.Policy{}, "slack:U1", handoff.Delivery{}, allow, nil)
	if err != nil || !won {
		t.Fatalf("claim = won %v, %v; want won", won, err)
	}
	if lead.Company != "Acme" || lead.Title != "" {
		t.Fatalf("lead claimed = company %q, title %q", lead.Company, lead.Title)
	}
	if lead, err = s.Lead(ctx, res.Lead.ID); err != nil || lead.Owner.UserID != "U1" {
		t.Fatalf("lead read = %+v, %v", lead, err)
	}
}
