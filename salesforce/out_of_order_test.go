package salesforce_test

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/salesforce"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// marketingStatus is a Lead Status picklist with marketing's stages before
// the SQL, as orgs that qualify leads in Salesforce keep it.
var marketingStatus = map[string]handoff.Stage{
	"Working": handoff.StageMQL, "Qualified": handoff.StageSQL, "Closed - Not Converted": handoff.StageLost,
}

// outOfOrder delivers a lead's notifications over the SOAP wire, each at
// its own arrival time, and counts what the handler told Ignored.
type outOfOrder struct {
	t       *testing.T
	s       *storage.Store
	clock   atomic.Int64
	srv     func(body string) (int, string)
	mu      sync.Mutex // the handler's goroutine tells ignored
	ignored []string
}

func newOutOfOrder(t *testing.T, s *storage.Store, status map[string]handoff.Stage) *outOfOrder {
	o := &outOfOrder{t: t, s: s}
	srv := serve(t, &salesforce.Handler{Status: status, Store: s,
		Now: func() time.Time { return time.UnixMilli(o.clock.Load()).UTC() },
		Ignored: func(reason string) {
			o.mu.Lock()
			defer o.mu.Unlock()
			o.ignored = append(o.ignored, reason)
		}})
	o.srv = func(body string) (int, string) { return send(t, srv, token, body) }
	return o
}

// deliver sends one notification of leadA, last modified at modified,
// arriving at arrival; Salesforce must be acknowledged.
func (o *outOfOrder) deliver(notificationID string, modified, arrival time.Time, status, phone string) {
	o.t.Helper()
	o.clock.Store(arrival.UnixMilli())
	msg := envelope(orgID, lead(notificationID, leadA, modified.Format("2006-01-02T15:04:05.000Z"), status, phone))
	if code, body := o.srv(msg); !acked(code, body) {
		o.t.Fatalf("notification %s not acknowledged: %d %s", notificationID, code, body)
	}
}

// lead reads leadA and its history.
func (o *outOfOrder) lead() (*handoff.Lead, []handoff.Event) {
	o.t.Helper()
	ctx := context.Background()
	l, err := o.s.LeadByExternalID(ctx, leadA)
	if err != nil {
		o.t.Fatal(err)
	}
	evs, err := o.s.Events(ctx, l.ID)
	if err != nil {
		o.t.Fatal(err)
	}
	return l, evs
}

// counts are the funnel's leads, MQLs and SQLs in period.
func (o *outOfOrder) counts(period handoff.Period) [3]int64 {
	o.t.Helper()
	c, err := o.s.FunnelCounts(context.Background(), handoff.FunnelFilter{Period: period, Now: time.UnixMilli(o.clock.Load())})
	if err != nil {
		o.t.Fatal(err)
	}
	return [3]int64{c.Leads, c.MQLs, c.SQLs}
}

// An older state of a lead that arrives after a newer one (Salesforce
// retries a notification for up to 24 hours, and delivers out of order)
// is acknowledged and changes none of the newer state's fields, nor moves
// its stage back, nor its SQL, claim or contact times. Passes before and
// after the older state dates implied stages earlier.
func TestOlderDeliveryNeverOverwritesNewer(t *testing.T) {
	t1 := time.Date(2026, 10, 31, 23, 0, 0, 0, time.UTC)
	t2 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name           string
		status         map[string]handoff.Stage
		newer, older   string
		stage          handoff.Stage
		sqlAt, contact *time.Time
	}{
		{"contacted, then its sql", nil, "Working - Contacted", "Open - Not Contacted", handoff.StageContacted, &t2, &t2},
		{"sql, then its mql", marketingStatus, "Qualified", "Working", handoff.StageSQL, &t2, nil},
		{"lost, then its mql", marketingStatus, "Closed - Not Converted", "Working", handoff.StageLost, nil, nil},
		{"mql, then a repeat of it", marketingStatus, "Working", "Working", handoff.StageMQL, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			storagetest.Each(t, func(t *testing.T, s *storage.Store) {
				o := newOutOfOrder(t, s, tt.status)
				o.deliver("04l5g00000OOO01AAB", t2, t2.Add(time.Minute), tt.newer, "+45 22 22 22 22")
				_, before := o.lead()
				o.deliver("04l5g00000OOO00AAB", t1, t2.Add(5*time.Minute), tt.older, "+45 11 11 11 11")
				l, after := o.lead()
				if l.Stage != tt.stage || l.Phone != "+45 22 22 22 22" {
					t.Errorf("lead %s, phone %s; want the newer state's %s, +45 22 22 22 22", l.Stage, l.Phone, tt.stage)
				}
				if !sameTime(l.SQLAt, tt.sqlAt) || !sameTime(l.ContactedAt, tt.contact) {
					t.Errorf("SQL at %v, contacted at %v; want %v, %v", l.SQLAt, l.ContactedAt, tt.sqlAt, tt.contact)
				}
				if len(after) != len(before) {
					t.Errorf("the older state added events: %d → %d", len(before), len(after))
				}
			})
		})
	}
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// An older state says when the lead reached its status: the marketing
// stages a newer state only implied (an SQL arriving first implies lead
// and mql, dated by the SQL) take its earlier time, and the funnel counts
// each of them once, in the month of that time, from the rollup and the
// event log alike. The SQL keeps its date, the newer state its fields, and
// every delivery is acknowledged and counted as stale.
func TestOlderDeliveryDatesImpliedStagesEarlier(t *testing.T) {
	t0 := time.Date(2026, 10, 30, 8, 0, 0, 0, time.UTC)  // Working, first sent
	t1 := time.Date(2026, 10, 31, 23, 0, 0, 0, time.UTC) // Working, edited
	t2 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)  // Qualified
	october := handoff.Period{Label: "2026-10", Start: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
	november := handoff.Period{Label: "2026-11", Start: october.End, End: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	// No whole day: counted from the event log, not the rollup.
	around := handoff.Period{Label: "around t1", Start: t1.Add(-12 * time.Hour), End: t2.Add(-time.Hour)}
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		o := newOutOfOrder(t, s, marketingStatus)
		check := func(step string, leadAt, mqlAt time.Time, oct, nov, arnd [3]int64, ignored ...string) {
			t.Helper()
			l, evs := o.lead()
			if l.Stage != handoff.StageSQL || l.Phone != "+45 22 22 22 22" || l.SQLAt == nil || !l.SQLAt.Equal(t2) {
				t.Errorf("%s: lead %s, phone %s, SQL at %v; want sql, +45 22 22 22 22, %s", step, l.Stage, l.Phone, l.SQLAt, t2)
			}
			want := map[handoff.Stage]time.Time{handoff.StageLead: leadAt, handoff.StageMQL: mqlAt, handoff.StageSQL: t2}
			if len(evs) != len(want) {
				t.Errorf("%s: %d events, want %d: %+v", step, len(evs), len(want), evs)
			}
			for _, e := range evs {
				if w, ok := want[e.Stage]; !ok || !e.At.Equal(w) {
					t.Errorf("%s: %s dated %s, want %s", step, e.Stage, e.At.Format(time.RFC3339), w.Format(time.RFC3339))
				}
			}
			for _, c := range []struct {
				period handoff.Period
				want   [3]int64
			}{{october, oct}, {november, nov}, {around, arnd}} {
				if got := o.counts(c.period); got != c.want {
					t.Errorf("%s: %s leads, MQLs, SQLs = %v, want %v", step, c.period.Label, got, c.want)
				}
			}
			o.mu.Lock()
			defer o.mu.Unlock()
			if !slices.Equal(o.ignored, ignored) {
				t.Errorf("%s: ignored %q, want %q", step, o.ignored, ignored)
			}
		}

		// The newer state arrives first: lead and mql implied, dated t2.
		o.deliver("04l5g00000OOO02AAB", t2, t2.Add(time.Minute), "Qualified", "+45 22 22 22 22")
		check("newer first", t2, t2, [3]int64{0, 0, 0}, [3]int64{1, 1, 1}, [3]int64{0, 0, 0})

		// Salesforce's retry of the older one: it dates them by t1.
		o.deliver("04l5g00000OOO01AAB", t1, t2.Add(5*time.Minute), "Working", "+45 11 11 11 11")
		check("older after", t1, t1, [3]int64{1, 1, 0}, [3]int64{0, 0, 1}, [3]int64{1, 1, 0}, "stale")

		// Sent again: nothing moves, nothing counts twice.
		o.deliver("04l5g00000OOO01AAB", t1, t2.Add(6*time.Minute), "Working", "+45 11 11 11 11")
		check("older again", t1, t1, [3]int64{1, 1, 0}, [3]int64{0, 0, 1}, [3]int64{1, 1, 0}, "stale", "stale")

		// An older state still: the earliest time known wins, counted once.
		o.deliver("04l5g00000OOO00AAB", t0, t2.Add(7*time.Minute), "Working", "+45 00 00 00 00")
		check("oldest last", t0, t0, [3]int64{1, 1, 0}, [3]int64{0, 0, 1}, [3]int64{0, 0, 0}, "stale", "stale", "stale")
	})
}
