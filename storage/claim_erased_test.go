package storage_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestErasedLeadIsNotClaimed: no claim path takes up an SQL whose person
// was erased, whether the erasure committed before the click's read or
// between that read and the claim's write (ClaimLeadIf's allow, which runs
// between them, erases it): the claim loses without an error, and the
// lead stays an unclaimed SQL with no claimed event. TestRulesWrittenTwiceAgree
// checks the UPDATE's own condition.
func TestErasedLeadIsNotClaimed(t *testing.T) {
	arrival := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	for _, d := range storagetest.Dialects {
		for _, path := range []string{"transaction", "batch", "read first"} {
			for _, when := range []string{"before the read", "after the read"} {
				if when == "after the read" && path != "read first" && path != "transaction" {
					continue // only ClaimLeadIf reads before it writes
				}
				t.Run(fmt.Sprintf("%s/%s/%s", d, path, when), func(t *testing.T) {
					ctx := context.Background()
					s := storagetest.Open(t, d)
					if path == "transaction" {
						s.ClaimInTransaction()
					}
					in, err := handoff.ParseLeadInput(map[string]any{"external_id": "gone-1", "email": "ann@example.com", "stage": "sql"}, arrival)
					if err != nil {
						t.Fatal(err)
					}
					res, err := s.SaveLead(ctx, in, handoff.DefaultPolicy(), arrival, handoff.ActorAPI)
					if err != nil {
						t.Fatal(err)
					}
					id := res.Lead.ID
					erase := func() error { return s.ForgetLead(ctx, "gone-1", handoff.DefaultPolicy(), arrival.Add(time.Minute)) }
					if when == "before the read" {
						if err := erase(); err != nil {
							t.Fatal(err)
						}
					}
					owner := handoff.Owner{Platform: "slack", UserID: "U2"}
					at := arrival.Add(10 * time.Minute)
					var got *handoff.Lead
					var won bool
					if path == "batch" {
						got, won, err = s.ClaimLead(ctx, id, owner, at, handoff.Policy{}, "slack:U2")
					} else {
						got, won, err = s.ClaimLeadIf(ctx, id, owner, at, handoff.Policy{}, "slack:U2", handoff.Delivery{}, func(*handoff.Lead) error {
							if when == "after the read" {
								return erase()
							}
							return nil
						}, nil)
					}
					if err != nil || won {
						t.Fatalf("claim: won %v, err %v; want a lost claim", won, err)
					}
					stored, err := s.Lead(ctx, id)
					if err != nil {
						t.Fatal(err)
					}
					for name, l := range map[string]*handoff.Lead{"returned": got, "stored": stored} {
						if l == nil || l.ErasedAt == nil || l.Stage != handoff.StageSQL || !l.Owner.IsZero() || l.ClaimedAt != nil {
							t.Errorf("%s lead %+v, want the erased sql unclaimed", name, l)
						}
					}
					events, err := s.Events(ctx, id)
					if err != nil {
						t.Fatal(err)
					}
					for _, e := range events {
						if e.Kind == handoff.EventStage && e.Stage == handoff.StageClaimed {
							t.Errorf("a claimed event was recorded: %+v", e)
						}
					}
				})
			}
		}
	}
}
