package handoff_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/handoff/handoff"
)

// TestBreachedAtJudgesAsTheClock: what a read judges at now (BreachedAt,
// ClaimDueAtNow) is what the SLA clock ticking at now records, for open
// SQLs in every state the clock meets, under an agreement that excuses
// the system's delay and one that does not: an unclaimed SQL whose card was
// not shown since it became an SQL has a passed claim deadline moved on,
// not breached, only under the excuse. storage's TestRulesWrittenTwiceAgree
// checks BreachedAt against the SQL of the open SQLs.
func TestBreachedAtJudgesAsTheClock(t *testing.T) {
	sqlAt := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	now := sqlAt.Add(10 * time.Hour)
	before, same, after := now.Add(-time.Minute), now, now.Add(time.Minute)
	shownEarlier, shownSince := sqlAt.Add(-time.Hour), sqlAt.Add(time.Hour)
	plain := handoff.DefaultPolicy()
	excusing := plain
	excusing.ExcuseSystemDelay = true
	name := func(t *time.Time) string {
		switch {
		case t == nil:
			return "none"
		case t.Before(now):
			return "passed"
		case t.Equal(now):
			return "now"
		}
		return "ahead"
	}
	excused := 0
	for _, st := range []handoff.Stage{handoff.StageSQL, handoff.StageClaimed} {
		for _, claimDue := range []*time.Time{nil, &before, &same, &after} {
			for _, contactDue := range []*time.Time{&before, &same, &after} {
				for _, shown := range []*time.Time{nil, &shownEarlier, &shownSince} {
					for _, esc := range []bool{false, true} { // the claim escalated, and so breached
						for _, p := range []handoff.Policy{plain, excusing} {
							l := handoff.Lead{Stage: st, Reached: st.Rank(), SQLAt: &sqlAt, ClaimDueAt: claimDue, ContactDueAt: contactDue, ShownAt: shown}
							if esc {
								l.ClaimEscalatedAt, l.SLABreached = &before, true
							}
							if st == handoff.StageClaimed {
								l.Owner = handoff.Owner{Platform: "slack", UserID: "U1"}
								l.ClaimedAt = &shownSince
							}
							shownName := map[*time.Time]string{nil: "never", &shownEarlier: "earlier cycle", &shownSince: "this cycle"}[shown]
							c := fmt.Sprintf("%s claim=%s contact=%s shown=%s escalated=%v excuse=%v", st, name(claimDue), name(contactDue), shownName, esc, p.ExcuseSystemDelay)
							judged, due := l.BreachedAt(now, p), l.ClaimDueAtNow(now, p)
							if l.ClaimExcused(now, p) {
								excused++
							}
							ticked := l
							ticked.TickSLA(now, p)
							if judged != ticked.SLABreached {
								t.Errorf("%s: read as breached %v, the clock records breached %v", c, judged, ticked.SLABreached)
							}
							if !sameTime(due, ticked.ClaimDueAt) {
								t.Errorf("%s: read the claim deadline %v, the clock holds it to %v", c, due, ticked.ClaimDueAt)
							}
						}
					}
				}
			}
		}
	}
	if excused == 0 {
		t.Error("no case was excused")
	}
}
