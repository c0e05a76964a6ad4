package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestRecycledLeadCreditsItsRep: a rep who claimed and contacted an SQL in
// time and then sent it back to marketing keeps the claim, the contact and
// the SLA outcome in the digest's per-rep table, in /sla's and in their
// /funnel, rather than the digest listing them under "nobody (never
// claimed)".
func TestRecycledLeadCreditsItsRep(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		policy := handoff.DefaultPolicy()
		rep := handoff.Owner{Platform: "slack", UserID: "UANDERS"}
		monday := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
		save := func(fields map[string]any, at time.Time) *handoff.Lead {
			t.Helper()
			res, err := s.SaveLead(ctx, input(t, fields), policy, at, handoff.ActorAPI)
			if err != nil {
				t.Fatal(err)
			}
			return res.Lead
		}
		l := save(map[string]any{"external_id": "recycled-1", "name": "Dorthe Krogh"}, monday)
		if _, won, err := s.ClaimLead(ctx, l.ID, rep, monday.Add(15*time.Minute), handoff.Policy{}, "slack:UANDERS"); err != nil || !won {
			t.Fatalf("claim: won %v, %v", won, err)
		}
		save(map[string]any{"external_id": "recycled-1", "stage": "contacted"}, monday.Add(2*time.Hour))
		l = save(map[string]any{"external_id": "recycled-1", "stage": "recycled", "reason": "no budget before Q3"}, monday.Add(3*time.Hour))
		if l.Stage != handoff.StageRecycled || l.Owner != rep {
			t.Errorf("recycled lead: %s owned by %+v, want recycled owned by %+v", l.Stage, l.Owner, rep)
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
		if len(acts) != 1 || acts[0].Owner != rep || acts[0].Claimed != 1 || acts[0].Contacted != 1 || acts[0].Met != 1 {
			t.Errorf("digest per rep = %+v, want only %s with 1 claimed, 1 contacted, 1 in time", acts, rep.UserID)
		}
		byRep, err := s.SLAByRep(ctx, week, now)
		if err != nil {
			t.Fatal(err)
		}
		if len(byRep) != 1 || byRep[0].Owner != rep || byRep[0].Met != 1 {
			t.Errorf("/sla per rep = %+v, want only %s with 1 in time", byRep, rep.UserID)
		}
		c, err := s.FunnelCounts(ctx, handoff.FunnelFilter{Period: week, Owner: rep.UserID, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		if c.SQLs != 1 || c.Claimed != 1 || c.Contacted != 1 || c.Recycled != 1 {
			t.Errorf("/funnel for %s: SQLs %d, claimed %d, contacted %d, recycled %d, want 1 each", rep.UserID, c.SQLs, c.Claimed, c.Contacted, c.Recycled)
		}

		// Back as an SQL, it is unclaimed again: a new cycle for whoever claims it.
		l = save(map[string]any{"external_id": "recycled-1", "stage": "sql"}, monday.Add(7*24*time.Hour))
		if !l.Owner.IsZero() || l.ClaimedAt != nil {
			t.Errorf("an SQL again: owner %+v claimed at %v, want neither", l.Owner, l.ClaimedAt)
		}
	})
}
