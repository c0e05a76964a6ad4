package handoff

import (
	"reflect"
	"sort"
	"testing"
	"time"
)

func TestMeasureRouting(t *testing.T) {
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	ann, bo := RepRef{Platform: "slack", ID: "A"}, RepRef{Platform: "teams", ID: "b@x"}
	offer := func(lead int64, m time.Duration, to RepRef) RoutedStep {
		return RoutedStep{LeadID: lead, At: at.Add(m), Offered: to}
	}
	claim := func(lead int64, m time.Duration, by RepRef) RoutedClaim {
		return RoutedClaim{LeadID: lead, At: at.Add(m), Actor: by.Key()}
	}
	tests := []struct {
		name   string
		steps  []RoutedStep
		claims []RoutedClaim
		want   RoutingStats
	}{
		{"nothing", nil, nil, RoutingStats{}},
		{"accepts: median of an even count is the mean of the middle two",
			[]RoutedStep{offer(1, 0, ann), offer(2, 0, ann), offer(3, 0, bo)},
			[]RoutedClaim{claim(1, time.Minute, ann), claim(2, 3*time.Minute, ann), claim(3, 5*time.Minute, bo)},
			RoutingStats{PerRep: []RoutingRepStats{
				{Rep: ann, Offered: 2, Accepted: 2, MedianOfferToAccept: 2 * time.Minute},
				{Rep: bo, Offered: 1, Accepted: 1, MedianOfferToAccept: 5 * time.Minute}}}},
		{"pass, timeout, open; a claim by someone else is no accept",
			[]RoutedStep{offer(1, 0, ann),
				{LeadID: 1, At: at.Add(time.Minute), Offered: bo, Ended: ann, Ending: SkipPassed},
				{LeadID: 1, At: at.Add(20 * time.Minute), Ended: bo, Ending: SkipTimedOut, Opened: true}},
			[]RoutedClaim{claim(1, 30*time.Minute, bo)},
			RoutingStats{OpenedToChannel: 1, PerRep: []RoutingRepStats{
				{Rep: ann, Offered: 1, Passed: 1}, {Rep: bo, Offered: 1, TimedOut: 1}}}},
		{"a claim before the offer does not accept it",
			[]RoutedStep{offer(1, 10*time.Minute, ann)},
			[]RoutedClaim{claim(1, 0, ann)},
			RoutingStats{PerRep: []RoutingRepStats{{Rep: ann, Offered: 1}}}},
		{"a lead that waits twice is one waited lead; a waiting step accepts nothing",
			[]RoutedStep{{LeadID: 1, At: at, Waiting: true}, {LeadID: 1, At: at.Add(5 * time.Minute), Waiting: true},
				offer(1, 10*time.Minute, ann), {LeadID: 2, At: at, Waiting: true}},
			[]RoutedClaim{claim(1, 12*time.Minute, ann), claim(2, time.Minute, bo)},
			RoutingStats{Waited: 2, PerRep: []RoutingRepStats{{Rep: ann, Offered: 1, Accepted: 1, MedianOfferToAccept: 2 * time.Minute}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := MeasureRouting(tt.steps, tt.claims)
			if got.OpenedToChannel != tt.want.OpenedToChannel || got.Waited != tt.want.Waited || len(got.PerRep) != len(tt.want.PerRep) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
			for i := range got.PerRep {
				if got.PerRep[i] != tt.want.PerRep[i] {
					t.Errorf("rep %d = %+v, want %+v", i, got.PerRep[i], tt.want.PerRep[i])
				}
			}
		})
	}
}

func TestMeasureRoutingPools(t *testing.T) {
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	ann, bo := RepRef{Platform: "slack", ID: "A"}, RepRef{Platform: "slack", ID: "B"}
	steps := []RoutedStep{
		{LeadID: 1, At: at, Offered: ann, Available: []RepRef{ann, bo}},
		// the next offer of lead 1 (after a pass) is not its first
		{LeadID: 1, At: at.Add(time.Minute), Offered: bo, Ended: ann, Ending: SkipPassed, Available: []RepRef{bo}},
		// lead 2 waited, then was first offered when only Bo was available
		{LeadID: 2, At: at, Waiting: true},
		{LeadID: 2, At: at.Add(time.Hour), Offered: bo, Available: []RepRef{bo}},
		// lead 3's first offer was before the period: its pass is no pool
		{LeadID: 3, At: at, Offered: ann, Ended: bo, Ending: SkipTimedOut, Available: []RepRef{ann}},
	}
	got := MeasureRouting(steps, nil).Pools
	sort.Slice(got, func(i, j int) bool { return len(got[i]) > len(got[j]) }) // in no defined order
	want := [][]RepRef{{ann, bo}, {bo}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("pools = %v, want %v", got, want)
	}
}

func TestFairShares(t *testing.T) {
	ann, bo, cy := RepRef{Platform: "slack", ID: "A"}, RepRef{Platform: "slack", ID: "B"}, RepRef{Platform: "slack", ID: "C"}
	r := Routing{Mode: RouteRoundRobin, Reps: []Rep{{Ref: ann, Weight: 2}, {Ref: bo, Weight: 1}, {Ref: cy}}}
	gone := RepRef{Platform: "slack", ID: "GONE"}
	tests := []struct {
		name  string
		pools [][]RepRef
		want  map[string]float64
	}{
		{"no lead offered: none (the weight share stands)", nil, nil},
		{"everyone available: the weight shares", [][]RepRef{{ann, bo, cy}},
			map[string]float64{ann.Key(): 0.5, bo.Key(): 0.25, cy.Key(): 0.25}},
		{"Ann away for half the leads: her share of the other half only",
			[][]RepRef{{ann, bo}, {ann, bo}, {bo}, {bo}},
			map[string]float64{ann.Key(): (2.0 / 3 * 2) / 4, bo.Key(): (1.0/3*2 + 2) / 4}},
		{"Cy away all week: 0 (absent)", [][]RepRef{{ann, bo}},
			map[string]float64{ann.Key(): 2.0 / 3, bo.Key(): 1.0 / 3}},
		{"a rep no longer in the rotation neither counts nor dilutes", [][]RepRef{{gone}, {bo, gone}},
			map[string]float64{bo.Key(): 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := r.FairShares(tt.pools)
			if (got == nil) != (tt.want == nil) || len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for k, w := range tt.want {
				if d := got[k] - w; d > 1e-9 || d < -1e-9 {
					t.Errorf("%s: got %.4f, want %.4f", k, got[k], w)
				}
			}
		})
	}
}

func TestWithFairShares(t *testing.T) {
	ann, bo := RepRef{Platform: "slack", ID: "A"}, RepRef{Platform: "slack", ID: "B"}
	r := Routing{Mode: RouteRoundRobin, Reps: []Rep{{Ref: ann}, {Ref: bo}}}
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	o := r.Overview(nil, nil, Period{}, now, time.UTC)
	if o.Reps[0].FairShare != 0.5 || o.WithFairShares(nil).Reps[0].FairShare != 0.5 {
		t.Fatalf("without shares the fair share is the weight share: %+v", o.Reps)
	}
	got := o.WithFairShares(map[string]float64{bo.Key(): 1})
	if got.Reps[0].FairShare != 0 || got.Reps[1].FairShare != 1 || o.Reps[1].FairShare != 0.5 {
		t.Fatalf("with shares: %+v (the original must not change: %+v)", got.Reps, o.Reps)
	}
}
