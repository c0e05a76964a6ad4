package storage_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// The funnel's daily rollup must give exactly the numbers the event log
// gives. Random histories go through every write path (batched intake with
// back-dated and rejected inputs, leads recycled and SQLs again, claims, updates that move a lead to
// another source, campaign or deal value or other times of claim and
// contact, back-dated stage events, erasure);
// after each step the funnel of random periods (whole local days in several
// time zones, odd bounds, with and without filters) is compared with the
// funnel recomputed from the events, after each history the SLA figures
// with handoff.CountSLA and CountCycle over the leads and their finished
// cycles, and at the end the rollup kept by the writes is compared row by
// row with one rebuilt from the events.

var (
	rollupSources   = []string{"", "paid", "organic", "event"}
	rollupCampaigns = []string{"", "spring", "fall"}
	rollupStages    = []string{"", "lead", "mql", "sql", "contacted", "opportunity", "won", "lost", "recycled"}
)

func TestRollupEqualsEventLog(t *testing.T) {
	seeds := 6
	if testing.Short() {
		seeds = 2
	}
	zones := []string{"UTC", "Europe/Copenhagen", "Asia/Kolkata", "America/St_Johns"}
	locs := make([]*time.Location, len(zones))
	for i, z := range zones {
		loc, err := time.LoadLocation(z)
		if err != nil {
			t.Fatal(err)
		}
		locs[i] = loc
	}
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		cycles, unsettled := 0, 0
		for seed := range seeds {
			h := &rollupHistory{t: t, s: s, rng: rand.New(rand.NewPCG(uint64(seed), 16)),
				now: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), prefix: fmt.Sprintf("s%d-", seed)}
			for step := range 25 {
				h.step()
				for range 4 {
					h.compare(fmt.Sprintf("seed %d step %d", seed, step), h.period(locs[h.rng.IntN(len(locs))]))
				}
			}
			cycles, unsettled = h.compareSLA(fmt.Sprintf("seed %d", seed), locs)
		}
		if cycles == 0 {
			t.Error("no lead came back as an SQL after a settled cycle")
		}
		if unsettled == 0 {
			t.Error("no lead came back as an SQL after a cycle claimed and returned in time (its claim kept without a deadline)")
		}
		checkRebuild(t, s)
	})
}

// checkRebuild compares the rollup kept by the writes row by row with one
// rebuilt from the events (as the migration fills it).
func checkRebuild(t *testing.T, s *storage.Store) {
	t.Helper()
	ctx := context.Background()
	kept, err := s.RollupRows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RebuildRollup(ctx); err != nil {
		t.Fatal(err)
	}
	rebuilt, err := s.RollupRows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(kept) == 0 || !slices.Equal(kept, rebuilt) {
		t.Errorf("rollup kept by the writes (%d rows) differs from the one rebuilt from the events (%d rows):\nkept    %q\nrebuilt %q",
			len(kept), len(rebuilt), kept, rebuilt)
	}
}

// rollupHistory writes one random history through the store.
type rollupHistory struct {
	t      *testing.T
	s      *storage.Store
	rng    *rand.Rand
	now    time.Time
	prefix string
}

// at is a random time in the 40 days before now: at a random millisecond,
// or on the half hour, so that ties and times on a period's bounds occur.
func (h *rollupHistory) at() time.Time {
	t := h.now.Add(-time.Duration(h.rng.Int64N(int64(40 * 24 * time.Hour))))
	if h.rng.IntN(2) == 0 {
		return t.Truncate(30 * time.Minute)
	}
	return t.Truncate(time.Millisecond)
}

func (h *rollupHistory) pick(xs []string) string { return xs[h.rng.IntN(len(xs))] }

func (h *rollupHistory) externalID() string { return fmt.Sprintf("%sL%d", h.prefix, h.rng.IntN(15)) }

func (h *rollupHistory) step() {
	h.t.Helper()
	ctx := context.Background()
	h.now = h.now.Add(time.Duration(h.rng.Int64N(int64(20 * time.Hour))))
	policy := handoff.DefaultPolicy()
	switch op := h.rng.IntN(13); {
	case op >= 10: // routing steps, some back-dated, some claims by the rep offered
		lead, err := h.s.LeadByExternalID(ctx, h.externalID())
		if err != nil {
			return
		}
		_, err = h.s.UpdateLead(ctx, lead.ID, h.now, func(l *handoff.Lead) (handoff.LeadChange, error) {
			var change handoff.LeadChange
			for range 1 + h.rng.IntN(3) {
				change.Events = append(change.Events, h.routingEvent())
			}
			return change, nil
		})
		if err != nil {
			h.t.Fatal(err)
		}
	case op < 5: // a batch of intake, some inputs back-dated, some rejected
		var ins []handoff.LeadInput
		for range 1 + h.rng.IntN(6) {
			raw := map[string]any{"external_id": h.externalID(), "source": h.pick(rollupSources), "campaign": h.pick(rollupCampaigns)}
			if st := h.pick(rollupStages); st != "" {
				raw["stage"] = st
				if st == "recycled" || st == "lost" {
					raw["reason"] = h.pick([]string{"no budget", "not ready"})
				}
			}
			if h.rng.IntN(2) == 0 {
				raw["occurred_at"] = h.at().Format(time.RFC3339Nano)
			}
			if h.rng.IntN(3) == 0 {
				raw["amount"] = float64(h.rng.IntN(1000))
			}
			in, err := handoff.ParseLeadInput(raw, h.now)
			if err != nil {
				h.t.Fatalf("ParseLeadInput(%v): %v", raw, err)
			}
			ins = append(ins, in)
		}
		ins = append(ins, h.comeback()...)
		if _, _, err := h.s.SaveLeads(ctx, ins, policy, h.now, handoff.ActorAPI); err != nil {
			h.t.Fatal(err)
		}
	case op < 7: // a claim
		lead, err := h.s.LeadByExternalID(ctx, h.externalID())
		if err != nil {
			return
		}
		owner := handoff.Owner{Platform: "slack", UserID: h.pick([]string{"U1", "U2"})}
		if h.rng.IntN(4) == 0 { // a Teams rep, offered by email (routing counts the claim as theirs)
			owner = handoff.Owner{Platform: "teams", UserID: "29:ann", Email: "ann@example.com"}
		}
		if _, _, err := h.s.ClaimLead(ctx, lead.ID, owner, h.now, handoff.Policy{}, owner.Platform+":"+owner.UserID); err != nil {
			h.t.Fatal(err)
		}
	case op < 9: // an update: other keys and times, and maybe a back-dated stage event
		lead, err := h.s.LeadByExternalID(ctx, h.externalID())
		if err != nil {
			return
		}
		_, err = h.s.UpdateLead(ctx, lead.ID, h.now, func(l *handoff.Lead) (handoff.LeadChange, error) {
			l.Source, l.Campaign = h.pick(rollupSources), h.pick(rollupCampaigns)
			l.AmountMinor = int64(h.rng.IntN(100_000))
			// Other times of claim and contact, for the medians' waits.
			if h.rng.IntN(3) == 0 {
				at := h.at()
				l.ClaimedAt = &at
			}
			if h.rng.IntN(2) == 0 {
				at := h.at()
				l.ContactedAt = &at
			}
			// A time its card was shown, for the claim's delays.
			if h.rng.IntN(3) == 0 {
				at := h.at()
				l.ShownAt = &at
			}
			var change handoff.LeadChange
			// It changes hands now and then (the per-rep SLA follows
			// who held it when its promise was settled).
			switch h.rng.IntN(4) {
			case 0:
				change.Events = append(change.Events, l.Release(h.now, "slack:U1", nil)...)
			case 1:
				if l.Stage.Open() && l.Stage != handoff.StageSQL {
					l.Reassign(handoff.Owner{Platform: "slack", UserID: h.pick([]string{"U1", "U2"})}, h.now)
				}
			}
			if h.rng.IntN(2) == 0 {
				st := handoff.AllStages[h.rng.IntN(len(handoff.AllStages))]
				if h.rng.IntN(2) == 0 { // the stages of the time to first order
					st = []handoff.Stage{handoff.StageLead, handoff.StageWon}[h.rng.IntN(2)]
				}
				change.Events = append(change.Events, handoff.Event{Kind: handoff.EventStage, Stage: st, At: h.at(), Actor: h.pick(rollupActors)})
			}
			return change, nil
		})
		if err != nil {
			h.t.Fatal(err)
		}
	default: // an erasure
		if err := h.s.ForgetLead(ctx, h.externalID(), handoff.DefaultPolicy(), h.now); err != nil && handoff.ErrorCode(err) != handoff.ENOTFOUND {
			h.t.Fatal(err)
		}
	}
}

// rollupReps are the reps of the random routing; rollupActors the actors
// of the random stage events (a claim by a rep accepts the rep's offer).
var (
	rollupReps   = []handoff.RepRef{{Platform: "slack", ID: "U1"}, {Platform: "slack", ID: "U2"}, {Platform: "teams", ID: "ann@example.com"}}
	rollupActors = []string{"test", "slack:U1", "slack:U2"}
)

// routingEvent is a random routing step of an SQL, now or back-dated: an
// offer with the reps available (some ending the offer before it), a lead
// opened to the channel or waiting, and sometimes a claim, mostly by a rep.
func (h *rollupHistory) routingEvent() handoff.Event {
	at := h.now
	if h.rng.IntN(3) == 0 {
		at = h.at()
	}
	if h.rng.IntN(4) == 0 {
		return handoff.Event{Kind: handoff.EventStage, Stage: handoff.StageClaimed, At: at, Actor: h.pick(rollupActors)}
	}
	rep := func() handoff.RepRef { return rollupReps[h.rng.IntN(len(rollupReps))] }
	d := handoff.RouteDecision{At: at}
	details := map[string]string{}
	switch h.rng.IntN(4) {
	case 0:
		details["state"] = string(handoff.OfferOpen)
		d.OpenToChannel = true
	case 1:
		details["state"] = string(handoff.OfferWaiting)
	default:
		d.Offered = rep()
		details["offered"] = d.Offered.Key()
		for _, r := range rollupReps {
			var skip handoff.SkipReason
			if h.rng.IntN(3) == 0 {
				skip = handoff.SkipAway
			}
			d.Candidates = append(d.Candidates, handoff.Availability{Rep: r, Skip: skip})
		}
	}
	if h.rng.IntN(3) == 0 {
		details["ended"] = rep().Key()
		details["ending"] = h.pick([]string{string(handoff.SkipPassed), string(handoff.SkipTimedOut), string(handoff.SkipDeactivated)})
	}
	raw, err := json.Marshal(d)
	if err != nil {
		h.t.Fatal(err)
	}
	details["decision"] = string(raw)
	return handoff.Event{Kind: handoff.EventRouted, Stage: handoff.StageSQL, At: at, Actor: handoff.ActorSystem, Details: details}
}

// period is a random period ending by now: whole local days of loc
// mostly, sometimes odd bounds, sometimes less than a day.
func (h *rollupHistory) period(loc *time.Location) handoff.FunnelFilter {
	start := h.at()
	end := start.Add(time.Duration(h.rng.Int64N(int64(45 * 24 * time.Hour))))
	switch h.rng.IntN(4) {
	case 0: // odd bounds
	case 1: // less than a day
		end = start.Add(time.Duration(h.rng.Int64N(int64(30 * time.Hour))))
	default: // whole local days
		y, m, d := start.In(loc).Date()
		start = time.Date(y, m, d, 0, 0, 0, 0, loc)
		y, m, d = end.In(loc).Date()
		end = time.Date(y, m, d+1, 0, 0, 0, 0, loc)
	}
	f := handoff.FunnelFilter{Period: handoff.Period{Label: "random", Start: start, End: end}, Now: h.now}
	switch h.rng.IntN(4) {
	case 0:
		f.Source = h.pick(rollupSources[1:])
	case 1:
		f.Owner = "U1"
	}
	return f
}

func (h *rollupHistory) compare(step string, f handoff.FunnelFilter) {
	h.t.Helper()
	ctx := context.Background()
	got, err := h.s.FunnelCounts(ctx, f)
	if err != nil {
		h.t.Fatal(err)
	}
	want, err := h.s.FunnelCountsFromEvents(ctx, f)
	if err != nil {
		h.t.Fatal(err)
	}
	got.Routing.Pools, want.Routing.Pools = sortedPools(got.Routing.Pools), sortedPools(want.Routing.Pools)
	if !reflect.DeepEqual(got, want) {
		h.t.Fatalf("%s, %s to %s (source %q, owner %q):\nrollup %+v\nevents %+v\nmedians to claim, contact, first order: rollup %s, events %s", step, f.Period.Start, f.Period.End,
			f.Source, f.Owner, got, want, medians(got), medians(want))
	}
}

// medians shows c's medians (pointers in %+v).
func medians(c handoff.FunnelCounts) string {
	var out []string
	for _, m := range []*float64{c.MedianClaimMs, c.MedianContactMs, c.MedianFirstOrderMs} {
		if m == nil {
			out = append(out, "none")
			continue
		}
		out = append(out, fmt.Sprint(*m))
	}
	return strings.Join(out, ", ")
}

// sortedPools are routing pools in one order (RoutingStats.Pools has none).
func sortedPools(pools [][]handoff.RepRef) [][]handoff.RepRef {
	pools = slices.Clone(pools)
	slices.SortFunc(pools, func(a, b []handoff.RepRef) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
	return pools
}

// TestRollupBackdatedEvents records stage events out of order on one lead
// (a first touch and a won entry before the ones recorded, a re-entry on a
// period's first instant) and compares the funnel of periods around them
// with the event log, and the rollup with one rebuilt from the events.
func TestRollupBackdatedEvents(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		h := &rollupHistory{t: t, s: s, now: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
		day := func(d int) time.Time { return time.Date(2026, 2, d, 0, 0, 0, 0, time.UTC) }
		in, err := handoff.ParseLeadInput(map[string]any{"external_id": "X", "stage": "won", "source": "paid",
			"amount": 100.0, "occurred_at": day(20).Format(time.RFC3339)}, h.now)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SaveLead(ctx, in, handoff.DefaultPolicy(), h.now, handoff.ActorAPI); err != nil {
			t.Fatal(err)
		}
		lead, err := s.LeadByExternalID(ctx, "X")
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range []handoff.Event{
			{Kind: handoff.EventStage, Stage: handoff.StageLead, At: day(3).Add(time.Hour)}, // an earlier first touch
			{Kind: handoff.EventStage, Stage: handoff.StageWon, At: day(10)},                // an earlier won
			{Kind: handoff.EventStage, Stage: handoff.StageWon, At: day(10)},                // the same instant again
			{Kind: handoff.EventStage, Stage: handoff.StageWon, At: day(25)},                // a later one
		} {
			_, err := s.UpdateLead(ctx, lead.ID, h.now, func(l *handoff.Lead) (handoff.LeadChange, error) {
				return handoff.LeadChange{Events: []handoff.Event{e}}, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range [][2]int{{1, 28}, {10, 28}, {11, 28}, {10, 21}, {20, 26}, {3, 11}, {4, 20}} {
				h.compare(fmt.Sprintf("after %s at %s", e.Stage, e.At), handoff.FunnelFilter{
					Period: handoff.Period{Label: "days", Start: day(p[0]), End: day(p[1])}, Now: h.now})
			}
		}
		// Routing out of order: an offer accepted, then an offer recorded
		// between them (the claim no longer accepts it); an offer on a
		// day's last minute accepted on the next; waits on two days;
		// then the erasure, which empties the routed events' details.
		u1, u2 := handoff.RepRef{Platform: "slack", ID: "U1"}, handoff.RepRef{Platform: "slack", ID: "U2"}
		offer := func(rep handoff.RepRef, at time.Time) handoff.Event {
			d := handoff.RouteDecision{At: at, Offered: rep, Candidates: []handoff.Availability{{Rep: u1}, {Rep: u2}}}
			raw, err := json.Marshal(d)
			if err != nil {
				t.Fatal(err)
			}
			return handoff.Event{Kind: handoff.EventRouted, Stage: handoff.StageSQL, At: at, Actor: handoff.ActorSystem,
				Details: map[string]string{"offered": rep.Key(), "decision": string(raw)}}
		}
		claim := func(rep handoff.RepRef, at time.Time) handoff.Event {
			return handoff.Event{Kind: handoff.EventStage, Stage: handoff.StageClaimed, At: at, Actor: rep.Key()}
		}
		wait := handoff.Event{Kind: handoff.EventRouted, Stage: handoff.StageSQL, At: day(5), Actor: handoff.ActorSystem,
			Details: map[string]string{"state": string(handoff.OfferWaiting)}}
		wait2 := wait
		wait2.At = day(15).Add(time.Hour)
		for i, e := range []handoff.Event{
			offer(u1, day(12).Add(10*time.Hour)), claim(u1, day(12).Add(10*time.Hour+5*time.Minute)),
			offer(u2, day(12).Add(10*time.Hour+3*time.Minute)),
			offer(u2, day(12).Add(-time.Minute)), claim(u2, day(12).Add(time.Minute)),
			claim(u1, day(12).Add(-time.Minute)), // the same instant as the offer: after it
			wait, wait2,
		} {
			_, err := s.UpdateLead(ctx, lead.ID, h.now, func(l *handoff.Lead) (handoff.LeadChange, error) {
				return handoff.LeadChange{Events: []handoff.Event{e}}, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range [][2]int{{1, 28}, {12, 28}, {11, 13}, {5, 16}, {6, 16}, {13, 16}} {
				h.compare(fmt.Sprintf("after routing step %d", i), handoff.FunnelFilter{
					Period: handoff.Period{Label: "days", Start: day(p[0]), End: day(p[1])}, Now: h.now})
				// And bounds inside a day, around the minutes.
				h.compare(fmt.Sprintf("after routing step %d", i), handoff.FunnelFilter{
					Period: handoff.Period{Label: "odd", Start: day(p[0]).Add(-90 * time.Second), End: day(p[1]).Add(10*time.Hour + 4*time.Minute)}, Now: h.now})
			}
		}
		// A Teams rep offered by email claims as their Bot Framework user:
		// the claim accepts the offer once the lead's owner gives the email,
		// here learnt only after the claim (as RecordOwnerEmail does).
		ann := handoff.RepRef{Platform: "teams", ID: "ann@example.com"}
		_, err = s.UpdateLead(ctx, lead.ID, h.now, func(l *handoff.Lead) (handoff.LeadChange, error) {
			l.Owner = handoff.Owner{Platform: "teams", UserID: "29:ann"}
			return handoff.LeadChange{Events: []handoff.Event{offer(ann, day(20).Add(time.Hour)),
				{Kind: handoff.EventStage, Stage: handoff.StageClaimed, At: day(20).Add(time.Hour + 2*time.Minute), Actor: "teams:29:ann"}}}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.UpdateLead(ctx, lead.ID, h.now, func(l *handoff.Lead) (handoff.LeadChange, error) {
			l.Owner.Email = "ann@example.com"
			return handoff.LeadChange{}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.RoutingStats(ctx, day(20), day(21))
		if err != nil {
			t.Fatal(err)
		}
		if len(got.PerRep) != 1 || got.PerRep[0].Rep != ann || got.PerRep[0].Accepted != 1 || got.PerRep[0].MedianOfferToAccept != 2*time.Minute {
			t.Errorf("Teams rep's day: %+v, want ann's offer accepted in 2m", got.PerRep)
		}
		h.compare("after the Teams claim", handoff.FunnelFilter{Period: handoff.Period{Label: "days", Start: day(1), End: day(28)}, Now: h.now})
		checkRebuild(t, s)
		if err := s.ForgetLead(ctx, "X", handoff.DefaultPolicy(), h.now); err != nil {
			t.Fatal(err)
		}
		h.compare("after the erasure", handoff.FunnelFilter{Period: handoff.Period{Label: "days", Start: day(1), End: day(28)}, Now: h.now})
		checkRebuild(t, s)
	})
}

// A write to a few leads reads their stage history by the lead index, not
// every stage event of the database through the KPI indexes' kind prefix,
// which a planner without statistics (SQLite's; PostgreSQL's on a table
// not yet analysed, as this empty one) cannot tell apart: SQLite is told
// the index, PostgreSQL is given a kind that no index holds.
func TestStageHistoryReadsByLead(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		q, ids := s.StageHistorySQL([]int64{1, 2, 3})
		plan, err := s.Explain(context.Background(), q, ids, string(handoff.EventStage))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(plan, "idx_lead_events_lead_id") {
			t.Errorf("plan does not read by idx_lead_events_lead_id:\n%s", plan)
		}
	})
}

// TestRoutingRollupClaim claims a routed SQL by the rep offered it, on each
// database's usual claim path (PostgreSQL's one statement): the routing
// rollup counts the accept as the event log does.
func TestRoutingRollupClaim(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		in, err := handoff.ParseLeadInput(map[string]any{"external_id": "R", "stage": "sql"}, now.Add(-time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SaveLead(ctx, in, handoff.DefaultPolicy(), now.Add(-time.Hour), handoff.ActorAPI); err != nil {
			t.Fatal(err)
		}
		lead, err := s.LeadByExternalID(ctx, "R")
		if err != nil {
			t.Fatal(err)
		}
		u1 := handoff.RepRef{Platform: "slack", ID: "U1"}
		offerAt := now.Add(-5 * time.Minute)
		raw, err := json.Marshal(handoff.RouteDecision{At: offerAt, Offered: u1, Candidates: []handoff.Availability{{Rep: u1}}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.UpdateLead(ctx, lead.ID, offerAt, func(l *handoff.Lead) (handoff.LeadChange, error) {
			return handoff.LeadChange{Events: []handoff.Event{{Kind: handoff.EventRouted, Stage: handoff.StageSQL, At: offerAt,
				Actor: handoff.ActorSystem, Details: map[string]string{"offered": u1.Key(), "decision": string(raw)}}}}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, won, err := s.ClaimLead(ctx, lead.ID, handoff.Owner{Platform: "slack", UserID: "U1"}, now, handoff.Policy{}, u1.Key()); err != nil || !won {
			t.Fatalf("claim: won %v, %v", won, err)
		}
		from, to := now.Add(-24*time.Hour), now.Add(time.Hour)
		got, err := s.RoutingStats(ctx, from, to)
		if err != nil {
			t.Fatal(err)
		}
		want, err := s.RoutingStatsFromEvents(ctx, from, to)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.PerRep) != 1 || got.PerRep[0].Accepted != 1 || got.PerRep[0].MedianOfferToAccept != 5*time.Minute || !reflect.DeepEqual(got, want) {
			t.Errorf("routing after the claim:\nrollup %+v\nevents %+v", got, want)
		}
		checkRebuild(t, s)
	})
}

// A Teams rep offered under their Entra (AAD) object id who claims before
// Handoff has seen that id (SaveTeamsUser) accepted the offer once it has:
// saving the user counts their routed leads anew, as the event log does.
func TestRoutingRollupTeamsUserLearntLater(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
		bo := handoff.RepRef{Platform: "teams", ID: "aad-bo"}
		d, err := json.Marshal(handoff.RouteDecision{At: at, Offered: bo, Candidates: []handoff.Availability{{Rep: bo}}})
		if err != nil {
			t.Fatal(err)
		}
		lead := saveSQL(t, s, "t-1", "Acme", at)
		_, err = s.UpdateLead(ctx, lead.ID, at, func(l *handoff.Lead) (handoff.LeadChange, error) {
			l.Owner = handoff.Owner{Platform: "teams", UserID: "29:bo"}
			return handoff.LeadChange{Events: []handoff.Event{
				{Kind: handoff.EventRouted, Stage: handoff.StageSQL, At: at, Actor: handoff.ActorSystem,
					Details: map[string]string{"offered": bo.Key(), "decision": string(d)}},
				{Kind: handoff.EventStage, Stage: handoff.StageClaimed, At: at.Add(2 * time.Minute), Actor: "teams:29:bo"}}}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		day := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
		accepted := func(when string, want int64) {
			t.Helper()
			got, err := s.RoutingStats(ctx, day, day.Add(24*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			ref, err := s.RoutingStatsFromEvents(ctx, day, day.Add(24*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if len(got.PerRep) != 1 || got.PerRep[0].Accepted != want || !reflect.DeepEqual(got, ref) {
				t.Fatalf("%s: rollup %+v, event log %+v; want %d accepted in both", when, got.PerRep, ref.PerRep, want)
			}
		}
		accepted("before the Entra id is known", 0)
		if err := s.SaveTeamsUser(ctx, handoff.TeamsUser{ID: "29:bo", AADObjectID: "AAD-Bo"}, at.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		accepted("after", 1)
	})
}
