package handoff_test

import (
	"testing"
	"time"

	"github.com/handoff/handoff"
)

// TestOwnerAcrossStages: a lead keeps the rep who worked it when it is lost
// or recycled, so the reports still credit that rep with its claim and
// contact, and loses them when it becomes an SQL again, by whatever path.
func TestOwnerAcrossStages(t *testing.T) {
	rep := handoff.Owner{Platform: "slack", UserID: "UREP"}
	tests := []struct {
		name  string
		path  []handoff.Stage // stages after the lead is claimed by rep
		owned bool            // whether rep still owns it after path
	}{
		{"Contacted", []handoff.Stage{handoff.StageContacted}, true},
		{"Lost", []handoff.Stage{handoff.StageContacted, handoff.StageLost}, true},
		{"Recycled", []handoff.Stage{handoff.StageContacted, handoff.StageRecycled}, true},
		{"RecycledBackToMQL", []handoff.Stage{handoff.StageRecycled, handoff.StageMQL}, true},
		{"RecycledThenSQL", []handoff.Stage{handoff.StageRecycled, handoff.StageSQL}, false},
		{"RecycledThenMQLThenSQL", []handoff.Stage{handoff.StageRecycled, handoff.StageMQL, handoff.StageSQL}, false},
		{"LostThenSQL", []handoff.Stage{handoff.StageLost, handoff.StageSQL}, false},
		{"WonThenRecycled", []handoff.Stage{handoff.StageContacted, handoff.StageWon, handoff.StageRecycled}, true},
	}
	policy := handoff.DefaultPolicy()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
			l := &handoff.Lead{ID: 1, Reached: -1}
			move := func(to handoff.Stage) {
				t.Helper()
				plan, err := handoff.PlanTransition(l.Stage, l.Reached, to)
				if err != nil {
					t.Fatalf("%s → %s: %v", l.Stage, to, err)
				}
				at = at.Add(time.Hour)
				l.EnterStages(plan, at, "slack:UREP", nil, policy)
				l.Stage = to
			}
			move(handoff.StageSQL)
			l.Owner = rep
			move(handoff.StageClaimed)
			for _, st := range tt.path {
				move(st)
			}
			if got := l.Owner == rep; got != tt.owned {
				t.Errorf("after %v owner = %+v, want owned by the rep: %v", tt.path, l.Owner, tt.owned)
			}
			if !tt.owned && !l.Owner.IsZero() {
				t.Errorf("a new SQL has owner %+v, want none", l.Owner)
			}
		})
	}
}

// TestContactPromiseWhenReturned: an SQL that sales returns before contact
// and within its contact deadline is no longer held to that deadline (the
// SLA figures leave it out); returned later it keeps it and stays
// breached; taken up again without a new SQL it gets it back, and a new
// SQL starts a new one.
func TestContactPromiseWhenReturned(t *testing.T) {
	policy := handoff.DefaultPolicy()
	sqlAt := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	due := policy.ContactDue(sqlAt)
	type step struct {
		to handoff.Stage
		at time.Time
	}
	tests := []struct {
		name    string
		path    []step // after becoming an SQL at sqlAt
		wantDue *time.Time
		want    handoff.SLAOutcome // as settled a month after sqlAt
	}{
		{"not a fit at once", []step{{handoff.StageRecycled, sqlAt.Add(time.Hour)}}, nil, handoff.SLANone},
		{"claimed, lost before contact", []step{{handoff.StageClaimed, sqlAt.Add(time.Hour)}, {handoff.StageLost, sqlAt.Add(2 * time.Hour)}}, nil, handoff.SLANone},
		{"returned after the deadline", []step{{handoff.StageRecycled, due.Add(time.Minute)}}, &due, handoff.SLABreached},
		{"returned at the deadline", []step{{handoff.StageRecycled, due}}, &due, handoff.SLABreached},
		{"contacted, then lost", []step{{handoff.StageContacted, sqlAt.Add(time.Hour)}, {handoff.StageLost, sqlAt.Add(2 * time.Hour)}}, &due, handoff.SLAMet},
		{"lost, taken up again, contacted in time", []step{{handoff.StageLost, sqlAt.Add(time.Hour)}, {handoff.StageContacted, due.Add(-time.Hour)}}, &due, handoff.SLAMet},
		{"lost, taken up again, never contacted", []step{{handoff.StageLost, sqlAt.Add(time.Hour)}, {handoff.StageClaimed, sqlAt.Add(2 * time.Hour)}}, &due, handoff.SLABreached},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &handoff.Lead{ID: 1, Reached: -1}
			move := func(to handoff.Stage, at time.Time) {
				t.Helper()
				plan, err := handoff.PlanTransition(l.Stage, l.Reached, to)
				if err != nil {
					t.Fatalf("%s → %s: %v", l.Stage, to, err)
				}
				l.EnterStages(plan, at, "slack:UREP", nil, policy)
			}
			move(handoff.StageSQL, sqlAt)
			for _, s := range tt.path {
				move(s.to, s.at)
			}
			if (l.ContactDueAt == nil) != (tt.wantDue == nil) || (tt.wantDue != nil && !l.ContactDueAt.Equal(*tt.wantDue)) {
				t.Errorf("contact due = %v, want %v", l.ContactDueAt, tt.wantDue)
			}
			if l.ClaimDueAt == nil {
				t.Error("claim deadline cleared: the lead would read as history")
			}
			if got, _ := handoff.SettleSLA(l.ContactDueAt, l.ContactedAt, sqlAt.AddDate(0, 1, 0)); got != tt.want {
				t.Errorf("settled as %d, want %d", got, tt.want)
			}
			if tt.wantDue == nil { // a new SQL starts a new promise
				again := sqlAt.AddDate(0, 0, 7)
				move(handoff.StageSQL, again)
				if want := policy.ContactDue(again); l.ContactDueAt == nil || !l.ContactDueAt.Equal(want) {
					t.Errorf("as an SQL again, contact due = %v, want %v", l.ContactDueAt, want)
				}
			}
		})
	}
}

// TestStopSLAOnErasure: an erasure releases the deadlines still ahead and
// keeps those passed, breached as the clock's tick at the erasure would
// breach them: with sla.excuse_system_delay, an SQL whose card never
// reached chat is not breached for its claim deadline (the tick would move
// it on), one whose card was shown is, and a claimed lead is left as it was.
func TestStopSLAOnErasure(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	at := func(h int) *time.Time { x := t0.Add(time.Duration(h) * time.Hour); return &x }
	tests := []struct {
		name                         string
		excuse                       bool // sla.excuse_system_delay
		lead                         handoff.Lead
		eraseAt                      int // hours after t0
		wantClaimDue, wantContactDue *time.Time
		wantBreached                 bool // a deadline passed before the erasure
	}{
		{"unclaimed SQL before its claim deadline: both released", false,
			handoff.Lead{Stage: handoff.StageSQL, SQLAt: at(0), ClaimDueAt: at(2), ContactDueAt: at(48)}, 1, nil, nil, false},
		{"unclaimed SQL past its claim deadline: the claim breach stays", false,
			handoff.Lead{Stage: handoff.StageSQL, SQLAt: at(0), ClaimDueAt: at(2), ContactDueAt: at(48)}, 3, at(2), nil, true},
		{"unclaimed SQL past its claim deadline, escalated: the claim breach stays", false,
			handoff.Lead{Stage: handoff.StageSQL, SQLAt: at(0), ClaimDueAt: at(2), ContactDueAt: at(48), SLABreached: true, SLATimers: handoff.SLATimers{ClaimEscalatedAt: at(2)}}, 3, at(2), nil, true},
		{"unclaimed SQL past its contact deadline: both breaches stay", false,
			handoff.Lead{Stage: handoff.StageSQL, SQLAt: at(0), ClaimDueAt: at(2), ContactDueAt: at(48)}, 50, at(2), at(48), true},
		{"claimed before its contact deadline: contact released, claim kept", false,
			handoff.Lead{Stage: handoff.StageClaimed, SQLAt: at(0), ClaimedAt: at(1), ClaimDueAt: at(2), ContactDueAt: at(48), SLATimers: handoff.SLATimers{NextReminderAt: at(36)}}, 10, at(2), nil, false},
		{"claimed past its contact deadline: both stay", false,
			handoff.Lead{Stage: handoff.StageClaimed, SQLAt: at(0), ClaimedAt: at(1), ClaimDueAt: at(2), ContactDueAt: at(48)}, 50, at(2), at(48), true},
		{"contacted: nothing to release", false,
			handoff.Lead{Stage: handoff.StageContacted, SQLAt: at(0), ClaimedAt: at(1), ContactedAt: at(5), ClaimDueAt: at(2), ContactDueAt: at(48)}, 10, at(2), at(48), false},
		{"excused, card never shown, past its claim deadline: released as one still ahead", true,
			handoff.Lead{Stage: handoff.StageSQL, SQLAt: at(0), ClaimDueAt: at(2), ContactDueAt: at(48)}, 3, nil, nil, false},
		{"excused, card never shown, before its claim deadline: both released", true,
			handoff.Lead{Stage: handoff.StageSQL, SQLAt: at(0), ClaimDueAt: at(2), ContactDueAt: at(48)}, 1, nil, nil, false},
		{"excused, card never shown, past its contact deadline: the claim released, the contact breach stays", true,
			handoff.Lead{Stage: handoff.StageSQL, SQLAt: at(0), ClaimDueAt: at(2), ContactDueAt: at(48)}, 50, nil, at(48), true},
		{"excused, card shown an hour late, past its moved claim deadline: the claim breach stays", true,
			handoff.Lead{Stage: handoff.StageSQL, SQLAt: at(0), ShownAt: at(1), ClaimDueAt: at(3), ContactDueAt: at(48)}, 4, at(3), nil, true},
		{"excused, card shown an hour late, before its moved claim deadline: both released", true,
			handoff.Lead{Stage: handoff.StageSQL, SQLAt: at(0), ShownAt: at(1), ClaimDueAt: at(3), ContactDueAt: at(48)}, 2, nil, nil, false},
		{"excused, card of an earlier cycle shown, past its claim deadline: released as one still ahead", true,
			handoff.Lead{Stage: handoff.StageSQL, SQLAt: at(0), ShownAt: at(-30), ClaimDueAt: at(2), ContactDueAt: at(48)}, 3, nil, nil, false},
		{"excused, claimed late in another chat, card never shown: the claim kept, contact released", true,
			handoff.Lead{Stage: handoff.StageClaimed, SQLAt: at(0), ClaimedAt: at(3), ClaimDueAt: at(2), ContactDueAt: at(48), SLABreached: true}, 4, at(2), nil, true},
		{"excused, claimed in time, card never shown, past its contact deadline: both stay", true,
			handoff.Lead{Stage: handoff.StageClaimed, SQLAt: at(0), ClaimedAt: at(1), ClaimDueAt: at(2), ContactDueAt: at(48)}, 50, at(2), at(48), true},
		{"not excused, card never shown, past its claim deadline: the claim breach stays", false,
			handoff.Lead{Stage: handoff.StageSQL, SQLAt: at(0), ClaimDueAt: at(2), ContactDueAt: at(48)}, 3, at(2), nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			policy := handoff.DefaultPolicy()
			policy.ReleaseOnBreach = true
			policy.ExcuseSystemDelay = tt.excuse
			l := tt.lead
			l.StopSLAOnErasure(*at(tt.eraseAt), policy)
			if l.NextReminderAt != nil {
				t.Errorf("a reminder is still due at %v", l.NextReminderAt)
			}
			if !sameTime(l.ClaimDueAt, tt.wantClaimDue) || !sameTime(l.ContactDueAt, tt.wantContactDue) {
				t.Errorf("claim due %v, contact due %v; want %v, %v", l.ClaimDueAt, l.ContactDueAt, tt.wantClaimDue, tt.wantContactDue)
			}
			if l.SLABreached != tt.wantBreached {
				t.Errorf("breached %v, want %v", l.SLABreached, tt.wantBreached)
			}
			// The erasure records a claim breach exactly when the clock's
			// tick at the same time would escalate one.
			ticked := tt.lead
			ticksClaim := false
			for _, a := range ticked.TickSLA(*at(tt.eraseAt), policy) {
				ticksClaim = ticksClaim || a.Kind == handoff.SLAEscalateClaim
			}
			if erasedClaim := tt.lead.ClaimEscalatedAt == nil && l.ClaimEscalatedAt != nil; erasedClaim != ticksClaim {
				t.Errorf("the erasure breached the claim: %v; the tick at the erasure escalates it: %v", erasedClaim, ticksClaim)
			}
			// Nothing is left for the clock: no reminder, no escalation,
			// no release, at the erasure or later.
			for _, h := range []int{tt.eraseAt, 100} {
				if actions := l.TickSLA(*at(h), policy); len(actions) > 0 {
					t.Errorf("the clock at +%dh still does %+v", h, actions)
				}
			}
		})
	}
}

func sameTime(a, b *time.Time) bool {
	return a == nil && b == nil || a != nil && b != nil && a.Equal(*b)
}

// TestFirstContactOfTheCycle: a lead that sales takes up again without a
// new SQL (lost or recycled, then claimed or contacted again) keeps its
// cycle's first claim and first contact, which the SLA and the medians
// measure; a new SQL starts both again.
func TestFirstContactOfTheCycle(t *testing.T) {
	policy := handoff.DefaultPolicy()
	sqlAt := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	due := policy.ContactDue(sqlAt)
	claimed, inTime, late := sqlAt.Add(time.Hour), sqlAt.Add(2*time.Hour), due.Add(24*time.Hour)
	type step struct {
		to handoff.Stage
		at time.Time
	}
	tests := []struct {
		name                   string
		path                   []step             // after becoming an SQL at sqlAt and being claimed an hour later
		wantClaim, wantContact *time.Time         // nil: none
		want                   handoff.SLAOutcome // as settled a month after sqlAt
	}{
		{"contacted in time, recycled, contacted again late",
			[]step{{handoff.StageContacted, inTime}, {handoff.StageRecycled, inTime.Add(time.Hour)}, {handoff.StageContacted, late}},
			&claimed, &inTime, handoff.SLAMet},
		{"contacted in time, lost, claimed and contacted again late",
			[]step{{handoff.StageContacted, inTime}, {handoff.StageLost, inTime.Add(time.Hour)}, {handoff.StageClaimed, late}, {handoff.StageContacted, late.Add(time.Hour)}},
			&claimed, &inTime, handoff.SLAMet},
		{"contacted late, recycled, contacted again",
			[]step{{handoff.StageContacted, late}, {handoff.StageRecycled, late.Add(time.Hour)}, {handoff.StageContacted, late.Add(48 * time.Hour)}},
			&claimed, &late, handoff.SLABreached},
		{"lost before contact, contacted later",
			[]step{{handoff.StageLost, inTime}, {handoff.StageContacted, late}},
			&claimed, &late, handoff.SLABreached},
		{"contacted, recycled, SQL again, contacted",
			[]step{{handoff.StageContacted, inTime}, {handoff.StageRecycled, inTime.Add(time.Hour)}, {handoff.StageSQL, late}, {handoff.StageContacted, late.Add(time.Hour)}},
			nil, ptr(late.Add(time.Hour)), handoff.SLAMet},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &handoff.Lead{ID: 1, Reached: -1}
			move := stageMover(t, l, policy)
			move(handoff.StageSQL, sqlAt)
			move(handoff.StageClaimed, claimed)
			for _, s := range tt.path {
				move(s.to, s.at)
			}
			if !samePtr(l.ClaimedAt, tt.wantClaim) || !samePtr(l.ContactedAt, tt.wantContact) {
				t.Errorf("claimed %v, contacted %v; want %v, %v", l.ClaimedAt, l.ContactedAt, tt.wantClaim, tt.wantContact)
			}
			if got, _ := handoff.SettleSLA(l.ContactDueAt, l.ContactedAt, sqlAt.AddDate(0, 1, 0)); got != tt.want {
				t.Errorf("settled as %d, want %d", got, tt.want)
			}
			if l.SLABreached != (tt.want == handoff.SLABreached) {
				t.Errorf("sla_breached %v, want %v", l.SLABreached, tt.want == handoff.SLABreached)
			}
		})
	}
}

// stageMover returns a function that moves l to a stage at a time, as the
// intake does (PlanTransition, then EnterStages under policy).
func stageMover(t *testing.T, l *handoff.Lead, policy handoff.Policy) func(handoff.Stage, time.Time) {
	return func(to handoff.Stage, at time.Time) {
		t.Helper()
		plan, err := handoff.PlanTransition(l.Stage, l.Reached, to)
		if err != nil {
			t.Fatalf("%s → %s: %v", l.Stage, to, err)
		}
		l.EnterStages(plan, at, "slack:UREP", nil, policy)
	}
}
