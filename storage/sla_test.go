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

// TestClockQueriesReadPendingIndexes checks that the scheduler's clocks,
// which it asks on every tick, find the due leads and the next due time in
// the partial indexes of pending timers (SLA) and routing steps, not in
// every lead or every open SQL (the index on stage).
func TestClockQueriesReadPendingIndexes(t *testing.T) {
	ctx := context.Background()
	clocks := []struct {
		name    string
		explain func(*storage.Store) (due, next string, err error)
		indexes []string
	}{
		{"SLA", func(s *storage.Store) (string, string, error) { return s.ExplainSLA(ctx, t0) },
			[]string{"idx_leads_sla_claim", "idx_leads_sla_contact", "idx_leads_sla_remind_set"}},
		{"routing", func(s *storage.Store) (string, string, error) { return s.ExplainRouting(ctx, t0) },
			[]string{"idx_leads_route_due"}},
	}
	// SQLite says "SCAN leads" and PostgreSQL "Seq Scan on leads" for a full read.
	fullRead := regexp.MustCompile(`(?i)(^|\s)SCAN leads\b|Seq Scan on leads|idx_leads_stage`)
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		for _, c := range clocks {
			due, next, err := c.explain(s)
			if err != nil {
				t.Fatal(err)
			}
			for name, plan := range map[string]string{"due": due, "next due": next} {
				for _, idx := range c.indexes {
					if !strings.Contains(plan, idx) {
						t.Errorf("%s %s: plan does not use %s:\n%s", c.name, name, idx, plan)
					}
				}
				// PostgreSQL answers MIN by reading the whole index when its
				// statistics are stale: each index's first entry is read with a limit.
				if s.Dialect() == storage.DialectPostgres && name == "next due" && strings.Count(next, "Limit") < len(c.indexes) {
					t.Errorf("%s %s: plan reads an index without a limit:\n%s", c.name, name, plan)
				}
				if fullRead.MatchString(plan) {
					t.Errorf("%s %s: plan reads every lead or every open SQL:\n%s", c.name, name, plan)
				}
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
