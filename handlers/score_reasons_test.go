package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// A lead whose long values match the agreement's scoring rules is taken
// on both databases alike: the score's summary quotes each value that
// matched, and PostgreSQL's column of 1,000 characters answered such a
// lead 500 (a 500-character title and company, an attribute of 2,000);
// the summary is cut to handoff.MaxScoreReasonsLen, marked "…".
func TestLongMatchedValuesAreScored(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		p := scoringPolicy()
		p.Scoring.Explicit = append(p.Scoring.Explicit,
			handoff.ExplicitRule{Field: "company", Matches: regexp.MustCompile(`.`), Points: 5},
			handoff.ExplicitRule{Field: "industry", Matches: regexp.MustCompile(`.`), Points: 5})
		clock := now
		srv := scoringServer(t, s, p, &clock)
		body, err := json.Marshal(map[string]any{"external_id": "long-match", "title": "CTO " + strings.Repeat("t", handoff.MaxFieldLen-4),
			"company": strings.Repeat("c", handoff.MaxFieldLen), "industry": strings.Repeat("i", handoff.MaxAttributeLen)})
		if err != nil {
			t.Fatal(err)
		}
		if a := post(t, srv, string(body)); a.status != http.StatusCreated || a.body["score"] != 40.0 {
			t.Fatalf("lead = %d %v", a.status, a.body)
		}
		l, err := s.LeadByExternalID(context.Background(), "long-match")
		if err != nil {
			t.Fatal(err)
		}
		if n := utf8.RuneCountInString(l.ScoreReasons); n != handoff.MaxScoreReasonsLen || !strings.HasPrefix(l.ScoreReasons, "title: CTO") || !strings.HasSuffix(l.ScoreReasons, "…") {
			t.Errorf("score reasons: %d characters, %.40q…", n, l.ScoreReasons)
		}
	})
}
