package storage_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestSLAComplianceOneDefinition checks that every SLA figure the store
// computes (the funnel, per rep, the digest's per-rep table and the trend)
// is handoff.CountSLA applied to the leads, for months and consecutive
// weeks, at several moments.
func TestSLAComplianceOneDefinition(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		buildFunnelLog(t, s)
		ctx := context.Background()
		loc := copenhagen(t)
		var leads []*handoff.Lead
		for _, id := range strings.Fields("A B C D E F G H I J K") {
			l, err := s.LeadByExternalID(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			leads = append(leads, l)
		}
		want := func(p handoff.Period, now time.Time, owner string) handoff.SLAStats {
			var st handoff.SLAStats
			for _, l := range leads {
				if owner == "" || l.Owner.UserID == owner {
					st.CountSLA(p, l.SQLAt, l.ContactDueAt, l.ContactedAt, now)
				}
			}
			return st
		}
		show := func(st handoff.SLAStats) string {
			return fmt.Sprintf("due=%d met=%d breached=%d pending=%d compliance=%s", st.Due, st.Met, st.Breached, st.Pending, fmtFloat(st.Compliance))
		}
		var weeks []handoff.Period
		for d := 0; d < 6*7; d += 7 {
			w, err := handoff.ParsePeriod("week", time.Date(2026, 10, 26+d, 12, 0, 0, 0, loc), loc)
			if err != nil {
				t.Fatal(err)
			}
			weeks = append(weeks, w)
		}
		// G's deadline is 2026-11-12T00:00Z: at that instant it is breached.
		for _, now := range []time.Time{funnelNow, utc(t, "2026-11-12T00:00:00Z"), utc(t, "2026-12-05T00:00:00Z")} {
			var periods []handoff.Period
			for _, label := range []string{"2026-10", "2026-11", "2026-12"} {
				p, err := handoff.ParsePeriod(label, now, loc)
				if err != nil {
					t.Fatal(err)
				}
				periods = append(periods, p)
			}
			periods = append(periods, weeks...)
			for _, p := range periods {
				name := p.Label + " at " + now.Format(time.RFC3339)
				c, err := s.FunnelCounts(ctx, handoff.FunnelFilter{Period: p, Now: now})
				if err != nil {
					t.Fatal(err)
				}
				if got, w := show(handoff.NewSLAStats(c.SLAMet, c.SLABreached, c.SLAPending)), show(want(p, now, "")); got != w || c.SLADue != c.SLAMet+c.SLABreached+c.SLAPending {
					t.Errorf("%s: funnel %s (due %d), want %s", name, got, c.SLADue, w)
				}
				byRep, err := s.SLAByRep(ctx, p, now)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range byRep {
					if r.Owner.UserID == "" {
						continue
					}
					if got, w := show(r.SLAStats), show(want(p, now, r.Owner.UserID)); got != w {
						t.Errorf("%s: %s %s, want %s", name, r.Owner.UserID, got, w)
					}
				}
				acts, err := s.RepActivity(ctx, p, now)
				if err != nil {
					t.Fatal(err)
				}
				for _, a := range acts {
					if a.Owner.UserID == "" {
						continue
					}
					if got, w := show(a.SLAStats), show(want(p, now, a.Owner.UserID)); got != w {
						t.Errorf("%s: rep activity %s %s, want %s", name, a.Owner.UserID, got, w)
					}
				}
			}
			trend, err := s.Trend(ctx, weeks, now)
			if err != nil {
				t.Fatal(err)
			}
			for i, tp := range trend {
				if got, w := show(tp.SLAStats), show(want(weeks[i], now, "")); got != w {
					t.Errorf("trend %s at %s: %s, want %s", weeks[i].Label, now.Format(time.RFC3339), got, w)
				}
			}
		}
	})
}
