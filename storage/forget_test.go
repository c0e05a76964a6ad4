package storage_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

func TestForget(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		policy := handoff.DefaultPolicy()
		for _, raw := range []map[string]any{
			{"external_id": "p1", "email": "ann@acme.dk", "name": "Ann", "phone": "+45 1234", "company": "Acme", "linkedin": "ann-b"},
			{"external_id": "p1", "stage": "recycled", "reason": "Ann is on leave"},
			{"external_id": "p2", "email": "ann@acme.dk", "name": "Ann again"},
			{"external_id": "p3", "email": "bo@beta.dk", "name": "Bo"},
		} {
			if _, err := s.SaveLead(ctx, input(t, raw), policy, t0, handoff.ActorAPI); err != nil {
				t.Fatal(err)
			}
		}
		before, _ := s.LeadByExternalID(ctx, "p1")
		n, err := s.ForgetEmail(ctx, "Ann@Acme.dk", t0.Add(time.Hour))
		if err != nil || n != 2 {
			t.Fatalf("ForgetEmail = %d, %v; want 2", n, err)
		}
		if _, err := s.LeadByExternalID(ctx, "p1"); handoff.ErrorCode(err) != handoff.ENOTFOUND {
			t.Fatalf("erased lead still found by its external id: %v", err)
		}
		after, err := s.Lead(ctx, before.ID)
		if err != nil {
			t.Fatal(err)
		}
		if after.Name != "" || after.Email != "" || after.Phone != "" || after.Reason != "" || after.Attributes != nil {
			t.Fatalf("personal data left: %+v", after)
		}
		if after.Company != "Acme" || after.Stage != handoff.StageRecycled {
			t.Fatalf("non-personal data lost: %+v", after)
		}
		events, _ := s.Events(ctx, before.ID)
		var kinds []string
		for _, e := range events {
			kinds = append(kinds, string(e.Kind)+":"+string(e.Stage))
			if e.Details["reason"] != "" {
				t.Fatalf("event keeps free text: %+v", e)
			}
		}
		if fmt.Sprint(kinds) != "[stage:lead stage:mql stage:sql stage:recycled erased:recycled]" {
			t.Fatalf("history = %v", kinds)
		}
		if bo, err := s.LeadByExternalID(ctx, "p3"); err != nil || bo.Name != "Bo" {
			t.Fatalf("another lead was touched: %+v %v", bo, err)
		}
		if err := s.ForgetLead(ctx, "nope", t0); handoff.ErrorCode(err) != handoff.ENOTFOUND {
			t.Fatalf("forget unknown = %v", err)
		}
	})
}

func TestPurgeExpired(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		policy := handoff.DefaultPolicy()
		s.SaveLead(ctx, input(t, map[string]any{"external_id": "old", "name": "Old"}), policy, t0, handoff.ActorAPI)
		s.SaveLead(ctx, input(t, map[string]any{"external_id": "new", "name": "New"}), policy, t0.AddDate(0, 0, 10), handoff.ActorAPI)
		n, err := s.PurgeExpired(ctx, t0.AddDate(0, 0, 5), t0.AddDate(0, 0, 20))
		if err != nil || n != 1 {
			t.Fatalf("purge = %d, %v; want 1", n, err)
		}
		if n, _ := s.PurgeExpired(ctx, t0.AddDate(0, 0, 5), t0.AddDate(0, 0, 21)); n != 0 {
			t.Fatalf("second purge erased %d again", n)
		}
		if l, err := s.LeadByExternalID(ctx, "new"); err != nil || l.Name != "New" {
			t.Fatalf("recent lead purged: %+v %v", l, err)
		}
	})
}

// TestPurgeErasesACorruptRecord plants event details that no longer decode
// (written by an older version) on an expired lead: the daily purge still
// erases it and every other expired lead, instead of failing for all of
// them every day.
func TestPurgeErasesACorruptRecord(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			s, raw := storagetest.OpenRaw(t, dialect)
			policy := handoff.DefaultPolicy()
			var ids []int64
			for _, ext := range []string{"corrupt", "fine"} {
				res, err := s.SaveLead(ctx, input(t, map[string]any{"external_id": ext, "name": "Ann", "stage": "recycled", "reason": "Ann is on leave"}), policy, t0, handoff.ActorAPI)
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, res.Lead.ID)
			}
			if _, err := raw.Exec(fmt.Sprintf(`UPDATE lead_events SET details = '{"reason": "Ann is' WHERE lead_id = %d AND details <> ''`, ids[0])); err != nil {
				t.Fatal(err)
			}
			n, err := s.PurgeExpired(ctx, t0.AddDate(0, 0, 5), t0.AddDate(0, 0, 20))
			if err != nil || n != 2 {
				t.Fatalf("purge = %d, %v; want both leads erased", n, err)
			}
			var left int
			if err := raw.QueryRow(`SELECT COUNT(*) FROM lead_events WHERE details LIKE '%Ann%'`).Scan(&left); err != nil {
				t.Fatal(err)
			}
			if left != 0 {
				t.Fatalf("%d events still hold the reason", left)
			}
		})
	}
}
