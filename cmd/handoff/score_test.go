package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

func TestRunScoreCommand(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		p := handoff.DefaultPolicy()
		p.Scoring = &handoff.Scoring{MQLAt: 40, SQLAt: 70,
			Explicit: []handoff.ExplicitRule{{Field: "title", Matches: regexp.MustCompile(`(?i)\bcto\b`), Points: 30}},
			Implicit: []handoff.ImplicitRule{{Activity: "demo_request", Points: 40}, {Activity: "page_view", Points: 10, Max: 20}},
			Decay:    30 * 24 * time.Hour,
		}
		// October's leads, asked about on 5 November: a CTO with a demo
		// request (70, an SQL), a CTO with two page views (50, an MQL) and
		// a student with one view (10).
		now := time.Date(2026, 11, 5, 12, 0, 0, 0, time.UTC)
		at := time.Date(2026, 10, 10, 9, 0, 0, 0, time.UTC)
		for _, l := range []struct {
			ext, title string
			acts       []handoff.Activity
		}{
			{"a", "CTO", []handoff.Activity{{Type: "demo_request", OccurredAt: at.Add(time.Hour)}}},
			{"b", "CTO", []handoff.Activity{{Type: "page_view", OccurredAt: at.Add(time.Hour)}, {Type: "page_view", OccurredAt: at.Add(2 * time.Hour)}}},
			{"c", "Student", []handoff.Activity{{Type: "page_view", OccurredAt: at.Add(time.Hour)}}},
		} {
			if _, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: l.ext, Title: l.title}, p, at, handoff.ActorAPI); err != nil {
				t.Fatal(err)
			}
			if _, err := s.SaveActivities(ctx, l.ext, l.acts, p, at.Add(3*time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		var out bytes.Buffer
		load := func(path string) (handoff.Policy, error) {
			if path != "lower.yml" {
				t.Fatalf("loaded %q", path)
			}
			q := p
			lower := *p.Scoring
			lower.SQLAt = 50
			q.Scoring = &lower
			return q, nil
		}
		if err := (scoreOptions{explain: "a"}).run(ctx, s, p, load, at.Add(4*time.Hour), &out); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"Score of a: 70 (reaches sql; mql_at 40, sql_at 70); stage now sql",
			`title matches (?i)\bcto\b       30  CTO`, "demo_request                    40  1×", "1 activity counts now (those of the last 30 days)"} {
			if !strings.Contains(squeeze(out.String()), squeeze(want)) {
				t.Errorf("explain lacks %q:\n%s", want, out.String())
			}
		}
		out.Reset()
		if err := (scoreOptions{whatIf: "lower.yml", period: "last-month"}).run(ctx, s, p, load, now, &out); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"What-if for the 3 leads that arrived in 2026-10",
			"what happened                          2        1",
			"the current agreement's scoring        2        1",
			"lower.yml                              2        2"} {
			if !strings.Contains(squeeze(out.String()), squeeze(want)) {
				t.Errorf("what-if lacks %q:\n%s", want, out.String())
			}
		}
		for _, o := range []scoreOptions{{}, {explain: "a", whatIf: "x.yml"}, {explain: "nobody"}} {
			if err := o.run(ctx, s, p, load, now, &out); err == nil {
				t.Errorf("%+v: no error", o)
			}
		}
	})
}

// squeeze collapses runs of spaces, so that column widths do not matter.
func squeeze(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.Join(strings.Fields(l), " ")
	}
	return strings.Join(lines, "\n")
}
