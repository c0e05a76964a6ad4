package storage_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// An SQL that sales returns before contact and within its contact deadline
// (not a fit, lost, back to marketing) leaves the SLA figures instead of
// counting as breached once the deadline passes; returned after the
// deadline it stays breached, and taken up again without a new SQL it is
// held to its deadline again. The funnel, its rollups and the per-rep
// figures agree, on both databases.
func TestReturnedSQLLeavesTheSLA(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		policy := handoff.DefaultPolicy()
		sqlAt := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
		due := policy.ContactDue(sqlAt)
		rep := handoff.Owner{Platform: "slack", UserID: "UREP"}
		save := func(id string, stage handoff.Stage, at time.Time) {
			t.Helper()
			in := handoff.LeadInput{ExternalID: id, Company: id + " A/S", Stage: stage, Reason: "outside our segment"}
			if _, err := s.SaveLead(ctx, in, policy, at, handoff.ActorAPI); err != nil {
				t.Fatalf("%s %s: %v", id, stage, err)
			}
		}
		claim := func(id string, at time.Time) {
			t.Helper()
			l, err := s.LeadByExternalID(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if _, won, err := s.ClaimLead(ctx, l.ID, rep, at, handoff.Policy{}, "slack:UREP"); err != nil || !won {
				t.Fatalf("claim %s: won=%v err=%v", id, won, err)
			}
		}
		for _, id := range []string{"nofit", "lostclaimed", "late", "reopened"} {
			save(id, handoff.StageSQL, sqlAt)
		}
		save("nofit", handoff.StageRecycled, sqlAt.Add(time.Hour)) // unclaimed, returned at once
		claim("lostclaimed", sqlAt.Add(time.Hour))
		save("lostclaimed", handoff.StageLost, sqlAt.Add(2*time.Hour)) // claimed, given up before contact
		save("late", handoff.StageRecycled, due.Add(time.Hour))        // the deadline had passed
		save("reopened", handoff.StageLost, sqlAt.Add(time.Hour))
		save("reopened", handoff.StageContacted, due.Add(-time.Hour)) // taken up again, contacted in time

		for id, wantDue := range map[string]*time.Time{"nofit": nil, "lostclaimed": nil, "late": &due, "reopened": &due} {
			l, err := s.LeadByExternalID(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if (l.ContactDueAt == nil) != (wantDue == nil) || (wantDue != nil && !l.ContactDueAt.Equal(*wantDue)) {
				t.Errorf("%s: contact due %v, want %v", id, l.ContactDueAt, wantDue)
			}
			if l.ClaimDueAt == nil {
				t.Errorf("%s: lost its claim deadline, so it would read as history", id)
			}
		}

		now := due.Add(30 * 24 * time.Hour)
		p, err := handoff.ParsePeriod("2026-11", now, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		c, err := s.FunnelCounts(ctx, handoff.FunnelFilter{Period: p, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		// late breached; reopened met; nofit and lostclaimed out.
		if c.SLAMet != 1 || c.SLABreached != 1 || c.SLAPending != 0 || c.SLADue != 2 {
			t.Errorf("funnel SLA met %d, breached %d, pending %d, due %d; want 1, 1, 0, 2", c.SLAMet, c.SLABreached, c.SLAPending, c.SLADue)
		}
		byRep, err := s.SLAByRep(ctx, p, now)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range byRep {
			if r.Owner == rep && (r.Breached != 0 || r.Due != 0) {
				t.Errorf("the rep who gave up a lead before its deadline has %d breached of %d due, want none", r.Breached, r.Due)
			}
		}
	})
}

// Migrate releases the SQLs that the earlier code kept bound to their
// contact deadline after sales returned them before contact and in time,
// rollup included, once; it leaves a lead returned after its deadline, one
// taken up again, and one recorded as history as they are.
func TestMigrateReleasesReturnedSQLs(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		policy := handoff.DefaultPolicy()
		sqlAt := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
		due := policy.ContactDue(sqlAt)
		save := func(id string, stage handoff.Stage, at time.Time, history bool) *handoff.Lead {
			t.Helper()
			in := handoff.LeadInput{ExternalID: id, Company: id + " A/S", Stage: stage, Reason: "not now", History: history}
			if _, err := s.SaveLead(ctx, in, policy, at, handoff.ActorAPI); err != nil {
				t.Fatalf("%s %s: %v", id, stage, err)
			}
			l, err := s.LeadByExternalID(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			return l
		}
		for _, id := range []string{"nofit", "backtomql", "late", "reopened", "returnedtwice"} {
			save(id, handoff.StageSQL, sqlAt, false)
		}
		nofit := save("nofit", handoff.StageRecycled, sqlAt.Add(time.Hour), false)
		save("backtomql", handoff.StageRecycled, sqlAt.Add(time.Hour), false)
		backToMQL := save("backtomql", handoff.StageMQL, sqlAt.Add(2*time.Hour), false)
		save("late", handoff.StageRecycled, due.Add(time.Hour), false)
		save("reopened", handoff.StageLost, sqlAt.Add(time.Hour), false)
		save("reopened", handoff.StageClaimed, sqlAt.Add(2*time.Hour), false)
		save("returnedtwice", handoff.StageLost, sqlAt.Add(time.Hour), false)
		save("returnedtwice", handoff.StageClaimed, sqlAt.Add(2*time.Hour), false)
		save("returnedtwice", handoff.StageLost, due.Add(time.Hour), false) // the second time late
		save("history", handoff.StageSQL, sqlAt, true)
		save("history", handoff.StageLost, sqlAt.Add(time.Hour), false)

		// A database written before the release: the two returned in
		// time kept their deadline.
		for _, l := range []*handoff.Lead{nofit, backToMQL} {
			if err := s.KeepContactDueAsBefore(ctx, l.ID, due); err != nil {
				t.Fatal(err)
			}
		}
		now := due.Add(30 * 24 * time.Hour)
		p, err := handoff.ParsePeriod("2026-11", now, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		sla := func() string {
			t.Helper()
			c, err := s.FunnelCounts(ctx, handoff.FunnelFilter{Period: p, Now: now})
			if err != nil {
				t.Fatal(err)
			}
			return fmt.Sprintf("met %d, breached %d, pending %d", c.SLAMet, c.SLABreached, c.SLAPending)
		}
		// late, reopened (never contacted), returnedtwice; and the two.
		if got, want := sla(), "met 0, breached 5, pending 0"; got != want {
			t.Fatalf("before Migrate: %s, want %s", got, want)
		}
		for range 2 { // the second run finds the migration done
			if err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			if got, want := sla(), "met 0, breached 3, pending 0"; got != want {
				t.Errorf("after Migrate: %s, want %s", got, want)
			}
		}
		for id, want := range map[string]bool{"nofit": false, "backtomql": false, "late": true, "reopened": true, "returnedtwice": true, "history": false} {
			l, err := s.LeadByExternalID(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if (l.ContactDueAt != nil) != want {
				t.Errorf("%s: contact due %v, want one: %v", id, l.ContactDueAt, want)
			}
		}
		// The rollup is what a rebuild from the leads and events makes.
		checkRebuild(t, s)

		// Once done, Migrate leaves a lead alone that looks returned in time.
		if err := s.KeepContactDueAsBefore(ctx, nofit.ID, due); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkMigrated(ctx); err != nil {
			t.Fatal(err)
		}
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if got, want := sla(), "met 0, breached 4, pending 0"; got != want {
			t.Errorf("Migrate ran again: %s, want %s", got, want)
		}
	})
}
