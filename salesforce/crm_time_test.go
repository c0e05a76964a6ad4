package salesforce_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// A lead Salesforce made an SQL on 31 October at 22:00 (its
// LastModifiedDate) whose Outbound Message arrives three hours later, on
// 1 November, counts in October's funnel, and its contact, made in
// Salesforce at 01:30 and delivered at 02:00, in the SLA as made at
// 01:30; its deadlines count from its arrival.
func TestSalesforceStageDatedBySalesforce(t *testing.T) {
	arrival := time.Date(2026, 11, 1, 1, 0, 0, 0, time.UTC)
	october := handoff.Period{Label: "2026-10", Start: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
	november := handoff.Period{Label: "2026-11", Start: october.End, End: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		var clock atomic.Int64 // the handler's, in Unix milliseconds
		clock.Store(arrival.UnixMilli())
		srv := newServerAt(t, s, nil, func() time.Time { return time.UnixMilli(clock.Load()).UTC() })
		if st, body := send(t, srv, token, envelope(orgID, lead("04l5g00000DEF51AAB", leadA, "2026-10-31T22:00:00.000Z", "Open - Not Contacted", "+45 12 34 56 78"))); !acked(st, body) {
			t.Fatalf("SQL: not acknowledged: %d %s", st, body)
		}
		clock.Store(arrival.Add(time.Hour).UnixMilli())
		if st, body := send(t, srv, token, envelope(orgID, lead("04l5g00000DEF52AAB", leadA, "2026-11-01T01:30:00.000Z", "Working - Contacted", "+45 12 34 56 78"))); !acked(st, body) {
			t.Fatalf("contacted: not acknowledged: %d %s", st, body)
		}
		l, err := s.LeadByExternalID(ctx, leadA)
		if err != nil {
			t.Fatal(err)
		}
		policy := handoff.DefaultPolicy()
		if want := time.Date(2026, 10, 31, 22, 0, 0, 0, time.UTC); l.SQLAt == nil || !l.SQLAt.Equal(want) {
			t.Errorf("SQL at %v, want %s", l.SQLAt, want)
		}
		if want := time.Date(2026, 11, 1, 1, 30, 0, 0, time.UTC); l.ContactedAt == nil || !l.ContactedAt.Equal(want) {
			t.Errorf("contacted at %v, want %s", l.ContactedAt, want)
		}
		if l.ContactDueAt == nil || !l.ContactDueAt.Equal(policy.ContactDue(arrival)) || l.SLABreached {
			t.Errorf("contact due %v, breached %v; want %s, not breached", l.ContactDueAt, l.SLABreached, policy.ContactDue(arrival))
		}
		for _, p := range []struct {
			period          handoff.Period
			sqls, contacted int64
		}{{october, 1, 0}, {november, 0, 1}} {
			got, err := s.FunnelCounts(ctx, handoff.FunnelFilter{Period: p.period, Now: november.End})
			if err != nil {
				t.Fatal(err)
			}
			if got.SQLs != p.sqls || got.Contacted != p.contacted {
				t.Errorf("%s: SQLs %d, contacted %d; want %d, %d", p.period.Label, got.SQLs, got.Contacted, p.sqls, p.contacted)
			}
		}
	})
}
