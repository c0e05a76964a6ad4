package handoff_test

import (
	"testing"
	"time"

	"github.com/handoff/handoff"
)

// Of two leads of one person that a CRM merged, Handoff keeps the one
// sales took first, else the earlier SQL, else the older lead, whichever
// way round they are given; the other is closed as merged, unless won.
func TestMergeKeeper(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	at := func(h int) *time.Time { x := t0.Add(time.Duration(h) * time.Hour); return &x }
	for _, c := range []struct {
		name string
		a, b handoff.Lead
		keep int64
	}{
		{"claimed beats unclaimed", handoff.Lead{ID: 1, SQLAt: at(0)}, handoff.Lead{ID: 2, SQLAt: at(1), ClaimedAt: at(2)}, 2},
		{"the earlier claim", handoff.Lead{ID: 1, SQLAt: at(0), ClaimedAt: at(3)}, handoff.Lead{ID: 2, SQLAt: at(1), ClaimedAt: at(2)}, 2},
		{"the earlier SQL", handoff.Lead{ID: 1, SQLAt: at(1)}, handoff.Lead{ID: 2, SQLAt: at(0)}, 2},
		{"an SQL beats a lead never one", handoff.Lead{ID: 1, CreatedAt: t0}, handoff.Lead{ID: 2, SQLAt: at(5), CreatedAt: *at(5)}, 2},
		{"the older", handoff.Lead{ID: 1, CreatedAt: *at(1)}, handoff.Lead{ID: 2, CreatedAt: t0}, 2},
		{"the lower id", handoff.Lead{ID: 2, CreatedAt: t0}, handoff.Lead{ID: 1, CreatedAt: t0}, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, order := range [][2]*handoff.Lead{{&c.a, &c.b}, {&c.b, &c.a}} {
				keep, dup := handoff.MergeKeeper(order[0], order[1])
				if keep.ID != c.keep || dup.ID == c.keep {
					t.Errorf("MergeKeeper(%d, %d) keeps %d, closes %d; want %d kept", order[0].ID, order[1].ID, keep.ID, dup.ID, c.keep)
				}
			}
		})
	}
}

// The lead not kept is lost as merged, which ends its SLA clock; a won
// or lost one stays as it is; a second merge changes nothing.
func TestMergeInto(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	policy := handoff.DefaultPolicy()
	for _, c := range []struct {
		stage   handoff.Stage
		want    handoff.Stage
		changed bool
	}{
		{handoff.StageSQL, handoff.StageLost, true},
		{handoff.StageClaimed, handoff.StageLost, true},
		{handoff.StageRecycled, handoff.StageLost, true},
		{handoff.StageWon, handoff.StageWon, false},
		{handoff.StageLost, handoff.StageLost, false},
	} {
		t.Run(string(c.stage), func(t *testing.T) {
			in, err := handoff.ParseLeadInput(map[string]any{"external_id": "x", "stage": string(c.stage), "reason": "no budget"}, t0)
			if err != nil {
				t.Fatal(err)
			}
			l := &handoff.Lead{ID: 7}
			if _, _, err := in.Apply(l, t0, handoff.ActorHubSpot, policy); err != nil {
				t.Fatal(err)
			}
			change := l.MergeInto(t0.Add(time.Hour), handoff.ActorHubSpot, policy)
			if l.Stage != c.want || (len(change.Events) > 0) != c.changed {
				t.Fatalf("stage %s, events %v; want %s, changed %v", l.Stage, change.Events, c.want, c.changed)
			}
			if !c.changed {
				return
			}
			if !l.MergedAway() || l.ContactDueAt != nil && l.ContactDueAt.After(t0) && l.ContactedAt == nil {
				t.Errorf("merged lead: reason %q, contact due %v; want merged, its deadline ahead released", l.Reason, l.ContactDueAt)
			}
			if again := l.MergeInto(t0.Add(2*time.Hour), handoff.ActorHubSpot, policy); len(again.Events) != 0 {
				t.Errorf("second merge: %v, want nothing", again.Events)
			}
		})
	}
}
