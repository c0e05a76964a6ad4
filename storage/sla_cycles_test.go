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

// TestPastWeeksSLAKeptWhenSQLAgain: a lead that became an SQL in week 45,
// was claimed by U1 and breached its contact deadline, was recycled and
// became an SQL again in week 47 (claimed by U2 and contacted in time)
// keeps its week-45 breach in /sla per rep, the digest's per-rep table and
// trend and the month's funnel, whatever path brought it back (the intake
// API, an import batch holding the recycle and the new SQL, a single-lead
// update as the scoring and the bot save), and after its erasure.
func TestPastWeeksSLAKeptWhenSQLAgain(t *testing.T) {
	policy := handoff.DefaultPolicy()
	at := func(d, h int) time.Time { return time.Date(2026, 11, d, h, 0, 0, 0, time.UTC) }
	recycle := handoff.LeadInput{ExternalID: "boomerang", Stage: handoff.StageRecycled, Reason: "not now", OccurredAt: ptrTime(at(5, 9))}
	sqlAgain := handoff.LeadInput{ExternalID: "boomerang", Stage: handoff.StageSQL, OccurredAt: ptrTime(at(16, 9))}
	paths := []struct {
		name string
		back func(ctx context.Context, s *storage.Store, id int64) error
	}{
		{"intake", func(ctx context.Context, s *storage.Store, _ int64) error {
			for _, in := range []handoff.LeadInput{recycle, sqlAgain} {
				if _, err := s.SaveLead(ctx, in, policy, *in.OccurredAt, handoff.ActorAPI); err != nil {
					return err
				}
			}
			return nil
		}},
		{"import batch", func(ctx context.Context, s *storage.Store, _ int64) error {
			_, errs, err := s.SaveLeads(ctx, []handoff.LeadInput{recycle, sqlAgain}, policy, at(16, 9), handoff.ActorImport)
			for _, e := range errs {
				if e != nil {
					return e
				}
			}
			return err
		}},
		{"update", func(ctx context.Context, s *storage.Store, id int64) error {
			for _, st := range []struct {
				to handoff.Stage
				at time.Time
			}{{handoff.StageRecycled, at(5, 9)}, {handoff.StageSQL, at(16, 9)}} {
				_, err := s.UpdateLead(ctx, id, st.at, func(l *handoff.Lead) (handoff.LeadChange, error) {
					plan, err := handoff.PlanTransition(l.Stage, l.Reached, st.to)
					if err != nil {
						return handoff.LeadChange{}, err
					}
					return handoff.NewChange(l, l.EnterStages(plan, st.at, handoff.ActorSystem, map[string]string{"reason": "not now"}, policy)), nil
				})
				if err != nil {
					return err
				}
			}
			return nil
		}},
	}
	for _, path := range paths {
		t.Run(path.name, func(t *testing.T) {
			storagetest.Each(t, func(t *testing.T, s *storage.Store) {
				ctx := context.Background()
				u1, u2 := handoff.Owner{Platform: "slack", UserID: "U1"}, handoff.Owner{Platform: "slack", UserID: "U2"}
				// Week 45: an SQL on Mon 2 Nov 09:00, due Wed 4 Nov 09:00,
				// claimed by U1 and never contacted.
				res, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: "boomerang", Company: "Boomerang A/S", Source: "webinar", Stage: handoff.StageSQL},
					policy, at(2, 9), handoff.ActorAPI)
				if err != nil {
					t.Fatal(err)
				}
				id := res.Lead.ID
				if _, won, err := s.ClaimLead(ctx, id, u1, at(2, 10), handoff.Policy{}, "slack:U1"); err != nil || !won {
					t.Fatalf("claim: won %v, %v", won, err)
				}
				// Recycled on 5 Nov (after the deadline), an SQL again on
				// Mon 16 Nov (week 47), claimed by U2 and contacted in time.
				if err := path.back(ctx, s, id); err != nil {
					t.Fatal(err)
				}
				if _, won, err := s.ClaimLead(ctx, id, u2, at(16, 10), handoff.Policy{}, "slack:U2"); err != nil || !won {
					t.Fatalf("claim again: won %v, %v", won, err)
				}
				if _, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: "boomerang", Stage: handoff.StageContacted, OccurredAt: ptrTime(at(16, 12))},
					policy, at(16, 12), handoff.ActorAPI); err != nil {
					t.Fatal(err)
				}
				now := at(25, 12)
				check := func(when string) {
					t.Helper()
					wantCycleFigures(t, s, when, now)
				}
				check("")
				if err := s.ForgetLead(ctx, "boomerang", policy, now); err != nil {
					t.Fatal(err)
				}
				check("after erasure: ")
			})
		})
	}
}

// wantCycleFigures checks TestPastWeeksSLAKeptWhenSQLAgain's figures at now.
func wantCycleFigures(t *testing.T, s *storage.Store, when string, now time.Time) {
	t.Helper()
	ctx := context.Background()
	period := func(label string) handoff.Period {
		p, err := handoff.ParsePeriod(label, now, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	show := func(st handoff.SLAStats) string {
		return fmt.Sprintf("met %d, breached %d, pending %d", st.Met, st.Breached, st.Pending)
	}
	byRep := func(p handoff.Period) map[string]string {
		reps, err := s.SLAByRep(ctx, p, now)
		if err != nil {
			t.Fatal(err)
		}
		acts, err := s.RepActivity(ctx, p, now)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, r := range reps {
			out["sla "+r.Owner.UserID] = show(r.SLAStats)
		}
		for _, a := range acts {
			if a.Met+a.Breached+a.Pending > 0 {
				out["digest "+a.Owner.UserID] = show(a.SLAStats)
			}
		}
		return out
	}
	for _, tc := range []struct {
		week string
		want map[string]string
	}{
		{"2026-W45", map[string]string{"sla U1": "met 0, breached 1, pending 0", "digest U1": "met 0, breached 1, pending 0"}},
		{"2026-W46", map[string]string{}},
		{"2026-W47", map[string]string{"sla U2": "met 1, breached 0, pending 0", "digest U2": "met 1, breached 0, pending 0"}},
	} {
		if got := byRep(period(tc.week)); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s%s per rep: %v, want %v", when, tc.week, got, tc.want)
		}
	}
	weeks := []handoff.Period{period("2026-W45"), period("2026-W46"), period("2026-W47")}
	trend, err := s.Trend(ctx, weeks, now)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range trend {
		got = append(got, show(p.SLAStats))
	}
	if want := []string{"met 0, breached 1, pending 0", "met 0, breached 0, pending 0", "met 1, breached 0, pending 0"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%strend W45–W47: %q, want %q", when, got, want)
	}
	for _, f := range []handoff.FunnelFilter{
		{Period: period("2026-11")},
		{Period: period("2026-11"), Source: "webinar"},
		{Period: period("2026-W45"), Owner: "U1"},
		{Period: handoff.Period{Label: "4 Nov", Start: time.Date(2026, 11, 4, 8, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 4, 10, 0, 0, 0, time.UTC)}},
	} {
		f.Now = now
		c, err := s.FunnelCounts(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		want := "met 1, breached 1, pending 0"
		if f.Owner != "" || f.Period.Label == "4 Nov" {
			want = "met 0, breached 1, pending 0"
		}
		if got := show(handoff.NewSLAStats(c.SLAMet, c.SLABreached, c.SLAPending)); got != want || c.SLADue != c.SLAMet+c.SLABreached+c.SLAPending {
			t.Errorf("%sfunnel %s (source %q, owner %q): %s (due %d), want %s", when, f.Period.Label, f.Source, f.Owner, got, c.SLADue, want)
		}
	}
	if c, err := s.FunnelCounts(ctx, handoff.FunnelFilter{Period: period("2026-11"), Source: "paid", Now: now}); err != nil || c.SLAMet+c.SLABreached+c.SLAPending != 0 {
		t.Errorf("%sfunnel of another source: %+v, %v; want nothing", when, c, err)
	}
}

func ptrTime(t time.Time) *time.Time { return &t }
