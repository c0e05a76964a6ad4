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

// An Outbound Message carries the lead as it is when Salesforce sends it,
// and no field of the standard Lead says when its Status changed: a
// status change and a later edit that reach Handoff in one notification
// are dated by the edit (LastModifiedDate), the limit README states. Of
// the times Handoff knows for a status, the earliest stays: the same
// status delivered again with a later edit does not move its date.
func TestSalesforceStatusKeepsItsEarliestKnownTime(t *testing.T) {
	sqlAt := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	contacted := sqlAt.Add(time.Hour)  // Working - Contacted, delivered at once
	edited := contacted.Add(time.Hour) // a phone number changed after it
	arrival := edited.Add(time.Minute) // when both the others arrive
	const leadB = "00Q5g00000ABCDfEAP"
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		var clock atomic.Int64
		clock.Store(sqlAt.Add(time.Minute).UnixMilli())
		srv := newServerAt(t, s, nil, func() time.Time { return time.UnixMilli(clock.Load()).UTC() })
		deliver := func(notification string) {
			t.Helper()
			if st, body := send(t, srv, token, envelope(orgID, notification)); !acked(st, body) {
				t.Fatalf("not acknowledged: %d %s", st, body)
			}
		}
		stamp := func(t time.Time) string { return t.Format("2006-01-02T15:04:05.000Z") }
		deliver(lead("04l5g00000DEF61AAB", leadA, stamp(sqlAt), "Open - Not Contacted", "+45 12 34 56 78"))
		deliver(lead("04l5g00000DEF62AAB", leadB, stamp(sqlAt), "Open - Not Contacted", "+45 12 34 56 78"))

		// Lead A's status change reaches Handoff at once, then again
		// with the later edit; lead B's only with the edit.
		clock.Store(contacted.Add(time.Minute).UnixMilli())
		deliver(lead("04l5g00000DEF63AAB", leadA, stamp(contacted), "Working - Contacted", "+45 12 34 56 78"))
		clock.Store(arrival.UnixMilli())
		deliver(lead("04l5g00000DEF64AAB", leadA, stamp(edited), "Working - Contacted", "+45 87 65 43 21"))
		deliver(lead("04l5g00000DEF65AAB", leadB, stamp(edited), "Working - Contacted", "+45 87 65 43 21"))

		for _, c := range []struct {
			id   string
			want time.Time
		}{{leadA, contacted}, {leadB, edited}} {
			l, err := s.LeadByExternalID(ctx, c.id)
			if err != nil {
				t.Fatal(err)
			}
			if l.Stage != handoff.StageContacted || l.ContactedAt == nil || !l.ContactedAt.Equal(c.want) {
				t.Errorf("lead %s: %s, contacted at %v; want contacted at %s", c.id, l.Stage, l.ContactedAt, c.want)
			}
		}
	})
}
