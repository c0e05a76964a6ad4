package handoff_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/handoff/handoff"
)

// TestSQLAgainEndsTheSettledCycle: a lead that becomes an SQL again ends
// its earlier SLA cycle; the new SQL event carries that cycle, with its
// rep, claim, deadline and contact, when it was settled (met or breached)
// or claimed, so that the reports of its periods keep counting it: the
// deadline of a promise the figures do not count (returned in time, still
// pending) is left out, its claim kept for the time to claim; nothing when
// there is nothing to count (returned unclaimed and in time).
func TestSQLAgainEndsTheSettledCycle(t *testing.T) {
	policy := handoff.DefaultPolicy()
	rep := handoff.Owner{Platform: "slack", UserID: "UREP"}
	sqlAt := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC) // week 1
	due := policy.ContactDue(sqlAt)
	again := sqlAt.AddDate(0, 0, 14) // week 3
	type step struct {
		to handoff.Stage
		at time.Time
	}
	tests := []struct {
		name      string
		unclaimed bool   // not claimed by rep an hour after the SQL
		path      []step // after becoming an SQL at sqlAt (and being claimed)
		againAt   time.Time
		contacted *time.Time         // the ended cycle's contact
		want      handoff.SLAOutcome // the ended cycle, settled; SLANone for a promise not counted
		none      bool               // no cycle kept
	}{
		{"breached, recycled, SQL again", false, []step{{handoff.StageRecycled, due.Add(time.Hour)}}, again, nil, handoff.SLABreached, false},
		{"breached, lost, SQL again", false, []step{{handoff.StageLost, due.Add(24 * time.Hour)}}, again, nil, handoff.SLABreached, false},
		{"contacted in time, recycled, SQL again", false, []step{{handoff.StageContacted, sqlAt.Add(3 * time.Hour)}, {handoff.StageRecycled, sqlAt.Add(30 * time.Hour)}},
			again, ptr(sqlAt.Add(3 * time.Hour)), handoff.SLAMet, false},
		{"contacted late, lost, SQL again", false, []step{{handoff.StageContacted, due.Add(time.Hour)}, {handoff.StageLost, due.Add(2 * time.Hour)}},
			again, ptr(due.Add(time.Hour)), handoff.SLABreached, false},
		{"won, recycled, SQL again", false, []step{{handoff.StageContacted, sqlAt.Add(2 * time.Hour)}, {handoff.StageWon, sqlAt.Add(5 * time.Hour)}, {handoff.StageRecycled, sqlAt.Add(6 * time.Hour)}},
			again, ptr(sqlAt.Add(2 * time.Hour)), handoff.SLAMet, false},
		{"claimed, returned before contact and in time", false, []step{{handoff.StageRecycled, sqlAt.Add(2 * time.Hour)}}, again, nil, handoff.SLANone, false},
		{"claimed, SQL again back-dated before the deadline", false, []step{{handoff.StageRecycled, due.Add(time.Hour)}}, due.Add(-time.Hour), nil, handoff.SLANone, false},
		{"unclaimed, returned in time", true, []step{{handoff.StageRecycled, sqlAt.Add(2 * time.Hour)}}, again, nil, handoff.SLANone, true},
		{"unclaimed, breached, lost", true, []step{{handoff.StageLost, due.Add(time.Hour)}}, again, nil, handoff.SLABreached, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &handoff.Lead{ID: 1, Reached: -1}
			move := func(to handoff.Stage, at time.Time) []handoff.Event {
				t.Helper()
				plan, err := handoff.PlanTransition(l.Stage, l.Reached, to)
				if err != nil {
					t.Fatalf("%s → %s: %v", l.Stage, to, err)
				}
				return l.EnterStages(plan, at, "slack:UREP", nil, policy)
			}
			for _, e := range move(handoff.StageSQL, sqlAt) {
				if e.Ends != nil {
					t.Errorf("a lead's first SQL ends a cycle: %+v", e.Ends)
				}
			}
			if !tt.unclaimed {
				move(handoff.StageClaimed, sqlAt.Add(time.Hour))
				l.Owner = rep
			}
			for _, s := range tt.path {
				move(s.to, s.at)
			}
			events := move(handoff.StageSQL, tt.againAt)
			var ended *handoff.SLACycle
			for _, e := range events {
				if e.Ends != nil && (e.Kind != handoff.EventStage || e.Stage != handoff.StageSQL) {
					t.Errorf("a %s %s event carries the ended cycle", e.Kind, e.Stage)
				}
				if e.Ends != nil {
					ended = e.Ends
				}
			}
			if tt.none {
				if ended != nil {
					t.Fatalf("ended cycle %+v, want none", ended)
				}
				return
			}
			if ended == nil {
				t.Fatalf("no ended cycle, want one %v", tt.want)
			}
			wantOwner, claimed, wantDue := rep, ptr(sqlAt.Add(time.Hour)), &due
			if tt.unclaimed {
				wantOwner, claimed = handoff.Owner{}, nil
			}
			if tt.want == handoff.SLANone {
				wantDue = nil
			}
			if ended.Owner != wantOwner || !ended.SQLAt.Equal(sqlAt) || !samePtr(ended.ClaimedAt, claimed) || !samePtr(ended.ContactDueAt, wantDue) || !samePtr(ended.ContactedAt, tt.contacted) {
				t.Errorf("ended cycle %+v (claimed %v, due %v, contacted %v), want rep %+v, SQL %v, claimed %v, due %v, contacted %v",
					ended, ended.ClaimedAt, ended.ContactDueAt, ended.ContactedAt, wantOwner, sqlAt, claimed, wantDue, tt.contacted)
			}
			if got, _ := handoff.SettleSLA(ended.ContactDueAt, ended.ContactedAt, tt.againAt); got != tt.want {
				t.Errorf("ended cycle settles as %d, want %d", got, tt.want)
			}
			if !l.ContactDueAt.Equal(policy.ContactDue(tt.againAt)) || l.ContactedAt != nil || !l.Owner.IsZero() {
				t.Errorf("the new cycle: due %v, contacted %v, owner %+v; want due %v, no contact, no owner", l.ContactDueAt, l.ContactedAt, l.Owner, policy.ContactDue(tt.againAt))
			}
		})
	}
}

// TestCountCycle: a finished cycle counts in the SLA figures as a lead
// with its deadline and contact does.
func TestCountCycle(t *testing.T) {
	sqlAt := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	due := sqlAt.Add(48 * time.Hour)
	week := handoff.Period{Start: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 9, 0, 0, 0, 0, time.UTC)}
	later := handoff.Period{Start: week.End, End: week.End.AddDate(0, 0, 7)}
	now := sqlAt.AddDate(0, 0, 20)
	tests := []struct {
		name      string
		contacted *time.Time
		p         handoff.Period
		want      handoff.SLAStats
	}{
		{"breached, in its week", nil, week, handoff.NewSLAStats(0, 1, 0)},
		{"breached, another week", nil, later, handoff.SLAStats{}},
		{"met, in its week", ptr(sqlAt.Add(time.Hour)), week, handoff.NewSLAStats(1, 0, 0)},
		{"contacted late, breached at the deadline", ptr(due.AddDate(0, 0, 7)), week, handoff.NewSLAStats(0, 1, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got handoff.SLAStats
			got.CountCycle(tt.p, handoff.SLACycle{SQLAt: sqlAt, ContactDueAt: &due, ContactedAt: tt.contacted}, now)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func ptr(t time.Time) *time.Time { return &t }

func samePtr(a, b *time.Time) bool { return (a == nil) == (b == nil) && (a == nil || a.Equal(*b)) }
