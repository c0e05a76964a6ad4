package webhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/handlers"
	"github.com/handoff/handoff/storage/storagetest"
)

// A reason stored on a lead that is neither lost nor recycled, as a
// replica still on an earlier version can write one during a rolling
// deploy after Migrate cleared those stored before, leaves Handoff with
// none: GET /api/leads/{external_id} and every webhook about the lead
// (which reads the lead when it delivers) show no reason, while a lost or
// recycled lead shows its own.
func TestStaleReasonIsNotShown(t *testing.T) {
	const competitor, timing, deleted = "Chose a competitor", "bad timing", handoff.HubSpotDeletedReason
	cases := []struct {
		id string
		// stages are what the lead goes through after it arrives as an
		// SQL, a minute apart, each a stage and its reason.
		stages [][2]string
		// stale is the reason written straight into the lead's row once
		// it stands there; "" writes none.
		stale string
		want  string
	}{
		{"sql-again", [][2]string{{"lost", competitor}, {"sql", ""}}, competitor, ""},
		{"restored", [][2]string{{"lost", deleted}, {"claimed", ""}}, deleted, ""},
		{"contacted-after-return", [][2]string{{"recycled", timing}, {"contacted", ""}}, timing, ""},
		{"won-after-loss", [][2]string{{"lost", competitor}, {"won", ""}}, competitor, ""},
		{"open-never-lost", nil, competitor, ""},
		{"lost", [][2]string{{"lost", competitor}}, "", competitor},
		{"recycled-after-loss", [][2]string{{"lost", competitor}, {"recycled", timing}}, "", timing},
	}
	const token = "read-token"
	for _, d := range storagetest.Dialects {
		t.Run(d, func(t *testing.T) {
			ctx := context.Background()
			s, raw := storagetest.OpenRaw(t, d)
			snd, rcv, c := setup(t, s, []handoff.WebhookEvent{handoff.WebhookAnnounced, handoff.WebhookClaimed,
				handoff.WebhookContacted, handoff.WebhookStageChanged})
			for _, cs := range cases {
				l := newLead(t, s, cs.id, t0)
				for i, st := range cs.stages {
					in := handoff.LeadInput{ExternalID: cs.id, Stage: handoff.Stage(st[0]), Reason: st[1]}
					if _, err := s.SaveLead(ctx, in, handoff.DefaultPolicy(), t0.Add(time.Duration(i+1)*time.Minute), handoff.ActorAPI); err != nil {
						t.Fatalf("%s: %s: %v", cs.id, st[0], err)
					}
				}
				if cs.stale != "" {
					q := fmt.Sprintf("UPDATE leads SET reason = '%s' WHERE id = %d", cs.stale, l.ID)
					if _, err := raw.Exec(q); err != nil {
						t.Fatalf("%s: %v", q, err)
					}
				}
			}
			c.add(time.Hour)
			for range 20 {
				n, err := snd.RunOnce(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if n == 0 {
					break
				}
			}
			got, badSig, _ := rcv.Got()
			if badSig != 0 {
				t.Fatalf("%d bad signatures", badSig)
			}
			hooks := map[string][]map[string]any{} // external id → the lead of each webhook
			for _, dl := range got {
				data, _ := dl.Body["data"].(map[string]any)
				lead, _ := data["lead"].(map[string]any)
				id, _ := lead["external_id"].(string)
				hooks[id] = append(hooks[id], lead)
			}

			mux := http.NewServeMux()
			logger := slog.New(slog.NewTextHandler(io.Discard, nil))
			(&handlers.API{Store: s, DB: s, Policy: handoff.DefaultPolicy(), Token: token, Now: c.now, Logger: logger}).Register(mux)
			api := httptest.NewServer(handlers.Middleware(logger, mux, mux))
			t.Cleanup(api.Close)
			for _, cs := range cases {
				t.Run(cs.id, func(t *testing.T) {
					req, _ := http.NewRequest(http.MethodGet, api.URL+"/api/leads/"+cs.id, nil)
					req.Header.Set("Authorization", "Bearer "+token)
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						t.Fatal(err)
					}
					defer resp.Body.Close()
					var lead map[string]any
					if err := json.NewDecoder(resp.Body).Decode(&lead); err != nil || resp.StatusCode != http.StatusOK {
						t.Fatalf("GET /api/leads/%s: %d %v", cs.id, resp.StatusCode, err)
					}
					if r, _ := lead["reason"].(string); r != cs.want {
						t.Errorf("GET /api/leads/%s: %s, reason %q; want %q", cs.id, lead["stage"], r, cs.want)
					}
					if len(hooks[cs.id]) == 0 {
						t.Fatalf("no webhook about %s", cs.id)
					}
					for i, h := range hooks[cs.id] {
						if r, _ := h["reason"].(string); r != cs.want {
							t.Errorf("webhook %d of %d about %s: %s, reason %q; want %q", i+1, len(hooks[cs.id]), cs.id, h["stage"], r, cs.want)
						}
					}
				})
			}
		})
	}
}
