package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// A rep is one row in the per-rep tables however their leads learnt their
// email: the email of a claim is looked up after it (and a reassign's
// lookup gives up after a second), so one rep's leads may carry their email
// or none. The digest's per-rep table and /sla list Ann twice, and her
// Home tab's week shows only one of the halves.
func TestRepIsOneRowWhateverEmailTheirLeadsLearnt(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		policy := handoff.DefaultPolicy()
		monday := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
		var ids []int64
		for i, owner := range []handoff.Owner{
			{Platform: "slack", UserID: "UANN"},                       // the lookup failed
			{Platform: "slack", UserID: "UANN", Email: "ann@berg.dk"}, // the lookup found it
		} {
			res, err := s.SaveLead(ctx, input(t, map[string]any{"external_id": []string{"split-1", "split-2"}[i]}), policy, monday, handoff.ActorAPI)
			if err != nil {
				t.Fatal(err)
			}
			if _, won, err := s.ClaimLead(ctx, res.Lead.ID, owner, monday.Add(time.Duration(i+1)*time.Minute), handoff.Policy{}, "slack:UANN"); err != nil || !won {
				t.Fatalf("claim: won %v, %v", won, err)
			}
			ids = append(ids, res.Lead.ID)
		}
		now := monday.Add(4 * 24 * time.Hour)
		week, err := handoff.ParsePeriod("2026-W48", now, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		acts, err := s.RepActivity(ctx, week, now)
		if err != nil {
			t.Fatal(err)
		}
		byRep, err := s.SLAByRep(ctx, week, now)
		if err != nil {
			t.Fatal(err)
		}
		if len(acts) != 1 || acts[0].Claimed != 2 || acts[0].Breached != 2 || len(byRep) != 1 || byRep[0].Breached != 2 {
			t.Errorf("Ann claimed 2 leads and breached both: digest per rep %+v, /sla per rep %+v; want one row for slack:UANN with 2 claimed, 2 breached", acts, byRep)
		}
	})
}
