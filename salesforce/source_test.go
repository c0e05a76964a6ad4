package salesforce_test

import (
	"context"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// A lead's LeadSource edited in Salesforce after the lead came in must not
// move its past to the new source: October's funnel, read in November,
// stays as it was read in October, by source too, while the lead's new
// stage counts in November under the source it came in with.
func TestSourceChangeKeepsPastReports(t *testing.T) {
	october := handoff.Period{Label: "2026-10", Start: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
	november := handoff.Period{Label: "2026-11", Start: october.End, End: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	sources := []string{"", "Web", "Partner Referral"}
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		var clock atomic.Int64 // the handler's, in Unix milliseconds
		clock.Store(time.Date(2026, 10, 15, 10, 0, 0, 0, time.UTC).UnixMilli())
		srv := newServerAt(t, s, nil, func() time.Time { return time.UnixMilli(clock.Load()).UTC() })
		// Each report is read as of the end of its period, so that only
		// what the change did can change it.
		funnel := func(p handoff.Period, source string) handoff.FunnelCounts {
			t.Helper()
			c, err := s.FunnelCounts(ctx, handoff.FunnelFilter{Period: p, Source: source, Now: p.End})
			if err != nil {
				t.Fatal(err)
			}
			return c
		}

		if st, body := send(t, srv, token, envelope(orgID, lead("04l5g00000DEF41AAB", leadA, "2026-10-15T09:59:00.000Z", "Open - Not Contacted", "+45 12 34 56 78"))); !acked(st, body) {
			t.Fatalf("October: not acknowledged: %d %s", st, body)
		}
		read := map[string]handoff.FunnelCounts{}
		for _, src := range sources {
			read[src] = funnel(october, src)
		}
		if read["Web"].SQLs != 1 {
			t.Fatalf("October's SQLs from Web = %d, want 1", read["Web"].SQLs)
		}

		clock.Store(time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC).UnixMilli())
		moved := strings.Replace(lead("04l5g00000DEF42AAB", leadA, "2026-11-20T08:59:00.000Z", "Working - Contacted", "+45 12 34 56 78"),
			"<sf:LeadSource>Web</sf:LeadSource>", "<sf:LeadSource>Partner Referral</sf:LeadSource>", 1)
		if st, body := send(t, srv, token, envelope(orgID, moved)); !acked(st, body) {
			t.Fatalf("November: not acknowledged: %d %s", st, body)
		}
		l, err := s.LeadByExternalID(ctx, leadA)
		if err != nil || l.Stage != handoff.StageContacted {
			t.Fatalf("lead after November's change: %+v, %v", l, err)
		}
		for _, src := range sources {
			if got := funnel(october, src); !reflect.DeepEqual(got, read[src]) {
				t.Errorf("October's funnel (source %q) changed after the fact:\nread in October  %+v\nread in November %+v", src, read[src], got)
			}
		}
		if got := funnel(november, "Web"); got.Contacted != 1 {
			t.Errorf("November's contacted from Web = %d, want 1 (the lead's source as it came in)", got.Contacted)
		}
	})
}
