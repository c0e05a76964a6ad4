package webhook_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/internal/testkit"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
	"github.com/handoff/handoff/webhook"
)

// echo is an endpoint that answers with statuses in turn (204 when they
// run out), each with a body that repeats the person it was sent, as a
// receiver's validation error may.
type echo struct {
	mu       sync.Mutex
	statuses []int
}

// echoed is what the endpoint's answers repeat.
const echoed = `{"error":"contact Ann Berg <ann@berg.dk> (+45 2030 4050) is locked"}`

func (e *echo) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.statuses) == 0 {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	w.WriteHeader(e.statuses[0])
	e.statuses = e.statuses[1:]
	_, _ = io.WriteString(w, echoed)
}

// TestWebhookAnswerNotLogged: an endpoint's answer to a message it did
// not take can repeat the person it was sent, and the log outlives the
// person's erasure, so a failing webhook's log line names the answer's
// status and length, never its text: a message refused (dead at once),
// retried after a 5xx and given up after 24 hours of them. The message's
// stored last error, which an erasure scrubs, keeps the text for `handoff
// outbox list`.
func TestWebhookAnswerNotLogged(t *testing.T) {
	for _, tc := range []struct {
		name     string
		statuses []int
		rounds   int
		logged   string // what the log says of the answer
		dead     bool
	}{
		{"Refused", []int{http.StatusBadRequest}, 1, "HTTP 400", true},
		{"Retried", []int{http.StatusServiceUnavailable}, 1, "HTTP 503", false},
		{"GivenUp", []int{http.StatusInternalServerError, http.StatusInternalServerError}, 2, "HTTP 500", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			storagetest.Each(t, func(t *testing.T, s *storage.Store) {
				ctx := context.Background()
				srv := httptest.NewServer(&echo{statuses: tc.statuses})
				defer srv.Close()
				c := &clock{t: t0}
				eps := []webhook.Endpoint{{URL: srv.URL + "/hooks/handoff", Secret: secret, Events: []handoff.WebhookEvent{handoff.WebhookAnnounced}}}
				s.RouteWebhooks(webhook.Routes(eps))
				logs := &testkit.LogBuffer{}
				snd := &webhook.Sender{Store: s, Endpoints: eps, Now: c.now,
					Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
				newLead(t, s, "hs-7301", t0)
				for range tc.rounds {
					if n, err := snd.RunOnce(ctx); n != 1 || err != nil {
						t.Fatalf("round took %d: %v", n, err)
					}
					c.add(webhook.GiveUpAfter + time.Minute)
				}
				logged := logs.String()
				want := fmt.Sprintf("%s (answer of %d bytes)", tc.logged, len(echoed))
				if !strings.Contains(logged, want) {
					t.Errorf("the log does not say %q:\n%s", want, logged)
				}
				for _, p := range []string{"Ann Berg", "ann@berg.dk", "2030 4050", "is locked"} {
					if strings.Contains(logged, p) {
						t.Errorf("the log holds the answer's %q:\n%s", p, logged)
					}
				}
				dead, err := s.DeadOutbox(ctx, 0)
				if err != nil || len(dead) != map[bool]int{true: 1}[tc.dead] {
					t.Fatalf("dead = %+v, %v; want dead %v", dead, err, tc.dead)
				}
				if tc.dead && !strings.Contains(dead[0].LastError, "is locked") {
					t.Errorf("the dead message's last error %q lacks the answer", dead[0].LastError)
				}
			})
		})
	}
}
