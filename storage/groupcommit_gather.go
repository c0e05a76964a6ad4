package storage

import (
	"slices"
	"time"
)

// saveGather and saveGatherMax are how long SQLite's writer lets a group
// of saves wait for the next save and in all (gatherSaves): a commit's
// fixed cost is a few hundred microseconds of the writer's time (WAL
// frames and fsync), a client's turn from one answer to its next request
// a few tens of microseconds.
const (
	saveGather    = 100 * time.Microsecond
	saveGatherMax = time.Millisecond
)

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
// groups, groupSizes), as long as each arrives within g.gather of the one before and
// for at most g.gatherMax in all; a write of another kind (a click's
// claim, say) ends the wait. loop gathers only after a group of more than
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
	deadline := time.Now().Add(g.gatherMax)
	timer.Reset(g.gather)
	defer timer.Stop()
	for len(group) < min(want, g.max) {
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
			wait := min(g.gather, time.Until(deadline))
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
