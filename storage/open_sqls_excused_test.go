package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestOpenSQLsExcuseAnUnshownCard: with sla.excuse_system_delay, an SQL
// whose card has not been shown in chat and whose claim deadline has
// passed is read as the SLA clock would judge it at the same time:
// unclaimed, after the SQLs whose deadline is still ahead (the clock moves
// its deadline past theirs), not breached nor counted among the breaches.
// The same lead under an agreement without the excuse is breached, and so
// are an SQL whose card was shown and passed its moved deadline and one
// whose claim was escalated already (under an earlier agreement). The
// clock ticking then changes nothing the read said.
func TestOpenSQLsExcuseAnUnshownCard(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		plain := handoff.DefaultPolicy() // claim within 2 h, contact within 48 h
		excusing := plain
		excusing.ExcuseSystemDelay = true
		save := func(ext string, at time.Time) int64 {
			t.Helper()
			res, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: ext, Company: ext, Stage: handoff.StageSQL}, excusing, at, handoff.ActorAPI)
			if err != nil {
				t.Fatal(err)
			}
			return res.Lead.ID
		}
		// escalated: an SQL at t0-1h, its card never shown, escalated at
		// its claim deadline t0+1h by a clock without the excuse.
		save("escalated", t0.Add(-time.Hour))
		save("unshown", t0) // never shown: claim due t0+2h, excused
		shown := save("shown", t0)
		shownAt := t0.Add(10 * time.Minute) // claim due moved to t0+2h10m
		if _, err := s.UpdateLead(ctx, shown, shownAt, func(l *handoff.Lead) (handoff.LeadChange, error) {
			l.CardShown(shownAt, excusing)
			return handoff.LeadChange{}, nil
		}); err != nil {
			t.Fatal(err)
		}
		if fired, _, err := s.FireSLA(ctx, t0.Add(time.Hour), plain, 100); err != nil || len(fired) != 1 || fired[0].Kind != handoff.SLAEscalateClaim {
			t.Fatalf("the clock without the excuse at t0+1h fired %+v, %v; want escalated's claim escalation", fired, err)
		}
		save("fresh", t0.Add(150*time.Minute)) // claim due t0+4h30m, ahead
		now := t0.Add(3 * time.Hour)

		type want struct {
			unclaimed, waiting, breached string
			totals                       [3]int64 // unclaimed, waiting, breached
		}
		check := func(what string, p handoff.Policy, w want) {
			t.Helper()
			got, err := s.OpenSQLs(ctx, now, p, 0)
			if err != nil {
				t.Fatal(err)
			}
			if u, wa, b := externalIDs(got.Unclaimed), externalIDs(got.Waiting), externalIDs(got.Breached); u != w.unclaimed || wa != w.waiting || b != w.breached {
				t.Errorf("%s: unclaimed %q, waiting %q, breached %q; want %q, %q, %q", what, u, wa, b, w.unclaimed, w.waiting, w.breached)
			}
			if totals := [3]int64{got.UnclaimedTotal, got.WaitingTotal, got.BreachedTotal}; totals != w.totals {
				t.Errorf("%s: totals (unclaimed, waiting, breached) %v, want %v", what, totals, w.totals)
			}
		}
		check("without the excuse", plain, want{"fresh", "", "escalated unshown shown", [3]int64{1, 0, 3}})
		excused := want{"fresh unshown", "", "escalated shown", [3]int64{2, 0, 2}}
		check("with the excuse", excusing, excused)

		// The clock at the same time escalates the shown card's claim and
		// moves the unshown one's on: the read stays as it was.
		fired, _, err := s.FireSLA(ctx, now, excusing, 100)
		if err != nil || len(fired) != 1 || fired[0].Kind != handoff.SLAEscalateClaim {
			t.Fatalf("the clock with the excuse at t0+3h fired %+v, %v; want shown's claim escalation", fired, err)
		}
		check("with the excuse, after the clock", excusing, excused)
		l, err := s.LeadByExternalID(ctx, "unshown")
		if err != nil {
			t.Fatal(err)
		}
		if want := now.Add(2 * time.Hour); l.ClaimDueAt == nil || !l.ClaimDueAt.Equal(want) || l.SLABreached {
			t.Errorf("unshown after the clock: claim due %v, breached %v; want %v, not breached", l.ClaimDueAt, l.SLABreached, want)
		}
	})
}
