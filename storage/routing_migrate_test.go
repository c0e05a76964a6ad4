package storage_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// routedHistory is the routing history the routing rollup's migration
// tests start from: leads routed on a Monday and Tuesday, and the reads
// they compare before and after Migrate.
type routedHistory struct {
	t  *testing.T
	s  *storage.Store
	at time.Time // the Monday
}

// route saves an SQL and routes it by r at when; it returns the lead as
// routed.
func (h routedHistory) route(ext string, r handoff.RouteRequest, when time.Time) *handoff.Lead {
	h.t.Helper()
	ctx := context.Background()
	lead := saveSQL(h.t, h.s, ext, "Acme "+ext, when)
	if _, _, ok, err := h.s.RouteLead(ctx, lead.ID, r, when); err != nil || !ok {
		h.t.Fatalf("route %s: stepped %v, %v", ext, ok, err)
	}
	lead, err := h.s.Lead(ctx, lead.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	return lead
}

// routeAndAccept routes three leads over the two days by round robin, each
// accepted by its offered rep a minute more after its offer than the last.
func (h routedHistory) routeAndAccept(prefix string) {
	h.t.Helper()
	req := handoff.RouteRequest{Routing: roundRobin()}
	for i, when := range []time.Time{h.at, h.at.Add(time.Hour), h.at.Add(26 * time.Hour)} {
		lead := h.route(fmt.Sprintf("%s-%d", prefix, i), req, when)
		rep := lead.Offer.Rep
		if _, won, err := h.s.ClaimLead(context.Background(), lead.ID, handoff.Owner{Platform: rep.Platform, UserID: rep.ID},
			when.Add(time.Duration(i+1)*time.Minute), handoff.Policy{}, rep.Key()); err != nil || !won {
			h.t.Fatalf("accept %d: won %v, %v", i, won, err)
		}
	}
}

// measure is the routing measure of the four days around the history.
func (h routedHistory) measure() handoff.RoutingStats {
	h.t.Helper()
	from := h.at.Add(-21 * time.Hour)
	st, err := h.s.RoutingStats(context.Background(), from, from.Add(96*time.Hour))
	if err != nil {
		h.t.Fatal(err)
	}
	return st
}

// rollup is the whole rollup as text (Store.RollupRows).
func (h routedHistory) rollup() []string {
	h.t.Helper()
	rows, err := h.s.RollupRows(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	return rows
}

// migrateKeeps runs Migrate twice and checks that the routing measure and
// the rollup read as wantStats and wantRows after each.
func (h routedHistory) migrateKeeps(wantStats handoff.RoutingStats, wantRows []string) {
	h.t.Helper()
	for i := range 2 {
		if err := h.s.Migrate(context.Background()); err != nil {
			h.t.Fatalf("migrate %d: %v", i+1, err)
		}
		if got := h.measure(); !reflect.DeepEqual(got, wantStats) {
			h.t.Fatalf("after migrate %d: routing = %+v, want %+v", i+1, got, wantStats)
		}
		if got := h.rollup(); !slices.Equal(got, wantRows) {
			h.t.Fatalf("after migrate %d: rollup\n%s\nwant\n%s", i+1, strings.Join(got, "\n"), strings.Join(wantRows, "\n"))
		}
	}
}

// Migrate converts a routing_days that predates pool_key in place: its
// rows are kept (the rollup and the routing measure read the same), a
// second Migrate changes nothing, later writes add to the converted rows
// (no pool has two rows of one key), and a pool of 300 reps fits.
func TestMigrateKeysRoutingPools(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			s, raw := storagetest.OpenRaw(t, dialect)
			h := routedHistory{t: t, s: s, at: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
			h.routeAndAccept("old")
			wantStats, wantRows := h.measure(), h.rollup()
			if err := s.UnkeyRoutingPools(ctx); err != nil {
				t.Fatal(err)
			}
			h.migrateKeeps(wantStats, wantRows)

			h.route("new-small", handoff.RouteRequest{Routing: roundRobin()}, h.at.Add(2*time.Hour)) // the same day and pool as converted rows
			h.route("new-big", handoff.RouteRequest{Routing: manyReps(300)}, h.at.Add(3*time.Hour))
			var twice int
			err := raw.QueryRowContext(ctx, "SELECT COUNT(*) FROM (SELECT day, rep, pool, prev_day, shard FROM routing_days"+
				" GROUP BY day, rep, pool, prev_day, shard HAVING COUNT(*) > 1) x").Scan(&twice)
			if err != nil {
				t.Fatal(err)
			}
			if twice != 0 {
				t.Fatalf("%d keys of routing_days have two rows: the migration keyed a pool unlike the writes", twice)
			}
			written := h.rollup()
			if err := s.RebuildRollup(ctx); err != nil {
				t.Fatal(err)
			}
			if got := h.rollup(); !slices.Equal(written, got) {
				t.Fatalf("rollup after the migration\n%s\nwant as the backfill writes it\n%s", strings.Join(written, "\n"), strings.Join(got, "\n"))
			}
		})
	}
}

// firstRoutingDays is routing_days as the first routing rollup (9980fe1)
// created it: a row per kind and delay bucket, the counts in n.
const firstRoutingDays = "CREATE TABLE routing_days (day BIGINT NOT NULL, prev_day BIGINT NOT NULL, kind VARCHAR(20) NOT NULL," +
	" rep VARCHAR(500) NOT NULL, pool TEXT NOT NULL, bucket INTEGER NOT NULL, shard INTEGER NOT NULL, n BIGINT NOT NULL," +
	" PRIMARY KEY (day, kind, rep, pool, bucket, prev_day, shard))"

// A database whose routing_days has the first routing rollup's shape is
// migrated: its routing rollup is filled anew from the event log (the
// routing measure and the rollup read as before, a second Migrate changes
// nothing), rather than Migrate failing on the counts' columns it lacks
// and serve refusing to start.
func TestMigrateRebuildsFirstRoutingRollup(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			s, raw := storagetest.OpenRaw(t, dialect)
			h := routedHistory{t: t, s: s, at: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
			h.routeAndAccept("first")
			wantStats, wantRows := h.measure(), h.rollup()
			// The first rollup's tables, with what it had counted.
			for _, q := range []string{"DROP TABLE routing_days", firstRoutingDays,
				"INSERT INTO routing_days VALUES (20415, 20415, 'offered', 'slack:U0METTE', '', 0, 0, 7)", "DELETE FROM routing_facts"} {
				if _, err := raw.ExecContext(ctx, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			h.migrateKeeps(wantStats, wantRows)
		})
	}
}
