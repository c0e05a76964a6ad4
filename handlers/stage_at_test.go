package handlers_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/outbox"
	slackbot "github.com/handoff/handoff/bot/slack"
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/handlers"
	"github.com/handoff/handoff/internal/testkit"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// The lead the API answers (the 201 of a new lead, the 200 of a known one,
// GET, the activities' answer) says when it entered its stage, stage_at,
// as its history dates it: the arrival, or the occurred_at the sender
// states; an input that changes no stage leaves it. Times are the default
// agreement's, UTC, on Friday 20 November; the clock moves between steps.
func TestLeadAnswersWhenItEnteredItsStage(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		clock := now.Add(-2 * time.Hour) // 07:00
		srv := scoringServer(t, s, handoff.DefaultPolicy(), &clock)
		for _, step := range []struct {
			name   string
			at     time.Time // the server's clock
			send   func() answer
			status int
			stage  string
			want   string // stage_at
		}{
			{"a new SQL, at its arrival", now.Add(-2 * time.Hour), func() answer {
				return post(t, srv, `{"external_id":"sa-1","name":"Ann","stage":"sql"}`)
			}, 201, "sql", "2026-11-20T07:00:00Z"},
			{"lost, at its occurred_at", now, func() answer {
				return post(t, srv, `{"external_id":"sa-1","stage":"lost","reason":"Chose a rival","occurred_at":"2026-11-20T08:15:00+01:00"}`)
			}, 200, "lost", "2026-11-20T07:15:00Z"},
			{"an attribute, the stage's time kept", now.Add(time.Hour), func() answer {
				return post(t, srv, `{"external_id":"sa-1","plan":"pro"}`)
			}, 200, "lost", "2026-11-20T07:15:00Z"},
			{"GET", now.Add(time.Hour), func() answer {
				return do(t, srv, "GET", "/api/leads/sa-1", "", "Bearer "+token, "")
			}, 200, "lost", "2026-11-20T07:15:00Z"},
			{"an activity's answer", now.Add(time.Hour), func() answer {
				a := postActivities(t, srv, "sa-1", `{"type":"page_view","url":"https://berg.dk/pricing"}`)
				a.body = leadOf(t, a)
				return a
			}, 200, "lost", "2026-11-20T07:15:00Z"},
		} {
			clock = step.at
			a := step.send()
			if a.status != step.status || a.body["stage"] != step.stage || a.body["stage_at"] != step.want {
				t.Errorf("%s: %d, %v at %v; want %d, %s at %s", step.name, a.status, a.body["stage"], a.body["stage_at"], step.status, step.stage, step.want)
			}
		}
	})
}

// A lead last moved before Handoff kept when it entered its stage says
// stage_at null, as the other times it lacks, not its last update.
func TestLeadJSONStageAtNullWhenUnknown(t *testing.T) {
	entered := time.Date(2026, 11, 20, 7, 15, 0, 123456789, time.UTC)
	for _, c := range []struct {
		name string
		at   *time.Time
		want string
	}{
		{"kept", &entered, `"stage_at":"2026-11-20T07:15:00.123Z"`},
		{"not kept", nil, `"stage_at":null`},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := &handoff.Lead{ID: 1, ExternalID: "x", Stage: handoff.StageLost, StageAt: c.at, UpdatedAt: now}
			b, err := json.Marshal(handlers.NewLeadJSON(l, nil, now, handoff.DefaultPolicy()))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(b), c.want) {
				t.Errorf("%s; want %s", b, c.want)
			}
		})
	}
}

// A lead that left sales (lost, recycled) and comes back through the API
// with an occurred_at before its departure is dated at the departure, as
// a CRM's return is: its stage_at, sql_at and the return's events are the
// departure's time, and its history, as GET answers it, reads in order,
// ending in the return. A return dated after the departure keeps its date.
func TestAPIReturnIsNotDatedBeforeItsDeparture(t *testing.T) {
	for _, c := range []struct {
		name, leave, back, want string
	}{
		{"lost, back before the loss", `"stage":"lost","reason":"Chose a rival"`, "2026-11-20T07:30:00Z", "2026-11-20T08:00:00Z"},
		{"lost, back before its first SQL", `"stage":"lost","reason":"Chose a rival"`, "2026-11-20T06:00:00Z", "2026-11-20T08:00:00Z"},
		{"recycled, back before the return to marketing", `"stage":"recycled","reason":"Not ready"`, "2026-11-20T07:59:00Z", "2026-11-20T08:00:00Z"},
		{"lost, back after the loss", `"stage":"lost","reason":"Chose a rival"`, "2026-11-20T08:30:00Z", "2026-11-20T08:30:00Z"},
	} {
		t.Run(c.name, func(t *testing.T) {
			storagetest.Each(t, func(t *testing.T, s *storage.Store) {
				clock := now.Add(-2 * time.Hour) // 07:00
				srv := scoringServer(t, s, handoff.DefaultPolicy(), &clock)
				if a := post(t, srv, `{"external_id":"rb-1","name":"Ann","stage":"sql"}`); a.status != 201 {
					t.Fatalf("new SQL = %d %v", a.status, a.body)
				}
				clock = now.Add(-time.Hour) // 08:00
				if a := post(t, srv, `{"external_id":"rb-1",`+c.leave+`}`); a.status != 200 {
					t.Fatalf("departure = %d %v", a.status, a.body)
				}
				clock = now // 09:00
				back := post(t, srv, `{"external_id":"rb-1","stage":"sql","occurred_at":"`+c.back+`"}`)
				got := do(t, srv, "GET", "/api/leads/rb-1", "", "Bearer "+token, "")
				for _, a := range []answer{back, got} {
					if a.status != 200 || a.body["stage"] != "sql" || a.body["stage_at"] != c.want || a.body["sql_at"] != c.want {
						t.Fatalf("return = %d %v at %v, sql_at %v; want 200 sql at %s", a.status, a.body["stage"], a.body["stage_at"], a.body["sql_at"], c.want)
					}
				}
				events := got.body["events"].([]any)
				last := events[len(events)-1].(map[string]any)
				if last["kind"] != "stage" || last["stage"] != "sql" || last["at"] != c.want {
					t.Errorf("history ends in %v; want the return, an SQL at %s: %v", last, c.want, events)
				}
			})
		})
	}
}

// A lead lost through the API and sent back as an SQL with an occurred_at
// before the loss has its first card in the sales channel (a stand-in
// Slack) updated to say that it came back after it closed, "Closed" at the
// loss's time, not at a time before it nor at that minute; a return dated
// after the loss says its time.
func TestAPIReturnBeforeItsDepartureEarlierCard(t *testing.T) {
	for _, c := range []struct {
		name, back string
		want       []string
		notWant    []string
	}{
		{"back before the loss", "2026-11-20T07:30:00Z", []string{"Came back as an SQL after it closed", "Closed Fri 08:00"}, []string{"07:30", "SQL Fri"}},
		{"back after the loss", "2026-11-20T08:30:00Z", []string{"Came back as an SQL Fri 08:30", "Closed Fri 08:00"}, []string{"after it closed"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			storagetest.Each(t, func(t *testing.T, s *storage.Store) {
				clock := now.Add(-2 * time.Hour) // 07:00
				srv := scoringServer(t, s, handoff.DefaultPolicy(), &clock)
				fake := slacktest.New(slackToken)
				t.Cleanup(fake.Close)
				disp := outbox.New(outbox.Config{Store: s, Policy: handoff.DefaultPolicy(), Logger: discardLogger(), Now: func() time.Time { return clock },
					Targets: []bot.Target{{Platform: slackbot.NewPlatform(slackbot.NewClient(slackToken, "", fake.APIURL(), slacktest.ClientTimeout)), SalesChannel: salesChannel}}})
				for _, step := range []struct {
					at   time.Time
					body string
				}{
					{now.Add(-2 * time.Hour), `{"external_id":"ec-1","name":"Ann","company":"Berg ApS","stage":"sql"}`},
					{now.Add(-time.Hour), `{"external_id":"ec-1","stage":"lost","reason":"Chose a rival"}`},
					{now, `{"external_id":"ec-1","stage":"sql","occurred_at":"` + c.back + `"}`},
				} {
					clock = step.at
					if a := post(t, srv, step.body); a.status != 200 && a.status != 201 {
						t.Fatalf("%s = %d %v", step.body, a.status, a.body)
					}
					testkit.Drain(t, disp)
				}
				msgs := fake.Messages(salesChannel)
				if len(msgs) != 2 {
					t.Fatalf("sales channel holds %d messages, want the first card and the return's", len(msgs))
				}
				var earlier string
				for _, m := range msgs {
					blocks, err := json.Marshal(m.Blocks)
					if err != nil {
						t.Fatal(err)
					}
					if card := m.Text + string(blocks); strings.Contains(card, "Came back: ") {
						earlier = card
					}
				}
				if earlier == "" {
					t.Fatalf("no card says the lead came back: %+v", msgs)
				}
				for _, w := range c.want {
					if !strings.Contains(earlier, w) {
						t.Errorf("the first card lacks %q: %s", w, earlier)
					}
				}
				for _, w := range c.notWant {
					if strings.Contains(earlier, w) {
						t.Errorf("the first card holds %q: %s", w, earlier)
					}
				}
			})
		})
	}
}
