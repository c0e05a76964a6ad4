package webhook_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
	"github.com/handoff/handoff/webhook"
)

// An endpoint that refuses a message with an answer that is not UTF-8 (a
// Latin-1 error page, a NUL byte) gets it once: the message is dead, its
// error kept readable, and the lead's next event goes on to the endpoint.
// PostgreSQL refused to store that answer as the error, so the message
// stayed pending and was posted again at every lease, for ever, and the
// lead's later events waited behind it.
func TestRefusalAnswerNotUTF8IsGivenUp(t *testing.T) {
	bodies := []struct{ name, body string }{
		{"latin-1", "<h1>Ung\xfcltige Anfrage</h1>"},
		{"NUL", "bad request\x00"},
	}
	for _, b := range bodies {
		t.Run(b.name, func(t *testing.T) {
			storagetest.Each(t, func(t *testing.T, s *storage.Store) {
				ctx := context.Background()
				var posts atomic.Int32
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if posts.Add(1) == 1 {
						w.Header().Set("Content-Type", "text/html; charset=iso-8859-1")
						w.WriteHeader(http.StatusBadRequest)
						_, _ = io.WriteString(w, b.body)
						return
					}
					w.WriteHeader(http.StatusNoContent)
				}))
				defer srv.Close()
				c := &clock{t: t0}
				eps := []webhook.Endpoint{{URL: srv.URL, Secret: secret, Events: []handoff.WebhookEvent{handoff.WebhookAnnounced, handoff.WebhookClaimed}}}
				s.RouteWebhooks(webhook.Routes(eps))
				snd := &webhook.Sender{Store: s, Endpoints: eps, Now: c.now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
				l := newLead(t, s, "latin-1", t0)
				if _, _, err := s.ClaimLead(ctx, l.ID, handoff.Owner{Platform: "slack", UserID: "U42"}, t0, handoff.Policy{}, "U42"); err != nil {
					t.Fatal(err)
				}
				for range 3 {
					if _, err := snd.RunOnce(ctx); err != nil {
						t.Fatal(err)
					}
					c.add(10 * time.Minute) // past any lease
				}
				if n := posts.Load(); n != 2 {
					t.Fatalf("the endpoint got %d posts, want the refused announcement once and the claim", n)
				}
				dead, err := s.DeadOutbox(ctx, 0)
				if err != nil || len(dead) != 1 {
					t.Fatalf("dead = %+v, %v; want the refused message", dead, err)
				}
				if !strings.Contains(dead[0].LastError, "HTTP 400") || !strings.Contains(dead[0].LastError, "\uFFFD") {
					t.Fatalf("last error = %q, want the answer with its unreadable byte replaced", dead[0].LastError)
				}
				if due, ok, err := s.NextWebhookDue(ctx); ok || err != nil {
					t.Fatalf("a webhook message is still pending, due %v (%v)", due, err)
				}
			})
		})
	}
}
