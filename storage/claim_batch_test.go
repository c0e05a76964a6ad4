package storage_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/internal/testkit"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// Claims that wait together for SQLite's writer are run as one batch:
// each claim's outcome is its own, the first claim of a lead wins it, and
// a lead that cannot be read fails only its own claim.
func TestClaimBatchOutcomesAreEachClaims(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		ids := map[string]int64{}
		for _, ext := range []string{"a", "corrupt", "c", "stale"} {
			res, err := s.SaveLead(ctx, input(t, map[string]any{"external_id": ext}), handoff.DefaultPolicy(), t0, handoff.ActorAPI)
			if err != nil {
				t.Fatal(err)
			}
			ids[ext] = res.Lead.ID
		}
		if err := s.Exec(ctx, fmt.Sprintf("UPDATE leads SET attributes = 'not json' WHERE id = %d", ids["corrupt"])); err != nil {
			t.Fatal(err)
		}
		rep := func(u string) handoff.Owner { return handoff.Owner{Platform: "slack", UserID: u} }
		claims := []storage.BatchClaim{
			{ID: ids["a"], Step: -1, Owner: rep("U1")},
			{ID: ids["a"], Step: -1, Owner: rep("U2")},
			{ID: ids["corrupt"], Step: -1, Owner: rep("U3")},
			{ID: ids["c"], Step: -1, Owner: rep("U4")},
			{ID: ids["stale"], Step: 5, Owner: rep("U5")}, // an offer that moved on
			{ID: 1 << 40, Step: -1, Owner: rep("U6")},     // no such lead
		}
		want := []struct {
			won   bool
			owner string // of the lead returned, "-" for none
			err   error
		}{
			{true, "U1", nil},
			{false, "-", nil}, // the lead as read: ClaimLead reads it again
			{false, "-", handoff.ErrCorrupt},
			{true, "U4", nil},
			{false, "-", nil},
			{false, "-", nil},
		}
		got := s.ClaimBatch(claims, t0.Add(time.Minute))
		for i, w := range want {
			g := got[i]
			owner := "-"
			if g.Lead != nil {
				owner = g.Lead.Owner.UserID
			}
			if g.Won != w.won || owner != w.owner || !errors.Is(g.Err, w.err) || (w.err == nil && g.Err != nil) {
				t.Errorf("claim %d: won %v, owner %s, err %v; want %v, %s, %v", i, g.Won, owner, g.Err, w.won, w.owner, w.err)
			}
		}
		for ext, owner := range map[string]string{"a": "U1", "c": "U4", "stale": ""} {
			lead, err := s.Lead(ctx, ids[ext])
			if err != nil {
				t.Fatal(err)
			}
			events, err := s.Events(ctx, lead.ID)
			if err != nil {
				t.Fatal(err)
			}
			claimed := 0
			for _, e := range events {
				if e.Stage == handoff.StageClaimed {
					claimed++
				}
			}
			if lead.Owner.UserID != owner || (owner == "") != (claimed == 0) || claimed > 1 {
				t.Errorf("lead %s: owner %q, %d claimed events; want %q", ext, lead.Owner.UserID, claimed, owner)
			}
			out, err := s.OutboxMessages(ctx, lead.ID)
			if err != nil {
				t.Fatal(err)
			}
			refresh := 0
			for _, m := range out {
				if m.Kind == handoff.OutboxRefreshLead {
					refresh++
				}
			}
			if (owner != "") != (refresh == 1) {
				t.Errorf("lead %s: %d lead.refresh messages", ext, refresh)
			}
		}
	})
}

// ClaimLeadIf queues welcome's messages in the claim's commit, for the
// lead as the claim left it, also when the lead changed between the read
// that allow checked and the claim; a losing click queues none.
func TestClaimLeadIfQueuesWelcome(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		welcome := func(l *handoff.Lead) []handoff.OutboxMessage {
			return []handoff.OutboxMessage{{Kind: handoff.OutboxDirect, LeadID: l.ID, Platform: "slack", Payload: l.Name + "/" + l.Owner.UserID}}
		}
		for _, changed := range []bool{false, true} {
			res, err := s.SaveLead(ctx, input(t, map[string]any{"external_id": fmt.Sprint("welcome-", changed), "name": "Ada"}), handoff.DefaultPolicy(), t0, handoff.ActorAPI)
			if err != nil {
				t.Fatal(err)
			}
			id := res.Lead.ID
			allow := func(*handoff.Lead) error {
				if !changed {
					return nil
				}
				changed = false // once
				_, err := s.UpdateLead(ctx, id, t0.Add(time.Second), func(l *handoff.Lead) (handoff.LeadChange, error) {
					l.Name = "Grace"
					return handoff.LeadChange{}, nil
				})
				return err
			}
			want := "Ada/U1"
			if changed {
				want = "Grace/U1"
			}
			for _, u := range []string{"U1", "U2"} {
				_, won, err := s.ClaimLeadIf(ctx, id, handoff.Owner{Platform: "slack", UserID: u}, t0.Add(time.Minute), handoff.Policy{}, "slack:"+u, handoff.Delivery{}, allow, welcome)
				if err != nil || won != (u == "U1") {
					t.Fatalf("claim by %s: won %v, err %v", u, won, err)
				}
			}
			msgs, err := s.OutboxMessages(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range msgs {
				if m.Kind == handoff.OutboxDirect {
					got = append(got, m.Payload)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint([]string{want}) {
				t.Errorf("welcome messages %q; want [%s]", got, want)
			}
		}
	})
}

// Two replicas on one PostgreSQL database, each batching the claims that
// wait together, racing on the same leads: every lead has exactly one
// winner, one claimed event and one welcome message, whichever batches
// the clicks met in.
func TestClaimBatchesAcrossReplicas(t *testing.T) {
	ctx := context.Background()
	stores := replicas(t, 2)
	var ins []handoff.LeadInput
	for i := range 40 {
		ins = append(ins, input(t, map[string]any{"external_id": fmt.Sprint("replica-", i)}))
	}
	res, _, err := stores[0].SaveLeads(ctx, ins, handoff.DefaultPolicy(), t0, handoff.ActorAPI)
	if err != nil {
		t.Fatal(err)
	}
	welcome := func(l *handoff.Lead) []handoff.OutboxMessage {
		return []handoff.OutboxMessage{{Kind: handoff.OutboxDirect, LeadID: l.ID, Platform: "slack", Payload: l.Owner.UserID}}
	}
	allow := func(*handoff.Lead) error { return nil }
	wins := make([]atomic.Int32, len(res))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for c := range 4 {
		for i, r := range res {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				user := fmt.Sprint("U", c)
				_, won, err := stores[c%2].ClaimLeadIf(ctx, r.Lead.ID, handoff.Owner{Platform: "slack", UserID: user}, t0.Add(time.Minute), handoff.Policy{}, "slack:"+user, handoff.Delivery{}, allow, welcome)
				if err != nil {
					t.Error(err)
				}
				if won {
					wins[i].Add(1)
				}
			}()
		}
	}
	close(start)
	wg.Wait()
	for i, r := range res {
		lead, err := stores[1].Lead(ctx, r.Lead.ID)
		if err != nil {
			t.Fatal(err)
		}
		claimed := testkit.ClaimEvents(t, stores[1], r.Lead.ID)
		msgs, err := stores[1].OutboxMessages(ctx, r.Lead.ID)
		if err != nil {
			t.Fatal(err)
		}
		var dms []string
		for _, m := range msgs {
			if m.Kind == handoff.OutboxDirect {
				dms = append(dms, m.Payload)
			}
		}
		if n := wins[i].Load(); n != 1 || claimed != 1 || len(dms) != 1 || dms[0] != lead.Owner.UserID {
			t.Errorf("lead %d: %d winners, %d claimed events, welcome messages %q for owner %q; want one each, to the owner", i, n, claimed, dms, lead.Owner.UserID)
		}
	}
}

// Clicks racing on one lead in one process render the welcome once, the
// winner's: the others wait for its claim and read the claimed lead.
func TestLosingClicksRenderNoWelcome(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		for round := range 5 {
			res, err := s.SaveLead(ctx, input(t, map[string]any{"external_id": fmt.Sprint("renders-", round)}), handoff.DefaultPolicy(), t0, handoff.ActorAPI)
			if err != nil {
				t.Fatal(err)
			}
			var rendered, wins atomic.Int32
			welcome := func(l *handoff.Lead) []handoff.OutboxMessage {
				rendered.Add(1)
				return []handoff.OutboxMessage{{Kind: handoff.OutboxDirect, LeadID: l.ID, Platform: "slack", Payload: l.Owner.UserID}}
			}
			allow := func(*handoff.Lead) error { return nil }
			start := make(chan struct{})
			var wg sync.WaitGroup
			for c := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					user := fmt.Sprint("U", c)
					lead, won, err := s.ClaimLeadIf(ctx, res.Lead.ID, handoff.Owner{Platform: "slack", UserID: user}, t0.Add(time.Minute), handoff.Policy{}, "slack:"+user, handoff.Delivery{}, allow, welcome)
					if err != nil || lead.Stage != handoff.StageClaimed {
						t.Errorf("claim by %s: %v, %v", user, lead, err)
					}
					if won {
						wins.Add(1)
					}
				}()
			}
			close(start)
			wg.Wait()
			if wins.Load() != 1 || rendered.Load() != 1 {
				t.Errorf("round %d: %d winners, welcome rendered %d times; want 1 and 1", round, wins.Load(), rendered.Load())
			}
		}
	})
}
