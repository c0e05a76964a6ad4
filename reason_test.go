package handoff_test

import (
	"slices"
	"testing"
	"time"

	"github.com/handoff/handoff"
)

// A lead's reason is why it is lost or recycled now: one that leaves lost
// or recycled for any other stage (an SQL again by the API, an import or
// a CRM; claimed, contacted, won; restored by HubSpot after its deletion)
// has none, and one recycled after a loss has the recycle's reason, none
// when it came without one, never the loss's. The reasons stay in its
// history, where the funnel counts them. A merged-away lead is lost with
// MergedReason until it moves on; a lead restored by HubSpot is no longer
// "deleted in HubSpot".
func TestReasonFollowsTheStage(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	policy := handoff.DefaultPolicy()
	const competitor, timing = "Chose a competitor", "bad timing"
	// A step changes the lead at its time and returns the events it
	// records; history is the lead's before it.
	type step func(t *testing.T, l *handoff.Lead, history []handoff.Event, at time.Time) []handoff.Event
	input := func(in handoff.LeadInput) step {
		return func(t *testing.T, l *handoff.Lead, _ []handoff.Event, at time.Time) []handoff.Event {
			in.ExternalID = l.ExternalID
			_, events, err := in.Apply(l, at, handoff.ActorAPI, policy)
			if err != nil {
				t.Fatalf("%+v: %v", in, err)
			}
			return events
		}
	}
	to := func(st handoff.Stage, reason string) step {
		return input(handoff.LeadInput{Stage: st, Reason: reason})
	}
	deleted := func(t *testing.T, l *handoff.Lead, h []handoff.Event, at time.Time) []handoff.Event {
		return input(handoff.HubSpotDeletion(l.ExternalID, at))(t, l, h, at)
	}
	// restored is HubSpot's contact.restore as storage saves it
	// (restoredInput): to the stage the lead had before its deletion.
	restored := func(t *testing.T, l *handoff.Lead, h []handoff.Event, at time.Time) []handoff.Event {
		in := handoff.HubSpotRestore(l.ExternalID, at)
		st, reason, ok := handoff.StageBeforeDeletion(l, h)
		if !ok {
			t.Fatalf("lead %s %q: nothing to restore", l.Stage, l.Reason)
		}
		in.Stage, in.Reason = st, reason
		return input(in)(t, l, h, at)
	}
	merged := func(_ *testing.T, l *handoff.Lead, _ []handoff.Event, at time.Time) []handoff.Event {
		return l.MergeInto(at, handoff.ActorHubSpot, policy).Events
	}
	cases := []struct {
		name string
		// steps follow the lead's making, an SQL by the API, an hour apart.
		steps  []step
		stage  handoff.Stage
		reason string
		// history is the reasons its stage events hold, oldest first.
		history []string
		merged  bool
	}{
		{name: "lost, then an SQL again", steps: []step{to(handoff.StageLost, competitor), to(handoff.StageSQL, "")},
			stage: handoff.StageSQL, history: []string{competitor}},
		{name: "lost, then claimed by owner_email", steps: []step{to(handoff.StageLost, competitor),
			input(handoff.LeadInput{Stage: handoff.StageClaimed, OwnerEmail: "rep@acme.dk"})},
			stage: handoff.StageClaimed, history: []string{competitor}},
		{name: "lost, then contacted", steps: []step{to(handoff.StageLost, competitor), to(handoff.StageContacted, "")},
			stage: handoff.StageContacted, history: []string{competitor}},
		{name: "lost, then won", steps: []step{to(handoff.StageLost, competitor), to(handoff.StageWon, "")},
			stage: handoff.StageWon, history: []string{competitor}},
		{name: "recycled, then an SQL again", steps: []step{to(handoff.StageRecycled, timing), to(handoff.StageSQL, "")},
			stage: handoff.StageSQL, history: []string{timing}},
		{name: "recycled, then an MQL", steps: []step{to(handoff.StageRecycled, timing), to(handoff.StageMQL, "")},
			stage: handoff.StageMQL, history: []string{timing}},
		{name: "recycled, then an SQL sent with a reason", steps: []step{to(handoff.StageRecycled, timing), to(handoff.StageSQL, "asked for a demo")},
			stage: handoff.StageSQL, history: []string{timing, "asked for a demo"}},
		{name: "lost, then recycled with a reason", steps: []step{to(handoff.StageLost, competitor), to(handoff.StageRecycled, timing)},
			stage: handoff.StageRecycled, reason: timing, history: []string{competitor, timing}},
		{name: "lost, then recycled without one", steps: []step{to(handoff.StageLost, competitor), to(handoff.StageRecycled, "")},
			stage: handoff.StageRecycled, history: []string{competitor}},
		{name: "lost, then lost for another reason", steps: []step{to(handoff.StageLost, competitor), to(handoff.StageLost, timing)},
			stage: handoff.StageLost, reason: competitor, history: []string{competitor}},
		{name: "lost without a reason", steps: []step{to(handoff.StageLost, "")},
			stage: handoff.StageLost},
		{name: "claimed", steps: []step{to(handoff.StageClaimed, "")},
			stage: handoff.StageClaimed},
		{name: "deleted in HubSpot", steps: []step{deleted},
			stage: handoff.StageLost, reason: handoff.HubSpotDeletedReason, history: []string{handoff.HubSpotDeletedReason}},
		{name: "deleted in HubSpot, then restored", steps: []step{deleted, restored},
			stage: handoff.StageSQL, history: []string{handoff.HubSpotDeletedReason}},
		{name: "contacted, deleted in HubSpot, then restored", steps: []step{to(handoff.StageContacted, ""), deleted, restored},
			stage: handoff.StageContacted, history: []string{handoff.HubSpotDeletedReason}},
		{name: "recycled, deleted in HubSpot, then restored", steps: []step{to(handoff.StageRecycled, timing), deleted, restored},
			stage: handoff.StageRecycled, reason: timing, history: []string{timing, handoff.HubSpotDeletedReason, timing}},
		{name: "merged away", steps: []step{merged},
			stage: handoff.StageLost, reason: handoff.MergedReason, history: []string{handoff.MergedReason}, merged: true},
		{name: "merged away, then an SQL again", steps: []step{merged, to(handoff.StageSQL, "")},
			stage: handoff.StageSQL, history: []string{handoff.MergedReason}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := &handoff.Lead{ExternalID: "901"}
			history := input(handoff.LeadInput{})(t, l, nil, t0)
			for i, s := range c.steps {
				history = append(history, s(t, l, history, t0.Add(time.Duration(i+1)*time.Hour))...)
			}
			var reasons []string
			for _, e := range history {
				if r := e.Details["reason"]; e.Kind == handoff.EventStage && r != "" {
					reasons = append(reasons, r)
				}
			}
			if l.Stage != c.stage || l.Reason != c.reason {
				t.Errorf("lead %s, reason %q; want %s, reason %q", l.Stage, l.Reason, c.stage, c.reason)
			}
			if !slices.Equal(reasons, c.history) {
				t.Errorf("history's reasons %q, want %q", reasons, c.history)
			}
			if l.MergedAway() != c.merged {
				t.Errorf("MergedAway() = %v, want %v", l.MergedAway(), c.merged)
			}
		})
	}
}
