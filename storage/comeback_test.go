package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// A lead that becomes an SQL, goes back to marketing and returns as an SQL
// counts once in each period it entered the stage in, however often.
func TestFunnelCountsReturningSQLOncePerPeriod(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		policy := handoff.DefaultPolicy()
		day := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 10, 0, 0, 0, time.UTC) }
		steps := []struct {
			stage handoff.Stage
			at    time.Time
		}{
			{handoff.StageSQL, day(11, 2)},
			{handoff.StageRecycled, day(11, 5)},
			{handoff.StageSQL, day(11, 20)},
			{handoff.StageLost, day(11, 21)},
			{handoff.StageSQL, day(12, 3)},
		}
		for _, st := range steps {
			in := handoff.LeadInput{ExternalID: "boomerang", Company: "Boomerang A/S", Stage: st.stage, Reason: "not now"}
			if _, err := s.SaveLead(ctx, in, policy, st.at, handoff.ActorAPI); err != nil {
				t.Fatalf("%s at %s: %v", st.stage, st.at, err)
			}
		}
		for _, tc := range []struct {
			period                string
			leads, sqls, recycled int64
		}{
			{"2026-11", 1, 1, 1},
			{"2026-12", 0, 1, 0},
			{"2026-Q4", 1, 1, 1},
			{"2026-W47", 0, 1, 0},
		} {
			p, err := handoff.ParsePeriod(tc.period, day(12, 4), time.UTC)
			if err != nil {
				t.Fatal(err)
			}
			c, err := s.FunnelCounts(ctx, handoff.FunnelFilter{Period: p, Now: day(12, 4)})
			if err != nil {
				t.Fatal(err)
			}
			if c.Leads != tc.leads || c.SQLs != tc.sqls || c.Recycled != tc.recycled {
				t.Errorf("%s: leads %d, sqls %d, recycled %d; want %d, %d, %d", tc.period, c.Leads, c.SQLs, c.Recycled, tc.leads, tc.sqls, tc.recycled)
			}
		}
	})
}
