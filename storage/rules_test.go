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

// The claim and the SLA clock's due rules are written twice: in Go in the
// domain (Lead.Claim, Lead.NextSLADue), and in SQL here, so that the
// database decides claim races and finds due leads by index. These tests run
// both on the same cases, on SQLite and PostgreSQL.

// ruleLead is a lead in a state the rules can meet.
type ruleLead struct {
	stage                handoff.Stage
	reached              handoff.Stage
	claimDue, contactDue *time.Time
	nextRemind           *time.Time
	claimEsc, contactEsc *time.Time
	breached             bool
	offer                *handoff.Offer
	owner                handoff.Owner // a rep an intake named, on an unclaimed SQL
	contacted            *time.Time
	slaSet               *time.Time // when its deadlines were set; nil: its last save
	erased               *time.Time // when its personal data was erased
	shown                *time.Time // when its card was first shown in chat
}

func (c ruleLead) lead(name string, sqlAt time.Time) *handoff.Lead {
	return &handoff.Lead{
		ExternalID: name, Company: name, Stage: c.stage, Reached: c.reached.Rank(), SQLAt: &sqlAt,
		ClaimDueAt: c.claimDue, ContactDueAt: c.contactDue, SLABreached: c.breached,
		SLATimers: handoff.SLATimers{NextReminderAt: c.nextRemind, ClaimEscalatedAt: c.claimEsc, ContactEscalatedAt: c.contactEsc},
		CreatedAt: sqlAt, UpdatedAt: sqlAt, Offer: c.offer.Clone(), Owner: c.owner, ContactedAt: c.contacted,
		SLASetAt: c.slaSet, ErasedAt: c.erased, ShownAt: c.shown,
	}
}

// TestRulesWrittenTwiceAgree runs each rule written in Go and in SQL on
// the same cases and compares the outcomes.
func TestRulesWrittenTwiceAgree(t *testing.T) {
	t.Run("Claim", claimRuleAgrees)
	t.Run("SLADue", slaDueRuleAgrees)
	t.Run("RouteDue", routeDueRuleAgrees)
	t.Run("Breached", breachedRuleAgrees)
}

// breachedRuleAgrees checks Lead.BreachedAt against the SQL that splits
// the open SQLs into unclaimed, waiting and breached (OpenSQLs:
// breachedSQL), under an agreement that excuses the system's delay and one
// that does not: an unclaimed SQL past its claim deadline whose card was
// not shown since it became an SQL is breached only without the excuse.
func breachedRuleAgrees(t *testing.T) {
	sqlAt := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	now := sqlAt.Add(10 * time.Hour)
	before, same, after := now.Add(-time.Minute), now, now.Add(time.Minute)
	shownEarlier, shownSince := sqlAt.Add(-time.Hour), sqlAt.Add(time.Hour) // an earlier cycle's showing, this one's
	var cases []ruleLead
	for _, st := range []handoff.Stage{handoff.StageSQL, handoff.StageClaimed} {
		for _, claimDue := range []*time.Time{nil, &before, &same, &after} {
			for _, contactDue := range []*time.Time{&before, &same, &after} { // the open SQLs are those held to a contact deadline
				for _, shown := range []*time.Time{nil, &shownEarlier, &shownSince} {
					for _, claimEsc := range []*time.Time{nil, &before} {
						for _, breached := range []bool{false, true} {
							cases = append(cases, ruleLead{stage: st, reached: st, claimDue: claimDue, contactDue: contactDue,
								shown: shown, claimEsc: claimEsc, breached: breached})
						}
					}
				}
			}
		}
	}
	plain := handoff.DefaultPolicy()
	excusing := plain
	excusing.ExcuseSystemDelay = true
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		for i, c := range cases {
			id, err := s.PutOnlyLead(ctx, c.lead(fmt.Sprint("breached-", i), sqlAt))
			if err != nil {
				t.Fatal(err)
			}
			stored, err := s.Lead(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			shown := "never"
			if c.shown != nil {
				shown = map[bool]string{true: "earlier cycle", false: "this cycle"}[c.shown.Before(sqlAt)]
			}
			for _, p := range []handoff.Policy{plain, excusing} {
				name := fmt.Sprintf("%s claim=%s contact=%s shown=%s claimEsc=%v breached=%v excuse=%v", c.stage,
					dueName(c.claimDue, now), dueName(c.contactDue, now), shown, c.claimEsc != nil, c.breached, p.ExcuseSystemDelay)
				want := "waiting"
				switch {
				case stored.BreachedAt(now, p):
					want = "breached"
				case stored.Stage == handoff.StageSQL:
					want = "unclaimed"
				}
				open, err := s.OpenSQLs(ctx, now, p, 10)
				if err != nil {
					t.Fatal(err)
				}
				var listed, counted []string
				for _, g := range []struct {
					name  string
					leads []*handoff.Lead
					total int64
				}{{"unclaimed", open.Unclaimed, open.UnclaimedTotal}, {"waiting", open.Waiting, open.WaitingTotal}, {"breached", open.Breached, open.BreachedTotal}} {
					for _, l := range g.leads {
						if l.ID == id {
							listed = append(listed, g.name)
						}
					}
					for range g.total {
						counted = append(counted, g.name)
					}
				}
				if len(listed) != 1 || listed[0] != want || len(counted) != 1 || counted[0] != want {
					t.Errorf("%s: SQL lists it in %v and counts it in %v, Go judges it %s", name, listed, counted, want)
				}
			}
		}
	})
}

// claimRuleAgrees checks Lead.Claim against the claim's conditional UPDATE.
func claimRuleAgrees(t *testing.T) {
	sqlAt := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	at := sqlAt.Add(2 * time.Hour)
	before, same, after := at.Add(-time.Millisecond), at, at.Add(time.Millisecond)
	var cases []ruleLead
	for _, st := range handoff.AllStages {
		cases = append(cases, ruleLead{stage: st, reached: st, claimDue: &after})
	}
	for _, reached := range []handoff.Stage{handoff.StageSQL, handoff.StageClaimed, handoff.StageOpportunity, handoff.StageWon} {
		for _, due := range []*time.Time{nil, &before, &same, &after} {
			for _, breached := range []bool{false, true} {
				cases = append(cases, ruleLead{stage: handoff.StageSQL, reached: reached, claimDue: due, breached: breached})
			}
		}
	}
	for _, o := range ruleOffers(at) {
		cases = append(cases, ruleLead{stage: handoff.StageSQL, reached: handoff.StageSQL, claimDue: &after, offer: o})
	}
	// An SQL held unclaimed (by a rep an intake named, or nobody) whose
	// contact promise was settled before the claim, at it, or not yet.
	for _, owner := range []handoff.Owner{{}, {Email: "named@example.com"}} {
		for _, due := range []*time.Time{nil, &before, &same, &after} {
			for _, contacted := range []*time.Time{nil, &before} {
				cases = append(cases, ruleLead{stage: handoff.StageSQL, reached: handoff.StageSQL, claimDue: &before, contactDue: due, owner: owner, contacted: contacted})
			}
		}
	}
	// When the claim sets a deadline the clock acts on (the reminder; an
	// SQL without a contact deadline, its person erased, gets none back)
	// and when it was set before: the claim's time, or a contact deadline
	// that fell due unfired before it.
	for _, claimDue := range []*time.Time{nil, &after} {
		for _, contactDue := range []*time.Time{nil, &before, &after} {
			for _, remind := range []*time.Time{nil, &after} {
				for _, contactEsc := range []*time.Time{nil, &before} {
					for _, slaSet := range []*time.Time{nil, &same} {
						cases = append(cases, ruleLead{stage: handoff.StageSQL, reached: handoff.StageSQL, claimDue: claimDue, contactDue: contactDue,
							nextRemind: remind, contactEsc: contactEsc, slaSet: slaSet})
					}
				}
			}
		}
	}
	// A lead whose personal data was erased is never claimed, whatever
	// its deadlines, owner or offer.
	for _, st := range []handoff.Stage{handoff.StageSQL, handoff.StageClaimed} {
		for _, due := range []*time.Time{nil, &before, &after} {
			for _, o := range []*handoff.Offer{nil, {State: handoff.OfferOpen, Seq: 2}} {
				cases = append(cases, ruleLead{stage: st, reached: st, claimDue: due, offer: o, erased: &before})
			}
		}
	}
	cases = append(cases, ruleLead{stage: handoff.StageSQL, reached: handoff.StageSQL, claimDue: &before, owner: handoff.Owner{Email: "named@example.com"}, erased: &before})
	// A claim deadline the clock excuses (its card not shown in this SQL
	// cycle: never, or only in an earlier one) is not missed by a claim
	// after it; one shown in this cycle, or escalated already, is.
	shownEarlier, shownSince := sqlAt.Add(-time.Hour), sqlAt.Add(time.Hour)
	for _, due := range []*time.Time{nil, &before, &same, &after} {
		for _, shown := range []*time.Time{nil, &shownEarlier, &shownSince} {
			for _, claimEsc := range []*time.Time{nil, &before} {
				cases = append(cases, ruleLead{stage: handoff.StageSQL, reached: handoff.StageSQL, claimDue: due, shown: shown, claimEsc: claimEsc})
			}
		}
	}
	owner := handoff.Owner{Platform: "teams", UserID: "29:rita", Email: "rita@example.com"}
	plain := handoff.DefaultPolicy()
	excusing := plain
	excusing.ExcuseSystemDelay = true
	// In business hours, the deadline the clock holds an excused claim to
	// is the claim window counted from the claim (ExcusedClaimDue from the
	// SQL time, which the UPDATE writes as ClaimDue of the claim's time):
	// claims in open hours, near the closing, over a weekend and on a
	// closed morning, of SQLs past their stored deadline.
	loc, err := time.LoadLocation("Europe/Copenhagen")
	if err != nil {
		t.Fatal(err)
	}
	office := excusing
	office.Location = loc
	office.BusinessHours = &handoff.BusinessHours{Start: 8 * time.Hour, End: 17 * time.Hour}
	for d := time.Monday; d <= time.Friday; d++ {
		office.BusinessHours.Days[d] = true
	}
	officeSQL := time.Date(2026, 11, 20, 14, 0, 0, 0, loc) // a Friday
	officeDue := office.ClaimDue(officeSQL)                // 16:00
	officeShownEarlier, officeShownSince := officeSQL.Add(-time.Hour), officeSQL.Add(time.Hour)
	var officeCases []ruleLead
	for _, shown := range []*time.Time{nil, &officeShownEarlier, &officeShownSince} {
		for _, claimEsc := range []*time.Time{nil, &officeDue} {
			officeCases = append(officeCases, ruleLead{stage: handoff.StageSQL, reached: handoff.StageSQL, claimDue: &officeDue, shown: shown, claimEsc: claimEsc})
		}
	}
	officeClaims := []time.Time{
		time.Date(2026, 11, 20, 16, 0, 0, 0, loc),  // at the deadline
		time.Date(2026, 11, 20, 16, 30, 0, 0, loc), // half an hour before the closing: Monday 09:30
		time.Date(2026, 11, 21, 10, 0, 0, 0, loc),  // a Saturday: Monday 10:00
		time.Date(2026, 11, 23, 7, 15, 0, 0, loc),  // Monday before the opening: 10:00
		time.Date(2026, 11, 23, 11, 0, 0, 0, loc),  // Monday in open hours: 13:00
	}
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		for i, c := range cases {
			for _, p := range []handoff.Policy{plain, excusing} {
				claimRuleCase(t, s, fmt.Sprint("claim-", i, "-", p.ExcuseSystemDelay), c, sqlAt, at, p, owner)
			}
		}
		for j, claimAt := range officeClaims {
			t.Run("office hours, claimed "+claimAt.Format("Mon 15:04"), func(t *testing.T) {
				for i, c := range officeCases {
					claimRuleCase(t, s, fmt.Sprint("office-", j, "-", i), c, officeSQL, claimAt, office, owner)
				}
			})
		}
	})
}

// claimRuleCase claims lead c, stored as key, at at under p in Go and in
// SQL, and compares the outcomes.
func claimRuleCase(t *testing.T, s *storage.Store, key string, c ruleLead, sqlAt, at time.Time, p handoff.Policy, owner handoff.Owner) {
	ctx := context.Background()
	name := fmt.Sprintf("%s-reached-%s-due-%s-breached-%v-offer-%s", c.stage, c.reached, dueName(c.claimDue, at), c.breached, offerName(c.offer, at))
	if c.erased != nil {
		name += "-erased"
	}
	if c.contactDue != nil || c.owner != (handoff.Owner{}) || c.contacted != nil {
		name += fmt.Sprintf("-contact-due-%s-contacted-%s-owner-%s", dueName(c.contactDue, at), dueName(c.contacted, at), c.owner.Email)
	}
	if c.nextRemind != nil || c.contactEsc != nil || c.slaSet != nil {
		name += fmt.Sprintf("-remind-%s-contact-escalated-%v-set-%s", dueName(c.nextRemind, at), c.contactEsc != nil, dueName(c.slaSet, at))
	}
	if c.shown != nil || c.claimEsc != nil {
		shown := map[bool]string{true: "earlier-cycle", false: "this-cycle"}[c.shown != nil && c.shown.Before(sqlAt)]
		if c.shown == nil {
			shown = "never"
		}
		name += fmt.Sprintf("-shown-%s-claim-escalated-%v", shown, c.claimEsc != nil)
	}
	name += fmt.Sprintf("-excuse-%v", p.ExcuseSystemDelay)
	t.Run(name, func(t *testing.T) {
		id, err := s.PutOnlyLead(ctx, c.lead(key, sqlAt))
		if err != nil {
			t.Fatal(err)
		}
		stored, err := s.Lead(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		goLead := *stored
		_, goWon := goLead.Claim(owner, at, p, "teams:29:rita")
		sqlWon, err := s.ClaimSQL(ctx, id, owner, at, p)
		if err != nil {
			t.Fatal(err)
		}
		sqlLead, err := s.Lead(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if goWon != sqlWon {
			t.Fatalf("won: Go %v, SQL %v", goWon, sqlWon)
		}
		if !goWon {
			goLead = *stored // a lost claim changes nothing, in either
		}
		if got, want := ruleState(sqlLead), ruleState(&goLead); got != want {
			t.Errorf("after the claim\nSQL %s\nGo  %s", got, want)
		}
	})
}

// ruleState is what the claim may change, written for comparison: the
// deadlines too, which the claim gives back or leaves as they were.
func ruleState(l *handoff.Lead) string {
	offer := "nil"
	if l.Offer != nil {
		offer = fmt.Sprintf("%s rep=%s until=%s seq=%d", l.Offer.State, l.Offer.Rep.Key(), l.Offer.Until.UTC().Format(time.RFC3339Nano), l.Offer.Seq)
	}
	holder := "nil"
	if l.SLAHolder != nil {
		holder = fmt.Sprintf("%+v", *l.SLAHolder)
	}
	return fmt.Sprintf("stage=%s reached=%d owner=%+v holder=%s claimed=%s breached=%v updated=%s offer=%s sla-set=%s"+
		" claim-due=%s contact-due=%s remind=%s claim-escalated=%s contact-escalated=%s",
		l.Stage, l.Reached, l.Owner, holder, ruleTime(l.ClaimedAt), l.SLABreached, l.UpdatedAt.UTC().Format(time.RFC3339Nano), offer, ruleTime(l.SLASetAt),
		ruleTime(l.ClaimDueAt), ruleTime(l.ContactDueAt), ruleTime(l.NextReminderAt), ruleTime(l.ClaimEscalatedAt), ruleTime(l.ContactEscalatedAt))
}

// ruleTime writes a time of ruleState, "nil" for none.
func ruleTime(t *time.Time) string {
	if t == nil {
		return "nil"
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// ruleOffers are the routing states a lead can be in around at: none, and
// each state with its next look passed, now or ahead (none once open or
// claimed).
func ruleOffers(at time.Time) []*handoff.Offer {
	out := []*handoff.Offer{nil}
	rep := handoff.RepRef{Platform: "slack", ID: "U0123ABC"}
	for _, st := range []handoff.OfferState{handoff.OfferPending, handoff.OfferOffered, handoff.OfferWaiting} {
		for _, until := range []time.Time{at.Add(-time.Minute), at, at.Add(time.Minute)} {
			o := &handoff.Offer{State: st, Until: until, Seq: 3}
			if st == handoff.OfferOffered {
				o.Rep = rep
			}
			out = append(out, o)
		}
	}
	return append(out, &handoff.Offer{State: handoff.OfferOpen, Seq: 2}, &handoff.Offer{State: handoff.OfferClaimed, Rep: rep, Seq: 1})
}

func offerName(o *handoff.Offer, at time.Time) string {
	if o == nil {
		return "none"
	}
	if o.Until.IsZero() {
		return string(o.State)
	}
	return string(o.State) + "-" + dueName(&o.Until, at)
}

// routeDueRuleAgrees checks Lead.RouteDue against the SQL that finds the
// leads with a routing step due (DueRoutes, NextRouteDue).
func routeDueRuleAgrees(t *testing.T) {
	sqlAt := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	now := sqlAt.Add(time.Hour)
	var cases []ruleLead
	for _, st := range []handoff.Stage{handoff.StageSQL, handoff.StageClaimed, handoff.StageLost} {
		for _, o := range ruleOffers(now) {
			cases = append(cases, ruleLead{stage: st, reached: st, offer: o})
		}
	}
	// An erased SQL has no routing step, whatever its offer (one erased
	// before the erasure ended offers included): nobody can accept it.
	erased := sqlAt.Add(time.Minute)
	for _, o := range ruleOffers(now) {
		cases = append(cases, ruleLead{stage: handoff.StageSQL, reached: handoff.StageSQL, offer: o, erased: &erased})
	}
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		for i, c := range cases {
			l := c.lead(fmt.Sprint("route-", i), sqlAt)
			id, err := s.PutOnlyLead(ctx, l)
			if err != nil {
				t.Fatal(err)
			}
			name := fmt.Sprintf("%s offer=%s", c.stage, offerName(c.offer, now))
			if c.erased != nil {
				name += " erased"
			}
			ids, err := s.DueRoutes(ctx, now, 10)
			if err != nil {
				t.Fatal(err)
			}
			sqlDue, goDue := len(ids) == 1 && ids[0] == id, l.RouteDue(now)
			if sqlDue != goDue {
				t.Errorf("%s: due at now: SQL %v, Go %v", name, sqlDue, goDue)
			}
			if c.erased != nil && (sqlDue || goDue) {
				t.Errorf("%s: an erased lead is due: SQL %v, Go %v", name, sqlDue, goDue)
			}
			goNext, goPending := time.Time{}, false
			if l.Offer != nil && !l.Offer.Until.IsZero() && l.Stage == handoff.StageSQL && l.ErasedAt == nil {
				goNext, goPending = l.Offer.Until, true
			}
			sqlNext, sqlPending, err := s.NextRouteDue(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if sqlPending != goPending || goPending && !sqlNext.Equal(goNext) {
				t.Errorf("%s: next due: SQL %v %v, Go %v %v", name, sqlNext, sqlPending, goNext, goPending)
			}
		}
	})
}

// slaDueRuleAgrees checks Lead.NextSLADue against the SQL that selects the
// leads due at now and the earliest deadline pending.
func slaDueRuleAgrees(t *testing.T) {
	sqlAt := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	now := sqlAt.Add(10 * time.Hour)
	before, same, after := now.Add(-time.Minute), now, now.Add(time.Minute)
	times := []*time.Time{nil, &before, &same, &after}
	var cases []ruleLead
	// The stages the clock acts on, and one it has left behind.
	for _, st := range []handoff.Stage{handoff.StageSQL, handoff.StageClaimed, handoff.StageContacted} {
		for _, claimDue := range times {
			for _, contactDue := range times {
				for _, remind := range times {
					for _, esc := range []int{0, 1, 2, 3} { // none, claim, contact, both escalated
						c := ruleLead{stage: st, reached: st, claimDue: claimDue, contactDue: contactDue, nextRemind: remind}
						if esc&1 != 0 {
							c.claimEsc = &before
						}
						if esc&2 != 0 {
							c.contactEsc = &before
						}
						cases = append(cases, c)
					}
				}
			}
		}
	}
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		for i, c := range cases {
			l := c.lead(fmt.Sprint("sla-", i), sqlAt)
			id, err := s.PutOnlyLead(ctx, l)
			if err != nil {
				t.Fatal(err)
			}
			goNext, goPending := l.NextSLADue()
			goDue := goPending && !goNext.After(now)
			sqlDue, err := s.SLADueSQL(ctx, id, now)
			if err != nil {
				t.Fatal(err)
			}
			sqlNext, sqlPending, err := s.NextSLADue(ctx)
			if err != nil {
				t.Fatal(err)
			}
			name := fmt.Sprintf("%s claim=%s contact=%s remind=%s claimEsc=%v contactEsc=%v", c.stage,
				dueName(c.claimDue, now), dueName(c.contactDue, now), dueName(c.nextRemind, now), c.claimEsc != nil, c.contactEsc != nil)
			if sqlDue != goDue {
				t.Errorf("%s: due at now: SQL %v, Go %v", name, sqlDue, goDue)
			}
			if sqlPending != goPending || (goPending && !sqlNext.Equal(goNext)) {
				t.Errorf("%s: next due: SQL %v %v, Go %v %v", name, sqlNext, sqlPending, goNext, goPending)
			}
		}
	})
}

// dueName writes a case's time relative to the moment of the rule.
func dueName(t *time.Time, at time.Time) string {
	switch {
	case t == nil:
		return "none"
	case t.Before(at):
		return "passed"
	case t.Equal(at):
		return "now"
	}
	return "ahead"
}
