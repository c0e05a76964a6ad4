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

// TestTickSLAOverdue: an action whose due time had passed when the lead
// was last saved (an SQL imported after its deadline) is Overdue, so that
// the scheduler leaves it out of the clock's lateness; one that fell due
// at or after the save is not.
func TestTickSLAOverdue(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	h := func(n float64) time.Time { return t0.Add(time.Duration(n * float64(time.Hour))) }
	p := slaPolicy(false)
	for _, tc := range []struct {
		name  string
		saved time.Time
		want  string
	}{
		{"SavedBeforeBoth", t0, "[escalate_claim:false escalate_contact:false]"},
		{"SavedAtTheClaimDeadline", h(2), "[escalate_claim:false escalate_contact:false]"},
		{"SavedBetween", h(3), "[escalate_claim:true escalate_contact:false]"},
		{"SavedAfterBoth", h(49), "[escalate_claim:true escalate_contact:true]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := sqlLead(t, p, t0)
			l.UpdatedAt = tc.saved
			var got []string
			for _, a := range l.TickSLA(h(50), p) {
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
