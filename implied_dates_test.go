package handoff_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
)

// An older CRM state that arrives after a newer one dates earlier the
// marketing stages the newer one only implied, and nothing else.
func TestEarlierImpliedDates(t *testing.T) {
	t0 := time.Date(2026, 10, 30, 12, 0, 0, 0, time.UTC)
	t1 := time.Date(2026, 10, 31, 23, 0, 0, 0, time.UTC) // the older state's time
	t2 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)  // the newer state's, applied first
	now := t2.Add(5 * time.Minute)
	implied := map[string]string{"implied": "true"}
	// ev is a stage event; history numbers them in order from 1.
	ev := func(st handoff.Stage, at time.Time, details map[string]string) handoff.Event {
		return handoff.Event{Kind: handoff.EventStage, Stage: st, At: at, Details: details}
	}
	history := func(evs ...handoff.Event) []handoff.Event {
		for i := range evs {
			evs[i].ID = int64(i + 1)
		}
		return evs
	}
	sqlFirst := history(ev(handoff.StageLead, t2, implied), ev(handoff.StageMQL, t2, implied), ev(handoff.StageSQL, t2, nil))
	contactedFirst := history(ev(handoff.StageLead, t2, implied), ev(handoff.StageMQL, t2, implied), ev(handoff.StageSQL, t2, implied),
		ev(handoff.StageClaimed, t2, implied), ev(handoff.StageContacted, t2, nil))
	tests := []struct {
		name    string
		history []handoff.Event
		stage   handoff.Stage
		at      time.Time
		want    string
	}{
		{"mql before the sql that implied it: lead and mql move", sqlFirst, handoff.StageMQL, t1,
			"[1 lead → 2026-10-31T23:00:00Z] [2 mql → 2026-10-31T23:00:00Z]"},
		{"lead before the sql: only lead moves", sqlFirst, handoff.StageLead, t1, "[1 lead → 2026-10-31T23:00:00Z]"},
		{"sql before the contact that implied it: sql and claimed keep their date", contactedFirst, handoff.StageSQL, t1,
			"[1 lead → 2026-10-31T23:00:00Z] [2 mql → 2026-10-31T23:00:00Z]"},
		{"an older sql state of an sql: its implied stages move, the sql stays", sqlFirst, handoff.StageSQL, t1,
			"[1 lead → 2026-10-31T23:00:00Z] [2 mql → 2026-10-31T23:00:00Z]"},
		{"a stage named, not implied, keeps its date", history(ev(handoff.StageLead, t2, implied), ev(handoff.StageMQL, t2, nil)),
			handoff.StageMQL, t1, "[1 lead → 2026-10-31T23:00:00Z]"},
		{"never before an event recorded ahead of it", history(ev(handoff.StageLead, t1.Add(time.Hour), nil),
			ev(handoff.StageMQL, t2, implied), ev(handoff.StageSQL, t2, nil)), handoff.StageMQL, t0, "[2 mql → 2026-11-01T00:00:00Z]"},
		{"an event recorded ahead at the same time: nothing moves", history(ev(handoff.StageLead, t2, nil),
			ev(handoff.StageMQL, t2, implied), ev(handoff.StageSQL, t2, nil)), handoff.StageMQL, t1, ""},
		{"a later time moves nothing", sqlFirst, handoff.StageMQL, t2.Add(time.Minute), ""},
		{"the same time moves nothing", sqlFirst, handoff.StageMQL, t2, ""},
		{"a time after now (a clock ahead) moves nothing", sqlFirst, handoff.StageMQL, now.Add(time.Second), ""},
		{"a placeholder time moves nothing", sqlFirst, handoff.StageMQL, handoff.EarliestOccurredAt.Add(-time.Hour), ""},
		{"a stage off the main path moves nothing", sqlFirst, handoff.StageLost, t1, ""},
		{"no stage moves nothing", sqlFirst, "", t1, ""},
		{"a lead without implied stages", history(ev(handoff.StageMQL, t2, nil)), handoff.StageLead, t1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := handoff.EarlierImpliedDates(tt.history, tt.stage, tt.at, now)
			parts := []string{}
			for _, d := range got {
				if from := tt.history[d.EventID-1].At; !d.From.Equal(from) {
					t.Errorf("event %d: From %s, want its date %s", d.EventID, d.From, from)
				}
				parts = append(parts, fmt.Sprintf("[%d %s → %s]", d.EventID, d.Stage, d.To.Format(time.RFC3339)))
			}
			if s := strings.Join(parts, " "); s != tt.want {
				t.Errorf("got %q, want %q", s, tt.want)
			}
		})
	}
}
