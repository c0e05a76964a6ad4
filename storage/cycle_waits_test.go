package storage_test

import (
	"fmt"
	"slices"
	"time"

	"github.com/handoff/handoff"
)

// cycleWait is one SQL cycle's claim and first contact as the medians and
// speed to lead measure them: a lead's current cycle or a finished one.
type cycleWait struct {
	owner              handoff.Owner
	sql                time.Time
	claimed, contacted *time.Time
	shown              *time.Time // the lead's card first shown (before sql: in an earlier cycle)
	reached            int
}

// cycleWaitsOf are the current cycles of leads and their finished cycles,
// those of a lead without an SQL left out.
func cycleWaitsOf(leads []*handoff.Lead, cycles map[int64][]handoff.SLACycle) []cycleWait {
	var out []cycleWait
	for _, l := range leads {
		if l.SQLAt != nil {
			out = append(out, cycleWait{owner: l.Owner, sql: *l.SQLAt, claimed: l.ClaimedAt, contacted: l.ContactedAt, shown: l.ShownAt, reached: l.Reached})
		}
		for _, c := range cycles[l.ID] {
			out = append(out, cycleWait{owner: c.Owner, sql: c.SQLAt, claimed: c.ClaimedAt, contacted: c.ContactedAt, shown: c.ShownAt, reached: c.Reached})
		}
	}
	return out
}

// waitFigures shows the medians of the time to claim and to contact and
// speed to lead of period p over the cycles (only those keep keeps), by
// their definitions: every cycle claimed (contacted) in p, later than its
// SQL, counts once.
func waitFigures(cycles []cycleWait, p handoff.Period, keep func(cycleWait) bool) string {
	in := func(t *time.Time) bool { return t != nil && !t.Before(p.Start) && t.Before(p.End) }
	var claims, contacts []int64
	speed := map[string]handoff.SpeedToLead{}
	for _, c := range cycles {
		if !keep(c) {
			continue
		}
		if in(c.claimed) && c.claimed.After(c.sql) {
			claims = append(claims, c.claimed.Sub(c.sql).Milliseconds())
		}
		if in(c.contacted) && c.contacted.After(c.sql) {
			contacts = append(contacts, c.contacted.Sub(c.sql).Milliseconds())
			b := handoff.SpeedBucket(c.contacted.Sub(c.sql))
			v := speed[b]
			v.Contacted++
			if c.reached >= handoff.StageOpportunity.Rank() {
				v.Opportunities++
			}
			if c.reached >= handoff.StageWon.Rank() {
				v.Won++
			}
			speed[b] = v
		}
	}
	return showWaits(medianOf(claims), medianOf(contacts), speed)
}

// showWaits shows the medians and speed to lead as waitFigures does.
func showWaits(claim, contact *float64, speed map[string]handoff.SpeedToLead) string {
	var buckets string
	for _, b := range handoff.SpeedBuckets {
		if v := speed[b]; v.Contacted != 0 {
			buckets += fmt.Sprintf(" %s:%d/%d/%d", b, v.Contacted, v.Opportunities, v.Won)
		}
	}
	return fmt.Sprintf("claim %s, contact %s, speed%s", fmtFloat(claim), fmtFloat(contact), buckets)
}

// medianOf is the median of ds (the mean of the middle two for an even
// count), nil for none.
func medianOf(ds []int64) *float64 {
	if len(ds) == 0 {
		return nil
	}
	ds = slices.Clone(ds)
	slices.Sort(ds)
	m := float64(ds[(len(ds)-1)/2]+ds[len(ds)/2]) / 2
	return &m
}

// delayFigures shows the medians of the system's and the rep's part of
// the wait for a claim (handoff.SplitClaimDelay) of period p over the
// cycles keep keeps, by their definition: every cycle claimed in p, later
// than its SQL, whose card was shown, counts once, as it does in the
// median time to claim.
func delayFigures(cycles []cycleWait, p handoff.Period, keep func(cycleWait) bool) string {
	var system, rep []int64
	for _, c := range cycles {
		if keep(c) && c.claimed != nil && c.shown != nil && !c.claimed.Before(p.Start) && c.claimed.Before(p.End) && c.claimed.After(c.sql) {
			s, r := handoff.SplitClaimDelay(c.sql, *c.shown, *c.claimed)
			system, rep = append(system, s.Milliseconds()), append(rep, r.Milliseconds())
		}
	}
	return showDelays(medianOf(system), medianOf(rep))
}

// showDelays shows the claim's delays as delayFigures does.
func showDelays(system, rep *float64) string {
	return fmt.Sprintf("system delay %s, rep delay %s", fmtFloat(system), fmtFloat(rep))
}

// contactMedianOf is the median time to contact of period p over the
// cycles keep keeps, as the digest's per-rep table shows it.
func contactMedianOf(cycles []cycleWait, p handoff.Period, keep func(cycleWait) bool) *float64 {
	var ds []int64
	for _, c := range cycles {
		if keep(c) && c.contacted != nil && !c.contacted.Before(p.Start) && c.contacted.Before(p.End) && c.contacted.After(c.sql) {
			ds = append(ds, c.contacted.Sub(c.sql).Milliseconds())
		}
	}
	return medianOf(ds)
}
