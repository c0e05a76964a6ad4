package webhook_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/internal/webhooktest"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
	"github.com/handoff/handoff/webhook"
)

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

var t0 = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func setup(t *testing.T, s *storage.Store, events []handoff.WebhookEvent, script ...int) (*webhook.Sender, *webhooktest.Receiver, *clock) {
	c := &clock{t: t0}
	rcv := webhooktest.New(t, secret, c.now, script...)
	eps := []webhook.Endpoint{{URL: rcv.URL + "/hooks/handoff", Secret: secret, Events: events}}
	s.RouteWebhooks(webhook.Routes(eps))
	return &webhook.Sender{Store: s, Endpoints: eps, Now: c.now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, rcv, c
}

func newLead(t *testing.T, s *storage.Store, id string, now time.Time) *handoff.Lead {
	in, err := handoff.ParseLeadInput(map[string]any{"external_id": id, "name": "Ann Berg", "email": "ann@berg.dk"}, now)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.SaveLead(context.Background(), in, handoff.DefaultPolicy(), now, "marketing")
	if err != nil {
		t.Fatal(err)
	}
	return res.Lead
}

func TestDeliveredSignedAndInOrder(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		snd, rcv, c := setup(t, s, []handoff.WebhookEvent{handoff.WebhookAnnounced, handoff.WebhookClaimed, handoff.WebhookErased})
		l := newLead(t, s, "hs-1", t0)
		if _, _, err := s.ClaimLead(ctx, l.ID, handoff.Owner{Platform: "slack", UserID: "U42"}, t0, handoff.Policy{}, "U42"); err != nil {
			t.Fatal(err)
		}
		if err := s.ForgetLead(ctx, "hs-1", handoff.DefaultPolicy(), t0); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 5; i++ {
			if _, err := snd.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
		}
		got, badSig, _ := rcv.Got()
		if badSig != 0 || len(got) != 3 {
			t.Fatalf("%d bad signatures, %d deliveries: %+v", badSig, len(got), got)
		}
		for i, want := range []string{"lead.announced", "lead.claimed", "lead.erased"} {
			d := got[i]
			data, _ := d.Body["data"].(map[string]any)
			lead, _ := data["lead"].(map[string]any)
			if d.Body["type"] != want || d.Body["timestamp"] != "2026-11-20T09:00:00Z" || lead == nil || lead["id"] != float64(l.ID) {
				t.Fatalf("delivery %d = %v, want %s of lead %d", i, d.Body, want, l.ID)
			}
			// The lead is read when delivered: erased, so no personal data.
			if lead["email"] != nil || lead["name"] != nil {
				t.Fatalf("delivery %d carries personal data of an erased lead: %v", i, lead)
			}
		}
		if actor := got[1].Body["data"].(map[string]any)["actor"]; actor != "U42" {
			t.Fatalf("claim actor = %v", actor)
		}
		c.add(time.Second) // nothing is sent twice
		if n, _ := snd.RunOnce(ctx); n != 0 {
			t.Fatalf("%d messages left", n)
		}
	})
}

func TestRetriesKeepTheID(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		snd, rcv, c := setup(t, s, handoff.WebhookEvents, 503, 429)
		newLead(t, s, "hs-2", t0)
		snd.RunOnce(ctx) // 503
		due, ok, _ := s.NextWebhookDue(ctx)
		if !ok || due.Before(t0.Add(10*time.Second)) || due.After(t0.Add(13*time.Second)) {
			t.Fatalf("after a 503 the retry is due %v, want 10-12 s later", due)
		}
		c.add(15 * time.Second)
		snd.RunOnce(ctx) // 429 with Retry-After: 120
		due, _, _ = s.NextWebhookDue(ctx)
		if due.Before(c.now().Add(120 * time.Second)) {
			t.Fatalf("after a 429 with Retry-After 120 the retry is due %v, now %v", due, c.now())
		}
		c.add(121 * time.Second)
		n, _ := snd.RunOnce(ctx)
		got, _, attempts := rcv.Got()
		if n != 1 || len(got) != 1 {
			t.Fatalf("third attempt: took %d, delivered %d", n, len(got))
		}
		if len(attempts) != 3 || attempts[0] != attempts[1] || attempts[1] != attempts[2] || !strings.HasPrefix(attempts[0], "msg_") {
			t.Fatalf("webhook-id of the attempts = %v, want one id", attempts)
		}
	})
}

// TestRequestTimeoutIsRetried: an endpoint's 408 (a proxy or server that
// timed the request out) is a timeout, retried as one, not a refusal.
func TestRequestTimeoutIsRetried(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		snd, rcv, c := setup(t, s, []handoff.WebhookEvent{handoff.WebhookAnnounced}, 408)
		newLead(t, s, "slow", t0)
		snd.RunOnce(ctx) // 408
		if st, _ := s.OutboxStats(ctx); st.Dead != 0 {
			t.Fatalf("after a 408 the message is dead: %+v", st)
		}
		due, ok, _ := s.NextWebhookDue(ctx)
		if !ok || due.Before(t0.Add(10*time.Second)) || due.After(t0.Add(13*time.Second)) {
			t.Fatalf("after a 408 the retry is due %v (%v), want 10-12 s later", due, ok)
		}
		c.add(15 * time.Second)
		if n, _ := snd.RunOnce(ctx); n != 1 {
			t.Fatalf("the retry took %d messages, want 1", n)
		}
		if got, _, _ := rcv.Got(); len(got) != 1 {
			t.Fatalf("delivered %d, want 1 after the retry", len(got))
		}
	})
}

func TestDeadMessages(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		snd, rcv, c := setup(t, s, []handoff.WebhookEvent{handoff.WebhookAnnounced}, 410, 503)
		newLead(t, s, "gone", t0)
		snd.RunOnce(ctx) // 410: no retry can help
		st, _ := s.OutboxStats(ctx)
		if st.Dead != 1 {
			t.Fatalf("after a 410: %+v", st)
		}
		// A 5xx for a day: dead after 24 h.
		newLead(t, s, "down", t0)
		snd.RunOnce(ctx) // 503
		c.add(24*time.Hour + time.Minute)
		rcv.Script(503)
		snd.RunOnce(ctx)
		if st, _ := s.OutboxStats(ctx); st.Dead != 2 {
			t.Fatalf("after 24 h of 5xx: %+v", st)
		}
		if _, ok, _ := s.NextWebhookDue(ctx); ok {
			t.Fatal("a webhook message is still pending after 24 h")
		}
	})
}

func TestTestEvent(t *testing.T) {
	c := &clock{t: time.Now()}
	rcv := webhooktest.New(t, secret, c.now)
	ans, err := webhook.TestEvent(context.Background(), http.DefaultClient, webhook.Endpoint{URL: rcv.URL, Secret: secret}, c.now())
	got, _, _ := rcv.Got()
	if err != nil || ans.Status != 204 || len(got) != 1 || got[0].Body["type"] != "webhook.test" {
		t.Fatalf("answer %+v, %v; got %+v", ans, err, got)
	}
}
