package config

import (
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
)

const issueScoringYAML = `scoring:
  mql_at: 40
  sql_at: 70
  explicit:
    - {field: title, matches: "(?i)\\b(it-chef|cto|cio|it manager)\\b", points: 30}
    - {field: company_size, at_least: 50, points: 15}
  implicit:
    - {activity: page_view, url_matches: "/pricing", points: 20, max: 40}
    - {activity: demo_request, points: 40}
    - {activity: email_open, points: 2, max: 10}
  decay: 30d
reasons: [too small, no budget, other]
sla:
  excuse_system_delay: true
`

func TestParseScoringAndReasons(t *testing.T) {
	a, err := ParseAgreement([]byte(issueScoringYAML))
	p := a.Policy
	if err != nil {
		t.Fatal(err)
	}
	s := p.Scoring
	if s == nil || s.MQLAt != 40 || s.SQLAt != 70 || s.Decay != 30*24*time.Hour || len(s.Explicit) != 2 || len(s.Implicit) != 3 {
		t.Fatalf("scoring = %+v", s)
	}
	if !s.Explicit[0].Matches.MatchString("IT-Chef") || s.Explicit[0].Points != 30 {
		t.Errorf("explicit[0] = %v", s.Explicit[0])
	}
	if s.Explicit[1].AtLeast == nil || *s.Explicit[1].AtLeast != 50 || s.Explicit[1].Field != "company_size" {
		t.Errorf("explicit[1] = %v", s.Explicit[1])
	}
	if r := s.Implicit[0]; r.Activity != "page_view" || !r.URLMatches.MatchString("https://x.dk/pricing") || r.Max != 40 {
		t.Errorf("implicit[0] = %v", r)
	}
	if got := strings.Join(p.Reasons, "|"); got != "too small|no budget|other" {
		t.Errorf("reasons = %q", got)
	}
	if !p.ExcuseSystemDelay {
		t.Error("excuse_system_delay not read")
	}
	defA, err := ParseAgreement(nil)
	def := defA.Policy
	if err != nil {
		t.Fatal(err)
	}
	if def.Scoring != nil || def.Reasons != nil || def.ExcuseSystemDelay || len(def.ReasonList()) != len(handoff.DefaultReasons) {
		t.Errorf("defaults: scoring %v reasons %v excuse %v", def.Scoring, def.Reasons, def.ExcuseSystemDelay)
	}
}

// TestScoringCheckNamesEveryProblem: one file, every problem, one line each.
func TestScoringCheckNamesEveryProblem(t *testing.T) {
	yaml := `scoring:
  mql_at: 80
  sql_at: 70
  explicit:
    - {field: title, matches: "(?i)(cto", points: 30}
    - {field: company_size, points: 15}
    - {field: title, matches: "cio", points: -5}
  implicit:
    - {activity: page_view, url_matches: "[", points: 20}
    - {activity: email_open, points: 2, max: -10}
    - {points: 4}
    - {activity: demo, points: lots}
  decay: a while
reasons: [no budget, No budget, ""]
sla:
  excuse_system_delay: sometimes
`
	_, err := ParseAgreement([]byte(yaml))
	if err == nil {
		t.Fatal("ParsePolicy succeeded, want errors")
	}
	want := []string{
		`scoring.mql_at: 80 must not exceed sql_at (70)`,
		`scoring.explicit[0].matches: invalid regular expression "(?i)(cto"`,
		`scoring.explicit[1].matches: exactly one of matches and at_least is required`,
		`scoring.explicit[2].points: must not be negative, got -5`,
		`scoring.implicit[0].url_matches: invalid regular expression "["`,
		`scoring.implicit[1].max: must not be negative, got -10`,
		`scoring.implicit[2].activity: required`,
		`scoring.implicit[3].points: invalid whole number "lots"`,
		`scoring.decay: invalid duration "a while"`,
		`reasons[1]: "No budget" is listed twice`,
		`reasons[2]: empty reason`,
		`sla.excuse_system_delay: invalid boolean "sometimes"`,
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error does not mention %q", w)
		}
	}
	if lines := strings.Split(err.Error(), "\n"); len(lines) != len(want) {
		t.Errorf("got %d lines, want one per problem (%d):\n%v", len(lines), len(want), err)
	}
	if _, err := ParseAgreement([]byte("scoring:\n  mql_at: 40\n  sql_at: 70\n  explicit:\n    - {field: title, matchs: x, points: 1}\n")); err == nil ||
		!strings.Contains(err.Error(), `unknown key "scoring.explicit[].matchs"`) {
		t.Errorf("misspelt rule key: %v", err)
	}
}
