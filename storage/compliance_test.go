package storage_test

import (
	"cmp"
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
// is handoff.CountSLA applied to the leads and handoff.CountCycle to the
// finished cycles of those that came back as SQLs, for months and
// consecutive weeks, at several moments; and that the medians of the time
// to claim and to contact and speed to lead (the funnel's, a rep's, the
// digest's per rep) count every cycle claimed or contacted in the period,
// the finished ones too.
func TestSLAComplianceOneDefinition(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		buildFunnelLog(t, s)
		buildComebacks(t, s)
		buildHandovers(t, s)
		buildNamedOwners(t, s)
		ctx := context.Background()
		loc := copenhagen(t)
		var leads []*handoff.Lead
		cycles := map[int64][]handoff.SLACycle{}
		for _, id := range strings.Fields("A B C D E F G H I J K L M N P Q R S T U V W") {
			l, err := s.LeadByExternalID(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			leads = append(leads, l)
			if cycles[l.ID], err = s.SLACycles(ctx, l.ID); err != nil {
				t.Fatal(err)
			}
		}
		if n := len(cycles[leads[11].ID]) + len(cycles[leads[12].ID]) + len(cycles[leads[13].ID]); n != 4 {
			t.Fatalf("L, M and N kept %d finished cycles, want 4", n)
		}
		if c := cycles[leads[17].ID]; len(c) != 1 || c[0].ClaimedAt == nil || c[0].ContactDueAt != nil {
			t.Fatalf("S kept finished cycles %+v, want one with its claim and no deadline", c)
		}
		// T, U, V and W: whom an owner named by intake is charged with.
		for _, w := range []struct {
			id            string
			owner, counts handoff.Owner
			ended         []handoff.Owner
		}{
			{"T", funnelRep3, handoff.Owner{}, nil},
			{"U", funnelRep3, funnelRep1, nil},
			{"V", funnelRep3, funnelRep3, []handoff.Owner{funnelRep2}},
			{"W", funnelRep1, funnelRep3, nil},
		} {
			l := leads[strings.Index("ABCDEFGHIJKLMNPQRSTUVW", w.id)]
			if got := l.SLAOwner(); got != w.counts || l.Owner != w.owner {
				t.Errorf("%s: owner %+v, its promise counts for %+v; want %+v, %+v", w.id, l.Owner, got, w.owner, w.counts)
			}
			var ended []handoff.Owner
			for _, c := range cycles[l.ID] {
				if c.SLAOwner() != c.Owner {
					t.Errorf("%s: a cycle of %+v counts for %+v", w.id, c.Owner, c.SLAOwner())
				}
				ended = append(ended, c.Owner)
			}
			if fmt.Sprint(ended) != fmt.Sprint(w.ended) {
				t.Errorf("%s: finished cycles of %+v, want %+v", w.id, ended, w.ended)
			}
		}
		owned := func(o handoff.Owner, owner string) bool {
			return owner == "" || o.UserID == owner || strings.EqualFold(o.Email, owner)
		}
		want := func(p handoff.Period, now time.Time, owner string) handoff.SLAStats {
			var st handoff.SLAStats
			for _, l := range leads {
				if owned(l.SLAOwner(), owner) {
					st.CountSLA(p, l.SQLAt, l.ContactDueAt, l.ContactedAt, now)
				}
				for _, c := range cycles[l.ID] {
					if owned(c.SLAOwner(), owner) {
						st.CountCycle(p, c, now)
					}
				}
			}
			return st
		}
		waits := cycleWaitsOf(leads, cycles)
		ownedBy := func(owner string) func(cycleWait) bool {
			return func(c cycleWait) bool { return owned(c.owner, owner) }
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
				if got, w := showWaits(c.MedianClaimMs, c.MedianContactMs, c.SpeedToLead), waitFigures(waits, p, ownedBy("")); got != w {
					t.Errorf("%s: funnel %s, want %s", name, got, w)
				}
				if got, w := showDelays(c.MedianSystemDelayMs, c.MedianRepDelayMs), delayFigures(waits, p, ownedBy("")); got != w {
					t.Errorf("%s: funnel %s, want %s", name, got, w)
				}
				for _, rep := range []string{funnelRep1.UserID, funnelRep2.UserID, funnelRep3.Email} {
					c, err := s.FunnelCounts(ctx, handoff.FunnelFilter{Period: p, Now: now, Owner: rep})
					if err != nil {
						t.Fatal(err)
					}
					if got, w := show(handoff.NewSLAStats(c.SLAMet, c.SLABreached, c.SLAPending)), show(want(p, now, rep)); got != w {
						t.Errorf("%s: funnel of %s %s, want %s", name, rep, got, w)
					}
					if got, w := showWaits(c.MedianClaimMs, c.MedianContactMs, c.SpeedToLead), waitFigures(waits, p, ownedBy(rep)); got != w {
						t.Errorf("%s: funnel of %s %s, want %s", name, rep, got, w)
					}
					if got, w := showDelays(c.MedianSystemDelayMs, c.MedianRepDelayMs), delayFigures(waits, p, ownedBy(rep)); got != w {
						t.Errorf("%s: funnel of %s %s, want %s", name, rep, got, w)
					}
				}
				byRep, err := s.SLAByRep(ctx, p, now)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range byRep {
					rep := cmp.Or(r.Owner.UserID, r.Owner.Email)
					if rep == "" {
						continue
					}
					if got, w := show(r.SLAStats), show(want(p, now, rep)); got != w {
						t.Errorf("%s: %s %s, want %s", name, rep, got, w)
					}
				}
				acts, err := s.RepActivity(ctx, p, now)
				if err != nil {
					t.Fatal(err)
				}
				for _, a := range acts {
					rep := cmp.Or(a.Owner.UserID, a.Owner.Email)
					if rep == "" {
						continue
					}
					if got, w := show(a.SLAStats), show(want(p, now, rep)); got != w {
						t.Errorf("%s: rep activity %s %s, want %s", name, rep, got, w)
					}
					if got, w := fmtFloat(a.MedianContactMs), fmtFloat(contactMedianOf(waits, p, ownedBy(rep))); got != w {
						t.Errorf("%s: rep activity %s median time to contact %s, want %s", name, rep, got, w)
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

// buildComebacks adds to buildFunnelLog's leads four that come back as
// SQLs after a settled or claimed cycle:
//
//	L: SQL Nov 2, card shown 10 min later, claimed by rep1, breached
//	  Nov 4, recycled Nov 6, SQL again Nov 16, shown 5 min later, claimed
//	  by rep2, contacted in time Nov 17.
//	M: SQL Nov 9, shown a minute later, claimed by rep2, contacted in time
//	  Nov 9, lost Nov 10,
//	  SQL again Nov 19 (still pending at funnelNow).
//	N: SQL Oct 26, never claimed (breached Oct 28), lost Oct 29, SQL again
//	  Nov 3 and claimed by rep1, lost Nov 6 (breached Nov 5), SQL again
//	  Nov 23: two finished cycles.
//	S: SQL Nov 2, shown 20 min later, claimed by rep2 2h later, recycled
//	  before contact and in time Nov 3, SQL again Nov 16: its finished
//	  cycle holds no promise, and its claim counts in W45's time to claim
//	  and the claim's delays.
func buildComebacks(t *testing.T, s *storage.Store) {
	l := funnelLog{t: t, s: s, policy: funnelPolicy(t)}
	l.move("L", "sql", "2026-11-02T09:00:00Z", nil)
	l.shown("L", "2026-11-02T09:10:00Z")
	l.claim("L", funnelRep1, "2026-11-02T10:00:00Z")
	l.move("L", "recycled", "2026-11-06T09:00:00Z", map[string]any{"reason": "not ready"})
	l.move("L", "sql", "2026-11-16T09:00:00Z", nil)
	l.shown("L", "2026-11-16T09:05:00Z")
	l.claim("L", funnelRep2, "2026-11-16T10:00:00Z")
	l.move("L", "contacted", "2026-11-17T09:00:00Z", nil)

	l.move("M", "sql", "2026-11-09T09:00:00Z", nil)
	l.shown("M", "2026-11-09T09:01:00Z")
	l.claim("M", funnelRep2, "2026-11-09T09:30:00Z")
	l.move("M", "contacted", "2026-11-09T11:00:00Z", nil)
	l.move("M", "lost", "2026-11-10T09:00:00Z", map[string]any{"reason": "no budget"})
	l.move("M", "sql", "2026-11-19T09:00:00Z", nil)

	l.move("N", "sql", "2026-10-26T09:00:00Z", nil)
	l.move("N", "lost", "2026-10-29T09:00:00Z", map[string]any{"reason": "no budget"})
	l.move("N", "sql", "2026-11-03T09:00:00Z", nil)
	l.claim("N", funnelRep1, "2026-11-03T10:00:00Z")
	l.move("N", "lost", "2026-11-06T09:00:00Z", map[string]any{"reason": "no budget"})
	l.move("N", "sql", "2026-11-23T09:00:00Z", nil)

	l.move("S", "sql", "2026-11-02T09:00:00Z", nil)
	l.shown("S", "2026-11-02T09:20:00Z")
	l.claim("S", funnelRep2, "2026-11-02T11:00:00Z")
	l.move("S", "recycled", "2026-11-03T09:00:00Z", map[string]any{"reason": "not ready"})
	l.move("S", "sql", "2026-11-16T09:00:00Z", nil)
}

// buildHandovers adds leads that change hands around their contact
// deadline (Nov 4 and 5), whose promise counts for the rep who held them
// when it was settled (handoff.SLAOwner):
//
//	P: SQL Nov 2, claimed by rep1, breached Nov 4, released Nov 4 12:00,
//	  claimed by rep2 Nov 5 and contacted Nov 6: rep1's breach; recycled
//	  Nov 9 and SQL again Nov 16, so the finished cycle keeps it.
//	Q: SQL Nov 2, unclaimed at its deadline Nov 4, claimed by rep2 Nov 5:
//	  nobody's breach.
//	R: SQL Nov 3, claimed by rep1, reassigned to rep2 Nov 5 12:00 (after
//	  its deadline Nov 5 09:00), contacted by rep2 Nov 6: rep1's breach.
func buildHandovers(t *testing.T, s *storage.Store) {
	l := funnelLog{t: t, s: s, policy: funnelPolicy(t)}
	l.move("P", "sql", "2026-11-02T09:00:00Z", nil)
	l.claim("P", funnelRep1, "2026-11-02T10:00:00Z")
	l.update("P", "2026-11-04T12:00:00Z", func(ld *handoff.Lead, at time.Time) []handoff.Event { return ld.Release(at, "slack:U1", nil) })
	l.claim("P", funnelRep2, "2026-11-05T09:00:00Z")
	l.move("P", "contacted", "2026-11-06T09:00:00Z", nil)
	l.move("P", "recycled", "2026-11-09T09:00:00Z", map[string]any{"reason": "not ready"})
	l.move("P", "sql", "2026-11-16T09:00:00Z", nil)

	l.move("Q", "sql", "2026-11-02T09:00:00Z", nil)
	l.claim("Q", funnelRep2, "2026-11-05T09:00:00Z")

	l.move("R", "sql", "2026-11-03T09:00:00Z", nil)
	l.claim("R", funnelRep1, "2026-11-03T10:00:00Z")
	l.update("R", "2026-11-05T12:00:00Z", func(ld *handoff.Lead, at time.Time) []handoff.Event {
		ld.Reassign(funnelRep2, at)
		return []handoff.Event{{Kind: handoff.EventReassign, Stage: ld.Stage, At: at, Actor: "slack:UMGR"}}
	})
	l.move("R", "contacted", "2026-11-06T09:00:00Z", nil)
}

// funnelRep3 is a rep named by email alone, by intake's owner_email.
var funnelRep3 = handoff.Owner{Email: "rep3@example.com"}

// buildNamedOwners adds leads whose owner an intake names (owner_email),
// after their deadline Nov 11 09:00 passed, which counts for the rep who
// held them then (handoff.SLAOwner), not for the rep named:
//
//	T: SQL Nov 9, unclaimed at its deadline, rep3 named Nov 12: nobody's
//	  breach.
//	U: SQL Nov 9, claimed by rep1, rep3 named Nov 12: rep1's breach.
//	V: SQL Nov 9, claimed by rep2, recycled Nov 12, an SQL again named
//	  for rep3 Nov 16: the finished cycle is rep2's breach, the new one
//	  rep3's.
//	W: SQL Nov 9 named for rep3, who held it unclaimed at its deadline,
//	  claimed by rep1 Nov 12: rep3's breach, not nobody's.
func buildNamedOwners(t *testing.T, s *storage.Store) {
	l := funnelLog{t: t, s: s, policy: funnelPolicy(t)}
	named := map[string]any{"owner_email": funnelRep3.Email}
	for _, id := range []string{"T", "U", "V"} {
		l.move(id, "sql", "2026-11-09T09:00:00Z", nil)
	}
	l.move("W", "sql", "2026-11-09T09:00:00Z", named)
	l.claim("W", funnelRep1, "2026-11-12T09:00:00Z")
	l.claim("U", funnelRep1, "2026-11-09T10:00:00Z")
	l.claim("V", funnelRep2, "2026-11-09T10:00:00Z")
	l.move("T", "", "2026-11-12T09:00:00Z", named)
	l.move("U", "", "2026-11-12T09:00:00Z", named)
	l.move("V", "recycled", "2026-11-12T09:00:00Z", map[string]any{"reason": "not ready"})
	l.move("V", "sql", "2026-11-16T09:00:00Z", named)
}
