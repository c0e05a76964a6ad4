package storage_test

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/internal/testkit"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestClaimPathsWriteTheSame runs the same claims on two stores, one
// claiming in a transaction, the other as ClaimLeadIf does (in a batch of
// claims; and several claims in one batch), and compares every row they
// wrote: leads, events, outbox messages (webhook ones too) and the
// funnel's rollup.
func TestClaimPathsWriteTheSame(t *testing.T) {
	for _, d := range storagetest.Dialects {
		t.Run(d, func(t *testing.T) {
			inTx, rawTx := storagetest.OpenRaw(t, d)
			inTx.ClaimInTransaction()
			fast, rawFast := storagetest.OpenRaw(t, d)
			tx := claimPath{t: t, s: inTx}
			batch := claimPath{t: t, s: fast}
			for _, p := range []claimPath{tx, batch} {
				p.history()
			}
			tx.severalAtOnce(false)
			batch.severalAtOnce(true)
			sameRows(t, rawFast, rawTx)
			got, want := rollupRows(t, fast), rollupRows(t, inTx)
			if !slices.Equal(got, want) {
				t.Errorf("rollup differs:\nbatch       %q\ntransaction %q", got, want)
			}
			if !slices.ContainsFunc(want, func(r string) bool { return strings.HasPrefix(r, "reentry") }) {
				t.Errorf("no re-entry in the rollup %q: the history misses a case", want)
			}
		})
	}
}

// claimPath writes the same history through one store.
type claimPath struct {
	t *testing.T
	s *storage.Store
}

var claimT0 = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

// history takes in eight SQLs and claims them in the cases a claim meets.
func (p claimPath) history() {
	t, ctx := p.t, context.Background()
	p.s.RouteWebhooks([]handoff.WebhookRoute{{Key: "crm", Events: handoff.WebhookEvents}})
	var ins []handoff.LeadInput
	for i := range 8 {
		raw := map[string]any{"external_id": fmt.Sprint("p", i), "stage": "sql", "source": []string{"paid", "organic"}[i%2], "campaign": "fall"}
		if i == 6 {
			raw["occurred_at"] = claimT0.Add(-72 * time.Hour).Format(time.RFC3339Nano)
			raw["amount"] = 1200.0
		}
		in, err := handoff.ParseLeadInput(raw, claimT0)
		if err != nil {
			t.Fatal(err)
		}
		ins = append(ins, in)
	}
	res, _, err := p.s.SaveLeads(ctx, ins, handoff.DefaultPolicy(), claimT0, handoff.ActorAPI)
	if err != nil {
		t.Fatal(err)
	}
	id := func(i int) int64 { return res[i].Lead.ID }
	update := func(i int, at time.Time, fn func(l *handoff.Lead) handoff.LeadChange) {
		t.Helper()
		_, err := p.s.UpdateLead(ctx, id(i), at, func(l *handoff.Lead) (handoff.LeadChange, error) { return fn(l), nil })
		if err != nil {
			t.Fatal(err)
		}
	}
	stageAt := func(at time.Time) handoff.LeadChange {
		return handoff.LeadChange{Events: []handoff.Event{{Kind: handoff.EventStage, Stage: handoff.StageClaimed, At: at, Actor: "test"}}}
	}
	rep := handoff.RepRef{Platform: "slack", ID: "U4"}
	for _, i := range []int{3, 7} {
		update(i, claimT0.Add(time.Minute), func(l *handoff.Lead) handoff.LeadChange {
			l.Offer = &handoff.Offer{State: handoff.OfferOffered, Rep: rep, Until: claimT0.Add(30 * time.Minute), Seq: 2}
			return handoff.LeadChange{}
		})
	}
	update(4, claimT0.Add(time.Minute), func(*handoff.Lead) handoff.LeadChange { return stageAt(claimT0.Add(48 * time.Hour)) })
	update(5, claimT0.Add(time.Minute), func(*handoff.Lead) handoff.LeadChange {
		c := stageAt(claimT0.Add(48 * time.Hour))
		c.Events = append(c.Events, stageAt(claimT0.Add(50*time.Hour)).Events...)
		return c
	})
	for _, c := range []struct {
		lead     int
		user     string
		after    time.Duration
		won      bool
		released bool // released again after
		step     int  // the routing step the claim holds at (ClaimLeadAtStep), -1 for any
	}{
		{lead: 0, user: "U1", after: time.Minute, won: true},
		{lead: 1, user: "U2", after: 3 * time.Hour, won: true}, // after the claim's deadline
		{lead: 0, user: "U2", after: 2 * time.Minute},          // too late
		{lead: 2, user: "U1", after: 5 * time.Minute, won: true, released: true},
		{lead: 2, user: "U3", after: 15 * time.Minute, won: true}, // claimed again
		{lead: 3, user: "U4", after: 20 * time.Minute, won: true}, // the offered rep
		{lead: 4, user: "U1", after: 25 * time.Minute, won: true}, // before a later claimed event
		{lead: 5, user: "U1", after: 25 * time.Minute, won: true}, // before two: re-entries rewritten
		{lead: 6, user: "U5", after: 30 * time.Minute, won: true}, // a back-dated SQL with a deal value
		{lead: 7, user: "U4", after: 30 * time.Minute, step: 1},   // the offer moved on
		{lead: 7, user: "U4", after: 31 * time.Minute, won: true, step: 2},
	} {
		if c.step == 0 {
			c.step = -1
		}
		owner := handoff.Owner{Platform: "slack", UserID: c.user}
		at := claimT0.Add(c.after)
		var won bool
		switch {
		case c.step == -1: // as a click claims: decided on ClaimLeadIf's read
			if _, won, err = p.s.ClaimLeadIf(ctx, id(c.lead), owner, at, handoff.Policy{}, "slack:"+c.user, handoff.Delivery{}, func(*handoff.Lead) error { return nil }, nil); err != nil {
				t.Fatal(err)
			}
		default:
			if _, won, err = p.s.ClaimLeadAtStep(ctx, id(c.lead), c.step, owner, at, handoff.Policy{}, "slack:"+c.user); err != nil {
				t.Fatal(err)
			}
		}
		if won != c.won {
			t.Fatalf("claim of p%d by %s: won %v, want %v", c.lead, c.user, won, c.won)
		}
		if c.released {
			update(c.lead, at.Add(time.Minute), func(l *handoff.Lead) handoff.LeadChange {
				return handoff.LeadChange{Events: l.Release(at.Add(time.Minute), "slack:"+c.user, nil)}
			})
		}
	}
}

// severalAtOnce takes in four more SQLs and claims three of them, one
// twice, at one moment: in one batch of claims (ClaimBatch, as concurrent
// clicks are) or one claim after another.
func (p claimPath) severalAtOnce(inOneBatch bool) {
	t, ctx := p.t, context.Background()
	at := claimT0.Add(40 * time.Minute)
	var ins []handoff.LeadInput
	for i := range 4 {
		in, err := handoff.ParseLeadInput(map[string]any{"external_id": fmt.Sprint("q", i), "stage": "sql", "source": "paid"}, claimT0.Add(35*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		ins = append(ins, in)
	}
	res, _, err := p.s.SaveLeads(ctx, ins, handoff.DefaultPolicy(), claimT0.Add(35*time.Minute), handoff.ActorAPI)
	if err != nil {
		t.Fatal(err)
	}
	claims := []storage.BatchClaim{
		{ID: res[0].Lead.ID, Step: -1, Owner: handoff.Owner{Platform: "slack", UserID: "U1"}},
		{ID: res[1].Lead.ID, Step: -1, Owner: handoff.Owner{Platform: "slack", UserID: "U2"}},
		{ID: res[0].Lead.ID, Step: -1, Owner: handoff.Owner{Platform: "slack", UserID: "U3"}}, // too late
		{ID: res[2].Lead.ID, Step: -1, Owner: handoff.Owner{Platform: "slack", UserID: "U1"}},
	}
	want := []bool{true, true, false, true}
	if inOneBatch {
		for i, o := range p.s.ClaimBatch(claims, at) {
			if o.Err != nil || o.Won != want[i] {
				t.Fatalf("batch claim %d: won %v, %v; want won %v", i, o.Won, o.Err, want[i])
			}
		}
		return
	}
	for i, c := range claims {
		if _, won, err := p.s.ClaimLead(ctx, c.ID, c.Owner, at, handoff.Policy{}, "slack:"+c.Owner.UserID); err != nil || won != want[i] {
			t.Fatalf("claim %d: won %v, %v; want won %v", i, won, err, want[i])
		}
	}
}

// sameRows reports the rows of leads, lead_events and outbox that differ
// between the database written in batches and the one written in
// transactions.
func sameRows(t *testing.T, batch, inTx *sql.DB) {
	t.Helper()
	for _, table := range []string{"leads", "lead_events", "outbox"} {
		if got, want := dumpTable(t, batch, table), dumpTable(t, inTx, table); !slices.Equal(got, want) {
			t.Errorf("%s differs:\nbatch       %q\ntransaction %q", table, got, want)
		}
	}
}

// msgID is a webhook message's random id.
var msgID = regexp.MustCompile(`msg_[0-9a-f]+`)

// dumpTable returns table's rows in id order, every column but the id,
// written out (NULL apart from "").
func dumpTable(t *testing.T, db *sql.DB, table string) []string {
	t.Helper()
	cols, rows := queryRows(t, db, "SELECT * FROM "+table+" ORDER BY id")
	var out []string
	for _, vals := range rows {
		var b strings.Builder
		for i, c := range cols {
			if c == "id" {
				continue
			}
			switch v := vals[i].(type) {
			case nil:
				fmt.Fprintf(&b, "%s=NULL ", c)
			case []byte:
				fmt.Fprintf(&b, "%s=%q ", c, msgID.ReplaceAllString(string(v), "msg_X"))
			case string:
				fmt.Fprintf(&b, "%s=%q ", c, msgID.ReplaceAllString(v, "msg_X"))
			default:
				fmt.Fprintf(&b, "%s=%v ", c, v)
			}
		}
		out = append(out, b.String())
	}
	return out
}

// queryRows runs query on db and returns its columns and each row's
// values as the driver gives them.
func queryRows(t *testing.T, db *sql.DB, query string) (cols []string, out [][]any) {
	t.Helper()
	rows, err := db.Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	if cols, err = rows.Columns(); err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		vals, err := storage.ScanValues(rows, len(cols))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, vals)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return cols, out
}

// TestClaimRaceWithUpdates races, on each of a dozen SQLs, four claims and
// an update that moves the lead to another source: exactly one claim wins,
// the lead has one claimed event, and the rollup equals the one rebuilt
// from the events, whichever order the writes took.
func TestClaimRaceWithUpdates(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		var ins []handoff.LeadInput
		for i := range 12 {
			in, err := handoff.ParseLeadInput(map[string]any{"external_id": fmt.Sprint("r", i), "stage": "sql", "source": "paid"}, claimT0)
			if err != nil {
				t.Fatal(err)
			}
			ins = append(ins, in)
		}
		res, _, err := s.SaveLeads(ctx, ins, handoff.DefaultPolicy(), claimT0, handoff.ActorAPI)
		if err != nil {
			t.Fatal(err)
		}
		at := claimT0.Add(time.Minute)
		var wg sync.WaitGroup
		wins := make([]atomic.Int32, len(res))
		for i, r := range res {
			for c := range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					user := fmt.Sprint("U", c)
					_, won, err := s.ClaimLead(ctx, r.Lead.ID, handoff.Owner{Platform: "slack", UserID: user}, at, handoff.Policy{}, "slack:"+user)
					if err != nil {
						t.Error(err)
					}
					if won {
						wins[i].Add(1)
					}
				}()
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := s.UpdateLead(ctx, r.Lead.ID, at, func(l *handoff.Lead) (handoff.LeadChange, error) {
					l.Source = "organic"
					return handoff.LeadChange{}, nil
				})
				if err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		for i, r := range res {
			if n, claimed := wins[i].Load(), testkit.ClaimEvents(t, s, r.Lead.ID); n != 1 || claimed != 1 {
				t.Errorf("lead r%d: %d winners, %d claimed events; want 1 and 1", i, n, claimed)
			}
		}
		checkRebuild(t, s)
	})
}
