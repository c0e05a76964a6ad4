package main

import (
	"bytes"
	"context"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestEscalationsQueuedOnlyWhereAManagersChannelTakesThem ticks the SLA
// clock of the wired app (newApp's scheduler and store) past an unclaimed
// lead's claim and contact deadlines and a claimed lead's reminder and
// contact deadline: three escalations. With no managers' channel on any
// enabled platform of this replica, and none on any platform another
// replica serves or served lately (outbox_servers, as its dispatcher
// records it: Store.ManagersChannels), no escalation is queued: each was a
// row the outbox took only to mark "skipped: no managers' channel".
// Everything else the breaches cause is as with a managers' channel: the
// breach events, the cards' refreshes, the owner's reminder. Another
// replica with a managers' channel, on this replica's platform or on
// another, takes the escalations, so then they are queued; so they are
// when another replica's record does not say (a replica from before the
// record), as it may have one.
func TestEscalationsQueuedOnlyWhereAManagersChannelTakesThem(t *testing.T) {
	agreement := filepath.Join(t.TempDir(), "handoff.yml")
	if err := os.WriteFile(agreement, []byte("sla:\n  claim_within: 2h\n  contact_within: 48h\n  remind_before: [1h]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	slack := map[string]string{"SLACK_BOT_TOKEN": e2eToken, "SLACK_SIGNING_SECRET": e2eSecret, "SLACK_API_URL": "http://127.0.0.1:1/",
		"SLACK_SALES_CHANNEL": e2eSales}
	cases := []struct {
		name  string
		vars  map[string]string
		other *otherReplica // another replica serving at the ticks; nil for none
		want  int           // escalations queued
	}{
		{"slack with a managers' channel", withVar(slack, "SLACK_MANAGER_CHANNEL", e2eManager), nil, 3},
		{"slack without one", slack, nil, 0},
		{"no chat platform", nil, nil, 0},
		{"slack without one, another replica with one on slack", slack, &otherReplica{platforms: []string{"slack"}, said: true, managers: []string{"slack"}}, 3},
		{"slack without one, another replica with one on teams", slack, &otherReplica{platforms: []string{"slack", "teams"}, said: true, managers: []string{"teams"}}, 3},
		{"slack without one, another replica without one on slack and teams", slack, &otherReplica{platforms: []string{"slack", "teams"}, said: true}, 0},
		{"no chat platform, another replica without one on slack", nil, &otherReplica{platforms: []string{"slack"}, said: true}, 0},
		{"slack without one, an older replica serving slack", slack, &otherReplica{platforms: []string{"slack"}}, 3},
		{"slack without one, an older replica serving teams", slack, &otherReplica{platforms: []string{"teams"}}, 3},
		{"no chat platform, an older replica serving slack", nil, &otherReplica{platforms: []string{"slack"}}, 3},
	}
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			var first []string // what the first case queued and recorded, escalations aside
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					escalations, rest := tickPastDeadlines(t, dialect, withVar(c.vars, "HANDOFF_CONFIG", agreement), c.other)
					if escalations != c.want {
						t.Errorf("%d escalations queued, want %d", escalations, c.want)
					}
					if first == nil {
						first = rest
					} else if !slices.Equal(rest, first) {
						t.Errorf("queued and recorded, escalations aside:\n%s\nwant, as with a managers' channel:\n%s", strings.Join(rest, "\n"), strings.Join(first, "\n"))
					}
				})
			}
		})
	}
}

// otherReplica is another replica of the deployment, as the records of
// the platforms it serves tell of it: whether it said where it has a
// managers' channel (a replica from before the record did not), and
// where.
type otherReplica struct {
	platforms []string
	said      bool
	managers  []string
}

// tickPastDeadlines wires an app on a new database of dialect with vars,
// records that another replica (other, if any) serves, saves an SQL left unclaimed
// and one claimed at once through the API, and ticks the app's SLA clock
// past the first's claim deadline and the second's reminder, then past
// the second's contact deadline. It returns how many escalations were
// queued, and every other message queued and event recorded, as
// "lead: kind" lines.
func tickPastDeadlines(t *testing.T, dialect string, vars map[string]string, other *otherReplica) (int, []string) {
	t.Helper()
	vars = withVar(vars, "DATABASE_URL", storagetest.URL(t, dialect))
	vars["HANDOFF_API_TOKEN"] = "tok"
	cfg, err := loadConfig(env{getenv: func(k string) string { return vars[k] }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	clock := &testClock{}
	a, err := newApp(ctx, cfg, newLogger(&bytes.Buffer{}, slog.LevelInfo), clock.Now, clock.Wall)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	for _, id := range []string{"unclaimed", "claimed"} {
		req := httptest.NewRequest("POST", "/api/leads", strings.NewReader(`{"external_id":"`+id+`","name":"Ann Berg","stage":"sql"}`))
		req.Header.Set("Authorization", "Bearer tok")
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		a.mux.ServeHTTP(rec, req)
		if rec.Code != http.StatusCreated {
			t.Fatalf("POST /api/leads %s = %d %s", id, rec.Code, rec.Body)
		}
	}
	claimed, err := a.store.LeadByExternalID(ctx, "claimed")
	if err != nil {
		t.Fatal(err)
	}
	if _, won, err := a.store.ClaimLead(ctx, claimed.ID, handoff.Owner{Platform: "slack", UserID: "UANN"}, a.now(), handoff.Policy{}, "slack:UANN"); err != nil || !won {
		t.Fatalf("claim = %v, %v", won, err)
	}
	start := clock.Now()
	for _, at := range []time.Duration{47*time.Hour + 30*time.Minute, 49 * time.Hour} {
		clock.skipTo(start.Add(at))
		if other != nil { // the other replica running at the tick
			if other.said {
				a.store.ManagersChannels("another-replica", other.managers...)
			}
			if err := a.store.ServeOutbox(ctx, "another-replica", a.now(), time.Minute, other.platforms...); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := a.sched.Tick(ctx); err != nil {
			t.Fatal(err)
		}
	}
	escalations, rest := 0, []string{}
	for _, id := range []string{"unclaimed", "claimed"} {
		lead, err := a.store.LeadByExternalID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		msgs, err := a.store.OutboxMessages(ctx, lead.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if m.Kind == handoff.OutboxEscalate {
				escalations++
				continue
			}
			rest = append(rest, id+": queued "+m.Kind+" "+m.Platform)
		}
		events, err := a.store.Events(ctx, lead.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range events {
			rest = append(rest, id+": recorded "+string(e.Kind))
		}
	}
	return escalations, rest
}

// withVar is a copy of vars with k set to v.
func withVar(vars map[string]string, k, v string) map[string]string {
	out := maps.Clone(vars)
	if out == nil {
		out = map[string]string{}
	}
	out[k] = v
	return out
}
