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
			if _, ok := l.Claim(o, at, handoff.Policy{}, "slack:"+o.UserID); !ok {
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

// TestOwnerNamedByIntake: an intake that names the owner (owner_email)
// takes the lead over as a manager's reassign does: a promise settled
// before it counts for whoever held the lead then (nobody when it was
// unclaimed), one settled after for the rep it names, a contact it records
// for that rep too; the cycle a new SQL ends keeps the rep who worked it;
// naming the owner a lead has (its email in any case) changes nothing.
func TestOwnerNamedByIntake(t *testing.T) {
	policy := handoff.DefaultPolicy()
	a := handoff.Owner{Platform: "slack", UserID: "UA", Email: "a@example.com"}
	named := handoff.Owner{Email: "b@example.com"}
	sqlAt := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	due := policy.ContactDue(sqlAt)
	early, late := sqlAt.Add(time.Hour), due.Add(time.Hour)
	input := func(owner string, stage handoff.Stage, at time.Time) handoff.LeadInput {
		return handoff.LeadInput{ExternalID: "x", OwnerEmail: owner, Stage: stage, Reason: "not ready", OccurredAt: &at}
	}
	tests := []struct {
		name      string
		claimedBy *handoff.Owner // claims at early
		in        handoff.LeadInput
		owner     handoff.Owner // the lead's owner after the input
		counts    handoff.Owner // whom its promise counts for, seen after the deadline
		ended     *handoff.Owner
	}{
		{"a breached, b named", &a, input("b@example.com", "", late), named, a, nil},
		{"unclaimed at the deadline, b named", nil, input("b@example.com", "", late), named, handoff.Owner{}, nil},
		{"a claimed, b named before the deadline", &a, input("b@example.com", "", early.Add(time.Hour)), named, named, nil},
		{"a claimed, b named with a contact in time", &a, input("b@example.com", handoff.StageContacted, early.Add(time.Hour)), named, named, nil},
		{"a breached, b named with a late contact", &a, input("b@example.com", handoff.StageContacted, late), named, a, nil},
		{"a named again, in capitals", &a, input("A@Example.com", "", late), a, a, nil},
		{"a breached, recycled, an SQL again named for b", &a, input("b@example.com", handoff.StageSQL, due.AddDate(0, 0, 5)), named, named, &a},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &handoff.Lead{ID: 1, Reached: -1}
			stageMover(t, l, policy)(handoff.StageSQL, sqlAt)
			if tt.claimedBy != nil {
				if _, ok := l.Claim(*tt.claimedBy, early, handoff.Policy{}, "slack:"+tt.claimedBy.UserID); !ok {
					t.Fatal("claim refused")
				}
			}
			if tt.in.Stage == handoff.StageSQL {
				stageMover(t, l, policy)(handoff.StageRecycled, due.AddDate(0, 0, 3))
			}
			_, events, err := tt.in.Apply(l, tt.in.OccurredAt.Add(time.Minute), handoff.ActorImport, policy)
			if err != nil {
				t.Fatal(err)
			}
			if l.Owner != tt.owner {
				t.Errorf("owner %+v, want %+v", l.Owner, tt.owner)
			}
			// The promise of the lead's cycle, once its deadline passed.
			after := *l.ContactDueAt
			if got := handoff.SLAOwner(l.Owner, l.SLAHolder, l.ClaimedAt, l.ContactDueAt, l.ContactedAt); got != tt.counts {
				t.Errorf("its promise (due %v) counts for %+v at %v, want %+v", after, got, after, tt.counts)
			}
			var ended *handoff.SLACycle
			for _, e := range events {
				if e.Ends != nil {
					ended = e.Ends
				}
			}
			switch {
			case (ended == nil) != (tt.ended == nil):
				t.Errorf("ended cycle %+v, want one counting for %+v", ended, tt.ended)
			case ended != nil && (ended.Owner != *tt.ended || ended.SLAOwner() != *tt.ended):
				t.Errorf("the ended cycle's owner %+v counts for %+v, want %+v", ended.Owner, ended.SLAOwner(), *tt.ended)
			}
		})
	}
}

// TestClaimOfANamedOwnersLead: an SQL an intake named an owner for
// (owner_email) and nobody claimed is theirs until another rep claims it:
// a contact deadline that passed before the claim counts for the rep
// named, who held it then; one still ahead for the claimer; a lead
// nobody held is nobody's breach.
func TestClaimOfANamedOwnersLead(t *testing.T) {
	policy := handoff.DefaultPolicy()
	named, claimer := handoff.Owner{Email: "b@example.com"}, handoff.Owner{Platform: "slack", UserID: "UA", Email: "a@example.com"}
	sqlAt := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	due := policy.ContactDue(sqlAt)
	tests := []struct {
		name    string
		owner   string // owner_email of the SQL's intake
		claimAt time.Time
		counts  handoff.Owner // whom its promise counts for after the deadline
	}{
		{"named, claimed after the deadline", named.Email, due.Add(time.Hour), named},
		{"named, claimed at the deadline", named.Email, due, named},
		{"named, claimed before the deadline", named.Email, due.Add(-time.Hour), claimer},
		{"nobody held it, claimed after the deadline", "", due.Add(time.Hour), handoff.Owner{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &handoff.Lead{}
			in := handoff.LeadInput{ExternalID: "x", Stage: handoff.StageSQL, OwnerEmail: tt.owner, OccurredAt: &sqlAt}
			if _, _, err := in.Apply(l, sqlAt, handoff.ActorAPI, policy); err != nil {
				t.Fatal(err)
			}
			l.ID = 1
			if _, ok := l.Claim(claimer, tt.claimAt, handoff.Policy{}, "slack:UA"); !ok {
				t.Fatal("claim refused")
			}
			if l.Owner != claimer {
				t.Errorf("owner %+v, want the claimer %+v", l.Owner, claimer)
			}
			if got := l.SLAOwner(); got != tt.counts {
				t.Errorf("its promise (due %v) counts for %+v, want %+v", due, got, tt.counts)
			}
		})
	}
}
