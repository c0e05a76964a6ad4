package storage_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/handoff/handoff"
)

// comeback is, now and then, a pair of inputs that recycles a lead and
// makes it an SQL again (some back-dated), so that the random histories
// hold leads coming back as SQLs after a settled cycle; nil otherwise.
func (h *rollupHistory) comeback() []handoff.LeadInput {
	if h.rng.IntN(3) != 0 {
		return nil
	}
	id := h.externalID()
	raw := []map[string]any{
		{"external_id": id, "stage": "recycled", "reason": "not ready"},
		{"external_id": id, "stage": "sql"},
	}
	l, err := h.s.LeadByExternalID(context.Background(), id)
	switch {
	case err == nil && l.SQLAt != nil && l.ContactDueAt != nil && l.ContactDueAt.After(*l.SQLAt) && h.rng.IntN(2) == 0:
		// Claimed (unless it is further on) and returned before its
		// deadline (in time unless contacted), so that a claimed cycle
		// ends without a promise the figures count.
		half := int64(l.ContactDueAt.Sub(*l.SQLAt)/2) + 1
		claimed := l.SQLAt.Add(time.Duration(h.rng.Int64N(half)))
		returned := claimed.Add(time.Duration(h.rng.Int64N(half)))
		claimed, returned = earlierTime(claimed, h.now), earlierTime(returned, h.now)
		raw = append([]map[string]any{{"external_id": id, "stage": "claimed", "occurred_at": claimed.Format(time.RFC3339Nano)}}, raw...)
		raw[1]["occurred_at"] = returned.Format(time.RFC3339Nano)
		raw[2]["occurred_at"] = h.now.Format(time.RFC3339Nano)
	case h.rng.IntN(2) == 0:
		at := h.at()
		raw[0]["occurred_at"] = at.Format(time.RFC3339Nano)
		again := at.Add(time.Duration(h.rng.Int64N(int64(10 * 24 * time.Hour))))
		if again.After(h.now) {
			again = h.now
		}
		raw[1]["occurred_at"] = again.Format(time.RFC3339Nano)
	}
	ins := make([]handoff.LeadInput, len(raw))
	for i, r := range raw {
		in, err := handoff.ParseLeadInput(r, h.now)
		if err != nil {
			h.t.Fatalf("ParseLeadInput(%v): %v", r, err)
		}
		ins[i] = in
	}
	return ins
}

// compareSLA compares the funnel's SLA figures for random periods with
// handoff.CountSLA over every lead and CountCycle over their finished
// cycles, and its medians of the waits and speed to lead with those of
// every cycle (waitFigures); it returns how many finished cycles there are
// and how many of them hold no promise the figures count (returned before
// contact and in time, kept for their claim).
func (h *rollupHistory) compareSLA(step string, locs []*time.Location) (n, unsettled int) {
	h.t.Helper()
	ctx := context.Background()
	ids, err := h.s.LeadIDs(ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	var leads []*handoff.Lead
	cycles := map[int64][]handoff.SLACycle{}
	for _, id := range ids {
		l, err := h.s.Lead(ctx, id)
		if err != nil {
			h.t.Fatal(err)
		}
		leads = append(leads, l)
		if cycles[id], err = h.s.SLACycles(ctx, id); err != nil {
			h.t.Fatal(err)
		}
		n += len(cycles[id])
		for _, c := range cycles[id] {
			if c.ContactDueAt == nil {
				unsettled++
			}
		}
	}
	owned := func(o handoff.Owner, owner string) bool {
		return owner == "" || o.UserID == owner || strings.EqualFold(o.Email, owner)
	}
	for range 8 {
		f := h.period(locs[h.rng.IntN(len(locs))])
		var want handoff.SLAStats
		var fromSource []*handoff.Lead
		for _, l := range leads {
			if f.Source != "" && l.Source != f.Source {
				continue
			}
			fromSource = append(fromSource, l)
			if owned(l.SLAOwner(), f.Owner) {
				want.CountSLA(f.Period, l.SQLAt, l.ContactDueAt, l.ContactedAt, f.Now)
			}
			for _, c := range cycles[l.ID] {
				if owned(c.SLAOwner(), f.Owner) {
					want.CountCycle(f.Period, c, f.Now)
				}
			}
		}
		c, err := h.s.FunnelCounts(ctx, f)
		if err != nil {
			h.t.Fatal(err)
		}
		show := func(met, breached, pending int64) string {
			return fmt.Sprintf("met %d, breached %d, pending %d", met, breached, pending)
		}
		if got, w := show(c.SLAMet, c.SLABreached, c.SLAPending), show(want.Met, want.Breached, want.Pending); got != w {
			h.t.Errorf("%s, %s to %s (source %q, owner %q): SLA %s, want %s (CountSLA and CountCycle)", step, f.Period.Start, f.Period.End, f.Source, f.Owner, got, w)
		}
		keep := func(c cycleWait) bool { return owned(c.owner, f.Owner) }
		if got, w := showWaits(c.MedianClaimMs, c.MedianContactMs, c.SpeedToLead), waitFigures(cycleWaitsOf(fromSource, cycles), f.Period, keep); got != w {
			h.t.Errorf("%s, %s to %s (source %q, owner %q): %s, want %s (every cycle)", step, f.Period.Start, f.Period.End, f.Source, f.Owner, got, w)
		}
		if got, w := showDelays(c.MedianSystemDelayMs, c.MedianRepDelayMs), delayFigures(cycleWaitsOf(fromSource, cycles), f.Period, keep); got != w {
			h.t.Errorf("%s, %s to %s (source %q, owner %q): %s, want %s (every cycle)", step, f.Period.Start, f.Period.End, f.Source, f.Owner, got, w)
		}
	}
	return n, unsettled
}

// earlierTime is the earlier of a and b.
func earlierTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
