package storage

import (
	"slices"
	"time"
)

// saveGather and saveGatherMax are the least SQLite's writer lets a group
// of saves wait for the next save and in all (gatherSaves); gatherWindow
// lengthens both to what the writer's commits take, up to gatherGapCap
// and gatherCap. A commit's fixed cost (WAL frames and an fsync) is from a
// few hundred microseconds on a fast disk to a few milliseconds on a busy
// one, and a client's turn from one answer to its next request from tens
// to hundreds of microseconds: while waiting for a save costs less than
// the commit it would otherwise start, waiting is the cheaper of the two.
const (
	saveGather    = 100 * time.Microsecond
	saveGatherMax = time.Millisecond
	gatherGapCap  = 2 * time.Millisecond
	gatherCap     = 4 * time.Millisecond
)

// gatherWindow returns how long a group of saves waits for the next save
// (gap) and in all (total), given the writer's recent commit time (an
// average, commitTook) and the least gap and total: half a commit between
// two saves and one commit in all, within the caps, and never under the
// least (tests set the least to hours to hold a group open).
func gatherWindow(commitTook, leastGap, leastTotal time.Duration) (gap, total time.Duration) {
	gap = max(leastGap, min(commitTook/2, gatherGapCap))
	total = max(leastTotal, min(commitTook, gatherCap))
	return gap, max(gap, total)
}

// commitTime is an average of the writer's recent commit times, each
// counting for an eighth: it follows a disk that slows under load within
// some ten commits, and one slow commit moves it by an eighth.
type commitTime struct{ avg time.Duration }

func (c *commitTime) add(took time.Duration) {
	if c.avg == 0 {
		c.avg = took
		return
	}
	c.avg += (took - c.avg) / 8
}

// groupSizes are the sizes of a committer's last eight groups.
type groupSizes struct {
	last [8]int
	n    int // groups added
}

func (s *groupSizes) add(size int) {
	s.last[s.n%len(s.last)] = size
	s.n++
}

// previous is the last group's size, 0 before the first.
func (s *groupSizes) previous() int {
	if s.n == 0 {
		return 0
	}
	return s.last[(s.n-1)%len(s.last)]
}

func (s *groupSizes) largest() int { return slices.Max(s.last[:]) }

// gatherSaves lets a group of intake saves wait for more saves before it
// commits, until it holds want writes (loop: the largest of the last eight
// groups, groupSizes), as long as each arrives within a gap of the one
// before and for at most a total wait (gatherWindow: at least g.gather and
// g.gatherMax, longer when the writer's commits take longer); a write of
// another kind (a click's claim, say) ends the wait. loop gathers only after a group of more than
// one write: concurrent clients answered by one commit come back within a
// few hundred microseconds of each other, and without the wait the first
// of them was committed alone (groups of 1 and 7 alternated with 8
// clients), paying a commit's fixed cost (the WAL frames of some twenty
// B-trees and an fsync) for one lead. A lone writer's previous group was
// of one, so it does not wait; fewer clients than before end a wait by
// its gap.
func (g *groupCommitter) gatherSaves(group []writeJob, want int, timer *time.Timer) []writeJob {
	for _, job := range group {
		if job.save == nil {
			return group
		}
	}
	gap, total := gatherWindow(g.commitTook.avg, g.gather, g.gatherMax)
	deadline := time.Now().Add(total)
	timer.Reset(gap)
	defer timer.Stop()
	for len(group) < min(want, maxGroup) {
		select {
		case job, ok := <-g.queue:
			if !ok {
				return group
			}
			group = append(group, job)
			if g.took != nil {
				g.took(len(group))
			}
			if job.save == nil {
				return group
			}
			wait := min(gap, time.Until(deadline))
			if wait <= 0 {
				return group
			}
			timer.Reset(wait)
		case <-timer.C:
			return group
		}
	}
	return group
}
