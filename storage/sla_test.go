package storage_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestSLAQueriesReadPendingIndexes checks that finding the due leads and
// the next due time reads the partial indexes of pending timers, not every
// lead: the scheduler runs both on every tick.
func TestSLAQueriesReadPendingIndexes(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		due, next, err := s.ExplainSLA(context.Background(), t0)
		if err != nil {
			t.Fatal(err)
		}
		for name, plan := range map[string]string{"due leads": due, "next due": next} {
			for _, idx := range []string{"idx_leads_sla_claim", "idx_leads_sla_contact", "idx_leads_sla_remind"} {
				if !strings.Contains(plan, idx) {
					t.Errorf("%s: plan does not use %s:\n%s", name, idx, plan)
				}
			}
			// PostgreSQL answers MIN by reading the whole index when its
			// statistics are stale: each timer's first entry is read with a limit.
			if s.Dialect() == storage.DialectPostgres && name == "next due" && strings.Count(next, "Limit") < 3 {
				t.Errorf("%s: plan reads each index without a limit:\n%s", name, plan)
			}
			// SQLite says "SCAN leads" and PostgreSQL "Seq Scan on leads" for a full read.
			if regexp.MustCompile(`(?i)(^|\s)SCAN leads\b|Seq Scan on leads`).MatchString(plan) {
				t.Errorf("%s: plan reads the whole leads table:\n%s", name, plan)
			}
		}
	})
}

// TestRoutingQueriesReadPendingIndex checks that the routing clock, which
// the scheduler asks on every tick, reads only the leads with a routing step
// pending (the partial index idx_leads_route_due), not every open SQL
// through the index on stage.
func TestRoutingQueriesReadPendingIndex(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		due, next, err := s.ExplainRouting(context.Background(), t0)
		if err != nil {
			t.Fatal(err)
		}
		for name, plan := range map[string]string{"due steps": due, "next due": next} {
			if !strings.Contains(plan, "idx_leads_route_due") {
				t.Errorf("%s: plan does not use idx_leads_route_due:\n%s", name, plan)
			}
			if strings.Contains(plan, "idx_leads_stage") || regexp.MustCompile(`(?i)(^|\s)SCAN leads\b|Seq Scan on leads`).MatchString(plan) {
				t.Errorf("%s: plan reads every open SQL:\n%s", name, plan)
			}
		}
	})
}

// TestFireSLABacklogInBatches checks that a backlog larger than a batch
// fires in batches of at most the limit, each due timer once, earliest
// claim deadlines first, and nothing that is not due yet.
func TestFireSLABacklogInBatches(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		policy := handoff.DefaultPolicy() // claim within 2 h, contact within 48 h, no reminders
		const n, limit = 12, 5
		// Lead i became an SQL i minutes after t0, so it is due i minutes after the first.
		for i := range n {
			at := t0.Add(time.Duration(i) * time.Minute)
			if _, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: fmt.Sprint("sla-", i)}, policy, at, handoff.ActorAPI); err != nil {
				t.Fatal(err)
			}
		}
		// At this time leads 0..9 are past their claim deadline, 10 and 11 are not.
		now := t0.Add(policy.ClaimWithin + 9*time.Minute + 30*time.Second)
		var batches [][]time.Time
		for range n {
			fired, parked, err := s.FireSLA(ctx, now, policy, limit)
			if err != nil {
				t.Fatal(err)
			}
			if len(parked) != 0 {
				t.Fatalf("parked %+v", parked)
			}
			if len(fired) == 0 {
				break
			}
			var dues []time.Time
			for _, a := range fired {
				if a.Kind != handoff.SLAEscalateClaim {
					t.Fatalf("fired %+v, want claim escalations only", a)
				}
				dues = append(dues, a.Due)
			}
			batches = append(batches, dues)
		}
		if len(batches) != 2 || len(batches[0]) != limit || len(batches[1]) != limit {
			t.Fatalf("batches %v, want two of %d", batches, limit)
		}
		for _, d := range batches[0] {
			if !d.Before(batches[1][0]) && !d.Before(batches[1][len(batches[1])-1]) {
				t.Errorf("first batch has %s, not among the earliest deadlines (second batch %v)", d, batches[1])
			}
		}
		next, ok, err := s.NextSLADue(ctx)
		if err != nil || !ok {
			t.Fatalf("next due: %v %v", ok, err)
		}
		if want := t0.Add(10*time.Minute + policy.ClaimWithin); !next.Equal(want) {
			t.Errorf("next due %s, want %s (lead 10's claim deadline)", next, want)
		}
	})
}
