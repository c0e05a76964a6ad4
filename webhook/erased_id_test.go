package webhook_test

import (
	"context"
	"testing"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// A lead.erased message tells the endpoint, which earlier messages told
// of the lead by its external id (a CRM's record id), which record to
// erase: data.details.external_id is the id the lead had, beside
// Handoff's own id (data.lead.id) that every message carries; an id that
// is an email address is not repeated. Once the message is delivered, or
// dead, the outbox keeps nothing of the id, its error included.
func TestErasedTellsTheFormerID(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		snd, rcv, _ := setup(t, s, []handoff.WebhookEvent{handoff.WebhookErased})
		crm, byEmail := newLead(t, s, "hs-7001", t0), newLead(t, s, "ann@berg.dk", t0)
		for _, id := range []string{"hs-7001", "ann@berg.dk"} {
			if err := s.ForgetLead(ctx, id, t0); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := snd.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		got, _, _ := rcv.Got()
		if len(got) != 2 {
			t.Fatalf("%d deliveries, want 2: %+v", len(got), got)
		}
		told := map[float64]any{} // lead id: the former id told
		for _, d := range got {
			data, _ := d.Body["data"].(map[string]any)
			lead, _ := data["lead"].(map[string]any)
			details, _ := data["details"].(map[string]any)
			told[lead["id"].(float64)] = details[handoff.ErasedIDDetail]
		}
		if told[float64(crm.ID)] != "hs-7001" {
			t.Errorf("lead.erased of hs-7001 tells %v, want its former id hs-7001 (all: %v)", told[float64(crm.ID)], got)
		}
		if v, ok := told[float64(byEmail.ID)]; !ok || v != nil {
			t.Errorf("lead.erased of an email id tells %v (delivered: %v), want it not repeated", v, ok)
		}

		rcv.Script(400, 400) // the next message is refused: dead
		newLead(t, s, "hs-7002", t0)
		if err := s.ForgetLead(ctx, "hs-7002", t0); err != nil {
			t.Fatal(err)
		}
		if _, err := snd.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if st, _ := s.OutboxStats(ctx); st.Dead != 1 {
			t.Fatalf("%d dead messages, want the refused lead.erased", st.Dead)
		}
		for _, id := range []string{"hs-7001", "hs-7002"} {
			if found, err := s.FindText(ctx, id); err != nil || len(found) > 0 {
				t.Errorf("after delivery %s is still in %v (%v)", id, found, err)
			}
		}
	})
}
