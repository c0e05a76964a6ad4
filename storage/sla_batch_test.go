package storage_test

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// slaPolicy is the default agreement (claim within 2 h, contact within
// 48 h) with reminders 12 h and 1 h before the contact deadline.
func slaPolicy() handoff.Policy {
	p := handoff.DefaultPolicy()
	p.RemindBefore = []time.Duration{12 * time.Hour, time.Hour}
	return p
}

// saveSQLs saves n SQLs named prefix-0… at at, in one batch, and returns
// their ids in that order.
func saveSQLs(t *testing.T, s *storage.Store, p handoff.Policy, prefix string, n int, at time.Time) []int64 {
	t.Helper()
	ins := make([]handoff.LeadInput, n)
	for i := range ins {
		ins[i] = handoff.LeadInput{ExternalID: fmt.Sprint(prefix, "-", i), Email: fmt.Sprintf("%s%d@x.dk", prefix, i), Stage: handoff.StageSQL}
	}
	res, errs, err := s.SaveLeads(context.Background(), ins, p, at, handoff.ActorAPI)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, n)
	for i, r := range res {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		ids[i] = r.Lead.ID
	}
	return ids
}

// slaMessages lists the lead's reminders and escalations queued, as
// kind:action.
var slaMessages = storagetest.SLAMessages

// TestFireSLABatchesRacingFireOnce: two stores on one database fire the
// same backlog of due timers at once, in batches, each until it finds
// nothing due; every reminder and escalation is queued once and
// returned once, whichever store's batch took its lead (on PostgreSQL
// each batch locks its leads, SKIP LOCKED, so the other's batch takes
// others; on SQLite the writers take turns).
func TestFireSLABatchesRacingFireOnce(t *testing.T) {
	const leads, limit = 400, 20
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			u := storagetest.URL(t, dialect)
			stores := []*storage.Store{storagetest.OpenURL(t, u, storage.Options{}), storagetest.OpenURL(t, u, storage.Options{})}
			p := slaPolicy()
			ids := saveSQLs(t, stores[0], p, "race", leads, t0)
			claimed := map[int64]bool{}
			for i, id := range ids {
				if i%2 == 0 {
					if _, won, err := stores[0].ClaimLead(ctx, id, handoff.Owner{Platform: "slack", UserID: "UREP"}, t0.Add(10*time.Minute), handoff.Policy{}, "slack:UREP"); err != nil || !won {
						t.Fatalf("claim %d: %v %v", id, won, err)
					}
					claimed[id] = true
				}
			}
			due := p.ContactDue(t0)
			// The claim deadline and both reminders have passed (one action
			// a lead: the claim's escalation, or the latest reminder); then
			// the contact deadline (its escalation).
			for _, at := range []time.Time{due.Add(-30 * time.Minute), due.Add(time.Minute)} {
				fired := make([]int, len(stores))
				errs := make([]error, len(stores))
				var wg sync.WaitGroup
				start := make(chan struct{})
				for i, s := range stores {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						for range leads { // a batch that fires again never ends otherwise
							actions, parked, err := s.FireSLA(ctx, at, p, limit)
							if err != nil || len(parked) > 0 {
								errs[i] = fmt.Errorf("store %d: %v, parked %v", i, err, parked)
								return
							}
							if len(actions) == 0 {
								return
							}
							fired[i] += len(actions)
						}
					}()
				}
				close(start)
				wg.Wait()
				for _, err := range errs {
					if err != nil {
						t.Fatal(err)
					}
				}
				// A store that found every due lead locked by the other's
				// batch stopped early; whatever is left fires now.
				for range leads {
					actions, _, err := stores[0].FireSLA(ctx, at, p, limit)
					if err != nil {
						t.Fatal(err)
					}
					if len(actions) == 0 {
						break
					}
					fired[0] += len(actions)
				}
				if fired[0]+fired[1] != leads {
					t.Errorf("at %s: %d and %d actions fired, want %d in all, one a lead", at, fired[0], fired[1], leads)
				}
			}
			for _, id := range ids {
				want := "[sla.escalate:escalate_claim sla.escalate:escalate_contact]"
				if claimed[id] {
					want = "[sla.remind:remind sla.escalate:escalate_contact]"
				}
				if got := fmt.Sprint(slaMessages(t, stores[0], id)); got != want {
					t.Errorf("lead %d (claimed %v): %s, want %s", id, claimed[id], got, want)
				}
			}
		})
	}
}

// TestFireSLABatchFollowsEachLead fires, in one batch, the timers of leads
// that changed in different ways after they fell due (claimed, claimed
// late, released, erased) beside leads left alone, under an agreement that
// releases a claimed lead that missed its contact deadline. Each lead ends
// as its own tick leaves it (handoff.Lead.FireSLA on the lead as stored,
// its last save the tick's when something fired), with the messages that
// tick queues: a release is written whole (stage, owner), not only the
// SLA timers.
func TestFireSLABatchFollowsEachLead(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		p := slaPolicy()
		p.ReleaseOnBreach = true
		ids := saveSQLs(t, s, p, "each", 10, t0)
		owner := handoff.Owner{Platform: "slack", UserID: "UREP"}
		claim := func(id int64, at time.Time) {
			t.Helper()
			if _, won, err := s.ClaimLead(ctx, id, owner, at, handoff.Policy{}, "slack:UREP"); err != nil || !won {
				t.Fatalf("claim %d: %v %v", id, won, err)
			}
		}
		// 0–3 are left alone.
		claim(ids[4], t0.Add(time.Hour))   // claimed in time
		claim(ids[5], t0.Add(3*time.Hour)) // claimed after its claim deadline
		claim(ids[6], t0.Add(time.Hour))   // claimed, then released
		release := t0.Add(3 * time.Hour)
		if _, err := s.UpdateLead(ctx, ids[6], release, func(l *handoff.Lead) (handoff.LeadChange, error) {
			return handoff.NewChange(l, l.Release(release, "slack:UREP", nil)), nil
		}); err != nil {
			t.Fatal(err)
		}
		claim(ids[7], t0.Add(time.Hour)) // claimed, then erased
		if err := s.ForgetLead(ctx, "each-7", p, t0.Add(3*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := s.ForgetLead(ctx, "each-8", p, t0.Add(time.Hour)); err != nil { // erased unclaimed, before its claim deadline
			t.Fatal(err)
		}
		// 9 is claimed in time, as 4 is, after the erased leads in the batch.
		claim(ids[9], t0.Add(time.Hour))

		now := p.ContactDue(t0).Add(time.Minute)
		want := map[int64]*handoff.Lead{}
		wantMsgs := map[int64][]string{}
		for _, id := range ids {
			l, err := s.Lead(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			_, actions, err := l.FireSLA(now, p)
			if err != nil {
				t.Fatal(err)
			}
			if len(actions) > 0 {
				l.UpdatedAt = now
			}
			want[id] = l
			for _, a := range actions {
				switch a.Kind {
				case handoff.SLARemind:
					wantMsgs[id] = append(wantMsgs[id], "sla.remind:remind")
				case handoff.SLAEscalateClaim, handoff.SLAEscalateContact:
					wantMsgs[id] = append(wantMsgs[id], "sla.escalate:"+string(a.Kind))
				}
			}
		}
		fired, parked, err := s.FireSLA(ctx, now, p, 100)
		if err != nil || len(parked) > 0 {
			t.Fatalf("fire: %v, parked %v", err, parked)
		}
		if len(fired) == 0 {
			t.Fatal("nothing fired")
		}
		for i, id := range ids {
			got, err := s.Lead(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want[id]) {
				t.Errorf("lead %d after the batch:\n%+v\nwant as its own tick leaves it:\n%+v", i, got, want[id])
			}
			if got, want := fmt.Sprint(slaMessages(t, s, id)), fmt.Sprint(wantMsgs[id]); got != want {
				t.Errorf("lead %d queued %s, want %s", i, got, want)
			}
		}
		// What the cases are about, in case the domain's rules change.
		for i, w := range map[int]string{
			0: "[sla.escalate:escalate_claim sla.escalate:escalate_contact]",
			4: "[sla.escalate:escalate_contact]",
			7: "[]", 8: "[]",
		} {
			if got := fmt.Sprint(slaMessages(t, s, ids[i])); got != w {
				t.Errorf("lead %d queued %s, want %s", i, got, w)
			}
		}
		if l, err := s.Lead(ctx, ids[4]); err != nil || l.Stage != handoff.StageSQL || l.Owner != (handoff.Owner{}) {
			t.Errorf("lead 4 after missing its contact deadline: %+v %v; want released to the channel", l, err)
		}
		if again, _, err := s.FireSLA(ctx, now, p, 100); err != nil || len(again) > 0 {
			t.Errorf("a second tick at the same time fired %v, %v; want nothing", again, err)
		}
	})
}

// TestFireSLABatchParksTheLeadItCannotWrite: the database refuses the
// write of one lead's escalation among a batch's (a trigger raising an
// error, as a constraint would). The batch's writes are undone and each
// lead written alone: that lead is parked with the database's error, its
// escalation not queued, and every other lead's fires.
func TestFireSLABatchParksTheLeadItCannotWrite(t *testing.T) {
	storagetest.EachRaw(t, func(t *testing.T, s *storage.Store, raw *sql.DB) {
		ctx := context.Background()
		p := slaPolicy()
		ids := saveSQLs(t, s, p, "refuse", 6, t0)
		storagetest.FailLeadUpdatesOf(t, raw, s.Dialect(), "refuse-3", "NEW.claim_escalated_ms IS NOT NULL")
		fired, parked, err := s.FireSLA(ctx, t0.Add(3*time.Hour), p, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(parked) != 1 || parked[0].ID != ids[3] || !strings.Contains(parked[0].Cause, "test: lead update refused") {
			t.Fatalf("parked %+v, want lead %d with the database's error", parked, ids[3])
		}
		if len(fired) != 5 {
			t.Errorf("fired %d actions, want the 5 other leads' claim escalations", len(fired))
		}
		for i, id := range ids {
			want := "[sla.escalate:escalate_claim]"
			if i == 3 {
				want = "[]"
			}
			if got := fmt.Sprint(slaMessages(t, s, id)); got != want {
				t.Errorf("lead %d queued %s, want %s", i, got, want)
			}
		}
	})
}

// TestFireSLAStatementsDoNotGrowWithTheBatch counts what one batch of due
// timers costs the database: one transaction, and on PostgreSQL the same
// statements for 200 leads as for 10 (set-based writes, an array per
// column); on SQLite at most one statement more a lead (its UPDATE, a
// short one, in process). Each lead here has one timer due, its claim's
// escalation.
func TestFireSLAStatementsDoNotGrowWithTheBatch(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		p := slaPolicy()
		cost := func(n int, at time.Time) (statements, transactions int) {
			t.Helper()
			saveSQLs(t, s, p, fmt.Sprint("cost", n), n, at)
			count, txs, stop := s.CountWrites()
			defer stop()
			fired, parked, err := s.FireSLA(ctx, at.Add(3*time.Hour), p, 500)
			if err != nil || len(parked) > 0 || len(fired) != n {
				t.Fatalf("%d leads due: fired %d, parked %v, %v", n, len(fired), parked, err)
			}
			return count(), txs()
		}
		few, fewTx := cost(10, t0)
		many, manyTx := cost(200, t0.Add(24*time.Hour))
		t.Logf("%s: 10 timers: %d statements in %d transactions; 200 timers: %d statements in %d transactions (%.2f statements a timer)",
			s.Dialect(), few, fewTx, many, manyTx, float64(many)/200)
		if fewTx != 1 || manyTx != 1 {
			t.Errorf("%d and %d transactions, want one a batch", fewTx, manyTx)
		}
		limit := few
		if s.Dialect() == storage.DialectSQLite {
			limit = few + 200
		}
		if many > limit {
			t.Errorf("200 timers took %d statements, 10 took %d: want at most %d", many, few, limit)
		}
	})
}
