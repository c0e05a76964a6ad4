package storage_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestClaimPathsKeepTheContactDeadline claims the leads of the domain's
// TestClaimKeepsTheContactDeadline through the store, on each of its
// claim paths (in a transaction of its own, decided in the batch's
// writer, decided on the read before the batch), and compares the
// deadlines of the lead each path returns (the domain's Lead.Claim, which
// renders the new owner's message and keys the funnel's rollup) with the
// lead as stored (the claim's UPDATE) and with the domain's claim of the
// lead as it was: all held to the deadline from the SQL's arrival, and an
// SQL released from it by an erasure to none, which no path claims. The
// funnel's rollup, its
// figures from the leads and the events, and the per-rep compliance then
// count the same promises.
func TestClaimPathsKeepTheContactDeadline(t *testing.T) {
	arrival := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	policy := handoff.DefaultPolicy()
	policy.RemindBefore = []time.Duration{6 * time.Hour}
	type step struct {
		do string // "claim", "erase" or "release"
		at time.Duration
	}
	cases := []struct {
		name    string
		before  []step // after the SQL's arrival, before the claim
		claimAt time.Duration
		held    bool // held to the policy's deadline from the arrival
	}{
		{"claimed in time", nil, time.Hour, true},
		{"claimed after its contact deadline", nil, 50 * time.Hour, true},
		{"claimed, released, claimed again", []step{{"claim", time.Hour}, {"release", 5 * time.Hour}}, 6 * time.Hour, true},
		{"erased after its claim deadline", []step{{"erase", 3 * time.Hour}}, 4 * time.Hour, false},
		{"erased after its claim deadline, claimed after its contact deadline", []step{{"erase", 3 * time.Hour}}, 60 * time.Hour, false},
		// Erased while claimed, it is never released (Lead.ReleaseRefused).
		{"claimed, released, erased", []step{{"claim", time.Hour}, {"release", 2 * time.Hour}, {"erase", 3 * time.Hour}}, 5 * time.Hour, false},
	}
	held := 0
	for _, c := range cases {
		if c.held {
			held++
		}
	}
	for _, d := range storagetest.Dialects {
		for _, path := range []string{"transaction", "batch", "read first"} {
			t.Run(d+"/"+path, func(t *testing.T) {
				ctx := context.Background()
				s := storagetest.Open(t, d)
				if path == "transaction" {
					s.ClaimInTransaction()
				}
				rep := handoff.Owner{Platform: "slack", UserID: "U1"}
				claim := func(id int64, owner handoff.Owner, at time.Time) (*handoff.Lead, bool, error) {
					actor := owner.Platform + ":" + owner.UserID
					if path == "read first" {
						return s.ClaimLeadIf(ctx, id, owner, at, handoff.Policy{}, actor, handoff.Delivery{}, func(*handoff.Lead) error { return nil }, nil)
					}
					return s.ClaimLead(ctx, id, owner, at, handoff.Policy{}, actor)
				}
				for i, c := range cases {
					in, err := handoff.ParseLeadInput(map[string]any{"external_id": fmt.Sprint("due-", i), "stage": "sql", "source": "paid"}, arrival)
					if err != nil {
						t.Fatal(err)
					}
					res, err := s.SaveLead(ctx, in, policy, arrival, handoff.ActorAPI)
					if err != nil {
						t.Fatal(err)
					}
					id := res.Lead.ID
					for _, st := range c.before {
						at := arrival.Add(st.at)
						switch st.do {
						case "claim":
							if _, won, err := claim(id, rep, at); err != nil || !won {
								t.Fatalf("%s: claim at +%s: won %v, err %v", c.name, st.at, won, err)
							}
						case "erase":
							if err := s.ForgetLead(ctx, in.ExternalID, policy, at); err != nil {
								t.Fatal(err)
							}
						case "release":
							if _, err := s.UpdateLead(ctx, id, at, func(l *handoff.Lead) (handoff.LeadChange, error) {
								return handoff.NewChange(l, l.Release(at, "slack:U1", nil)), nil
							}); err != nil {
								t.Fatal(err)
							}
						}
					}
					before, err := s.Lead(ctx, id)
					if err != nil {
						t.Fatal(err)
					}
					if before.Stage != handoff.StageSQL {
						t.Fatalf("%s: stage %s before the claim, want sql", c.name, before.Stage)
					}
					owner := handoff.Owner{Platform: "slack", UserID: "U2"}
					at := arrival.Add(c.claimAt)
					domain := *before
					erased := before.ErasedAt != nil // never claimed: Lead.TakeUpRefused
					if _, ok := domain.Claim(owner, at, handoff.Policy{}, "slack:U2"); ok == erased {
						t.Fatalf("%s: the domain's claim won %v", c.name, ok)
					}
					returned, won, err := claim(id, owner, at)
					if err != nil || won == erased {
						t.Fatalf("%s: claim: won %v, err %v", c.name, won, err)
					}
					stored, err := s.Lead(ctx, id)
					if err != nil {
						t.Fatal(err)
					}
					if erased && (stored.Stage != handoff.StageSQL || !stored.Owner.IsZero()) {
						t.Errorf("%s: erased, stored as %s owned by %+v after the claim, want an unclaimed sql", c.name, stored.Stage, stored.Owner)
					}
					want := "nil"
					if due := policy.ContactDue(arrival); c.held {
						want = ruleTime(&due)
					}
					if got := ruleTime(stored.ContactDueAt); got != want {
						t.Errorf("%s: stored contact due %s, want %s", c.name, got, want)
					}
					for name, l := range map[string]*handoff.Lead{"returned by the store": returned, "claimed by the domain": &domain} {
						if got, want := claimDeadlines(l), claimDeadlines(stored); got != want {
							t.Errorf("%s: the lead %s differs from the one stored:\n%s\n%s", c.name, name, got, want)
						}
					}
				}
				now := arrival.AddDate(0, 0, 9)
				month, err := handoff.ParsePeriod("2026-11", now, time.UTC)
				if err != nil {
					t.Fatal(err)
				}
				f := handoff.FunnelFilter{Period: month, Now: now}
				reps, err := s.SLAByRep(ctx, month, now)
				if err != nil {
					t.Fatal(err)
				}
				var byRep handoff.SLAStats
				for _, r := range reps {
					byRep.Met, byRep.Breached, byRep.Pending = byRep.Met+r.Met, byRep.Breached+r.Breached, byRep.Pending+r.Pending
				}
				figures := map[string]string{"per rep": fmt.Sprintf("met %d breached %d pending %d", byRep.Met, byRep.Breached, byRep.Pending)}
				for name, counts := range map[string]func(context.Context, handoff.FunnelFilter) (handoff.FunnelCounts, error){
					"funnel": s.FunnelCounts, "funnel from the events": s.FunnelCountsFromEvents,
				} {
					c, err := counts(ctx, f)
					if err != nil {
						t.Fatal(err)
					}
					figures[name] = fmt.Sprintf("met %d breached %d pending %d", c.SLAMet, c.SLABreached, c.SLAPending)
				}
				want := fmt.Sprintf("met 0 breached %d pending 0", held)
				for name, got := range figures {
					if got != want {
						t.Errorf("%s: SLA %s, want %s (every figure: %q)", name, got, want, figures)
					}
				}
				checkRebuild(t, s)
			})
		}
	}
}

// claimDeadlines writes the SLA clock's state that a claim may change.
func claimDeadlines(l *handoff.Lead) string {
	return fmt.Sprintf("claim due %s, contact due %s, remind %s, claim escalated %s, contact escalated %s, set %s, breached %v",
		ruleTime(l.ClaimDueAt), ruleTime(l.ContactDueAt), ruleTime(l.NextReminderAt), ruleTime(l.ClaimEscalatedAt),
		ruleTime(l.ContactEscalatedAt), ruleTime(l.SLASetAt), l.SLABreached)
}
