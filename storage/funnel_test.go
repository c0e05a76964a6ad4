package storage_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// The funnel tests build an event log by hand through the real write path
// (SaveLead with occurred_at, ClaimLead) and check every number against an
// answer worked out by hand below. Times are UTC; the agreement is kept in
// Europe/Copenhagen, so November 2026 is [2026-10-31T23:00Z, 2026-11-30T23:00Z).

var (
	funnelNow  = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC) // 10:00 in Copenhagen
	funnelRep1 = handoff.Owner{Platform: "slack", UserID: "U1", Email: "rep1@example.com"}
	funnelRep2 = handoff.Owner{Platform: "slack", UserID: "U2", Email: "rep2@example.com"}
)

func copenhagen(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Copenhagen")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func funnelPolicy(t testing.TB) handoff.Policy {
	p := handoff.DefaultPolicy()
	p.Location = copenhagen(t)
	p.Targets = handoff.Targets{SQLsPerMonth: 20, CustomersPerMonth: 5, AvgDealSize: 40000, Currency: "DKK"}
	return p
}

func utc(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// funnelLog writes the event log through the store's real write path.
type funnelLog struct {
	t      *testing.T
	s      *storage.Store
	policy handoff.Policy
}

// move saves external id at stage with occurred_at at (RFC 3339, UTC);
// extra fields are merged into the input.
func (l funnelLog) move(id, stage, at string, extra map[string]any) {
	l.t.Helper()
	raw := map[string]any{"external_id": id, "occurred_at": at}
	if stage != "" {
		raw["stage"] = stage
	}
	for k, v := range extra {
		raw[k] = v
	}
	in, err := handoff.ParseLeadInput(raw, utc(l.t, at))
	if err != nil {
		l.t.Fatalf("ParseLeadInput(%v): %v", raw, err)
	}
	if _, err := l.s.SaveLead(context.Background(), in, l.policy, utc(l.t, at), handoff.ActorAPI); err != nil {
		l.t.Fatalf("SaveLead %s %s: %v", id, stage, err)
	}
}

func (l funnelLog) claim(id string, owner handoff.Owner, at string) {
	l.t.Helper()
	ctx := context.Background()
	lead, err := l.s.LeadByExternalID(ctx, id)
	if err != nil {
		l.t.Fatal(err)
	}
	if _, won, err := l.s.ClaimLead(ctx, lead.ID, owner, utc(l.t, at), handoff.Policy{}, "slack:"+owner.UserID); err != nil || !won {
		l.t.Fatalf("ClaimLead %s: won=%v err=%v", id, won, err)
	}
}

// shown records that lead id's card was shown in chat at at (RFC 3339,
// UTC), as the outbox does once it is posted.
func (l funnelLog) shown(id, at string) {
	l.t.Helper()
	l.update(id, at, func(ld *handoff.Lead, when time.Time) []handoff.Event {
		ld.CardShown(when, l.policy)
		return nil
	})
}

// update changes lead id at at (RFC 3339, UTC) with change, as the bot
// does: a release, a reassign.
func (l funnelLog) update(id, at string, change func(*handoff.Lead, time.Time) []handoff.Event) {
	l.t.Helper()
	ctx := context.Background()
	lead, err := l.s.LeadByExternalID(ctx, id)
	if err != nil {
		l.t.Fatal(err)
	}
	when := utc(l.t, at)
	if _, err := l.s.UpdateLead(ctx, lead.ID, when, func(ld *handoff.Lead) (handoff.LeadChange, error) {
		return handoff.NewChange(ld, change(ld, when)), nil
	}); err != nil {
		l.t.Fatalf("update %s: %v", id, err)
	}
}

// buildFunnelLog writes leads A to K. Per lead, what November (local) sees:
//
//	A lead 2026-10-31T22:59:59Z (23:59:59 local: October), mql Nov 2.
//	B lead 2026-10-31T23:00Z (local midnight: November).
//	C paid: SQL Nov 3 09:00 (lead, mql implied), claimed by rep1 1h later,
//	  contacted 4h after SQL (due Nov 5 09:00: met), opportunity Nov 10,
//	  won Nov 15 12:00 for 40,000: 12d3h = 1,047,600 s after first touch.
//	D organic: SQL Nov 5 08:00, claimed by rep2 3h later, contacted 72h after
//	  SQL (due Nov 7 08:00: breached), lost Nov 9.
//	E organic: imported straight as won for 10,000 on Nov 12 12:00: every
//	  stage implied at the same instant, so left out of the claim/contact
//	  medians; contact due Nov 14 12:00, "contacted" Nov 12: met; 0 s to order.
//	F SQL Nov 19 12:00, claimed by rep1 30 min later; due Nov 21 12:00: pending.
//	G SQL Nov 10 00:00, never claimed; due Nov 12 00:00: breached.
//	H SQL Nov 2 09:00, recycled Nov 4 09:00 (at its deadline: that cycle
//	  breached, and kept), SQL again Nov 6 09:00 (one SQL lead, two SQL
//	  events); due Nov 8 09:00, not contacted: breached.
//	I SQL 2026-11-29T23:30Z (Nov 30 local); due Dec 1 23:30Z: December.
//	J SQL Oct 30 12:00, claimed by rep1 at 13:00, contacted Oct 31 12:00
//	  (all October); due Nov 1 12:00Z: counts in November's SLA, met.
//	K SQL Nov 20 08:30, unclaimed; claim due 10:30, after now: pending.
func buildFunnelLog(t *testing.T, s *storage.Store) {
	l := funnelLog{t: t, s: s, policy: funnelPolicy(t)}
	l.move("A", "lead", "2026-10-31T22:59:59Z", nil)
	l.move("A", "mql", "2026-11-02T10:00:00Z", nil)
	l.move("B", "lead", "2026-10-31T23:00:00Z", nil)

	l.move("C", "", "2026-11-03T09:00:00Z", map[string]any{"source": "paid"})
	l.claim("C", funnelRep1, "2026-11-03T10:00:00Z")
	l.move("C", "contacted", "2026-11-03T13:00:00Z", nil)
	l.move("C", "opportunity", "2026-11-10T10:00:00Z", nil)
	l.move("C", "won", "2026-11-15T12:00:00Z", map[string]any{"amount": 40000.0})

	l.move("D", "sql", "2026-11-05T08:00:00Z", map[string]any{"source": "organic"})
	l.claim("D", funnelRep2, "2026-11-05T11:00:00Z")
	l.move("D", "contacted", "2026-11-08T08:00:00Z", nil)
	l.move("D", "lost", "2026-11-09T10:00:00Z", map[string]any{"reason": "no budget"})

	l.move("E", "won", "2026-11-12T12:00:00Z", map[string]any{"source": "organic", "amount": "10000"})

	l.move("F", "sql", "2026-11-19T12:00:00Z", nil)
	l.claim("F", funnelRep1, "2026-11-19T12:30:00Z")

	l.move("G", "sql", "2026-11-10T00:00:00Z", nil)

	l.move("H", "sql", "2026-11-02T09:00:00Z", nil)
	l.move("H", "recycled", "2026-11-04T09:00:00Z", map[string]any{"reason": "not ready"})
	l.move("H", "sql", "2026-11-06T09:00:00Z", nil)

	l.move("I", "sql", "2026-11-29T23:30:00Z", nil)

	l.move("J", "sql", "2026-10-30T12:00:00Z", nil)
	l.claim("J", funnelRep1, "2026-10-30T13:00:00Z")
	l.move("J", "contacted", "2026-10-31T12:00:00Z", nil)

	l.move("K", "sql", "2026-11-20T08:30:00Z", nil)

	for _, d := range []handoff.TrafficDay{
		{Date: "2026-10-31", Source: "paid", Visits: 7}, // October
		{Date: "2026-11-01", Source: "organic", Visits: 100},
		{Date: "2026-11-15", Source: "paid", Visits: 30},
		{Date: "2026-11-15", Source: "paid", Visits: 40}, // replaces the 30
		{Date: "2026-11-30", Source: "organic", Visits: 50},
		{Date: "2026-12-01", Source: "organic", Visits: 999}, // December
	} {
		if err := s.SaveTraffic(context.Background(), d, funnelNow); err != nil {
			t.Fatal(err)
		}
	}
}

func fl(v float64) *float64 { return &v }
func in(v int64) *int64     { return &v }

// funnelWant is the hand-worked answer for one filter.
type funnelWant struct {
	leads, mqls, sqls, claimed, contacted, opps, won, lost, recycled int64
	revenue                                                          float64
	avgDeal                                                          *float64
	rates                                                            handoff.Conversion
	claimSec, contactSec, orderSec                                   *float64
	sla                                                              handoff.SLAStats
	visits                                                           *int64
	visitToLead                                                      *float64
}

func TestFunnelCounts(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		buildFunnelLog(t, s)
		ctx := context.Background()
		loc := copenhagen(t)
		policy := funnelPolicy(t)

		cases := []struct {
			name          string
			period        string
			source, owner string
			want          funnelWant
		}{{
			name: "November", period: "2026-11",
			want: funnelWant{
				leads: 9, mqls: 9, sqls: 8, claimed: 4, contacted: 3, opps: 2, won: 2, lost: 1, recycled: 1,
				revenue: 50000, avgDeal: fl(25000),
				rates: handoff.Conversion{LeadToMQL: fl(1), MQLToSQL: fl(0.8889), SQLToClaimed: fl(0.5),
					ClaimedToContacted: fl(0.75), ContactedToOpportunity: fl(0.6667), OpportunityToWon: fl(1), SQLToWon: fl(0.25)},
				// Claims: F 1,800 s, C 3,600 s, D 10,800 s (E implied, J in October).
				claimSec: fl(3600),
				// Contacts: C 14,400 s and D 259,200 s: the mean of the two.
				contactSec: fl(136800),
				// Won: E 0 s and C 1,047,600 s.
				orderSec: fl(523800),
				// Settled in November (handoff.SettleSLA): met C (Nov 3)
				// and E (Nov 12); breached D (due Nov 7), G (Nov 12), H
				// (Nov 8). Pending, SQLs of November not yet settled: F, I
				// (due in December) and K. J was met on October 31.
				sla:    handoff.SLAStats{Due: 9, Met: 2, Breached: 4, Pending: 3, Compliance: fl(0.3333)},
				visits: in(190), visitToLead: fl(0.0474), // 9 / (100 + 40 + 50)
			},
		}, {
			name: "OctoberEndsAtLocalMidnight", period: "2026-10",
			want: funnelWant{
				leads: 2, mqls: 1, sqls: 1, claimed: 1, contacted: 1, // A (lead only) and J
				rates: handoff.Conversion{LeadToMQL: fl(0.5), MQLToSQL: fl(1), SQLToClaimed: fl(1),
					ClaimedToContacted: fl(1), ContactedToOpportunity: fl(0), SQLToWon: fl(0)},
				claimSec: fl(3600), contactSec: fl(86400),
				// J was contacted in time on October 31, its deadline in November.
				sla:    handoff.SLAStats{Due: 1, Met: 1, Compliance: fl(1)},
				visits: in(7), visitToLead: fl(0.2857),
			},
		}, {
			name: "EmptyPeriodDividesByNothing", period: "2026-06",
		}, {
			name: "SourceOrganic", period: "2026-11", source: "organic",
			want: funnelWant{
				leads: 2, mqls: 2, sqls: 2, claimed: 2, contacted: 2, opps: 1, won: 1, lost: 1, // D and E
				revenue: 10000, avgDeal: fl(10000),
				rates: handoff.Conversion{LeadToMQL: fl(1), MQLToSQL: fl(1), SQLToClaimed: fl(1),
					ClaimedToContacted: fl(1), ContactedToOpportunity: fl(0.5), OpportunityToWon: fl(1), SQLToWon: fl(0.5)},
				claimSec: fl(10800), contactSec: fl(259200), orderSec: fl(0),
				sla:    handoff.SLAStats{Due: 2, Met: 1, Breached: 1, Compliance: fl(0.5)},
				visits: in(150), visitToLead: fl(0.0133),
			},
		}, {
			name: "OwnerByUserID", period: "2026-11", owner: "U1",
			want: funnelWant{
				leads: 2, mqls: 2, sqls: 2, claimed: 2, contacted: 1, opps: 1, won: 1, // C and F
				revenue: 40000, avgDeal: fl(40000),
				rates: handoff.Conversion{LeadToMQL: fl(1), MQLToSQL: fl(1), SQLToClaimed: fl(1),
					ClaimedToContacted: fl(0.5), ContactedToOpportunity: fl(1), OpportunityToWon: fl(1), SQLToWon: fl(0.5)},
				claimSec: fl(2700), contactSec: fl(14400), orderSec: fl(1047600),
				// C met, F pending (J was met in October).
				sla: handoff.SLAStats{Due: 2, Met: 1, Pending: 1, Compliance: fl(1)},
			},
		}, {
			name: "OwnerByEmailIgnoresCase", period: "2026-11", owner: "REP2@example.com",
			want: funnelWant{
				leads: 1, mqls: 1, sqls: 1, claimed: 1, contacted: 1, lost: 1, // D
				rates: handoff.Conversion{LeadToMQL: fl(1), MQLToSQL: fl(1), SQLToClaimed: fl(1),
					ClaimedToContacted: fl(1), ContactedToOpportunity: fl(0), SQLToWon: fl(0)},
				claimSec: fl(10800), contactSec: fl(259200),
				sla: handoff.SLAStats{Due: 1, Breached: 1, Compliance: fl(0)},
			},
		}}
		// Every case runs with each SQLite plan: the choice the store makes,
		// always the by-lead index and walking the median indexes, and always
		// the by-time range with sorting.
		plans := []struct {
			name           string
			share          float64
			medianSortUpTo int64
		}{{"Chosen", -1, -1}, {"ByLeadAndWalk", 0, 0}, {"ByTimeAndSort", 2, math.MaxInt64}}
		for _, plan := range plans {
			for _, tc := range cases {
				t.Run(plan.name+"/"+tc.name, func(t *testing.T) {
					if plan.share >= 0 {
						defer storage.SetKPIPlan(plan.share, plan.medianSortUpTo)()
					}
					p, err := handoff.ParsePeriod(tc.period, funnelNow, loc)
					if err != nil {
						t.Fatal(err)
					}
					f := handoff.FunnelFilter{Period: p, Source: tc.source, Owner: tc.owner, Now: funnelNow}
					counts, err := s.FunnelCounts(ctx, f)
					if err != nil {
						t.Fatal(err)
					}
					got := handoff.NewFunnel(f, counts, policy)
					w := tc.want
					checkFunnel(t, got, w)
					b, err := json.Marshal(got)
					if err != nil {
						t.Fatalf("marshal: %v", err)
					}
					if strings.Contains(string(b), "NaN") || strings.Contains(string(b), "Inf") {
						t.Fatalf("JSON has NaN or Inf: %s", b)
					}
				})
			}
		}
	})
}

func checkFunnel(t *testing.T, got handoff.Funnel, w funnelWant) {
	t.Helper()
	counts := fmt.Sprint(got.Leads, got.MQLs, got.SQLs, got.Claimed, got.Contacted, got.Opportunities, got.Won, got.Lost, got.Recycled)
	want := fmt.Sprint(w.leads, w.mqls, w.sqls, w.claimed, w.contacted, w.opps, w.won, w.lost, w.recycled)
	if counts != want {
		t.Errorf("leads mqls sqls claimed contacted opportunities won lost recycled = %s, want %s", counts, want)
	}
	if got.Revenue != w.revenue {
		t.Errorf("revenue = %v, want %v", got.Revenue, w.revenue)
	}
	checkFloat(t, "avg_deal_size", got.AvgDealSize, w.avgDeal)
	gr, wr := got.Conversion, w.rates
	checkFloat(t, "lead_to_mql", gr.LeadToMQL, wr.LeadToMQL)
	checkFloat(t, "mql_to_sql", gr.MQLToSQL, wr.MQLToSQL)
	checkFloat(t, "sql_to_claimed", gr.SQLToClaimed, wr.SQLToClaimed)
	checkFloat(t, "claimed_to_contacted", gr.ClaimedToContacted, wr.ClaimedToContacted)
	checkFloat(t, "contacted_to_opportunity", gr.ContactedToOpportunity, wr.ContactedToOpportunity)
	checkFloat(t, "opportunity_to_won", gr.OpportunityToWon, wr.OpportunityToWon)
	checkFloat(t, "sql_to_won", gr.SQLToWon, wr.SQLToWon)
	checkFloat(t, "median_seconds_to_claim", got.MedianSecondsToClaim, w.claimSec)
	checkFloat(t, "median_seconds_to_contact", got.MedianSecondsToContact, w.contactSec)
	checkFloat(t, "time_to_first_order", got.TimeToFirstOrder, w.orderSec)
	gs, ws := got.SLA, w.sla
	if fmt.Sprint(gs.Due, gs.Met, gs.Breached, gs.Pending) != fmt.Sprint(ws.Due, ws.Met, ws.Breached, ws.Pending) {
		t.Errorf("sla due met breached pending = %d %d %d %d, want %d %d %d %d",
			gs.Due, gs.Met, gs.Breached, gs.Pending, ws.Due, ws.Met, ws.Breached, ws.Pending)
	}
	checkFloat(t, "sla.compliance", gs.Compliance, ws.Compliance)
	switch {
	case (got.Visits == nil) != (w.visits == nil):
		t.Errorf("visits = %v, want %v", got.Visits, w.visits)
	case got.Visits != nil && *got.Visits != *w.visits:
		t.Errorf("visits = %d, want %d", *got.Visits, *w.visits)
	}
	checkFloat(t, "visit_to_lead", got.VisitToLead, w.visitToLead)
}

func checkFloat(t *testing.T, name string, got, want *float64) {
	t.Helper()
	switch {
	case got == nil && want == nil:
	case got == nil || want == nil:
		t.Errorf("%s = %s, want %s", name, fmtFloat(got), fmtFloat(want))
	case math.Abs(*got-*want) > 1e-9:
		t.Errorf("%s = %v, want %v", name, *got, *want)
	}
}

func fmtFloat(v *float64) string {
	if v == nil {
		return "null"
	}
	return fmt.Sprint(*v)
}

func TestFunnelTargetsProRata(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		buildFunnelLog(t, s)
		policy := funnelPolicy(t)
		p, err := handoff.ParsePeriod("month", funnelNow, copenhagen(t))
		if err != nil {
			t.Fatal(err)
		}
		f := handoff.FunnelFilter{Period: p, Now: funnelNow}
		counts, err := s.FunnelCounts(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		got := handoff.NewFunnel(f, counts, policy).Targets
		// Now is 19 days and 10 hours into a 30-day November: 466/720 of
		// the month. 20 SQLs a month → 12.94 expected by now, 8 delivered;
		// 5 customers → 3.24 expected, 2 won; average 25,000 < 40,000.
		checks := []struct {
			name string
			got  *handoff.TargetActual
			want handoff.TargetActual
		}{
			{"sqls", got.SQLs, handoff.TargetActual{Target: 20, Expected: 12.94, Actual: fl(8)}},
			{"customers", got.Customers, handoff.TargetActual{Target: 5, Expected: 3.24, Actual: fl(2)}},
			{"avg_deal_size", got.AvgDealSize, handoff.TargetActual{Target: 40000, Expected: 40000, Actual: fl(25000)}},
		}
		for _, c := range checks {
			if c.got == nil {
				t.Fatalf("%s target missing", c.name)
			}
			if c.got.Target != c.want.Target || c.got.Expected != c.want.Expected || c.got.OnTrack != c.want.OnTrack {
				t.Errorf("%s = %+v, want %+v", c.name, *c.got, c.want)
			}
			checkFloat(t, c.name+".actual", c.got.Actual, c.want.Actual)
		}
	})
}

func TestSaveTrafficIsIdempotent(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		day := handoff.TrafficDay{Date: "2026-11-20", Source: "organic", Visits: 1830}
		for range 3 {
			if err := s.SaveTraffic(ctx, day, funnelNow); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.SaveTraffic(ctx, handoff.TrafficDay{Date: "2026-11-20", Visits: 5}, funnelNow); err != nil {
			t.Fatal(err)
		}
		p, err := handoff.ParsePeriod("2026-11", funnelNow, copenhagen(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			source string
			want   int64
		}{{"", 1835}, {"organic", 1830}, {"paid", 0}} {
			c, err := s.FunnelCounts(ctx, handoff.FunnelFilter{Period: p, Source: tc.source, Now: funnelNow})
			if err != nil {
				t.Fatal(err)
			}
			if tc.source == "paid" {
				if c.Visits != nil {
					t.Errorf("paid visits = %d, want unknown (nil)", *c.Visits)
				}
				continue
			}
			if c.Visits == nil || *c.Visits != tc.want {
				t.Errorf("visits from %q = %s, want %d", tc.source, fmtInt(c.Visits), tc.want)
			}
		}
	})
}

func fmtInt(v *int64) string {
	if v == nil {
		return "nil"
	}
	return fmt.Sprint(*v)
}

func externalIDs(leads []*handoff.Lead) string {
	ids := make([]string, len(leads))
	for i, l := range leads {
		ids[i] = l.ExternalID
	}
	return strings.Join(ids, " ")
}

func TestOpenSQLs(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		buildFunnelLog(t, s)
		ctx := context.Background()
		got, err := s.OpenSQLs(ctx, funnelNow, handoff.DefaultPolicy(), 0)
		if err != nil {
			t.Fatal(err)
		}
		// Unclaimed within deadline: K (claim due Nov 20 10:30), I (Nov 30 01:30).
		// Claimed, waiting for contact: F. Breached: H (due Nov 8), G (Nov 12).
		if ids := externalIDs(got.Unclaimed); ids != "K I" {
			t.Errorf("unclaimed = %q, want %q", ids, "K I")
		}
		if ids := externalIDs(got.Waiting); ids != "F" {
			t.Errorf("waiting = %q, want %q", ids, "F")
		}
		if ids := externalIDs(got.Breached); ids != "H G" {
			t.Errorf("breached = %q, want %q", ids, "H G")
		}
		if got.UnclaimedTotal != 2 || got.WaitingTotal != 1 || got.BreachedTotal != 2 {
			t.Errorf("totals = %d %d %d, want 2 1 2", got.UnclaimedTotal, got.WaitingTotal, got.BreachedTotal)
		}
		limited, err := s.OpenSQLs(ctx, funnelNow, handoff.DefaultPolicy(), 1)
		if err != nil {
			t.Fatal(err)
		}
		if externalIDs(limited.Unclaimed) != "K" || externalIDs(limited.Breached) != "H" || limited.BreachedTotal != 2 {
			t.Errorf("limit 1: unclaimed %q breached %q total %d", externalIDs(limited.Unclaimed), externalIDs(limited.Breached), limited.BreachedTotal)
		}
		// Two hours later K's claim deadline has passed.
		later, err := s.OpenSQLs(ctx, funnelNow.Add(2*time.Hour), handoff.DefaultPolicy(), 0)
		if err != nil {
			t.Fatal(err)
		}
		if externalIDs(later.Unclaimed) != "I" || externalIDs(later.Breached) != "H G K" {
			t.Errorf("later: unclaimed %q breached %q", externalIDs(later.Unclaimed), externalIDs(later.Breached))
		}
	})
}

func TestSLAByRep(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		buildFunnelLog(t, s)
		p, err := handoff.ParsePeriod("2026-11", funnelNow, copenhagen(t))
		if err != nil {
			t.Fatal(err)
		}
		reps, err := s.SLAByRep(context.Background(), p, funnelNow)
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, r := range reps {
			lines = append(lines, fmt.Sprintf("%s/%s due=%d met=%d breached=%d pending=%d compliance=%s",
				r.Owner.UserID, r.Owner.Email, r.Due, r.Met, r.Breached, r.Pending, fmtFloat(r.Compliance)))
		}
		// Settled in November. Nobody's: E met, G and H (twice) breached, I and K
		// pending. rep2: D breached. rep1: C met, F pending (J was met in
		// October).
		want := []string{
			"/ due=6 met=1 breached=3 pending=2 compliance=0.25",
			"U2/rep2@example.com due=1 met=0 breached=1 pending=0 compliance=0",
			"U1/rep1@example.com due=2 met=1 breached=0 pending=1 compliance=1",
		}
		if strings.Join(lines, "\n") != strings.Join(want, "\n") {
			t.Errorf("SLAByRep =\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
		}
	})
}

func TestOpenLeads(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		buildFunnelLog(t, s)
		ctx := context.Background()
		for _, tc := range []struct {
			owner string
			limit int
			want  string
		}{
			{"U1", 0, "F J"},               // F awaits contact; J is contacted; C is won
			{"rep1@example.com", 0, "F J"}, // the same rep by email
			{"U2", 0, ""},                  // D is lost
			{"", 0, "H G F K I J"},         // awaiting contact by deadline, then the rest
			{"", 2, "H G"},
		} {
			leads, err := s.OpenLeads(ctx, tc.owner, tc.limit)
			if err != nil {
				t.Fatal(err)
			}
			if got := externalIDs(leads); got != tc.want {
				t.Errorf("OpenLeads(%q, %d) = %q, want %q", tc.owner, tc.limit, got, tc.want)
			}
		}
	})
}

// TestOpenLeadsPage reads OpenLeads' list a page at a time, with how many
// leads the whole list holds.
func TestOpenLeadsPage(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		buildFunnelLog(t, s)
		ctx := context.Background()
		for _, tc := range []struct {
			owner         string
			offset, limit int
			want          string
			total         int
		}{
			{"", 0, 2, "H G", 6},
			{"", 2, 2, "F K", 6},
			{"", 4, 10, "I J", 6},
			{"", 6, 2, "", 6},
			{"U1", 1, 1, "J", 2},
			{"U2", 0, 5, "", 0},
		} {
			leads, total, err := s.OpenLeadsPage(ctx, tc.owner, tc.offset, tc.limit)
			if err != nil {
				t.Fatal(err)
			}
			if got := externalIDs(leads); got != tc.want || total != tc.total {
				t.Errorf("OpenLeadsPage(%q, %d, %d) = %q of %d, want %q of %d", tc.owner, tc.offset, tc.limit, got, total, tc.want, tc.total)
			}
		}
	})
}
