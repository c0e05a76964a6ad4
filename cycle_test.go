package handoff_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/handoff/handoff"
)

// TestSQLAgainEndsTheSettledCycle: a lead that becomes an SQL again ends
// its earlier SLA cycle; the new SQL event carries that cycle, with its
// rep, claim, deadline and contact, when it was settled (met or breached), so
// that the reports of its period keep counting it; nothing when there is
// nothing to count.
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
		path      []step // after becoming an SQL at sqlAt and being claimed by rep an hour later
		againAt   time.Time
		contacted *time.Time         // the ended cycle's contact
		want      handoff.SLAOutcome // the ended cycle, settled; SLANone for no cycle kept
	}{
		{"breached, recycled, SQL again", []step{{handoff.StageRecycled, due.Add(time.Hour)}}, again, nil, handoff.SLABreached},
		{"breached, lost, SQL again", []step{{handoff.StageLost, due.Add(24 * time.Hour)}}, again, nil, handoff.SLABreached},
		{"contacted in time, recycled, SQL again", []step{{handoff.StageContacted, sqlAt.Add(3 * time.Hour)}, {handoff.StageRecycled, sqlAt.Add(30 * time.Hour)}},
			again, ptr(sqlAt.Add(3 * time.Hour)), handoff.SLAMet},
		{"contacted late, lost, SQL again", []step{{handoff.StageContacted, due.Add(time.Hour)}, {handoff.StageLost, due.Add(2 * time.Hour)}},
			again, ptr(due.Add(time.Hour)), handoff.SLABreached},
		{"won, recycled, SQL again", []step{{handoff.StageContacted, sqlAt.Add(2 * time.Hour)}, {handoff.StageWon, sqlAt.Add(5 * time.Hour)}, {handoff.StageRecycled, sqlAt.Add(6 * time.Hour)}},
			again, ptr(sqlAt.Add(2 * time.Hour)), handoff.SLAMet},
		{"returned before contact and in time", []step{{handoff.StageRecycled, sqlAt.Add(2 * time.Hour)}}, again, nil, handoff.SLANone},
		{"SQL again back-dated before the deadline", []step{{handoff.StageRecycled, due.Add(time.Hour)}}, due.Add(-time.Hour), nil, handoff.SLANone},
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
			move(handoff.StageClaimed, sqlAt.Add(time.Hour))
			l.Owner = rep
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
			if tt.want == handoff.SLANone {
				if ended != nil {
					t.Fatalf("ended cycle %+v, want none", ended)
				}
				return
			}
			if ended == nil {
				t.Fatalf("no ended cycle, want one %v", tt.want)
			}
			claimed := sqlAt.Add(time.Hour)
			if ended.Owner != rep || !ended.SQLAt.Equal(sqlAt) || !samePtr(ended.ClaimedAt, &claimed) || !ended.ContactDueAt.Equal(due) || !samePtr(ended.ContactedAt, tt.contacted) {
				t.Errorf("ended cycle %+v (claimed %v, contacted %v), want rep %+v, SQL %v, claimed %v, due %v, contacted %v",
					ended, ended.ClaimedAt, ended.ContactedAt, rep, sqlAt, claimed, due, tt.contacted)
			}
			if got, _ := handoff.SettleSLA(&ended.ContactDueAt, ended.ContactedAt, tt.againAt); got != tt.want {
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
			got.CountCycle(tt.p, handoff.SLACycle{SQLAt: sqlAt, ContactDueAt: due, ContactedAt: tt.contacted}, now)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func ptr(t time.Time) *time.Time { return &t }

func samePtr(a, b *time.Time) bool { return (a == nil) == (b == nil) && (a == nil || a.Equal(*b)) }
