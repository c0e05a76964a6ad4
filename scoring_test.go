package handoff_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
)

// issueScoring is the agreement's example from issue 14.
func issueScoring() *handoff.Scoring {
	fifty := 50.0
	return &handoff.Scoring{
		MQLAt: 40, SQLAt: 70,
		Explicit: []handoff.ExplicitRule{
			{Field: "title", Matches: regexp.MustCompile(`(?i)\b(it-chef|cto|cio|it manager)\b`), Points: 30},
			{Field: "company_size", AtLeast: &fifty, Points: 15},
		},
		Implicit: []handoff.ImplicitRule{
			{Activity: "page_view", URLMatches: regexp.MustCompile(`/pricing`), Points: 20, Max: 40},
			{Activity: "demo_request", Points: 40},
			{Activity: "email_open", Points: 2, Max: 10},
		},
		Decay: 30 * 24 * time.Hour,
	}
}

func TestScore(t *testing.T) {
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	day := 24 * time.Hour
	act := func(typ, url string, at time.Time) handoff.Activity {
		return handoff.Activity{Type: typ, URL: url, OccurredAt: at}
	}
	opens := func(n int) []handoff.Activity {
		var out []handoff.Activity
		for i := 0; i < n; i++ {
			out = append(out, act("email_open", "", ago(time.Duration(i+1)*time.Hour)))
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		lead  handoff.Lead
		acts  []handoff.Activity
		score int
		lines map[string]int // rule prefix → points, for the lines that give points
	}{
		{name: "nothing", lead: handoff.Lead{Title: "Service assistant"}, score: 0, lines: map[string]int{}},
		{name: "title regex, case-insensitive, word boundary", lead: handoff.Lead{Title: "IT-Chef"}, score: 30,
			lines: map[string]int{"title": 30}},
		{name: "regex needs the word", lead: handoff.Lead{Title: "Director"}, score: 0, lines: map[string]int{}},
		{name: "attribute at least, number", lead: handoff.Lead{Attributes: map[string]any{"company_size": 50.0}}, score: 15,
			lines: map[string]int{"company_size": 15}},
		{name: "attribute at least, string", lead: handoff.Lead{Attributes: map[string]any{"company_size": "120"}}, score: 15,
			lines: map[string]int{"company_size": 15}},
		{name: "attribute below", lead: handoff.Lead{Attributes: map[string]any{"company_size": 49.0}}, score: 0, lines: map[string]int{}},
		{name: "attribute not a number", lead: handoff.Lead{Attributes: map[string]any{"company_size": "big"}}, score: 0, lines: map[string]int{}},
		{name: "url must match", lead: handoff.Lead{}, acts: []handoff.Activity{
			act("page_view", "https://x.dk/pricing", ago(day)), act("page_view", "https://x.dk/blog", ago(day))},
			score: 20, lines: map[string]int{"page_view": 20}},
		{name: "cap", lead: handoff.Lead{}, acts: []handoff.Activity{
			act("page_view", "/pricing", ago(day)), act("page_view", "/pricing?a", ago(day)), act("page_view", "/pricing#b", ago(day))},
			score: 40, lines: map[string]int{"page_view": 40}},
		{name: "cap on small points", lead: handoff.Lead{}, acts: opens(7), score: 10, lines: map[string]int{"email_open": 10}},
		{name: "below cap", lead: handoff.Lead{}, acts: opens(4), score: 8, lines: map[string]int{"email_open": 8}},
		{name: "decay: 30 days and older stop counting", lead: handoff.Lead{}, acts: []handoff.Activity{
			act("demo_request", "", ago(30*day)), act("page_view", "/pricing", ago(29*day))},
			score: 20, lines: map[string]int{"page_view": 20}},
		{name: "future activity does not count yet", lead: handoff.Lead{}, acts: []handoff.Activity{
			act("demo_request", "", now.Add(time.Minute))}, score: 0, lines: map[string]int{}},
		{name: "explicit and implicit add up", lead: handoff.Lead{Title: "CTO", Attributes: map[string]any{"company_size": 80.0}},
			acts:  []handoff.Activity{act("demo_request", "", ago(time.Hour)), act("page_view", "/pricing", ago(2*time.Hour))},
			score: 105, lines: map[string]int{"title": 30, "company_size": 15, "demo_request": 40, "page_view": 20}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := issueScoring().Score(&tc.lead, tc.acts, now)
			if got.Score != tc.score {
				t.Errorf("score = %d, want %d (%+v)", got.Score, tc.score, got.Lines)
			}
			if len(got.Lines) != 5 {
				t.Errorf("lines = %d, want one per rule (5)", len(got.Lines))
			}
			gave := map[string]int{}
			for _, l := range got.Lines {
				if l.Points != 0 {
					gave[strings.Fields(l.Rule)[0]] = l.Points
				}
			}
			if len(gave) != len(tc.lines) {
				t.Errorf("lines giving points = %v, want %v", gave, tc.lines)
			}
			for k, v := range tc.lines {
				if gave[k] != v {
					t.Errorf("%s gave %d, want %d", k, gave[k], v)
				}
			}
		})
	}
}

func TestScoreExplainedSummary(t *testing.T) {
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	l := handoff.Lead{Title: "CTO", Attributes: map[string]any{"company_size": 80.0}}
	acts := []handoff.Activity{{Type: "demo_request", OccurredAt: now}, {Type: "email_open", OccurredAt: now}}
	got := issueScoring().Score(&l, acts, now)
	want := `demo_request ×1 +40 · title: CTO +30 · company_size 80 ≥ 50 +15`
	if s := got.Summary(); s != want {
		t.Errorf("summary =\n%s\nwant\n%s", s, want)
	}
	if n := len(got.Top(10)); n != 4 {
		t.Errorf("top(10) = %d lines, want the 4 that gave points", n)
	}
}

// The score a sender posted is named for the rep who reads the card, not by
// its attribute's name; other fields keep the agreement's names.
func TestScoreLabels(t *testing.T) {
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	sixty := 60.0
	s := &handoff.Scoring{MQLAt: 40, SQLAt: 70, Explicit: []handoff.ExplicitRule{
		{Field: handoff.SourceScoreAttribute, AtLeast: &sixty, Points: 70},
		{Field: "title", Matches: regexp.MustCompile(`(?i)cto`), Points: 30},
	}}
	l := handoff.Lead{Title: "CTO", Attributes: map[string]any{handoff.SourceScoreAttribute: 77.0}}
	got := s.Score(&l, nil, now)
	if want := "marketing's score 77 ≥ 60 +70 · title: CTO +30"; got.Summary() != want {
		t.Errorf("summary = %q, want %q", got.Summary(), want)
	}
	if rule := got.Lines[0].Rule; !strings.HasPrefix(rule, handoff.SourceScoreAttribute) {
		t.Errorf("rule = %q: the rule keeps the agreement's own words", rule)
	}
}

func TestScoringThresholdsOnlyMoveForward(t *testing.T) {
	s := issueScoring()
	for _, tc := range []struct {
		from    handoff.Stage
		reached int
		score   int
		want    handoff.Stage // "" for no move
	}{
		{handoff.StageLead, 0, 39, ""},
		{handoff.StageLead, 0, 40, handoff.StageMQL},
		{handoff.StageLead, 0, 69, handoff.StageMQL},
		{handoff.StageLead, 0, 70, handoff.StageSQL},
		{handoff.StageMQL, 1, 70, handoff.StageSQL},
		{handoff.StageMQL, 1, 45, ""},       // already there
		{handoff.StageMQL, 1, 10, ""},       // decay never moves back
		{handoff.StageSQL, 2, 10, ""},       // nor out of SQL
		{handoff.StageSQL, 2, 200, ""},      // nothing past SQL
		{handoff.StageClaimed, 3, 200, ""},  // sales' stages are sales'
		{handoff.StageWon, 6, 200, ""},      //
		{handoff.StageRecycled, 3, 200, ""}, // marketing sends recycled leads back itself
		{handoff.StageLost, 4, 200, ""},     //
		{handoff.StageLead, 2, 80, ""},      // was an SQL before: not again by score
		{"", -1, 75, handoff.StageSQL},      // a new lead
		{"", -1, 5, ""},                     // a new lead below both
	} {
		got, ok := s.Promotion(tc.from, tc.reached, tc.score)
		if ok != (tc.want != "") || got != tc.want {
			t.Errorf("Promotion(%q, %d, %d) = %q, %v; want %q", tc.from, tc.reached, tc.score, got, ok, tc.want)
		}
	}
	var none *handoff.Scoring
	if _, ok := none.Promotion(handoff.StageLead, 0, 1000); ok {
		t.Error("no scoring promoted a lead")
	}
}

func TestScoringWhatIf(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	created := now.Add(-60 * day)
	leads := []handoff.ScoredLead{
		// 30 title + 40 demo = 70: an SQL.
		{Lead: &handoff.Lead{Title: "CIO", CreatedAt: created}, Activities: []handoff.Activity{
			{Type: "demo_request", OccurredAt: now.Add(-2 * day)}}},
		// 40 + 20 = 60 at its peak 50 days ago, decayed since: an MQL, once.
		{Lead: &handoff.Lead{Title: "Intern", CreatedAt: created}, Activities: []handoff.Activity{
			{Type: "demo_request", OccurredAt: now.Add(-50 * day)}, {Type: "page_view", URL: "/pricing", OccurredAt: now.Add(-49 * day)}}},
		// Two demo requests 40 days apart never count together: 40 at most, an MQL.
		{Lead: &handoff.Lead{CreatedAt: created}, Activities: []handoff.Activity{
			{Type: "demo_request", OccurredAt: now.Add(-45 * day)}, {Type: "demo_request", OccurredAt: now.Add(-5 * day)}}},
		// Nothing.
		{Lead: &handoff.Lead{Title: "Student", CreatedAt: created}},
	}
	s := issueScoring()
	if got, want := s.WhatIf(leads, now), (handoff.WhatIfResult{Leads: 4, MQLs: 3, SQLs: 1}); got != want {
		t.Errorf("what-if = %+v, want %+v", got, want)
	}
	lower := issueScoring()
	lower.SQLAt = 60
	if got, want := lower.WhatIf(leads, now), (handoff.WhatIfResult{Leads: 4, MQLs: 3, SQLs: 2}); got != want {
		t.Errorf("what-if sql_at 60 = %+v, want %+v", got, want)
	}
	noDecay := issueScoring()
	noDecay.Decay = 0
	if got, want := noDecay.WhatIf(leads, now), (handoff.WhatIfResult{Leads: 4, MQLs: 3, SQLs: 2}); got != want {
		t.Errorf("what-if without decay = %+v, want %+v", got, want)
	}
}

func TestScoringValidate(t *testing.T) {
	ok := issueScoring()
	if bad := ok.Validate(); bad != nil {
		t.Fatalf("valid scoring: %v", bad)
	}
	s := issueScoring()
	s.MQLAt, s.SQLAt = 80, 70
	s.Explicit[0].Points = -5
	s.Explicit[1].AtLeast = nil
	s.Implicit[2].Max = -1
	s.Implicit[1].Activity = ""
	bad := s.Validate()
	for _, key := range []string{"mql_at", "explicit[0].points", "explicit[1].matches", "implicit[2].max", "implicit[1].activity"} {
		if bad[key] == "" {
			t.Errorf("no problem named for %s: %v", key, bad)
		}
	}
	if len(bad) != 5 {
		t.Errorf("problems = %v, want 5", bad)
	}
}

// NextDecay is the first time after now at which time alone changes the
// score: an activity a rule scores stops counting, or a slightly future
// one starts to.
func TestScoringNextDecay(t *testing.T) {
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	act := func(typ, url string, at time.Time) handoff.Activity {
		return handoff.Activity{Type: typ, URL: url, OccurredAt: at}
	}
	noDecay := issueScoring()
	noDecay.Decay = 0
	tests := []struct {
		name    string
		scoring *handoff.Scoring
		acts    []handoff.Activity
		want    time.Time // zero: none
	}{
		{"NoActivities", issueScoring(), nil, time.Time{}},
		{"OldestCountingDecaysFirst", issueScoring(), []handoff.Activity{
			act("demo_request", "", now.Add(-2*day)), act("page_view", "/pricing", now.Add(-10*day)), act("email_open", "", now.Add(-day)),
		}, now.Add(20 * day)},
		{"AlreadyDecayedIsPast", issueScoring(), []handoff.Activity{
			act("demo_request", "", now.Add(-40*day)), act("email_open", "", now.Add(-3*day)),
		}, now.Add(27 * day)},
		{"ExactlyAtDecayHasStopped", issueScoring(), []handoff.Activity{act("demo_request", "", now.Add(-30*day))}, time.Time{}},
		{"UnscoredActivityIgnored", issueScoring(), []handoff.Activity{
			act("page_view", "/blog", now.Add(-29*day)), act("webinar", "", now.Add(-29*day)), act("demo_request", "", now.Add(-5*day)),
		}, now.Add(25 * day)},
		{"FutureStartsCounting", issueScoring(), []handoff.Activity{
			act("demo_request", "", now.Add(-5*day)), act("email_open", "", now.Add(3*time.Minute)),
		}, now.Add(3 * time.Minute)},
		{"NoDecayNeverChanges", noDecay, []handoff.Activity{act("demo_request", "", now.Add(-400*day))}, time.Time{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.scoring.NextDecay(tc.acts, now)
			switch {
			case tc.want.IsZero() && got != nil:
				t.Fatalf("NextDecay = %s, want none", got)
			case !tc.want.IsZero() && (got == nil || !got.Equal(tc.want)):
				t.Fatalf("NextDecay = %v, want %s", got, tc.want)
			}
			if got != nil {
				// Just before the boundary the score is as now; at it, it changes.
				l := &handoff.Lead{}
				before := tc.scoring.Score(l, tc.acts, got.Add(-time.Millisecond)).Score
				at := tc.scoring.Score(l, tc.acts, *got).Score
				if before != tc.scoring.Score(l, tc.acts, now).Score || before == at {
					t.Fatalf("score %d just before %s and %d at it: the boundary is not where the score changes", before, got, at)
				}
			}
		})
	}
}
