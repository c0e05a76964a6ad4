package handoff

import (
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
