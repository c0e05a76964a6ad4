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

// An erased lead's anonymous id ("erased-<n>", which GET and the lead
// lists show) posted again as a lead's external id must not write a
// person's data into the erased row, where no erasure reaches it: the
// data posted is erased by the next erasure of that email.
func TestPostingAnErasedIDKeepsNoPersonalData(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		policy := handoff.DefaultPolicy()
		res, err := s.SaveLead(ctx, input(t, map[string]any{"external_id": "p1", "name": "Ann", "email": "ann@acme.dk"}), policy, t0, handoff.ActorAPI)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.ForgetLead(ctx, "p1", policy, t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		anon := fmt.Sprintf("erased-%d", res.Lead.ID)
		saveOrRefuse(t, s, map[string]any{"external_id": anon, "name": "Bo Holm", "email": "bo@holm.dk", "stage": "sql"}, t0.Add(2*time.Minute))
		n, err := s.ForgetEmail(ctx, "bo@holm.dk", policy, t0.Add(3*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if found, err := s.FindText(ctx, "bo@holm.dk"); err != nil || len(found) > 0 {
			t.Errorf("after ForgetEmail (erased %d) bo@holm.dk is still in %v (%v)", n, found, err)
		}
		if found, _ := s.FindText(ctx, "Bo Holm"); len(found) > 0 {
			t.Errorf("after ForgetEmail the name is still in %v", found)
		}
	})
}

// A lead whose external id happens to be another lead's future anonymous
// id ("erased-<its id>") must not stop that lead's erasure, nor the
// retention purge of every lead erased with it.
func TestErasedIDTakenStopsNoErasure(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		policy := handoff.DefaultPolicy()
		var ids []int64
		for _, ext := range []string{"a1", "a2"} {
			res, err := s.SaveLead(ctx, input(t, map[string]any{"external_id": ext, "name": "Ann " + ext, "email": ext + "@acme.dk"}), policy, t0, handoff.ActorAPI)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, res.Lead.ID)
		}
		taken := fmt.Sprintf("erased-%d", ids[1])
		saveOrRefuse(t, s, map[string]any{"external_id": taken, "name": "Cy"}, t0.AddDate(0, 0, 10))
		n, err := s.PurgeExpired(ctx, t0.AddDate(0, 0, 5), policy, t0.AddDate(0, 0, 20))
		if err != nil || n != 2 {
			t.Fatalf("purge = %d, %v; want both expired leads erased", n, err)
		}
		for _, text := range []string{"a1@acme.dk", "a2@acme.dk"} {
			if found, _ := s.FindText(ctx, text); len(found) > 0 {
				t.Errorf("after the purge %s is still in %v", text, found)
			}
		}
	})
}

// saveOrRefuse saves raw as the API does; a refusal (by validation or by
// the store) is fine and logged.
func saveOrRefuse(t *testing.T, s *storage.Store, raw map[string]any, now time.Time) {
	t.Helper()
	in, err := handoff.ParseLeadInput(raw, now)
	if err == nil {
		_, err = s.SaveLead(context.Background(), in, handoff.DefaultPolicy(), now, handoff.ActorAPI)
	}
	if err != nil {
		t.Logf("posting %v: %v", raw["external_id"], err)
	}
}

// Activities sent to an erased lead's anonymous id are refused: what a
// person did on the website (URLs) must not gather on a lead no erasure
// reaches any more.
func TestActivitiesOfAnErasedLeadRefused(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		policy := handoff.DefaultPolicy()
		res, err := s.SaveLead(ctx, input(t, map[string]any{"external_id": "v1", "name": "Ann", "email": "ann@acme.dk"}), policy, t0, handoff.ActorAPI)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.ForgetLead(ctx, "v1", policy, t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		url := "https://acme.example/thanks?email=ann.berg%40acme.dk"
		anon := fmt.Sprintf("erased-%d", res.Lead.ID)
		_, err = s.SaveActivities(ctx, anon, []handoff.Activity{{Type: "page_view", URL: url, OccurredAt: t0.Add(2 * time.Minute)}}, policy, t0.Add(2*time.Minute))
		if handoff.ErrorCode(err) != handoff.ENOTFOUND {
			t.Errorf("activities of the erased lead %s: %v, want ENOTFOUND", anon, err)
		}
		if found, _ := s.FindText(ctx, url); len(found) > 0 {
			t.Errorf("the erased lead holds the activity's URL in %v", found)
		}
	})
}
