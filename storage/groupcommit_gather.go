package storage

import "time"

// saveGather and saveGatherMax bound how long SQLite's writer lets a group
// of saves wait for the next save (gatherSaves): at least saveGather for
// each, however cheap the last commit, and saveGatherMax in all. A client's
// turn from one answer to its next request takes a few hundred
// microseconds; a commit's fixed cost (WAL frames and fsync) from a few
// hundred microseconds to over a millisecond, as the disk goes.
const (
	saveGather    = 100 * time.Microsecond
	saveGatherMax = time.Millisecond
)

// lastGroup is what the writer knows of its previous group when it takes
// the next one: enough to guess how many clients are writing.
type lastGroup struct {
	size    int           // writes in it
	waiting int           // writes queued when its commit ended
	took    time.Duration // its commit, statements and COMMIT
}

// want is how many saves the next group waits for: the previous group's
// writers, who were answered by its commit and are likely to write again,
// and those who queued while it committed. With 8 clients and a commit
// longer than a client's turn, groups would otherwise settle at 4 and 4:
// each half's clients queue while the other half commits, and every lead
// shares its fsync with three others instead of seven.
func (l lastGroup) want(max int) int { return min(max, l.size+l.waiting) }

// gap is how long the next group waits for each further save: half the
// previous commit, within [gather, gatherMax]. A save that arrives within
// it shares this commit instead of paying most of one of its own, so the
// dearer the commit (a slow disk's fsync), the longer the wait worth it.
func (l lastGroup) gap(gather, gatherMax time.Duration) time.Duration {
	return min(max(gather, l.took/2), gatherMax)
}

// gatherSaves lets a group of intake saves wait for more saves before it
// commits, until it holds want writes, as long as each arrives within gap
// of the one before and for at most g.gatherMax in all; a write of another
// kind (a click's claim, say) ends the wait. loop gathers only after a
// group of more than one write (lastGroup): a lone writer's previous group
// was of one, so it does not wait, and fewer clients than before end a
// wait by its gap.
func (g *groupCommitter) gatherSaves(group []writeJob, want int, gap time.Duration, timer *time.Timer) []writeJob {
	for _, job := range group {
		if job.save == nil {
			return group
		}
	}
	deadline := time.Now().Add(g.gatherMax)
	timer.Reset(gap)
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
