package storage

import (
	"testing"
	"time"
)

func TestLastGroupWantAndGap(t *testing.T) {
	const gather, gatherMax = 100 * time.Microsecond, time.Millisecond
	for _, tc := range []struct {
		name     string
		last     lastGroup
		max      int
		wantSize int
		wantGap  time.Duration
	}{
		{"alone, cheap commit", lastGroup{size: 1, took: 50 * time.Microsecond}, 128, 1, gather},
		{"half of 8 queued while half committed", lastGroup{size: 4, waiting: 4, took: 1400 * time.Microsecond}, 128, 8, 700 * time.Microsecond},
		{"8 answered, none waiting", lastGroup{size: 8, took: 600 * time.Microsecond}, 128, 8, 300 * time.Microsecond},
		{"a slow commit waits at most gatherMax", lastGroup{size: 8, took: 5 * time.Millisecond}, 128, 8, gatherMax},
		{"never more than the group's bound", lastGroup{size: 100, waiting: 100, took: time.Millisecond}, 128, 128, 500 * time.Microsecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.last.want(tc.max); got != tc.wantSize {
				t.Errorf("want(%d) = %d, want %d", tc.max, got, tc.wantSize)
			}
			if got := tc.last.gap(gather, gatherMax); got != tc.wantGap {
				t.Errorf("gap = %v, want %v", got, tc.wantGap)
			}
		})
	}
}
