package report_test

import (
	"context"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/report"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// A routed week through the store: Ann (weight 2) passes a lead and Bo
// accepts it after 4 minutes; the next lead runs out with Ann, then with
// Bo, opens to the channel and Ann claims it there; a third waits while
// both are away. The digest's routing section shows each rep's received
// leads against their fair share, offers, accepts, passes, timeouts and
// median offer-to-accept, and the team's line; the same week under claim
// mode with nothing routed has no routing section.
func TestBuildDigestRouting(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		ann := handoff.RepRef{Platform: "slack", ID: "U0ANN0001"}
		bo := handoff.RepRef{Platform: "slack", ID: "U0BO00002"}
		p := reportPolicy(t)
		claimMode := p
		p.Routing = handoff.Routing{Mode: handoff.RouteRoundRobin, OfferFor: 15 * time.Minute, OfferRounds: 2,
			Reps: []handoff.Rep{{Ref: ann, Weight: 2}, {Ref: bo, Weight: 1}}}
		at := time.Date(2026, 11, 17, 9, 0, 0, 0, time.UTC) // Tuesday of 2026-W47
		save := func(id string) int64 {
			t.Helper()
			res, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: id, Company: id, Email: "x@" + id + ".example", Stage: handoff.StageSQL},
				p, at, handoff.ActorAPI)
			if err != nil {
				t.Fatal(err)
			}
			return res.Lead.ID
		}
		// step takes one routing step and checks whom the lead is offered
		// to next (zero: nobody).
		step := func(id int64, r handoff.RouteRequest, when time.Time, want handoff.RepRef) {
			t.Helper()
			r.Routing = p.Routing
			if _, _, ok, err := s.RouteLead(ctx, id, r, when); err != nil || !ok {
				t.Fatalf("route %d: %v %v", id, ok, err)
			}
			l, err := s.Lead(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if l.Offer.Rep != want {
				t.Fatalf("lead %d offered to %+v, want %+v", id, l.Offer.Rep, want)
			}
		}
		claim := func(id int64, rep handoff.RepRef, when time.Time) {
			t.Helper()
			if _, won, err := s.ClaimLead(ctx, id, handoff.Owner{Platform: rep.Platform, UserID: rep.ID}, when, handoff.Policy{}, rep.Key()); err != nil || !won {
				t.Fatalf("claim %d: %v %v", id, won, err)
			}
		}

		week, err := handoff.ParsePeriod("2026-W47", reportNow, p.Location)
		if err != nil {
			t.Fatal(err)
		}
		req := handoff.DigestRequest{Week: week.Label, Start: week.Start, End: week.End}
		m, err := report.BuildDigest(ctx, s, claimMode, req, reportNow)
		if err != nil {
			t.Fatal(err)
		}
		for _, tb := range m.Tables {
			if tb.Title == "Routing per rep" {
				t.Errorf("claim mode, nothing routed: the digest has a routing table %q", tb.Rows)
			}
		}

		passed := save("passed")
		step(passed, handoff.RouteRequest{}, at, ann)
		step(passed, handoff.RouteRequest{Pass: ann, Reason: "on a call"}, at.Add(time.Minute), bo)
		claim(passed, bo, at.Add(5*time.Minute))

		ranOut := save("ran-out")
		step(ranOut, handoff.RouteRequest{}, at.Add(time.Hour), ann)
		step(ranOut, handoff.RouteRequest{}, at.Add(time.Hour+16*time.Minute), bo)
		step(ranOut, handoff.RouteRequest{}, at.Add(time.Hour+32*time.Minute), handoff.RepRef{}) // open to the channel
		claim(ranOut, ann, at.Add(2*time.Hour))

		// Ann is away when this one is first offered: Bo's alone to take,
		// so it counts to Bo's fair share only.
		annAway := map[string]handoff.RepState{ann.Key(): {Away: &handoff.Away{}}}
		boOnly := save("bo-only")
		step(boOnly, handoff.RouteRequest{States: annAway}, at.Add(150*time.Minute), bo)
		claim(boOnly, bo, at.Add(154*time.Minute))

		away := map[string]handoff.RepState{ann.Key(): {Away: &handoff.Away{}}, bo.Key(): {Away: &handoff.Away{}}}
		step(save("waits"), handoff.RouteRequest{States: away}, at.Add(3*time.Hour), handoff.RepRef{})

		for name, policy := range map[string]handoff.Policy{"round robin": p, "claim mode, leads routed": claimMode} {
			m, err := report.BuildDigest(ctx, s, policy, req, reportNow)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := fieldOf(t, m, "Leads nobody could take"), "1 opened to the channel (nobody accepted) · 1 waited (nobody available)"; got != want {
				t.Errorf("%s: team = %q, want %q", name, got, want)
			}
			// Claim-to-contact stays apart: nobody was contacted.
			if got := fieldOf(t, m, "Median time to contact"); got != "–" {
				t.Errorf("%s: median time to contact = %q", name, got)
			}
			annName, boName := bot.RepName(ann), bot.RepName(bo)
			if name == "round robin" {
				// Fair share by weight (2 to 1) over the two leads offered
				// while both were available, and all of the one Ann was
				// away for: Ann (⅔+⅔)/3 = 44 %, Bo (⅓+⅓+1)/3 = 56 %.
				wantRows(t, tableOf(t, m, "Routing per rep"), [][]string{
					{annName, "1", "33%", "44%", "2", "0", "1", "1", "–"},
					{boName, "2", "67%", "56%", "3", "2", "0", "1", "4 min"},
				})
				continue
			}
			// Claim mode names no rotation: the reps that were offered leads.
			wantRows(t, tableOf(t, m, "Routing per rep"), [][]string{
				{annName, "–", "–", "–", "2", "0", "1", "1", "–"},
				{boName, "–", "–", "–", "3", "2", "0", "1", "4 min"},
			})
		}
	})
}
