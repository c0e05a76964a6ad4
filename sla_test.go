package handoff_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/handoff/handoff"
)

func slaPolicy(release bool) handoff.Policy {
	p := handoff.DefaultPolicy()
	p.RemindBefore = []time.Duration{12 * time.Hour, time.Hour}
	p.ReleaseOnBreach = release
	return p
}

// sqlLead returns a lead that became an SQL at t0 under p.
func sqlLead(t *testing.T, p handoff.Policy, t0 time.Time) *handoff.Lead {
	t.Helper()
	in, err := handoff.ParseLeadInput(map[string]any{"external_id": "x"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	l := &handoff.Lead{}
	if _, _, err := in.Apply(l, t0, handoff.ActorAPI, p); err != nil {
		t.Fatal(err)
	}
	return l
}

func TestTickSLA(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	h := func(n float64) time.Time { return t0.Add(time.Duration(n * float64(time.Hour))) }
	claim := func(at time.Time) func(l *handoff.Lead) {
		return func(l *handoff.Lead) {
			l.Stage, l.Owner, l.ClaimedAt = handoff.StageClaimed, handoff.Owner{Platform: "slack", UserID: "U1"}, &at
		}
	}
	type step struct {
		before func(l *handoff.Lead)
		at     time.Time
		want   string // the actions' kinds
	}
	tests := []struct {
		name    string
		release bool
		steps   []step
		stage   handoff.Stage
		breach  bool
	}{
		{"NothingBeforeClaimDeadline", false, []step{{nil, h(1.99), "[]"}}, handoff.StageSQL, false},
		{"UnclaimedEscalatesOnce", false, []step{{nil, h(2), "[escalate_claim]"}, {nil, h(2), "[]"}, {nil, h(3), "[]"}}, handoff.StageSQL, true},
		{"UnclaimedPastBothDeadlines", false, []step{{nil, h(50), "[escalate_claim escalate_contact]"}, {nil, h(60), "[]"}}, handoff.StageSQL, true},
		{"RemindersThenContactEscalation", false, []step{
			{claim(h(1)), h(35.9), "[]"},
			{nil, h(36), "[remind]"},
			{nil, h(36.5), "[]"},
			{nil, h(47), "[remind]"},
			{nil, h(48), "[escalate_contact]"},
			{nil, h(49), "[]"},
		}, handoff.StageClaimed, true},
		{"MissedRemindersSendOnlyTheLatest", false, []step{{claim(h(1)), h(47.5), "[remind]"}, {nil, h(47.9), "[]"}}, handoff.StageClaimed, false},
		{"NoReminderFromBeforeTheClaim", false, []step{{claim(h(40)), h(40), "[]"}, {nil, h(47), "[remind]"}}, handoff.StageClaimed, false},
		{"ContactedInTimeNeverEscalates", false, []step{{func(l *handoff.Lead) {
			claim(h(1))(l)
			at := h(5)
			l.Stage, l.ContactedAt = handoff.StageContacted, &at
		}, h(100), "[]"}}, handoff.StageContacted, false},
		{"ReleaseOnBreach", true, []step{{claim(h(1)), h(48), "[escalate_contact release]"}, {nil, h(49), "[]"}}, handoff.StageSQL, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := slaPolicy(tc.release)
			l := sqlLead(t, p, t0)
			for i, st := range tc.steps {
				if st.before != nil {
					st.before(l)
				}
				var kinds []string
				for _, a := range l.TickSLA(st.at, p) {
					kinds = append(kinds, string(a.Kind))
				}
				if got := fmt.Sprint(kinds); got != st.want && !(len(kinds) == 0 && st.want == "[]") {
					t.Fatalf("step %d at +%v: actions %s, want %s", i, st.at.Sub(t0), got, st.want)
				}
			}
			if l.Stage != tc.stage || l.SLABreached != tc.breach {
				t.Fatalf("stage %s breached %v; want %s %v", l.Stage, l.SLABreached, tc.stage, tc.breach)
			}
			if tc.release && !l.Owner.IsZero() {
				t.Fatalf("released lead still owned by %+v", l.Owner)
			}
		})
	}
}

// TestTickSLAOverdue: an action whose due time had passed when Handoff
// set its deadline (an SQL imported after its deadline, a lead released
// after its claim deadline) is Overdue, so that the scheduler leaves it
// out of the clock's lateness; one that fell due after it was set is not,
// however often the lead was saved for anything else since (a CRM's
// update, a note), nor when a tick moved the deadline on (an excused claim
// deadline, the next reminder). Each step saves the lead (UpdatedAt: its
// time), which the old judge, the lead's last save, took for the time its
// deadlines were set.
func TestTickSLAOverdue(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	h := func(n float64) time.Time { return t0.Add(time.Duration(n * float64(time.Hour))) }
	owner := handoff.Owner{Platform: "slack", UserID: "U1"}
	apply := func(fields map[string]any) func(*testing.T, *handoff.Lead, handoff.Policy, time.Time) {
		return func(t *testing.T, l *handoff.Lead, p handoff.Policy, at time.Time) {
			t.Helper()
			in, err := handoff.ParseLeadInput(fields, at)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := in.Apply(l, at, handoff.ActorAPI, p); err != nil {
				t.Fatal(err)
			}
		}
	}
	sql := apply(map[string]any{"external_id": "x"})
	imported := apply(map[string]any{"external_id": "x", "occurred_at": t0.Format(time.RFC3339)})
	touched := apply(map[string]any{"external_id": "x", "name": "Ann Berg", "score": float64(90)})
	claim := func(t *testing.T, l *handoff.Lead, _ handoff.Policy, at time.Time) {
		if _, ok := l.Claim(owner, at, handoff.Policy{}, "slack:U1"); !ok {
			t.Fatal("not claimed")
		}
	}
	release := func(_ *testing.T, l *handoff.Lead, _ handoff.Policy, at time.Time) { l.Release(at, "slack:U1", nil) }
	shown := func(_ *testing.T, l *handoff.Lead, p handoff.Policy, at time.Time) { l.CardShown(at, p) }
	tick := func(_ *testing.T, l *handoff.Lead, p handoff.Policy, at time.Time) { l.TickSLA(at, p) }
	tickExcused := func(_ *testing.T, l *handoff.Lead, p handoff.Policy, at time.Time) {
		p.ExcuseSystemDelay = true
		l.TickSLA(at, p)
	}
	type step struct {
		at float64 // hours after t0
		do func(*testing.T, *handoff.Lead, handoff.Policy, time.Time)
	}
	for _, tc := range []struct {
		name   string
		excuse bool // ExcuseSystemDelay
		steps  []step
		tickAt float64
		want   string
	}{
		{"SQLOnTime", false, []step{{0, sql}}, 50, "[escalate_claim:false escalate_contact:false]"},
		// A lead stored before SLASetAt was kept is judged by its last save.
		{"StoredBeforeItWasKept", false, []step{{0, sql}, {3, func(_ *testing.T, l *handoff.Lead, _ handoff.Policy, _ time.Time) { l.SLASetAt = nil }}},
			50, "[escalate_claim:true escalate_contact:false]"},
		{"ImportedAtTheClaimDeadline", false, []step{{2, imported}}, 50, "[escalate_claim:false escalate_contact:false]"},
		{"ImportedBetween", false, []step{{3, imported}}, 50, "[escalate_claim:true escalate_contact:false]"},
		{"ImportedAfterBoth", false, []step{{49, imported}}, 50, "[escalate_claim:true escalate_contact:true]"},
		{"ImportedAfterBothTouchedSince", false, []step{{49, imported}, {49.5, touched}}, 50, "[escalate_claim:true escalate_contact:true]"},
		{"TouchedAfterTheClaimDeadline", false, []step{{0, sql}, {3, touched}}, 50, "[escalate_claim:false escalate_contact:false]"},
		{"TouchedAfterBoth", false, []step{{0, sql}, {49, touched}}, 50, "[escalate_claim:false escalate_contact:false]"},
		{"ReleasedAfterTheClaimDeadline", false, []step{{0, sql}, {1, claim}, {3, release}, {3.5, touched}}, 4, "[escalate_claim:true]"},
		{"ReleasedBeforeTheClaimDeadline", false, []step{{0, sql}, {1, claim}, {1.5, release}, {2.5, touched}}, 3, "[escalate_claim:false]"},
		// A release while the clock is behind (the contact deadline
		// passed, unfired): the claim deadline it gives back was past,
		// the contact deadline was the clock's to fire.
		{"ReleasedWhileTheClockIsLate", false, []step{{0, sql}, {1, claim}, {49, release}}, 50, "[escalate_claim:true escalate_contact:false]"},
		{"ClaimedWhileTheClockIsLate", false, []step{{0, sql}, {49, claim}}, 50, "[escalate_contact:false]"},
		{"TakenUpAgainAfterItsContactDeadline", false, []step{{0, sql}, {1, claim}, {2, apply(map[string]any{"external_id": "x", "stage": "lost", "reason": "no budget"})},
			{50, apply(map[string]any{"external_id": "x", "stage": "claimed"})}}, 51, "[escalate_contact:true]"},
		// A card not shown by 2.5h has its claim deadline moved on at the
		// tick; the agreement then stops excusing the system's delay.
		{"ExcusedClaimDueMovedAtATickTouchedSince", false, []step{{0, sql}, {2.5, tickExcused}, {4.7, touched}}, 5, "[escalate_claim:false]"},
		{"ExcusedClaimDueSetWhenShownTouchedSince", true, []step{{0, sql}, {2.5, tick}, {3, shown}, {5.5, touched}}, 6, "[escalate_claim:false]"},
		{"ReminderMovedOnAtATickTouchedSince", false, []step{{0, sql}, {1, claim}, {36, tick}, {47.2, touched}}, 47.5, "[remind:false]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := slaPolicy(false)
			p.ExcuseSystemDelay = tc.excuse
			l := &handoff.Lead{}
			for _, st := range tc.steps {
				st.do(t, l, p, h(st.at))
				l.UpdatedAt = h(st.at)
			}
			var got []string
			for _, a := range l.TickSLA(h(tc.tickAt), p) {
				got = append(got, fmt.Sprintf("%s:%v", a.Kind, a.Overdue))
			}
			if fmt.Sprint(got) != tc.want {
				t.Fatalf("actions %v, want %s", got, tc.want)
			}
		})
	}
}

func TestNextSLADue(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	p := slaPolicy(false)
	l := sqlLead(t, p, t0)
	if due, ok := l.NextSLADue(); !ok || !due.Equal(t0.Add(2*time.Hour)) {
		t.Fatalf("unclaimed next due = %v %v, want claim deadline", due, ok)
	}
	at := t0.Add(time.Hour)
	l.Stage, l.ClaimedAt = handoff.StageClaimed, &at
	if due, ok := l.NextSLADue(); !ok || !due.Equal(t0.Add(36*time.Hour)) {
		t.Fatalf("claimed next due = %v %v, want the 12h reminder", due, ok)
	}
	l.Stage = handoff.StageWon
	if _, ok := l.NextSLADue(); ok {
		t.Fatal("a won lead has SLA timers")
	}
}
