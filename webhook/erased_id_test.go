package webhook_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/internal/webhooktest"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
	"github.com/handoff/handoff/webhook"
)

// A lead.erased message tells the endpoint, which earlier messages told
// of the lead by its external id (a CRM's record id), which record to
// erase: data.details.external_id is the id the lead had, beside
// Handoff's own id (data.lead.id) that every message carries; an id that
// is an email address is not repeated. Once the message is delivered, the
// outbox keeps nothing of the id.
func TestErasedTellsTheFormerID(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		snd, rcv, _ := setup(t, s, []handoff.WebhookEvent{handoff.WebhookErased})
		crm, byEmail := newLead(t, s, "hs-7001", t0), newLead(t, s, "ann@berg.dk", t0)
		for _, id := range []string{"hs-7001", "ann@berg.dk"} {
			if err := s.ForgetLead(ctx, id, handoff.DefaultPolicy(), t0); err != nil {
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

		if found, err := s.FindText(ctx, "hs-7001"); err != nil || len(found) > 0 {
			t.Errorf("after delivery hs-7001 is still in %v (%v)", found, err)
		}
	})
}

// A lead.erased message that died (refused, or given up after 24 hours
// of failures) keeps the former id it was to tell, and only there, so
// that `handoff outbox retry` sends it as it was first sent; once the
// retried message is delivered, or the dead one dropped, nothing holds
// the id.
func TestRetriedErasedTellsTheFormerID(t *testing.T) {
	for _, tc := range []struct {
		name  string
		dies  func(c *clock, rcv *webhooktest.Receiver, run func())
		retry bool // else the dead message is dropped
	}{
		{"RefusedRetried", refused, true},
		{"GivenUpRetried", givenUp, true},
		{"RefusedDropped", refused, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			storagetest.Each(t, func(t *testing.T, s *storage.Store) {
				ctx := context.Background()
				snd, rcv, c := setup(t, s, []handoff.WebhookEvent{handoff.WebhookErased})
				run := func() {
					t.Helper()
					if _, err := snd.RunOnce(ctx); err != nil {
						t.Fatal(err)
					}
				}
				l := newLead(t, s, "hs-7002", t0)
				if err := s.ForgetLead(ctx, "hs-7002", handoff.DefaultPolicy(), t0); err != nil {
					t.Fatal(err)
				}
				tc.dies(c, rcv, run)
				dead, err := s.DeadOutbox(ctx, 0)
				if err != nil || len(dead) != 1 {
					t.Fatalf("dead = %+v, %v; want the lead.erased message", dead, err)
				}
				if found, err := s.FindText(ctx, "hs-7002"); err != nil || !slices.Equal(found, []string{"outbox.payload"}) {
					t.Errorf("the dead message's former id is in %v (%v), want only in its payload", found, err)
				}
				if tc.retry {
					if n, err := s.RetryDeadOutbox(ctx, c.now(), dead[0].ID); n != 1 || err != nil {
						t.Fatalf("retry = %d, %v", n, err)
					}
					run()
					got, _, _ := rcv.Got()
					if len(got) != 1 {
						t.Fatalf("%d deliveries after the retry, want the lead.erased message", len(got))
					}
					data, _ := got[0].Body["data"].(map[string]any)
					lead, _ := data["lead"].(map[string]any)
					details, _ := data["details"].(map[string]any)
					if lead["id"] != float64(l.ID) || details[handoff.ErasedIDDetail] != "hs-7002" {
						t.Errorf("the retried lead.erased of lead %v tells %v, want lead %d's former id hs-7002", lead["id"], details[handoff.ErasedIDDetail], l.ID)
					}
				} else if n, err := s.DropDeadOutbox(ctx, dead[0].ID); n != 1 || err != nil {
					t.Fatalf("drop = %d, %v", n, err)
				}
				if found, err := s.FindText(ctx, "hs-7002"); err != nil || len(found) > 0 {
					t.Errorf("afterwards hs-7002 is still in %v (%v)", found, err)
				}
			})
		})
	}
}

// refused has the endpoint refuse the next message: it is dead at once.
func refused(_ *clock, rcv *webhooktest.Receiver, run func()) {
	rcv.Script(400)
	run()
}

// givenUp has the endpoint fail the next message for over 24 hours: it
// is given up.
func givenUp(c *clock, rcv *webhooktest.Receiver, run func()) {
	rcv.Script(503, 503)
	run()
	c.add(webhook.GiveUpAfter + time.Minute)
	run()
}
