package storage_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestMarketingKPIs checks marketing's side of November's funnel against
// answers worked out by hand from buildFunnelLog, with the cards of C, D
// and F shown in chat 20 min, 2 h and 30 s after they became SQLs.
func TestMarketingKPIs(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		buildFunnelLog(t, s)
		ctx := context.Background()
		policy := funnelPolicy(t)
		for ext, shown := range map[string]string{"C": "2026-11-03T09:20:00Z", "D": "2026-11-05T10:00:00Z", "F": "2026-11-19T12:00:30Z"} {
			l, err := s.LeadByExternalID(ctx, ext)
			if err != nil {
				t.Fatal(err)
			}
			at := utc(t, shown)
			if _, err := s.UpdateLead(ctx, l.ID, at, func(l *handoff.Lead) (handoff.LeadChange, error) {
				if !l.CardShown(at, policy) {
					t.Errorf("%s: card shown twice", ext)
				}
				return handoff.LeadChange{}, nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		// K goes back to marketing as not a fit, for "no need".
		k, err := s.LeadByExternalID(ctx, "K")
		if err != nil {
			t.Fatal(err)
		}
		at := utc(t, "2026-11-20T08:50:00Z")
		if _, err := s.UpdateLead(ctx, k.ID, at, func(l *handoff.Lead) (handoff.LeadChange, error) {
			plan, err := handoff.PlanTransition(l.Stage, l.Reached, handoff.StageRecycled)
			if err != nil {
				return handoff.LeadChange{}, err
			}
			return handoff.NewChange(l, l.EnterStages(plan, at, "slack:U9", policy.ReasonDetails("no need", "", true), policy)), nil
		}); err != nil {
			t.Fatal(err)
		}
		p, err := handoff.ParsePeriod("2026-11", funnelNow, copenhagen(t))
		if err != nil {
			t.Fatal(err)
		}
		f := handoff.FunnelFilter{Period: p, Now: funnelNow}
		c, err := s.FunnelCounts(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		got := handoff.NewFunnel(f, c, policy)
		// Per source and campaign, most SQLs first:
		//   "" : F, G, H, I, K became SQLs (H twice, counted once); F was
		//        claimed; H recycled ("not ready": not in the list, so
		//        "other"); K returned as not a fit for "no need".
		//   organic: D and E (E imported as won: every stage implied);
		//        D lost for "no budget"; E won for 10,000.
		//   paid: C, claimed and won for 40,000.
		want := `[{"source":"","campaign":"","sqls":5,"claimed":1,"not_a_fit":1,"recycled":2,"won":0,"revenue":0,"top_reasons":[{"reason":"no need","count":1},{"reason":"other","count":1}]},` +
			`{"source":"organic","campaign":"","sqls":2,"claimed":2,"not_a_fit":0,"recycled":0,"won":1,"revenue":10000,"top_reasons":[{"reason":"no budget","count":1}]},` +
			`{"source":"paid","campaign":"","sqls":1,"claimed":1,"not_a_fit":0,"recycled":0,"won":1,"revenue":40000,"top_reasons":[]}]`
		if b, _ := json.Marshal(got.ByCampaign); string(b) != want {
			t.Errorf("by_campaign =\n%s\nwant\n%s", b, want)
		}
		// First contacts in November: C after 4 h (won), D after 72 h
		// (lost); E's was implied by its import, J's was in October.
		want = `[{"bucket":"\u003c5m","contacted":0,"opportunities":0,"won":0,"win_rate":null},` +
			`{"bucket":"5m-1h","contacted":0,"opportunities":0,"won":0,"win_rate":null},` +
			`{"bucket":"1h-4h","contacted":0,"opportunities":0,"won":0,"win_rate":null},` +
			`{"bucket":"4h-24h","contacted":1,"opportunities":1,"won":1,"win_rate":1},` +
			`{"bucket":"\u003e24h","contacted":1,"opportunities":0,"won":0,"win_rate":0}]`
		if b, _ := json.Marshal(got.SpeedToLead); string(b) != want {
			t.Errorf("speed_to_lead =\n%s\nwant\n%s", b, want)
		}
		// Claimed in November with a shown card: C (system 1,200 s, rep
		// 2,400 s), D (7,200 s, 3,600 s), F (30 s, 1,770 s).
		if d := got.Delays; d.MedianSystemSeconds == nil || *d.MedianSystemSeconds != 1200 || d.MedianRepSeconds == nil || *d.MedianRepSeconds != 2400 {
			t.Errorf("delays = %s / %s, want 1200 / 2400", fmtFloat(d.MedianSystemSeconds), fmtFloat(d.MedianRepSeconds))
		}
		// Filtered to organic, only organic's row; October has no delays.
		fo := handoff.FunnelFilter{Period: p, Source: "organic", Now: funnelNow}
		co, err := s.FunnelCounts(ctx, fo)
		if err != nil {
			t.Fatal(err)
		}
		if rows := handoff.NewFunnel(fo, co, policy).ByCampaign; len(rows) != 1 || rows[0].Source != "organic" {
			t.Errorf("organic by_campaign = %+v", rows)
		}
		oct, err := handoff.ParsePeriod("2026-10", funnelNow, copenhagen(t))
		if err != nil {
			t.Fatal(err)
		}
		co, err = s.FunnelCounts(ctx, handoff.FunnelFilter{Period: oct, Now: funnelNow})
		if err != nil {
			t.Fatal(err)
		}
		if co.MedianSystemDelayMs != nil || co.MedianRepDelayMs != nil {
			t.Errorf("October delays = %v %v, want none", co.MedianSystemDelayMs, co.MedianRepDelayMs)
		}
	})
}

// TestExcuseSystemDelay: with sla.excuse_system_delay a late card moves the
// claim deadline; without it, it does not; a second showing changes nothing.
func TestExcuseSystemDelay(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		for _, excuse := range []bool{false, true} {
			p := handoff.DefaultPolicy()
			p.ExcuseSystemDelay = excuse
			sqlAt := utc(t, "2026-11-20T09:00:00Z")
			ext := "ex-" + map[bool]string{false: "no", true: "yes"}[excuse]
			res, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: ext, OccurredAt: &sqlAt}, p, sqlAt, handoff.ActorAPI)
			if err != nil {
				t.Fatal(err)
			}
			for _, shown := range []time.Time{sqlAt.Add(50 * time.Minute), sqlAt.Add(3 * time.Hour)} {
				if _, err := s.UpdateLead(ctx, res.Lead.ID, shown, func(l *handoff.Lead) (handoff.LeadChange, error) {
					l.CardShown(shown, p)
					return handoff.LeadChange{}, nil
				}); err != nil {
					t.Fatal(err)
				}
			}
			l, err := s.Lead(ctx, res.Lead.ID)
			if err != nil {
				t.Fatal(err)
			}
			want := sqlAt.Add(2 * time.Hour)
			if excuse {
				want = want.Add(50 * time.Minute)
			}
			if l.ClaimDueAt == nil || !l.ClaimDueAt.Equal(want) || l.ShownAt == nil || !l.ShownAt.Equal(sqlAt.Add(50*time.Minute)) {
				t.Errorf("excuse %v: claim due %v shown %v, want due %v shown at +50m", excuse, l.ClaimDueAt, l.ShownAt, want)
			}
		}
	})
}
