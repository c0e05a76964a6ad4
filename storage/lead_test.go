package storage_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

var t0 = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

func input(t *testing.T, raw map[string]any) handoff.LeadInput {
	t.Helper()
	in, err := handoff.ParseLeadInput(raw, t0)
	if err != nil {
		t.Fatalf("ParseLeadInput(%v): %v", raw, err)
	}
	return in
}

func stages(events []handoff.Event) []handoff.Stage {
	var out []handoff.Stage
	for _, e := range events {
		out = append(out, e.Stage)
	}
	return out
}

func TestSaveLead(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		policy := handoff.DefaultPolicy()

		t.Run("NewSQLWithImpliedStages", func(t *testing.T) {
			res, err := s.SaveLead(ctx, input(t, map[string]any{"external_id": "hs-1", "email": "Ann@Example.com", "company": "Acme", "score": 80.0, "utm": "x"}), policy, t0, handoff.ActorAPI)
			if err != nil {
				t.Fatal(err)
			}
			if !res.Created || !res.Changed {
				t.Fatalf("created=%v changed=%v, want both", res.Created, res.Changed)
			}
			got, err := s.LeadByExternalID(ctx, "hs-1")
			if err != nil {
				t.Fatal(err)
			}
			if got.Stage != handoff.StageSQL || got.Email != "ann@example.com" || got.Score != 80 || got.Attributes["utm"] != "x" {
				t.Fatalf("stored lead = %+v", got)
			}
			if got.ContactDueAt == nil || !got.ContactDueAt.Equal(t0.Add(48*time.Hour)) {
				t.Fatalf("contact due = %v, want %v", got.ContactDueAt, t0.Add(48*time.Hour))
			}
			events, err := s.Events(ctx, got.ID)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(stages(events)) != "[lead mql sql]" {
				t.Fatalf("events = %v, want [lead mql sql]", stages(events))
			}
			out, err := s.OutboxMessages(ctx, got.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(out) != 1 || out[0].Kind != handoff.OutboxAnnounceLead {
				t.Fatalf("outbox = %+v, want one announcement", out)
			}
		})

		t.Run("RepeatChangesNothing", func(t *testing.T) {
			in := input(t, map[string]any{"external_id": "hs-2", "name": "Bo"})
			if _, err := s.SaveLead(ctx, in, policy, t0, handoff.ActorAPI); err != nil {
				t.Fatal(err)
			}
			res, err := s.SaveLead(ctx, in, policy, t0.Add(time.Minute), handoff.ActorAPI)
			if err != nil {
				t.Fatal(err)
			}
			if res.Created || res.Changed {
				t.Fatalf("repeat: created=%v changed=%v, want neither", res.Created, res.Changed)
			}
			events, _ := s.Events(ctx, res.Lead.ID)
			out, _ := s.OutboxMessages(ctx, res.Lead.ID)
			if len(events) != 3 || len(out) != 1 {
				t.Fatalf("repeat wrote: %d events, %d outbox; want 3 and 1", len(events), len(out))
			}
		})

		t.Run("BackwardsIsConflict", func(t *testing.T) {
			if _, err := s.SaveLead(ctx, input(t, map[string]any{"external_id": "hs-3", "stage": "contacted"}), policy, t0, handoff.ActorAPI); err != nil {
				t.Fatal(err)
			}
			_, err := s.SaveLead(ctx, input(t, map[string]any{"external_id": "hs-3", "stage": "mql", "name": "changed"}), policy, t0, handoff.ActorAPI)
			if handoff.ErrorCode(err) != handoff.ECONFLICT {
				t.Fatalf("err = %v, want conflict", err)
			}
			got, _ := s.LeadByExternalID(ctx, "hs-3")
			if got.Stage != handoff.StageContacted || got.Name != "" {
				t.Fatalf("conflict wrote something: %+v", got)
			}
		})

		t.Run("RecycleThenRequalify", func(t *testing.T) {
			ext := "hs-4"
			steps := []map[string]any{
				{"external_id": ext, "stage": "sql"},
				{"external_id": ext, "stage": "recycled", "reason": "no budget"},
				{"external_id": ext, "stage": "sql"},
			}
			for i, raw := range steps {
				if _, err := s.SaveLead(ctx, input(t, raw), policy, t0.Add(time.Duration(i)*time.Hour), handoff.ActorAPI); err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
			}
			got, _ := s.LeadByExternalID(ctx, ext)
			events, _ := s.Events(ctx, got.ID)
			if fmt.Sprint(stages(events)) != "[lead mql sql recycled sql]" {
				t.Fatalf("events = %v", stages(events))
			}
			// An SQL again has no reason; its return keeps it.
			if got.Reason != "" || events[3].Details["reason"] != "no budget" || !got.SQLAt.Equal(t0.Add(2*time.Hour)) {
				t.Fatalf("lead = reason %q (recycled for %q) sql_at %v", got.Reason, events[3].Details["reason"], got.SQLAt)
			}
			out, _ := s.OutboxMessages(ctx, got.ID)
			if len(out) != 3 || out[0].Kind != handoff.OutboxAnnounceLead || out[2].Kind != handoff.OutboxAnnounceLead {
				t.Fatalf("outbox kinds = %+v, want announce, refresh, announce", out)
			}
		})

		t.Run("NotFound", func(t *testing.T) {
			_, err := s.LeadByExternalID(ctx, "nope")
			if handoff.ErrorCode(err) != handoff.ENOTFOUND {
				t.Fatalf("err = %v, want not found", err)
			}
		})
	})
}

func TestSaveLeadConcurrentDuplicates(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		var wg sync.WaitGroup
		created := make(chan bool, 16)
		for i := 0; i < 16; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := s.SaveLead(ctx, input(t, map[string]any{"external_id": "dup", "company": "Acme"}), handoff.DefaultPolicy(), t0, handoff.ActorAPI)
				if err != nil {
					t.Error(err)
					return
				}
				created <- res.Created
			}()
		}
		wg.Wait()
		close(created)
		n := 0
		for c := range created {
			if c {
				n++
			}
		}
		lead, err := s.LeadByExternalID(ctx, "dup")
		if err != nil {
			t.Fatal(err)
		}
		events, _ := s.Events(ctx, lead.ID)
		out, _ := s.OutboxMessages(ctx, lead.ID)
		if n != 1 || len(events) != 3 || len(out) != 1 {
			t.Fatalf("created %d times, %d events, %d outbox; want 1, 3, 1", n, len(events), len(out))
		}
	})
}

func TestClaimLeadRace(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		res, err := s.SaveLead(ctx, input(t, map[string]any{"external_id": "race"}), handoff.DefaultPolicy(), t0, handoff.ActorAPI)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		wins := make(chan string, 8)
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				user := fmt.Sprintf("U%d", i)
				lead, won, err := s.ClaimLead(ctx, res.Lead.ID, handoff.Owner{Platform: "slack", UserID: user}, t0.Add(time.Minute), handoff.Policy{}, "slack:"+user)
				if err != nil {
					t.Error(err)
					return
				}
				if lead.Stage != handoff.StageClaimed {
					t.Errorf("after claim stage = %s", lead.Stage)
				}
				if won {
					wins <- user
				}
			}(i)
		}
		wg.Wait()
		close(wins)
		var winners []string
		for w := range wins {
			winners = append(winners, w)
		}
		lead, _ := s.Lead(ctx, res.Lead.ID)
		if len(winners) != 1 || lead.Owner.UserID != winners[0] {
			t.Fatalf("winners = %v, owner = %q; want exactly one, the owner", winners, lead.Owner.UserID)
		}
		events, _ := s.Events(ctx, lead.ID)
		if fmt.Sprint(stages(events)) != "[lead mql sql claimed]" {
			t.Fatalf("events = %v", stages(events))
		}
	})
}

func TestClaimAfterDueIsBreach(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		res, err := s.SaveLead(ctx, input(t, map[string]any{"external_id": "late"}), handoff.DefaultPolicy(), t0, handoff.ActorAPI)
		if err != nil {
			t.Fatal(err)
		}
		lead, won, err := s.ClaimLead(ctx, res.Lead.ID, handoff.Owner{Platform: "slack", UserID: "U1"}, t0.Add(3*time.Hour), handoff.Policy{}, "slack:U1")
		if err != nil || !won {
			t.Fatalf("claim: won=%v err=%v", won, err)
		}
		if !lead.SLABreached {
			t.Fatal("claim 3h after a 2h claim deadline is not marked breached")
		}
	})
}

func TestOutboxLease(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		if err := s.Enqueue(ctx, t0, handoff.OutboxMessage{Kind: "x"}, handoff.OutboxMessage{Kind: "y", Due: t0.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		got, err := s.TakeOutbox(ctx, t0, 10, time.Minute, "w1")
		if err != nil || len(got) != 1 || got[0].Kind != "x" || got[0].Attempts != 1 {
			t.Fatalf("take = %+v, %v; want x once", got, err)
		}
		again, _ := s.TakeOutbox(ctx, t0.Add(30*time.Second), 10, time.Minute, "w2")
		if len(again) != 0 {
			t.Fatalf("leased message taken twice: %+v", again)
		}
		expired, _ := s.TakeOutbox(ctx, t0.Add(2*time.Minute), 10, time.Minute, "w2")
		if len(expired) != 1 || expired[0].Attempts != 2 {
			t.Fatalf("after lease end = %+v; want x again", expired)
		}
		if err := s.CompleteOutbox(ctx, expired[0], t0, "ts1", handoff.ChatPost{LeadID: 7, Platform: "slack", Channel: "C1", MessageID: "ts1"}); err != nil {
			t.Fatal(err)
		}
		next, ok, err := s.NextOutboxDueFor(ctx, "w2", t0)
		if err != nil || !ok || !next.Equal(t0.Add(time.Hour)) {
			t.Fatalf("next due = %v %v %v, want %v", next, ok, err, t0.Add(time.Hour))
		}
		id, err := s.LeadByPost(ctx, "slack", "ts1")
		if err != nil || id != 7 {
			t.Fatalf("lead by post = %d, %v", id, err)
		}
	})
}

func TestSaveLeadsBatch(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		ins := []handoff.LeadInput{
			input(t, map[string]any{"external_id": "b1", "name": "First"}),
			input(t, map[string]any{"external_id": "b1", "stage": "contacted"}),
			input(t, map[string]any{"external_id": "b2", "stage": "mql"}),
			input(t, map[string]any{"external_id": "b1", "stage": "mql", "name": "Backwards"}),
			input(t, map[string]any{"external_id": "b2", "stage": "mql"}),
		}
		results, errs, err := s.SaveLeads(ctx, ins, handoff.DefaultPolicy(), t0, handoff.ActorImport)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for i, r := range results {
			switch {
			case errs[i] != nil:
				got = append(got, handoff.ErrorCode(errs[i]))
			case r.Created:
				got = append(got, "created")
			case r.Changed:
				got = append(got, "updated")
			default:
				got = append(got, "unchanged")
			}
		}
		if fmt.Sprint(got) != "[created updated created conflict unchanged]" {
			t.Fatalf("results = %v", got)
		}
		b1, _ := s.LeadByExternalID(ctx, "b1")
		events, _ := s.Events(ctx, b1.ID)
		if b1.Stage != handoff.StageContacted || b1.Name != "First" || fmt.Sprint(stages(events)) != "[lead mql sql claimed contacted]" {
			t.Fatalf("b1 = %s %q %v", b1.Stage, b1.Name, stages(events))
		}
		out, _ := s.OutboxMessages(ctx, b1.ID)
		if len(out) != 2 || out[0].Kind != handoff.OutboxAnnounceLead || out[1].Kind != handoff.OutboxRefreshLead {
			t.Fatalf("b1 outbox = %+v", out)
		}
		b2, _ := s.LeadByExternalID(ctx, "b2")
		if out, _ := s.OutboxMessages(ctx, b2.ID); len(out) != 0 {
			t.Fatalf("an MQL was queued for chat: %+v", out)
		}
	})
}

// Concurrent writers whose leads overlap, each in another order, share
// groups (and on PostgreSQL two committers): every lead is created once,
// with its events and announcement once.
func TestSaveLeadConcurrentOverlapping(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		const writers, leads = 8, 12
		var wg sync.WaitGroup
		created := make(chan string, writers*leads)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := range leads {
					id := fmt.Sprintf("overlap-%d", (k+w*5)%leads)
					if w%2 == 1 {
						id = fmt.Sprintf("overlap-%d", (leads-1-k+w)%leads)
					}
					res, err := s.SaveLead(ctx, input(t, map[string]any{"external_id": id, "company": "Acme"}), handoff.DefaultPolicy(), t0, handoff.ActorAPI)
					if err != nil {
						t.Error(err)
						return
					}
					if res.Created {
						created <- id
					}
				}
			}()
		}
		wg.Wait()
		close(created)
		seen := map[string]int{}
		for id := range created {
			seen[id]++
		}
		for k := range leads {
			id := fmt.Sprintf("overlap-%d", k)
			lead, err := s.LeadByExternalID(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			events, _ := s.Events(ctx, lead.ID)
			out, _ := s.OutboxMessages(ctx, lead.ID)
			if seen[id] != 1 || len(events) != 3 || len(out) != 1 {
				t.Errorf("%s: created %d times, %d events, %d outbox; want 1, 3, 1", id, seen[id], len(events), len(out))
			}
		}
	})
}
