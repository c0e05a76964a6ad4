package report_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestLeadsWhy: `/leads why <id>` words every routing step stored for a
// lead (the offer, the pass with its reason, the opening to the channel,
// then the claim; an away rep skipped with their escaped words, then the
// offered rep's accept); a lead that was never routed says the first click won;
// an unknown id is a clear ENOTFOUND; someone outside the sales channel is
// refused politely.
func TestLeadsWhy(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		p := buildReportLog(t, s)
		ann, bo := handoff.RepRef{Platform: "slack", ID: "U1"}, handoff.RepRef{Platform: "slack", ID: "U2"}
		routing := handoff.Routing{Mode: handoff.RouteRoundRobin, OfferFor: 15 * time.Minute, OfferRounds: 2,
			Reps: []handoff.Rep{{Ref: ann, Weight: 1}, {Ref: bo, Weight: 1}}}
		rp := p
		rp.Routing = routing
		at := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
		res, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: "rr-1", Company: "Ørsted Ure", Stage: handoff.StageSQL}, rp, at, handoff.ActorAPI)
		if err != nil {
			t.Fatal(err)
		}
		id := res.Lead.ID
		steps := []handoff.RouteRequest{
			{Routing: routing, Location: p.Location},
			{Routing: routing, Location: p.Location, Pass: ann, Reason: "on a call"},
			{Routing: routing, Location: p.Location},
		}
		for i, req := range steps {
			if _, _, stepped, err := s.RouteLead(ctx, id, req, at.Add(time.Duration(i)*20*time.Minute)); err != nil || !stepped {
				t.Fatalf("step %d: stepped=%v err=%v", i, stepped, err)
			}
		}
		if _, won, err := s.ClaimLead(ctx, id, rep2, at.Add(time.Hour), handoff.Policy{}, "slack:U2"); err != nil || !won {
			t.Fatalf("claim: won=%v err=%v", won, err)
		}

		r := reports(s, p)
		m := ask(t, r, "leads", "why rr-1")
		var got []string
		for _, sec := range m.Sections {
			got = append(got, sec.Text)
		}
		u1, u2 := bot.RepName(ann), bot.RepName(bo)
		want := []string{
			"Fri 20 Nov 09:00: offered to " + u1 + " until 09:15",
			"Fri 20 Nov 09:20: " + u1 + " passed (on a call); offered to " + u2 + " until 09:35",
			"Fri 20 Nov 09:40: " + u2 + " did not answer in time; opened to the whole channel (offer rounds used up)",
			"Fri 20 Nov 10:00: claimed by " + bot.MentionOn("slack", "U2", ""),
		}
		if !m.Private || m.Header != "🧭 Routing of Ørsted Ure (rr-1)" || strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("why rr-1: private=%v header %q\n got %q\nwant %q", m.Private, m.Header, got, want)
		}

		// The offered rep claiming is an accept.
		res, err = s.SaveLead(ctx, handoff.LeadInput{ExternalID: "rr-2", Company: "Bo Bryg", Stage: handoff.StageSQL}, rp, at, handoff.ActorAPI)
		if err != nil {
			t.Fatal(err)
		}
		d := steps[0]
		d.States = map[string]handoff.RepState{ann.Key(): {Away: &handoff.Away{Until: at.AddDate(0, 0, 2), Reason: "<b>ski</b>"}}}
		if _, _, stepped, err := s.RouteLead(ctx, res.Lead.ID, d, at); err != nil || !stepped {
			t.Fatalf("rr-2: stepped=%v err=%v", stepped, err)
		}
		if _, won, err := s.ClaimLead(ctx, res.Lead.ID, rep2, at.Add(5*time.Minute), handoff.Policy{}, "slack:U2"); err != nil || !won {
			t.Fatalf("rr-2 claim: won=%v err=%v", won, err)
		}
		m = ask(t, r, "leads", "why rr-2")
		got = nil
		for _, sec := range m.Sections {
			got = append(got, sec.Text)
		}
		want = []string{
			"Fri 20 Nov 09:00: offered to " + u2 + " until 09:15. Skipped: " + u1 + " away until Sun 22 Nov (&lt;b&gt;ski&lt;/b&gt;)",
			"Fri 20 Nov 09:05: accepted by " + bot.MentionOn("slack", "U2", ""),
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("why rr-2:\n got %q\nwant %q", got, want)
		}

		m = ask(t, r, "leads", "WHY dansk")
		if len(m.Sections) == 0 || m.Sections[0].Text != "Not routed: first click wins (claim mode)." {
			t.Errorf("why dansk: %+v", m.Sections)
		}

		for _, c := range []struct {
			text  string
			sees  bool
			code  string
			words string
		}{
			{"why nope", true, handoff.ENOTFOUND, "`nope`"},
			{"why rr-1", false, handoff.EFORBIDDEN, ""},
		} {
			_, err := r.Answer(ctx, bot.Command{Platform: "slack", Name: "leads", Text: c.text, UserID: "U9", SeesLeads: c.sees})
			if handoff.ErrorCode(err) != c.code || !strings.Contains(handoff.ErrorMessage(err), c.words) {
				t.Errorf("/leads %s (sees %v): err = %v, want %s", c.text, c.sees, err, c.code)
			}
		}
	})
}
