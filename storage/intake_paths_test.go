package storage_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestIntakePathsWriteTheSame saves the same groups of leads on two stores,
// one in a transaction (SaveLeads), the other as intake's group committer
// does (in one statement on PostgreSQL when every lead is new), and
// compares every row they wrote: leads, events, outbox messages (webhook
// ones too) and the funnel's rollup, which must also equal the one rebuilt
// from the events.
func TestIntakePathsWriteTheSame(t *testing.T) {
	for _, d := range storagetest.Dialects {
		t.Run(d, func(t *testing.T) {
			ctx := context.Background()
			inTx, rawTx := storagetest.OpenRaw(t, d)
			fast, rawFast := storagetest.OpenRaw(t, d)
			t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
			input := func(raw map[string]any) handoff.LeadInput {
				t.Helper()
				in, err := handoff.ParseLeadInput(raw, t0)
				if err != nil {
					t.Fatal(err)
				}
				return in
			}
			groups := []struct {
				ins     []handoff.LeadInput
				decides bool // the one-statement path saves it
			}{
				{ins: []handoff.LeadInput{
					input(map[string]any{"external_id": "n0", "stage": "sql", "source": "paid", "campaign": "fall"}),
					input(map[string]any{"external_id": "n1", "source": "organic", "score": 70.0}),
					input(map[string]any{"external_id": "n2", "stage": "won", "amount": 1200.0, "source": "paid",
						"occurred_at": t0.Add(-72 * time.Hour).Format(time.RFC3339Nano)}),
					input(map[string]any{"external_id": "n1", "stage": "mql", "source": "organic"}), // n1 again
					input(map[string]any{"external_id": "n3", "stage": "sql", "email": "n3@example.com"}),
				}, decides: true},
				{ins: []handoff.LeadInput{ // a known lead: saved in a transaction
					input(map[string]any{"external_id": "n4", "stage": "sql", "source": "paid"}),
					input(map[string]any{"external_id": "n0", "stage": "opportunity", "amount": 500.0}),
				}},
				{ins: []handoff.LeadInput{
					input(map[string]any{"external_id": "n5", "stage": "opportunity", "source": "event", "campaign": "fall"}),
					input(map[string]any{"external_id": "n6", "stage": "sql", "source": "event"}),
				}, decides: true},
			}
			for _, s := range []*storage.Store{inTx, fast} {
				s.RouteWebhooks([]handoff.WebhookRoute{{Key: "crm", Events: handoff.WebhookEvents}})
			}
			policy := handoff.DefaultPolicy()
			for i, g := range groups {
				now := t0.Add(time.Duration(i) * time.Minute)
				want, wantErrs, err := inTx.SaveLeads(ctx, g.ins, policy, now, handoff.ActorAPI)
				if err != nil {
					t.Fatal(err)
				}
				got, gotErrs, done := want, wantErrs, false
				if d == storage.DialectPostgres {
					got, gotErrs, done, err = fast.SaveLeadsOneStatement(ctx, g.ins, policy, now, handoff.ActorAPI)
					if err != nil || done != g.decides {
						t.Fatalf("group %d: one statement done %v, err %v; want done %v", i, done, err, g.decides)
					}
				}
				if !done {
					if got, gotErrs, err = fast.SaveLeads(ctx, g.ins, policy, now, handoff.ActorAPI); err != nil {
						t.Fatal(err)
					}
				}
				for j := range want {
					if g, w := saveOutcome(got[j], gotErrs[j]), saveOutcome(want[j], wantErrs[j]); g != w {
						t.Errorf("group %d, input %d: %s; want %s", i, j, g, w)
					}
				}
			}
			sameRows(t, rawFast, rawTx)
			got, want := rollupRows(t, fast), rollupRows(t, inTx)
			if !slices.Equal(got, want) {
				t.Errorf("rollup differs:\none statement %q\ntransaction   %q", got, want)
			}
			if err := fast.RebuildRollup(ctx); err != nil {
				t.Fatal(err)
			}
			if rebuilt := rollupRows(t, fast); !slices.Equal(got, rebuilt) {
				t.Errorf("rollup differs from its rebuild:\nwritten %q\nrebuilt %q", got, rebuilt)
			}
			if !slices.ContainsFunc(want, func(r string) bool { return len(r) > 4 && r[:4] == "won " }) {
				t.Errorf("no won row in the rollup %q: the groups miss a case", want)
			}
		})
	}
}

// saveOutcome writes out what a save returned.
func saveOutcome(r handoff.SaveResult, err error) string {
	if r.Lead == nil {
		return fmt.Sprintf("no lead, err %v", err)
	}
	return fmt.Sprintf("lead %d changed %v created %v events %v, err %v", r.Lead.ID, r.Changed, r.Created, r.Events, err)
}

// rollupRows is s.RollupRows, failing the test on an error.
func rollupRows(t *testing.T, s *storage.Store) []string {
	t.Helper()
	rows, err := s.RollupRows(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return rows
}
