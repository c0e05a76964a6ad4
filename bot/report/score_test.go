package report_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/report"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestLeadScoredIntoSQLIsExplained: a lead scored into an SQL shows the
// top reasons on its card and every rule in /leads <id>.
func TestLeadScoredIntoSQLIsExplained(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		p := reportPolicy(t)
		p.Scoring = &handoff.Scoring{MQLAt: 40, SQLAt: 70,
			Explicit: []handoff.ExplicitRule{{Field: "title", Matches: regexp.MustCompile(`(?i)\bcto\b`), Points: 30}},
			Implicit: []handoff.ImplicitRule{
				{Activity: "page_view", URLMatches: regexp.MustCompile(`/pricing`), Points: 20, Max: 40},
				{Activity: "demo_request", Points: 40},
			},
		}
		at := reportNow.Add(-time.Hour)
		if _, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: "sc", Company: "Skov A/S", Title: "CTO"}, p, at, handoff.ActorAPI); err != nil {
			t.Fatal(err)
		}
		acts := []handoff.Activity{{Type: "page_view", URL: "/pricing", OccurredAt: at}, {Type: "page_view", URL: "/pricing", OccurredAt: at},
			{Type: "page_view", URL: "/pricing", OccurredAt: at}}
		res, err := s.SaveActivities(ctx, "sc", acts, p, reportNow)
		if err != nil {
			t.Fatal(err)
		}
		if res.Lead.Stage != handoff.StageSQL || res.Lead.Score != 70 {
			t.Fatalf("lead = %s %d", res.Lead.Stage, res.Lead.Score)
		}
		card := bot.LeadCard(res.Lead, reportNow, p)
		if got := fieldOf(t, card, "Score"); got != "70 ("+bot.Escape("page_view /pricing ×3 +40 · title: CTO +30")+")" {
			t.Errorf("card score = %q", got)
		}
		m := ask(t, &report.Reports{Store: s, Policy: p, Now: func() time.Time { return reportNow }}, "leads", "sc")
		tb := tableOf(t, m, "Score 70 (MQL at 40, SQL at 70)")
		wantRows(t, tb, [][]string{
			{`title matches (?i)\bcto\b`, "CTO", "30"},
			{bot.Escape("page_view /pricing (max 40)"), "3× (capped)", "40"},
			{bot.Escape("demo_request"), "–", "0"},
		})
		history := tableOf(t, m, "History")
		var byScoring []string
		for _, r := range history.Rows {
			if strings.Contains(r[2], handoff.ActorScoring) {
				byScoring = append(byScoring, r[1])
			}
		}
		if len(byScoring) != 2 {
			t.Errorf("history rows by scoring = %q, want the mql and sql moves", byScoring)
		}

		// Erased, the lead keeps its score for the funnel but nothing that
		// explained it: /leads lead <id> shows no rules that would read 0.
		if err := s.ForgetLead(ctx, "sc", p, reportNow); err != nil {
			t.Fatal(err)
		}
		m = ask(t, &report.Reports{Store: s, Policy: p, Now: func() time.Time { return reportNow }}, "leads", fmt.Sprintf("lead %d", res.Lead.ID))
		for _, tb := range m.Tables {
			if strings.HasPrefix(tb.Title, "Score") {
				t.Errorf("the erased lead's history explains its score: %q", tb.Title)
			}
		}
		tableOf(t, m, "History")
	})
}
