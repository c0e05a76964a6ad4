package report

import (
	"reflect"
	"testing"

	"github.com/handoff/handoff"
)

// The speed-to-lead sentence names the ends of the speed buckets that have
// contacted leads, and is left out when neither has any.
func TestSpeedSentence(t *testing.T) {
	row := func(bucket string, contacted, won int64) handoff.SpeedToLead {
		return handoff.SpeedToLead{Bucket: bucket, Contacted: contacted, Won: won}
	}
	cases := []struct {
		name string
		rows []handoff.SpeedToLead
		want string
	}{
		{"both ends", []handoff.SpeedToLead{row("<5m", 3, 1), row("5m-1h", 10, 3), row("1h-4h", 5, 5), row(">24h", 11, 1)},
			"Leads contacted within an hour won 31% (of 13), after a day 9% (of 11)."},
		{"fast only", []handoff.SpeedToLead{row("5m-1h", 4, 1), row(">24h", 0, 0)}, "Leads contacted within an hour won 25% (of 4)."},
		{"slow only", []handoff.SpeedToLead{row("<5m", 0, 0), row(">24h", 2, 0)}, "Leads contacted after a day won 0% (of 2)."},
		{"neither end", []handoff.SpeedToLead{row("1h-4h", 9, 2), row("4h-24h", 5, 1)}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := speedSentence(tc.rows); got != tc.want {
				t.Errorf("speedSentence = %q, want %q", got, tc.want)
			}
		})
	}
}

// The speed-to-lead chart draws only the buckets that have contacted leads,
// each labelled with how many, and is left out when none has any.
func TestSpeedChart(t *testing.T) {
	rows := func(contacted, won [5]int64) []handoff.SpeedToLead {
		counts := map[string]handoff.SpeedToLead{}
		for i, b := range handoff.SpeedBuckets {
			counts[b] = handoff.SpeedToLead{Contacted: contacted[i], Won: won[i]}
		}
		return handoff.NewSpeedToLead(counts)
	}
	cases := []struct {
		name       string
		rows       []handoff.SpeedToLead
		categories []string
		values     []float64
	}{
		{"every bucket", rows([5]int64{3, 10, 5, 4, 11}, [5]int64{1, 3, 5, 0, 1}),
			[]string{"<5m (3)", "5m-1h (10)", "1h-4h (5)", "4h-24h (4)", ">24h (11)"}, []float64{33, 30, 100, 0, 9}},
		{"middle only", rows([5]int64{0, 0, 18, 5, 0}, [5]int64{0, 0, 4, 1, 0}),
			[]string{"1h-4h (18)", "4h-24h (5)"}, []float64{22, 20}},
		{"one lead, not won", rows([5]int64{0, 0, 0, 0, 1}, [5]int64{}), []string{">24h (1)"}, []float64{0}},
		{"none contacted", rows([5]int64{}, [5]int64{}), nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			chart, ok := speedChart(tc.rows)
			if ok != (tc.categories != nil) {
				t.Fatalf("speedChart ok = %v, want %v", ok, tc.categories != nil)
			}
			if !ok {
				return
			}
			if !reflect.DeepEqual(chart.Categories, tc.categories) || !reflect.DeepEqual(chart.Series[0].Values, tc.values) {
				t.Errorf("speedChart = %q %v, want %q %v", chart.Categories, chart.Series[0].Values, tc.categories, tc.values)
			}
		})
	}
}
