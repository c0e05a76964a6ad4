package storage_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestReturnedCycleKeepsItsClaim: an SQL claimed and returned before
// contact and within its deadline, then an SQL again, keeps the claim of
// the cycle it ends (a finished cycle with no deadline, which the SLA
// figures leave out): the time to claim of its week and the rep's claims
// count it whichever path saved the return and the new SQL (one input, a
// batch), from the rollup, from the events, by owner, by source and over
// partial days.
func TestReturnedCycleKeepsItsClaim(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		policy := handoff.DefaultPolicy()
		l := funnelLog{t: t, s: s, policy: policy}
		rep := handoff.Owner{Platform: "slack", UserID: "UREP"}
		monday := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
		stamp := func(at time.Time) string { return at.Format(time.RFC3339) }
		for _, id := range []string{"one", "batch", "open"} {
			l.move(id, "sql", stamp(monday), map[string]any{"source": "paid"})
		}
		l.claim("one", rep, stamp(monday.Add(time.Hour)))
		l.claim("batch", rep, stamp(monday.Add(time.Hour)))
		l.claim("open", rep, stamp(monday.Add(4*time.Hour)))
		// Returned two hours after the SQL (the deadline is two days on),
		// an SQL again two weeks later: "one" by one input, "batch" in a
		// batch.
		returned, again := monday.Add(2*time.Hour), monday.AddDate(0, 0, 14)
		for _, step := range []struct {
			stage string
			at    time.Time
		}{{"recycled", returned}, {"sql", again}} {
			l.move("one", step.stage, stamp(step.at), map[string]any{"reason": "not ready"})
			in, err := handoff.ParseLeadInput(map[string]any{"external_id": "batch", "stage": step.stage, "reason": "not ready", "occurred_at": stamp(step.at)}, step.at)
			if err != nil {
				t.Fatal(err)
			}
			if _, errs, err := s.SaveLeads(ctx, []handoff.LeadInput{in}, policy, step.at, handoff.ActorAPI); err != nil || errs[0] != nil {
				t.Fatalf("batch: %v %v", err, errs)
			}
		}
		for _, id := range []string{"one", "batch"} {
			lead, err := s.LeadByExternalID(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			cycles, err := s.SLACycles(ctx, lead.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(cycles) != 1 || !samePtrTime(cycles[0].ClaimedAt, monday.Add(time.Hour)) || cycles[0].ContactDueAt != nil || cycles[0].Owner != rep {
				t.Errorf("%s kept cycles %+v, want one claimed by %s at %s without a deadline", id, cycles, rep.UserID, monday.Add(time.Hour))
			}
		}

		now := again.Add(time.Hour)
		week, err := handoff.ParsePeriod("2026-W45", now, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		partial := handoff.Period{Label: "partial", Start: monday.Add(-time.Hour), End: monday.Add(30 * time.Hour)}
		hour := float64(time.Hour.Milliseconds())
		for _, tt := range []struct {
			f   handoff.FunnelFilter
			due int64 // open's breach on Nov 4; the returned ones never count
		}{
			{handoff.FunnelFilter{Period: week, Now: now}, 1},
			{handoff.FunnelFilter{Period: week, Now: now, Owner: rep.UserID}, 1},
			{handoff.FunnelFilter{Period: week, Now: now, Source: "paid"}, 1},
			{handoff.FunnelFilter{Period: partial, Now: now}, 0},
		} {
			f := tt.f
			for name, counts := range map[string]func(context.Context, handoff.FunnelFilter) (handoff.FunnelCounts, error){
				"funnel": s.FunnelCounts, "from the events": s.FunnelCountsFromEvents,
			} {
				c, err := counts(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				// Waits of 1 h, 1 h and 4 h.
				if c.MedianClaimMs == nil || *c.MedianClaimMs != hour {
					t.Errorf("%s %s (owner %q, source %q): median time to claim %s, want %s", name, f.Period.Label, f.Owner, f.Source, fmtFloat(c.MedianClaimMs), fmtFloat(&hour))
				}
				if c.SLADue != tt.due {
					t.Errorf("%s %s (owner %q, source %q): %d SLA promises, want %d", name, f.Period.Label, f.Owner, f.Source, c.SLADue, tt.due)
				}
			}
		}
		acts, err := s.RepActivity(ctx, week, now)
		if err != nil {
			t.Fatal(err)
		}
		if len(acts) != 1 || acts[0].Claimed != 3 {
			t.Errorf("rep activity %+v, want %s with 3 claims", acts, rep.UserID)
		}
	})
}

// TestMigrateLetsACycleHoldNoDeadline: Migrate turns the NOT NULL
// contact_due_ms of an sla_cycles table made by the version before into a
// nullable column, keeping its rows, so that a cycle claimed and returned
// in time can be kept.
func TestMigrateLetsACycleHoldNoDeadline(t *testing.T) {
	for _, d := range storagetest.Dialects {
		t.Run(d, func(t *testing.T) {
			ctx := context.Background()
			s, raw := storagetest.OpenRaw(t, d)
			// The table as the version before made it, with one row.
			old := []string{"ALTER TABLE sla_cycles ALTER COLUMN contact_due_ms SET NOT NULL"}
			if d == storage.DialectSQLite {
				var ddl string
				if err := raw.QueryRow("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'sla_cycles'").Scan(&ddl); err != nil {
					t.Fatal(err)
				}
				notNull := strings.Replace(ddl, "`contact_due_ms` integer", "`contact_due_ms` integer NOT NULL", 1)
				if notNull == ddl {
					t.Fatalf("sla_cycles DDL without contact_due_ms integer: %s", ddl)
				}
				old = []string{"DROP TABLE sla_cycles", notNull}
			}
			old = append(old, "INSERT INTO sla_cycles (lead_id, sql_ms, contact_due_ms, reached) VALUES (1, 1000, 2000, 2)")
			for _, q := range old {
				if _, err := raw.Exec(q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			if _, err := raw.Exec("INSERT INTO sla_cycles (lead_id, sql_ms, reached) VALUES (1, 1000, 2)"); err == nil {
				t.Fatal("the old table took a cycle without a deadline")
			}
			if err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			kept, err := s.SLACycles(ctx, 1)
			if err != nil {
				t.Fatal(err)
			}
			if len(kept) != 1 || kept[0].ContactDueAt == nil || kept[0].ContactDueAt.UnixMilli() != 2000 {
				t.Fatalf("after Migrate the cycles are %+v, want the one with its deadline", kept)
			}
			if _, err := raw.Exec("INSERT INTO sla_cycles (lead_id, sql_ms, claimed_ms, reached) VALUES (1, 1000, 1500, 2)"); err != nil {
				t.Errorf("after Migrate a cycle without a deadline is refused: %v", err)
			}
		})
	}
}

// samePtrTime reports whether t is set to want.
func samePtrTime(t *time.Time, want time.Time) bool { return t != nil && t.Equal(want) }
