package handoff_test

import (
	"testing"
	"time"

	"github.com/handoff/handoff"
)

// TestSLAOwner: a settled contact promise counts for the rep who held the
// lead when it was settled (recorded when the lead changed hands after
// that), nobody when it was unclaimed then; a pending one for the owner.
func TestSLAOwner(t *testing.T) {
	a, b := handoff.Owner{Platform: "slack", UserID: "UA"}, handoff.Owner{Platform: "slack", UserID: "UB"}
	nobody := handoff.Owner{}
	due := time.Date(2026, 11, 4, 9, 0, 0, 0, time.UTC)
	before, after := ptr(due.Add(-time.Hour)), ptr(due.Add(time.Hour))
	tests := []struct {
		name                 string
		owner                handoff.Owner
		holder               *handoff.Owner
		claimed, contactedAt *time.Time
		want                 handoff.Owner
	}{
		{"claimed in time, breached", a, nil, before, nil, a},
		{"claimed in time, contacted late", a, nil, before, after, a},
		{"claimed in time, met", a, nil, before, before, a},
		{"claimed after the deadline, not contacted", b, nil, after, nil, nobody},
		{"claimed at the deadline", b, nil, ptr(due), nil, nobody},
		{"claimed after the deadline, contacted late", b, nil, after, ptr(due.Add(2 * time.Hour)), nobody},
		{"claimed after a contact in time (taken up again)", b, nil, after, before, b},
		{"released after the breach by a, claimed by b", b, &a, after, nil, a},
		{"unclaimed at the breach, claimed by a, reassigned to b", b, &nobody, after, nil, nobody},
		{"reassigned to b after a's contact in time", b, &a, before, before, a},
		{"never claimed", nobody, nil, nil, nil, nobody},
		{"owner by email, no claim", handoff.Owner{Email: "rep@example.com"}, nil, nil, nil, handoff.Owner{Email: "rep@example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := handoff.SLAOwner(tt.owner, tt.holder, tt.claimed, &due, tt.contactedAt); got != tt.want {
				t.Errorf("SLAOwner = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestBreachStaysWithTheHolder takes leads through claims, releases,
// reassigns and the SLA clock's release, and checks whom their contact
// promise counts for, in the current cycle and in the cycle a new SQL
// ends.
func TestBreachStaysWithTheHolder(t *testing.T) {
	policy := handoff.DefaultPolicy()
	a, b := handoff.Owner{Platform: "slack", UserID: "UA"}, handoff.Owner{Platform: "slack", UserID: "UB"}
	sqlAt := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	due := policy.ContactDue(sqlAt)
	early, late := sqlAt.Add(time.Hour), due.Add(time.Hour)
	type step func(l *handoff.Lead)
	claim := func(o handoff.Owner, at time.Time) step {
		return func(l *handoff.Lead) {
			if _, ok := l.Claim(o, at, "slack:"+o.UserID); !ok {
				t.Fatalf("claim by %s at %v refused", o.UserID, at)
			}
		}
	}
	release := func(at time.Time) step { return func(l *handoff.Lead) { l.Release(at, "slack:UA", nil) } }
	reassign := func(o handoff.Owner, at time.Time) step { return func(l *handoff.Lead) { l.Reassign(o, at) } }
	move := func(to handoff.Stage, at time.Time) step {
		return func(l *handoff.Lead) { stageMover(t, l, policy)(to, at) }
	}
	tick := func(at time.Time) step {
		return func(l *handoff.Lead) {
			p := policy
			p.ReleaseOnBreach = true
			l.TickSLA(at, p)
		}
	}
	tests := []struct {
		name  string
		steps []step
		want  handoff.Owner
	}{
		{"a holds it at the deadline", []step{claim(a, early)}, a},
		{"a released it after the deadline, b claimed it", []step{claim(a, early), release(late), claim(b, late.Add(time.Hour))}, a},
		{"a released it before the deadline, b claimed it in time", []step{claim(a, early), release(early.Add(time.Hour)), claim(b, early.Add(2*time.Hour))}, b},
		{"a released it before the deadline, b claimed it late", []step{claim(a, early), release(early.Add(time.Hour)), claim(b, late)}, handoff.Owner{}},
		{"unclaimed at the deadline, b claimed it", []step{claim(b, late)}, handoff.Owner{}},
		{"unclaimed at the deadline, b claimed and released it, a claimed it", []step{claim(b, late), release(late.Add(time.Hour)), claim(a, late.Add(2*time.Hour))}, handoff.Owner{}},
		{"reassigned from a to b after the deadline", []step{claim(a, early), reassign(b, late)}, a},
		{"reassigned from a to b before the deadline", []step{claim(a, early), reassign(b, early.Add(time.Hour))}, b},
		{"the SLA clock released it from a, b claimed it", []step{claim(a, early), tick(late), claim(b, late.Add(time.Hour))}, a},
		{"a contacted it in time, reassigned to b", []step{claim(a, early), move(handoff.StageContacted, early.Add(time.Hour)), reassign(b, late)}, a},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &handoff.Lead{ID: 1, Reached: -1}
			move(handoff.StageSQL, sqlAt)(l)
			for _, s := range tt.steps {
				s(l)
			}
			if got := l.SLAOwner(); got != tt.want {
				t.Errorf("counts for %+v, want %+v", got, tt.want)
			}
			// Recycled and an SQL again: the ended cycle keeps it.
			move(handoff.StageRecycled, due.AddDate(0, 0, 3))(l)
			var ended *handoff.SLACycle
			for _, e := range l.EnterStages(handoff.Transition{Changed: true, Entered: []handoff.Stage{handoff.StageSQL}}, due.AddDate(0, 0, 5), "api", nil, policy) {
				if e.Ends != nil {
					ended = e.Ends
				}
			}
			if ended == nil {
				t.Fatal("no cycle ended")
			}
			if got := ended.SLAOwner(); got != tt.want {
				t.Errorf("the ended cycle counts for %+v, want %+v", got, tt.want)
			}
			if l.SLAHolder != nil || !l.SLAOwner().IsZero() {
				t.Errorf("the new cycle: holder %+v, owner %+v; want none", l.SLAHolder, l.SLAOwner())
			}
		})
	}
}
