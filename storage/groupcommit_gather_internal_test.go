package storage

import (
	"testing"
	"time"
)

// The writer waits for more saves about as long as its commits take: half
// a commit between two saves and one commit in all, never less than the
// least it is given and never more than the caps.
func TestGatherWindow(t *testing.T) {
	const us, ms = time.Microsecond, time.Millisecond
	for _, tc := range []struct {
		name                 string
		commit               time.Duration
		leastGap, leastTotal time.Duration
		wantGap, wantTotal   time.Duration
	}{
		{"no commit yet", 0, saveGather, saveGatherMax, saveGather, saveGatherMax},
		{"fast disk: the least", 300 * us, saveGather, saveGatherMax, 150 * us, saveGatherMax},
		{"slow commits lengthen both", 1500 * us, saveGather, saveGatherMax, 750 * us, 1500 * us},
		{"capped", 30 * ms, saveGather, saveGatherMax, gatherGapCap, gatherCap},
		{"a test's hour-long least wins", 30 * ms, time.Hour, time.Hour, time.Hour, time.Hour},
		{"the total is never under the gap", 10 * ms, 3 * ms, 0, 3 * ms, gatherCap},
		{"a least gap over the cap", 10 * ms, 5 * ms, 0, 5 * ms, 5 * ms},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gap, total := gatherWindow(tc.commit, tc.leastGap, tc.leastTotal)
			if gap != tc.wantGap || total != tc.wantTotal {
				t.Errorf("gatherWindow(%v, %v, %v) = %v, %v; want %v, %v", tc.commit, tc.leastGap, tc.leastTotal, gap, total, tc.wantGap, tc.wantTotal)
			}
		})
	}
}

// The commit time follows the writer's commits: the first sets it, each
// next one moves it an eighth of the way.
func TestCommitTimeAverage(t *testing.T) {
	var c commitTime
	c.add(8 * time.Millisecond)
	if c.avg != 8*time.Millisecond {
		t.Fatalf("after one commit of 8ms: %v", c.avg)
	}
	c.add(0)
	if c.avg != 7*time.Millisecond {
		t.Fatalf("after a commit of 0 more: %v, want 7ms", c.avg)
	}
	for range 100 {
		c.add(time.Millisecond)
	}
	if d := c.avg - time.Millisecond; d < 0 || d > time.Microsecond {
		t.Fatalf("after 100 commits of 1ms: %v", c.avg)
	}
}
