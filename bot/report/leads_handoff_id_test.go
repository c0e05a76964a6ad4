package report_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestLeadsByHandoffsID: `/leads lead 42` and `/leads why lead 42` find a
// lead by Handoff's id, as the lists name a lead whose personal data was
// erased ("lead 42 (personal data erased)"), whose external id no list
// shows; the CRM's id still works for any other lead, and "lead" with
// anything but a number is read as before.
func TestLeadsByHandoffsID(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		p := buildReportLog(t, s)
		acme, err := s.LeadByExternalID(ctx, "acme")
		if err != nil {
			t.Fatal(err)
		}
		berg, err := s.LeadByExternalID(ctx, "berg")
		if err != nil {
			t.Fatal(err)
		}
		if err := s.ForgetLead(ctx, "berg", p, reportNow); err != nil {
			t.Fatal(err)
		}
		if berg, err = s.Lead(ctx, berg.ID); err != nil || berg.ErasedAt == nil {
			t.Fatalf("berg after the erasure: %+v, %v", berg, err)
		}
		erasedName := bot.LeadTitle(berg)
		r := reports(s, p)
		for _, c := range []struct{ text, header string }{
			{fmt.Sprintf("lead %d", berg.ID), "📜 " + erasedName},
			{fmt.Sprintf("LEAD %d", berg.ID), "📜 " + erasedName},
			{fmt.Sprintf("why lead %d", berg.ID), "🧭 Routing of " + erasedName},
			{fmt.Sprintf("lead %d", acme.ID), "📜 Acme A/S (acme)"},
			{"acme", "📜 Acme A/S (acme)"},
		} {
			if m := ask(t, r, "leads", c.text); m.Header != c.header {
				t.Errorf("/leads %s: header %q, want %q", c.text, m.Header, c.header)
			}
		}
		for _, text := range []string{"lead 999999", "lead x", "why lead 0"} {
			_, err := r.Answer(ctx, bot.Command{Platform: "slack", Name: "leads", Text: text, UserID: "U1", SeesLeads: true})
			if code := handoff.ErrorCode(err); code != handoff.ENOTFOUND && code != handoff.EINVALID {
				t.Errorf("/leads %s: err = %v, want a clear ENOTFOUND or EINVALID", text, err)
			}
		}
		if _, err := r.Answer(ctx, bot.Command{Platform: "slack", Name: "leads", Text: fmt.Sprintf("lead %d", berg.ID), UserID: "U9"}); handoff.ErrorCode(err) != handoff.EFORBIDDEN {
			t.Errorf("/leads lead %d outside the sales channel: err = %v, want EFORBIDDEN", berg.ID, err)
		}
	})
}
