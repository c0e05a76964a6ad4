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

// The finished SQL cycle a lead came back from is read by the time it
// began: the rep who worked the lead in it, its claim; a cycle nobody
// worked (returned before a claim, in time) is not kept, nor is the one
// running, and reading either is ENOTFOUND.
func TestSLACycleOfALeadThatCameBack(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		policy := handoff.DefaultPolicy()
		day := func(d, h int) time.Time { return time.Date(2026, 11, d, h, 0, 0, 0, time.UTC) }
		save := func(st handoff.Stage, at time.Time) *handoff.Lead {
			t.Helper()
			res, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: "boomerang", Company: "Boomerang A/S", Stage: st, Reason: "not now"}, policy, at, handoff.ActorAPI)
			if err != nil {
				t.Fatalf("%s at %s: %v", st, at, err)
			}
			return res.Lead
		}
		ann := handoff.Owner{Platform: "slack", UserID: "UANN", Email: "ann@seller.dk"}
		id := save(handoff.StageSQL, day(2, 9)).ID
		if _, won, err := s.ClaimLead(ctx, id, ann, day(2, 10), handoff.Policy{}, "slack:UANN"); err != nil || !won {
			t.Fatalf("claim: won %v, %v", won, err)
		}
		save(handoff.StageLost, day(3, 9))
		save(handoff.StageSQL, day(9, 9))       // back: Ann's cycle ends
		save(handoff.StageRecycled, day(9, 10)) // not a fit before anyone claimed it, in time
		save(handoff.StageSQL, day(16, 9))      // back again: nobody's cycle ends
		for _, tt := range []struct {
			name  string
			since time.Time
			want  handoff.Owner // zero for ENOTFOUND
		}{
			{"worked by Ann", day(2, 9), ann},
			{"worked by nobody", day(9, 9), handoff.Owner{}},
			{"running", day(16, 9), handoff.Owner{}},
			{"no cycle began then", day(2, 10), handoff.Owner{}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				c, err := s.SLACycle(ctx, id, tt.since)
				if tt.want.IsZero() {
					if handoff.ErrorCode(err) != handoff.ENOTFOUND {
						t.Errorf("SLACycle(%s) = %+v, %v; want ENOTFOUND", tt.since, c, err)
					}
					return
				}
				if err != nil || c.Owner != tt.want || !c.SQLAt.Equal(tt.since) || c.ClaimedAt == nil || !c.ClaimedAt.Equal(day(2, 10)) {
					t.Errorf("SLACycle(%s) = %+v, %v; want Ann's cycle, claimed at %s", tt.since, c, err, day(2, 10))
				}
			})
		}
	})
}
