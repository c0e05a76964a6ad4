package storage_test

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestMigrateEndsErasedOffers: an unclaimed SQL erased by an earlier
// version kept its routing: an offer still running (its rep charged), a
// wait, a pending first step (each in the route index, passed by at every
// NextRouteDue), an opening to everyone, or, erased by the version that
// ended it, the state claimed though nobody claimed it. Migrate ends each
// as the erasure does now: the leads' rows become what today's erasure
// writes (offer erased, out of the route index), the balances what its
// refunds leave, and a lead whose offer was running gets the erasure's
// update of its messages again, for its rep's direct message may show
// Accept. The routing figures do not count a claim or an accept, and every
// other lead (not erased, erased once claimed, never routed) is left as it
// was. Run again, recorded or not, it changes nothing.
func TestMigrateEndsErasedOffers(t *testing.T) {
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	away := map[string]handoff.RepState{}
	for _, r := range []handoff.RepRef{repAnn, repBo} {
		away[r.Key()] = handoff.RepState{Away: &handoff.Away{Reason: "course", Source: handoff.AwayByCommand}}
	}
	req := handoff.RouteRequest{Routing: roundRobin()}
	route := func(t *testing.T, s *storage.Store, id int64, r handoff.RouteRequest, now time.Time) *handoff.Lead {
		t.Helper()
		l, _, stepped, err := s.RouteLead(context.Background(), id, r, now)
		if err != nil || !stepped {
			t.Fatalf("route lead %d: stepped %v, %v", id, stepped, err)
		}
		return l
	}
	cases := []struct {
		name   string
		erased bool
		// make brings the lead to its state before the erasure.
		make func(t *testing.T, s *storage.Store, id int64)
		// pre is the offer state an earlier version's erasure left when
		// it is not the one before the erasure: the version that ended
		// the offer as claimed.
		pre string
		// ended: the migration ends its routing; offered: it was running.
		ended, offered bool
	}{
		{name: "offered", erased: true, make: func(t *testing.T, s *storage.Store, id int64) { route(t, s, id, req, at) }, ended: true, offered: true},
		{name: "waiting", erased: true, make: func(t *testing.T, s *storage.Store, id int64) {
			route(t, s, id, handoff.RouteRequest{Routing: roundRobin(), States: away}, at)
		}, ended: true},
		{name: "pending", erased: true, make: func(t *testing.T, s *storage.Store, id int64) {}, ended: true},
		{name: "open", erased: true, make: func(t *testing.T, s *storage.Store, id int64) {
			l := route(t, s, id, req, at)
			for i := range 2 {
				pass := req
				pass.Pass = l.Offer.Rep
				l = route(t, s, id, pass, at.Add(time.Duration(i+1)*time.Minute))
			}
			if l.Offer.State != handoff.OfferOpen {
				t.Fatalf("after two passes: %+v, want open", l.Offer)
			}
		}, ended: true},
		{name: "ended as claimed", erased: true, make: func(t *testing.T, s *storage.Store, id int64) {}, pre: "claimed", ended: true},
		{name: "erased after the claim", erased: true, make: func(t *testing.T, s *storage.Store, id int64) {
			l := route(t, s, id, req, at)
			if _, won, err := s.ClaimLead(context.Background(), id, handoff.Owner{Platform: l.Offer.Rep.Platform, UserID: l.Offer.Rep.ID}, at.Add(time.Minute), handoff.Policy{}, l.Offer.Rep.Key()); err != nil || !won {
				t.Fatalf("accept: %v %v", won, err)
			}
		}},
		{name: "live offer", make: func(t *testing.T, s *storage.Store, id int64) { route(t, s, id, req, at.Add(time.Hour)) }},
		{name: "live wait", make: func(t *testing.T, s *storage.Store, id int64) {
			route(t, s, id, handoff.RouteRequest{Routing: roundRobin(), States: away}, at.Add(time.Hour))
		}},
	}
	// The figures are read up to a day after the test runs, past the
	// migration's own time, at which it would count anything it wrote.
	through := time.Now().Add(24 * time.Hour)
	window := handoff.Period{Label: "through the migration", Start: at.Add(-time.Hour), End: through}
	for _, d := range storagetest.Dialects {
		t.Run(d, func(t *testing.T) {
			ctx := context.Background()
			s, raw := storagetest.OpenRaw(t, d)
			ids := make([]int64, len(cases))
			for i, c := range cases {
				ids[i] = saveSQL(t, s, fmt.Sprint("erased-offer-", i), fmt.Sprint("Acme", i), at).ID
				c.make(t, s, ids[i])
			}
			// An SQL under claim routing, never routed, erased.
			_, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: "erased-unrouted", Company: "Globex", Stage: handoff.StageSQL}, handoff.DefaultPolicy(), at, handoff.ActorAPI)
			if err != nil {
				t.Fatal(err)
			}

			// What the earlier version's erasure left: the offer columns
			// and the balances as they were before it.
			type offerCols struct {
				state string
				due   *int64
			}
			pre := map[int64]offerCols{}
			for i, c := range cases {
				var o offerCols
				if err := raw.QueryRow(fmt.Sprintf("SELECT offer_state, offer_due_ms FROM leads WHERE id = %d", ids[i])).Scan(&o.state, &o.due); err != nil {
					t.Fatal(err)
				}
				if c.pre != "" {
					o = offerCols{state: c.pre}
				}
				pre[ids[i]] = o
			}
			credits := dumpCredits(t, raw)
			for i, c := range cases {
				if c.erased {
					if err := s.ForgetLead(ctx, fmt.Sprint("erased-offer-", i), handoff.DefaultPolicy(), at.Add(10*time.Minute)); err != nil {
						t.Fatal(err)
					}
				}
			}
			if err := s.ForgetLead(ctx, "erased-unrouted", handoff.DefaultPolicy(), at.Add(10*time.Minute)); err != nil {
				t.Fatal(err)
			}
			// What today's erasure writes.
			wantLeads := dumpTable(t, raw, "leads")
			wantBalances, err := s.RepCredits(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for i, c := range cases {
				if c.ended {
					o := pre[ids[i]]
					execRaw(t, raw, fmt.Sprintf("UPDATE leads SET offer_state = '%s', offer_due_ms = %s WHERE id = %d", o.state, sqlInt(o.due), ids[i]))
				}
			}
			execRaw(t, raw, "DELETE FROM rep_credits")
			for _, c := range credits {
				execRaw(t, raw, fmt.Sprintf("INSERT INTO rep_credits (rep_key, credit, updated_ms) VALUES ('%s', %d, %d)", c.key, c.credit, c.updatedMs))
			}
			if n := erasedInRouteIndex(t, raw); n != 3 {
				t.Fatalf("%d erased leads in the route index before the migration, want 3 (offered, waiting, pending)", n)
			}
			stats, err := s.RoutingStats(ctx, window.Start, window.End)
			if err != nil {
				t.Fatal(err)
			}
			received, err := s.ReceivedLeads(ctx, window)
			if err != nil {
				t.Fatal(err)
			}
			outbox := dumpTable(t, raw, "outbox")

			execRaw(t, raw, "DELETE FROM data_migrations WHERE name = 'erased-sqls-end-routing'")
			if err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			if got := dumpTable(t, raw, "leads"); !slices.Equal(got, wantLeads) {
				t.Errorf("leads after the migration differ from today's erasure's:\ngot  %q\nwant %q", got, wantLeads)
			}
			if got, err := s.RepCredits(ctx); err != nil || !maps.Equal(got, wantBalances) {
				t.Errorf("balances after the migration %v (%v), want today's erasure's %v", got, err, wantBalances)
			}
			if n := erasedInRouteIndex(t, raw); n != 0 {
				t.Errorf("%d erased leads in the route index after the migration, want none", n)
			}
			if next, ok, err := s.NextRouteDue(ctx); err != nil || !ok || !next.Equal(at.Add(time.Hour+5*time.Minute)) {
				t.Errorf("next route due %s %v (%v), want the live wait's next look %s", next, ok, err, at.Add(time.Hour+5*time.Minute))
			}
			var wantQueued []string
			for i, c := range cases {
				if c.offered {
					wantQueued = append(wantQueued, fmt.Sprintf("lead_id=%d kind=%q", ids[i], handoff.OutboxEraseLead))
				}
				l, err := s.Lead(ctx, ids[i])
				if err != nil {
					t.Fatal(err)
				}
				if c.ended && l.Offer.State != handoff.OfferErased {
					t.Errorf("%s: offer %s after the migration, want %s", c.name, l.Offer.State, handoff.OfferErased)
				}
			}
			if got := queuedSince(t, raw, outbox); !slices.Equal(got, wantQueued) {
				t.Errorf("queued by the migration %q, want %q", got, wantQueued)
			}
			if after, err := s.RoutingStats(ctx, window.Start, window.End); err != nil ||
				!reflect.DeepEqual(sortedPools(after.Pools), sortedPools(stats.Pools)) || !reflect.DeepEqual(after.PerRep, stats.PerRep) ||
				after.OpenedToChannel != stats.OpenedToChannel || after.Waited != stats.Waited {
				t.Errorf("routing figures after the migration (%v):\n%+v\nwant as before:\n%+v", err, after, stats)
			}
			if after, err := s.ReceivedLeads(ctx, window); err != nil || !maps.Equal(after, received) {
				t.Errorf("leads received after the migration %v (%v), want %v as before", after, err, received)
			}
			checkRebuild(t, s)

			leads, outboxAfter, balances := dumpTable(t, raw, "leads"), dumpTable(t, raw, "outbox"), dumpCredits(t, raw)
			for _, when := range []string{"migrated again", "migrated again, unrecorded"} {
				if when != "migrated again" {
					execRaw(t, raw, "DELETE FROM data_migrations WHERE name = 'erased-sqls-end-routing'")
				}
				if err := s.Migrate(ctx); err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(dumpTable(t, raw, "leads"), leads) || !slices.Equal(dumpTable(t, raw, "outbox"), outboxAfter) ||
					!slices.Equal(dumpCredits(t, raw), balances) {
					t.Errorf("%s: the leads, the outbox or the balances changed", when)
				}
			}
		})
	}
}

// repCredit is a row of rep_credits.
type repCredit struct {
	key               string
	credit, updatedMs int64
}

// dumpCredits returns rep_credits' rows in key order.
func dumpCredits(t *testing.T, raw *sql.DB) []repCredit {
	t.Helper()
	rows, err := raw.Query("SELECT rep_key, credit, updated_ms FROM rep_credits ORDER BY rep_key")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []repCredit
	for rows.Next() {
		var c repCredit
		if err := rows.Scan(&c.key, &c.credit, &c.updatedMs); err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// erasedInRouteIndex counts the erased leads idx_leads_route_due holds.
func erasedInRouteIndex(t *testing.T, raw *sql.DB) int {
	t.Helper()
	var n int
	if err := raw.QueryRow("SELECT COUNT(*) FROM leads WHERE offer_due_ms IS NOT NULL AND stage = 'sql' AND erased_ms IS NOT NULL").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// queuedSince returns the lead and kind of the outbox rows after those of
// before (a dumpTable of the outbox), in id order.
func queuedSince(t *testing.T, raw *sql.DB, before []string) []string {
	t.Helper()
	rows, err := raw.Query(fmt.Sprintf("SELECT lead_id, kind FROM outbox ORDER BY id LIMIT 1000 OFFSET %d", len(before)))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id int64
		var kind string
		if err := rows.Scan(&id, &kind); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("lead_id=%d kind=%q", id, kind))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
