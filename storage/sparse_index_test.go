package storage_test

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// The indexes of columns a new lead leaves unset hold only the leads that
// have them, and the queries that read them still do so by index.
func TestSparseIndexesServeTheirQueries(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		owners, ownerIDs := s.TeamsOwnersWhere([]string{"u1", "u2"})
		for _, tc := range []struct {
			name, query string
			args        []any
			index       string
		}{
			{"next decay due", storage.NextDecayDueSQL, nil, "idx_leads_next_decay_set"},
			{"decayed leads", "SELECT id FROM leads WHERE next_decay_ms <= ? ORDER BY next_decay_ms, id LIMIT 10", []any{int64(5)}, "idx_leads_next_decay_set"},
			{"erased lead", "SELECT * FROM leads WHERE " + storage.ErasedKeyWhere + " ORDER BY id DESC LIMIT 1", []any{"erased-x"}, "idx_leads_erased_key_set"},
			{"parked leads", storage.ParkedLeadsSQL, nil, "idx_leads_parked_set"},
			{"Teams owners", "SELECT DISTINCT owner_user_id, owner_email FROM leads WHERE " + owners, []any{"teams", ownerIDs}, "idx_leads_owner_set"},
			{"claims in a period", "SELECT COUNT(*) FROM leads l WHERE l.claimed_ms >= ? AND l.claimed_ms < ?", []any{int64(1), int64(2)}, "idx_leads_kpi_claimed_set"},
			{"SLA met in a period", "SELECT COUNT(*) FROM leads l WHERE l.contacted_ms <= l.contact_due_ms AND l.contacted_ms >= ? AND l.contacted_ms < ?", []any{int64(1), int64(2)}, "idx_leads_kpi_contacted_set"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				plan, err := s.Explain(context.Background(), tc.query, tc.args...)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(plan, tc.index) {
					t.Errorf("plan does not use %s:\n%s", tc.index, plan)
				}
				if regexp.MustCompile(`(?i)(^|\s)SCAN leads\b|Seq Scan on leads`).MatchString(plan) {
					t.Errorf("plan reads the whole leads table:\n%s", plan)
				}
			})
		}
	})
}

// Migrate replaces an earlier version's whole-column indexes by the
// sparse ones.
func TestMigrateMakesIndexesSparse(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		sparse := []string{"idx_leads_erased_key_set", "idx_leads_kpi_claimed_set", "idx_leads_kpi_contacted_set", "idx_leads_next_decay_set", "idx_leads_route_due", "idx_leads_owner_set",
			"idx_leads_sla_remind_set", "idx_leads_parked_set"}
		whole := map[string]string{
			"idx_leads_next_decay_ms":    "next_decay_ms",
			"idx_leads_offer_due_ms":     "offer_due_ms",
			"idx_leads_offer_due_set":    "offer_due_ms",
			"idx_leads_erased_key":       "erased_key",
			"idx_leads_owner_user_id":    "owner_user_id",
			"idx_leads_next_remind_ms":   "next_remind_ms",
			"idx_leads_kpi_claimed":      "claimed_ms, sql_ms",
			"idx_leads_kpi_contacted_v2": "contacted_ms, sql_ms, contact_due_ms, reached",
			"idx_leads_sla_remind":       "next_remind_ms",
			"idx_leads_claim_due_ms":     "claim_due_ms",
		}
		for _, name := range sparse { // the schema as the earlier version left it
			if err := s.Exec(ctx, "DROP INDEX "+name); err != nil {
				t.Fatal(err)
			}
		}
		for name, cols := range whole {
			if err := s.Exec(ctx, "CREATE INDEX "+name+" ON leads ("+cols+")"); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		names, err := s.LeadIndexes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for name := range whole {
			if slices.Contains(names, name) {
				t.Errorf("index %s is still there after Migrate: %v", name, names)
			}
		}
		for _, name := range sparse {
			if !slices.Contains(names, name) {
				t.Errorf("index %s is missing after Migrate: %v", name, names)
			}
		}
	})
}
