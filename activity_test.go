package handoff_test

import (
	"testing"
	"time"

	"github.com/handoff/handoff"
)

func TestRescore(t *testing.T) {
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	p := handoff.DefaultPolicy()
	p.Scoring = issueScoring()
	demo := []handoff.Activity{{Type: "demo_request", OccurredAt: now.Add(-time.Hour)}}
	for _, tc := range []struct {
		name      string
		lead      handoff.Lead
		acts      []handoff.Activity
		score     int
		stage     handoff.Stage
		entered   string // stages entered by scoring
		wantMoved bool
	}{
		{"lead to SQL through MQL", handoff.Lead{Stage: handoff.StageLead, Reached: 0, Title: "CTO"}, demo, 70, handoff.StageSQL, "mql sql", true},
		{"lead to MQL", handoff.Lead{Stage: handoff.StageLead, Reached: 0}, demo, 40, handoff.StageMQL, "mql", true},
		{"MQL stays below", handoff.Lead{Stage: handoff.StageMQL, Reached: 1, Score: 40, ScoreReasons: "demo_request ×1 +40"}, demo, 40, handoff.StageMQL, "", false},
		{"score falls, stage stays", handoff.Lead{Stage: handoff.StageSQL, Reached: 2, Score: 90}, nil, 0, handoff.StageSQL, "", true},
		{"claimed stays claimed", handoff.Lead{Stage: handoff.StageClaimed, Reached: 3, Title: "CIO"}, demo, 70, handoff.StageClaimed, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := tc.lead
			expl, changed, change := l.Rescore(tc.acts, now, p)
			events := change.Events
			if expl.Score != tc.score || l.Score != tc.score || l.Stage != tc.stage || changed != tc.wantMoved {
				t.Errorf("score %d/%d stage %s changed %v; want %d %s %v", expl.Score, l.Score, l.Stage, changed, tc.score, tc.stage, tc.wantMoved)
			}
			var entered string
			for _, e := range events {
				if e.Actor != handoff.ActorScoring {
					t.Errorf("actor = %q", e.Actor)
				}
				if entered != "" {
					entered += " "
				}
				entered += string(e.Stage)
			}
			if entered != tc.entered {
				t.Errorf("entered %q, want %q", entered, tc.entered)
			}
			if tc.stage == handoff.StageSQL && tc.entered != "" && (l.SQLAt == nil || l.ContactDueAt == nil) {
				t.Error("a scored SQL has no SLA deadlines")
			}
		})
	}
	none := handoff.DefaultPolicy()
	l := handoff.Lead{Stage: handoff.StageLead, Score: 12}
	if _, changed, change := l.Rescore(demo, now, none); changed || change.Events != nil || l.Score != 12 {
		t.Error("without scoring Rescore changed the lead")
	}
}
