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
// to an existing table) is claimed in one statement all the same.
func TestClaimOneStatementReadsNullText(t *testing.T) {
	s := storagetest.Open(t, storage.DialectPostgres)
	ctx := context.Background()
	res, err := s.SaveLead(ctx, input(t, map[string]any{"external_id": "null-text", "company": "Acme"}), handoff.DefaultPolicy(), t0, handoff.ActorAPI)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Exec(ctx, "UPDATE leads SET title = NULL, offer_tried = NULL, offer_credits = NULL, parked_error = NULL"); err != nil {
		t.Fatal(err)
	}
	lead, won, done, err := s.ClaimOneStatement(ctx, res.Lead.ID, -1, handoff.Owner{Platform: "slack", UserID: "U1"}, t0.Add(time.Minute), "slack:U1")
	if err != nil || !won || !done {
		t.Fatalf("claim = won %v, done %v, %v; want won in one statement", won, done, err)
	}
	if lead.Company != "Acme" || lead.Title != "" {
		t.Fatalf("lead read = company %q, title %q", lead.Company, lead.Title)
	}
}
