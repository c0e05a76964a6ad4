package report

import (
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
