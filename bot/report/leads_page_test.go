package report_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestReportsLeadsPages lists 45 open SQLs, 20 a page: the title counts
// all 45 (not the 20 it read), each page says which of them it shows and
// the command that shows the next, the pages together list every lead
// once, and a page past the end or not a number is corrected.
func TestReportsLeadsPages(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		p := reportPolicy(t)
		ctx := context.Background()
		for i := range 45 {
			at := reportNow.Add(-time.Duration(45-i) * time.Minute)
			in, err := handoff.ParseLeadInput(map[string]any{"external_id": fmt.Sprintf("lead-%02d", i), "stage": "sql",
				"company": fmt.Sprintf("Firma %02d", i), "occurred_at": at.Format(time.RFC3339)}, at)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.SaveLead(ctx, in, p, at, handoff.ActorAPI); err != nil {
				t.Fatal(err)
			}
		}
		r := reports(s, p)
		seen := map[string]bool{}
		for _, tc := range []struct {
			text, title string
			rows        int
			line        string
		}{
			{"open", "Open leads (45)", 20, "Showing 1–20 of 45, most urgent first. `/leads open 2` shows the next 20."},
			{"open 2", "Open leads (45)", 20, "Showing 21–40 of 45, most urgent first. `/leads open 3` shows the next 5."},
			{"open 3", "Open leads (45)", 5, "Showing 41–45 of 45, most urgent first. `/leads open 2` shows the ones before."},
			{"mine", "Your open leads (0)", 0, ""},
		} {
			m := ask(t, r, "leads", tc.text)
			tb := tableOf(t, m, "")
			if tb.Title != tc.title || len(tb.Rows) != tc.rows {
				t.Errorf("/leads %s: table %q of %d rows, want %q of %d", tc.text, tb.Title, len(tb.Rows), tc.title, tc.rows)
			}
			if tc.line != "" && (len(m.Context) == 0 || m.Context[0] != tc.line) {
				t.Errorf("/leads %s: context %q, want it to start with %q", tc.text, m.Context, tc.line)
			}
			if tc.line == "" && len(m.Context) != 1 {
				t.Errorf("/leads %s: context %q, want only the hint and time zone", tc.text, m.Context)
			}
			if strings.HasPrefix(tc.text, "open") {
				for _, row := range tb.Rows {
					if seen[row[0]] {
						t.Errorf("/leads %s lists %s again", tc.text, row[0])
					}
					seen[row[0]] = true
				}
			}
		}
		if len(seen) != 45 {
			t.Errorf("the pages list %d leads, want all 45", len(seen))
		}
		for _, tc := range []struct{ text, want string }{
			{"open 4", "`/leads open 3` is the last page"},
			{"open 0", "The page `0` is not a page number"},
			{"open two", "The page `two` is not a page number"},
			{"breached 2", "Use `/leads"},
		} {
			_, err := r.Answer(ctx, bot.Command{Platform: "slack", Name: "leads", Text: tc.text, UserID: "U1", SeesLeads: true})
			if handoff.ErrorCode(err) != handoff.EINVALID || !strings.Contains(handoff.ErrorMessage(err), tc.want) {
				t.Errorf("/leads %s: err = %v, want EINVALID saying %q", tc.text, err, tc.want)
			}
		}
	})
}
