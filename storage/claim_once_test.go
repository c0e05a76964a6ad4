package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/internal/testkit"
	"github.com/handoff/handoff/storage/storagetest"
)

// A claim that names its delivery (a Teams click, which Teams may deliver
// again) records it in the claim's commit when it wins, and the same
// delivery again claims nothing, even once the lead is claimable again; a
// losing claim records nothing (its refusal's notice does, EnqueueOnce,
// which queues once per delivery, and EnqueueOnce without messages records
// the delivery of a click that wrote nothing). In a batch of claims and in a
// transaction of its own, on SQLite and PostgreSQL.
func TestClaimDeliveryRecordedOnce(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	delivery := func(key string) handoff.Delivery { return handoff.Delivery{Source: "teams", Key: key} }
	for _, d := range storagetest.Dialects {
		for _, path := range []string{"batch", "transaction"} {
			t.Run(d+"/"+path, func(t *testing.T) {
				s, raw := storagetest.OpenRaw(t, d)
				if path == "transaction" {
					s.ClaimInTransaction()
				}
				in, err := handoff.ParseLeadInput(map[string]any{"external_id": "once-1", "stage": "sql"}, t0)
				if err != nil {
					t.Fatal(err)
				}
				res, err := s.SaveLead(ctx, in, handoff.DefaultPolicy(), t0, handoff.ActorAPI)
				if err != nil {
					t.Fatal(err)
				}
				id := res.Lead.ID
				claim := func(user string, once handoff.Delivery) (*handoff.Lead, bool) {
					t.Helper()
					lead, won, err := s.ClaimLeadIf(ctx, id, handoff.Owner{Platform: "teams", UserID: user}, t0.Add(time.Minute), handoff.Policy{}, "teams:"+user, once,
						func(*handoff.Lead) error { return nil }, nil)
					if err != nil {
						t.Fatal(err)
					}
					return lead, won
				}
				count := func(query string) int { // of constants: no bind variables, which differ
					t.Helper()
					var n int
					if err := raw.QueryRow(query).Scan(&n); err != nil {
						t.Fatal(err)
					}
					return n
				}
				release := func(at time.Time, actor string) {
					t.Helper()
					if _, err := s.UpdateLead(ctx, id, at, func(l *handoff.Lead) (handoff.LeadChange, error) {
						return handoff.LeadChange{Events: l.Release(at, actor, nil)}, nil
					}); err != nil {
						t.Fatal(err)
					}
				}
				recorded := func(once handoff.Delivery) bool {
					return count("SELECT count(*) FROM processed_events WHERE source = 'teams' AND key = '"+once.Key+"'") == 1
				}

				if _, won := claim("rita", delivery("click-1")); !won || !recorded(delivery("click-1")) {
					t.Fatalf("first delivery: won %v, recorded %v; want both", won, recorded(delivery("click-1")))
				}
				if lead, won := claim("bob", delivery("click-2")); won || lead.Owner.UserID != "rita" || recorded(delivery("click-2")) {
					t.Fatalf("losing click: won %v, owner %q, recorded %v; want lost to rita, not recorded", won, lead.Owner.UserID, recorded(delivery("click-2")))
				}
				release(t0.Add(2*time.Minute), "teams:rita")
				if lead, won := claim("rita", delivery("click-1")); won || lead.Stage != handoff.StageSQL {
					t.Fatalf("delivery again after a release: won %v, stage %s; want nothing claimed", won, lead.Stage)
				}
				if _, won := claim("bob", delivery("click-3")); !won {
					t.Fatal("a new click did not claim the released lead")
				}
				if claims := testkit.ClaimEvents(t, s, id); claims != 2 {
					t.Fatalf("claimed events = %d, want 2 (rita's first delivery, bob's new click)", claims)
				}

				notice := handoff.OutboxMessage{Kind: handoff.OutboxPrivate, Platform: "teams", Payload: `{"user":"bob"}`}
				for _, once := range []handoff.Delivery{delivery("click-2"), delivery("click-2"), delivery("click-1"), {}, {}} {
					if err := s.EnqueueOnce(ctx, t0, once, notice); err != nil {
						t.Fatal(err)
					}
				}
				if notices := count("SELECT count(*) FROM outbox WHERE kind = '" + handoff.OutboxPrivate + "' AND payload = '" + notice.Payload + "'"); notices != 3 {
					t.Fatalf("notices queued = %d, want 3 (click-2's once, none for click-1's claim, both without a delivery)", notices)
				}

				// A click that wrote nothing (its owner's Claim) records its
				// delivery alone: delivered again after a release, it claims
				// nothing.
				if err := s.EnqueueOnce(ctx, t0, delivery("click-4")); err != nil || !recorded(delivery("click-4")) {
					t.Fatalf("a delivery without messages: err %v, recorded %v; want it recorded", err, recorded(delivery("click-4")))
				}
				release(t0.Add(3*time.Minute), "teams:bob")
				if lead, won := claim("bob", delivery("click-4")); won || lead.Stage != handoff.StageSQL {
					t.Fatalf("the owner's click again after a release: won %v, stage %s; want nothing claimed", won, lead.Stage)
				}
			})
		}
	}
}
