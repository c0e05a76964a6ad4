package storage_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// BackfillStageTimes, after Migrate, gives a lead stored before stage_ms
// was kept (NULL) the time of the event by which it entered its current
// stage, the stage's own or a release's, as its history dates it, whatever
// was written to the lead since: the closed card's time (EnteredStageAt)
// no longer moves with a later update. A lead that has stage_ms keeps it,
// one whose history holds no such event keeps NULL, an erased lead gains
// its stage time back and nothing else, and nothing else of any lead
// changes. Migrate itself dates nothing. Run again, recorded or not, it
// changes nothing more.
func TestMigrateBackfillsStageAt(t *testing.T) {
	policy := handoff.DefaultPolicy()
	hour := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
	at := func(h int) *time.Time { v := hour(h); return &v }
	// A step is one write of the lead's history: a save entering stage
	// (with reason, dated crm by a CRM when set), a claim, a release by
	// its owner, an attribute changed, an erasure; each at its hour.
	type step struct {
		op     string
		stage  handoff.Stage
		reason string
		crm    *time.Time
		h      int
	}
	save := func(st handoff.Stage, h int) step { return step{op: "save", stage: st, h: h} }
	note := step{op: "note", h: 9}
	cases := []struct {
		id    string
		steps []step
		// planted is the stage_ms the lead has before Migrate; nil clears
		// it, as a lead stored by the earlier version had it.
		planted *time.Time
		want    *time.Time
	}{
		{"new SQL", []step{save(handoff.StageSQL, 0), note}, nil, at(0)},
		{"new MQL with an implied lead stage", []step{save(handoff.StageMQL, 0), note}, nil, at(0)},
		{"SQL then claimed", []step{save(handoff.StageSQL, 0), {op: "claim", h: 1}, note}, nil, at(1)},
		{"claimed then contacted", []step{save(handoff.StageSQL, 0), {op: "claim", h: 1}, save(handoff.StageContacted, 2), note}, nil, at(2)},
		{"released", []step{save(handoff.StageSQL, 0), {op: "claim", h: 1}, {op: "release", h: 3}, note}, nil, at(3)},
		{"won", []step{save(handoff.StageSQL, 0), {op: "claim", h: 1}, save(handoff.StageWon, 4), note}, nil, at(4)},
		{"lost then back as an SQL", []step{save(handoff.StageSQL, 0), {op: "save", stage: handoff.StageLost, reason: "budget", h: 1}, save(handoff.StageSQL, 2), note}, nil, at(2)},
		{"lost then claimed straight back", []step{save(handoff.StageSQL, 0), {op: "save", stage: handoff.StageLost, reason: "budget", h: 1}, save(handoff.StageClaimed, 2), note}, nil, at(2)},
		{"a CRM's loss heard late", []step{save(handoff.StageSQL, 0), {op: "save", stage: handoff.StageLost, reason: "budget", crm: at(2), h: 5}, note}, nil, at(2)},
		{"recycled", []step{save(handoff.StageSQL, 0), {op: "save", stage: handoff.StageRecycled, reason: "timing", h: 3}, note}, nil, at(3)},
		{"recycled then an MQL again", []step{save(handoff.StageSQL, 0), {op: "save", stage: handoff.StageRecycled, reason: "timing", h: 3}, save(handoff.StageMQL, 4), note}, nil, at(4)},
		{"erased", []step{save(handoff.StageSQL, 0), {op: "save", stage: handoff.StageLost, reason: "budget", h: 2}, {op: "erase", h: 8}}, nil, at(2)},
		{"stage_ms kept", []step{save(handoff.StageSQL, 0), {op: "save", stage: handoff.StageLost, reason: "budget", h: 2}, note}, at(1), at(1)},
		{"no history", []step{save(handoff.StageSQL, 0), note, {op: "forget history"}}, nil, nil},
	}
	for _, d := range storagetest.Dialects {
		t.Run(d, func(t *testing.T) {
			ctx := context.Background()
			s, raw := storagetest.OpenRaw(t, d)
			exec := func(q string) {
				t.Helper()
				if _, err := raw.Exec(q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			ids := map[string]int64{}
			for _, c := range cases {
				for _, st := range c.steps {
					var err error
					switch st.op {
					case "save":
						var res handoff.SaveResult
						in := handoff.LeadInput{ExternalID: c.id, Email: strings.ReplaceAll(c.id, " ", ".") + "@x.dk", Stage: st.stage, Reason: st.reason, ChangedAt: st.crm}
						res, err = s.SaveLead(ctx, in, policy, hour(st.h), handoff.ActorHubSpot)
						if err == nil {
							ids[c.id] = res.Lead.ID
						}
					case "claim":
						var won bool
						_, won, err = s.ClaimLead(ctx, ids[c.id], handoff.Owner{Platform: "slack", UserID: "U1"}, hour(st.h), handoff.Policy{}, "slack:U1")
						if err == nil && !won {
							err = fmt.Errorf("claim lost")
						}
					case "release":
						_, err = s.UpdateLead(ctx, ids[c.id], hour(st.h), func(l *handoff.Lead) (handoff.LeadChange, error) {
							return handoff.NewChange(l, l.Release(hour(st.h), "slack:U1", nil)), nil
						})
					case "note":
						_, err = s.SaveLead(ctx, handoff.LeadInput{ExternalID: c.id, Attributes: map[string]any{"plan": "pro"}}, policy, hour(st.h), handoff.ActorAPI)
					case "erase":
						err = s.ForgetLead(ctx, c.id, policy, hour(st.h))
					case "forget history":
						exec(fmt.Sprintf("DELETE FROM lead_events WHERE lead_id = %d", ids[c.id]))
					}
					if err != nil {
						t.Fatalf("%s: %s: %v", c.id, st.op, err)
					}
				}
				planted := "NULL"
				if c.planted != nil {
					planted = fmt.Sprint(c.planted.UnixMilli())
				}
				exec(fmt.Sprintf("UPDATE leads SET stage_ms = %s WHERE id = %d", planted, ids[c.id]))
			}
			before := map[string]handoff.Lead{}
			for _, c := range cases {
				l, err := s.Lead(ctx, ids[c.id])
				if err != nil {
					t.Fatal(err)
				}
				before[c.id] = *l
			}
			if l := before["new SQL"]; !l.EnteredStageAt().Equal(hour(9)) {
				t.Fatalf("before Migrate, the new SQL entered its stage at %v, want its last update %v", l.EnteredStageAt(), hour(9))
			}
			check := func(when string) {
				t.Helper()
				for _, c := range cases {
					got, err := s.Lead(ctx, ids[c.id])
					if err != nil {
						t.Fatal(err)
					}
					if (got.StageAt == nil) != (c.want == nil) || c.want != nil && !got.StageAt.Equal(*c.want) {
						t.Errorf("%s: lead %q (%s) has stage_ms %v, want %v", when, c.id, got.Stage, got.StageAt, c.want)
					}
					want, rest := before[c.id], *got
					want.StageAt, rest.StageAt = nil, nil
					if !reflect.DeepEqual(rest, want) {
						t.Errorf("%s: lead %q changed beyond stage_ms:\n%+v\nwant\n%+v", when, c.id, rest, want)
					}
					entered := want.UpdatedAt
					if c.want != nil {
						entered = *c.want
					}
					if !got.EnteredStageAt().Equal(entered) {
						t.Errorf("%s: lead %q entered its stage at %v, want %v", when, c.id, got.EnteredStageAt(), entered)
					}
				}
				erased := before["erased"]
				if !strings.HasPrefix(erased.ExternalID, handoff.ErasedIDPrefix) || erased.Email != "" {
					t.Errorf("%s: the erased lead is %q <%s>", when, erased.ExternalID, erased.Email)
				}
			}
			dated := int64(0)
			for _, c := range cases {
				if c.planted == nil && c.want != nil {
					dated++
				}
			}
			for _, run := range []struct {
				when  string
				dated int64
			}{{"migrated", dated}, {"migrated again", 0}, {"migrated again, unrecorded", 0}} {
				if run.when != "migrated again" {
					exec(unrecordStageTimes)
				}
				if err := s.Migrate(ctx); err != nil {
					t.Fatal(err)
				}
				if run.dated > 0 {
					l, err := s.Lead(ctx, ids["new SQL"])
					if err != nil {
						t.Fatal(err)
					}
					if l.StageAt != nil {
						t.Fatalf("%s: Migrate dated the new SQL's stage %v; BackfillStageTimes does, after it", run.when, l.StageAt)
					}
				}
				b, err := s.BackfillStageTimes(ctx, nil)
				if err != nil || !b.Done || b.Elsewhere || b.Dated != run.dated {
					t.Fatalf("%s: backfill = %+v, %v; want %d leads dated, done", run.when, b, err, run.dated)
				}
				check(run.when)
			}
		})
	}
}

// unrecordStageTimes forgets that the backfill of stage_ms was done, as a
// database of the version before it has no record of it.
const unrecordStageTimes = "DELETE FROM data_migrations WHERE name = 'leads-stage-ms-from-events'"

// earlierLeads saves n SQLs on s, the i-th (from 0) at hour i after t0, and
// clears their stage_ms and the backfill's record through raw, as the
// version before stage_ms stored them. It returns their ids, ascending.
func earlierLeads(t *testing.T, s *storage.Store, raw *sql.DB, n int) []int64 {
	t.Helper()
	ctx := context.Background()
	ids := make([]int64, n)
	for i := range ids {
		in := handoff.LeadInput{ExternalID: fmt.Sprintf("earlier-%d", i), Email: fmt.Sprintf("earlier%d@x.dk", i), Stage: handoff.StageSQL}
		res, err := s.SaveLead(ctx, in, handoff.DefaultPolicy(), t0.Add(time.Duration(i)*time.Hour), handoff.ActorAPI)
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = res.Lead.ID
	}
	for _, q := range []string{"UPDATE leads SET stage_ms = NULL", unrecordStageTimes} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return ids
}

// stageTimes returns the stage_ms of each lead of ids, nil where NULL.
func stageTimes(t *testing.T, s *storage.Store, ids []int64) []*time.Time {
	t.Helper()
	out := make([]*time.Time, len(ids))
	for i, id := range ids {
		l, err := s.Lead(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = l.StageAt
	}
	return out
}

// wantStageTimes checks that the i-th lead of ids (earlierLeads) has the
// stage time of hour i when i < dated, and none otherwise; but the leads
// of except, which the test checks itself.
func wantStageTimes(t *testing.T, s *storage.Store, ids []int64, dated int, except ...int) {
	t.Helper()
	for i, got := range stageTimes(t, s, ids) {
		want := t0.Add(time.Duration(i) * time.Hour)
		switch {
		case slices.Contains(except, i):
		case i >= dated && got != nil:
			t.Errorf("lead %d of %d has stage_ms %v, want none yet", i, len(ids), got)
		case i < dated && (got == nil || !got.Equal(want)):
			t.Errorf("lead %d of %d has stage_ms %v, want %v", i, len(ids), got, want)
		}
	}
}

// BackfillStageTimes dates the leads in batches of its size, each its own
// transaction of at most that many leads, all of them by the end, and
// records itself done: a second call reads nothing else.
func TestBackfillStageTimesInBatches(t *testing.T) {
	tests := []struct {
		leads, size int
		batches     int
	}{
		{leads: 25, size: 4, batches: 7},
		{leads: 8, size: 4, batches: 2},
		{leads: 3, size: 100, batches: 1},
		{leads: 0, size: 4, batches: 0},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%d leads by %d", tc.leads, tc.size), func(t *testing.T) {
			storagetest.EachRaw(t, func(t *testing.T, s *storage.Store, raw *sql.DB) {
				ctx := context.Background()
				ids := earlierLeads(t, s, raw, tc.leads)
				var after []int64
				s.SetStageTimesBatch(int64(tc.size), func(dated int64) { after = append(after, dated) })
				started := 0
				b, err := s.BackfillStageTimes(ctx, func() { started++ })
				if err != nil || !b.Done || b.Elsewhere || b.Dated != int64(tc.leads) || b.Batches != tc.batches || started != min(tc.leads, 1) {
					t.Fatalf("backfill = %+v, %v, started %d times; want %d leads in %d batches, done, started once if any", b, err, started, tc.leads, tc.batches)
				}
				for i, n := range after {
					prev := int64(0)
					if i > 0 {
						prev = after[i-1]
					}
					if n-prev > int64(tc.size) {
						t.Errorf("batch %d dated %d leads, more than its %d", i+1, n-prev, tc.size)
					}
				}
				wantStageTimes(t, s, ids, len(ids))
				again, err := s.BackfillStageTimes(ctx, func() { started++ })
				if err != nil || !again.Done || again.Batches != 0 || again.Dated != 0 || started != min(tc.leads, 1) {
					t.Fatalf("second backfill = %+v, %v, started %d times; want it found done", again, err, started)
				}
			})
		})
	}
}

// A backfill stopped between batches (serve shutting down) keeps the
// batches it committed and records nothing; the next one dates the rest
// and records it done.
func TestBackfillStageTimesResumes(t *testing.T) {
	storagetest.EachRaw(t, func(t *testing.T, s *storage.Store, raw *sql.DB) {
		ids := earlierLeads(t, s, raw, 10)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		s.SetStageTimesBatch(4, func(int64) { cancel() })
		b, err := s.BackfillStageTimes(ctx, nil)
		if !errors.Is(err, context.Canceled) || b.Done || b.Dated != 4 || b.Batches != 1 {
			t.Fatalf("stopped backfill = %+v, %v; want 4 leads in 1 batch, not done, canceled", b, err)
		}
		wantStageTimes(t, s, ids, 4)
		var recorded int
		if err := raw.QueryRow("SELECT COUNT(*) FROM data_migrations WHERE name = 'leads-stage-ms-from-events'").Scan(&recorded); err != nil || recorded != 0 {
			t.Fatalf("data_migrations holds the backfill %d times (%v), want not yet", recorded, err)
		}
		s.SetStageTimesBatch(4, nil)
		b, err = s.BackfillStageTimes(context.Background(), nil)
		if err != nil || !b.Done || b.Dated != 6 || b.Batches != 2 {
			t.Fatalf("resumed backfill = %+v, %v; want the other 6 leads in 2 batches, done", b, err)
		}
		wantStageTimes(t, s, ids, len(ids))
	})
}

// A lead that the new code dates between two batches (a claim, a stage
// the CRM moved it to), after the backfill started and before its batch,
// keeps the new code's time.
func TestBackfillStageTimesKeepsWhatTheNewCodeDated(t *testing.T) {
	storagetest.EachRaw(t, func(t *testing.T, s *storage.Store, raw *sql.DB) {
		ctx := context.Background()
		ids := earlierLeads(t, s, raw, 8)
		// Lead 5 gets a stage_ms its history does not give (a row
		// written as the new code would, with a time of its own); lead 6
		// is claimed.
		planted := t0.Add(-24 * time.Hour)
		claimed := t0.Add(30 * time.Hour)
		moved := false
		s.SetStageTimesBatch(4, func(int64) {
			if moved {
				return
			}
			moved = true
			if _, err := raw.Exec(fmt.Sprintf("UPDATE leads SET stage_ms = %d WHERE id = %d", planted.UnixMilli(), ids[5])); err != nil {
				t.Error(err)
			}
			if _, won, err := s.ClaimLead(ctx, ids[6], handoff.Owner{Platform: "slack", UserID: "U1"}, claimed, handoff.Policy{}, "slack:U1"); err != nil || !won {
				t.Errorf("claim: won %v, %v", won, err)
			}
		})
		b, err := s.BackfillStageTimes(ctx, nil)
		if err != nil || !b.Done || b.Dated != 6 {
			t.Fatalf("backfill = %+v, %v; want 6 leads dated (not the 2 the new code dated), done", b, err)
		}
		got := stageTimes(t, s, ids)
		if got[5] == nil || !got[5].Equal(planted) {
			t.Errorf("the lead the new code dated %v has stage_ms %v", planted, got[5])
		}
		if got[6] == nil || !got[6].Equal(claimed) {
			t.Errorf("the lead claimed at %v has stage_ms %v", claimed, got[6])
		}
		wantStageTimes(t, s, ids, len(ids), 5, 6)
	})
}

// On PostgreSQL a lead that the new code dates while a batch is writing
// it, the batch waiting for its row, keeps the new code's time: READ
// COMMITTED reads the row again as the write committed it, stage_ms set,
// and the batch leaves it.
func TestBackfillStageTimesWaitsForAConcurrentWrite(t *testing.T) {
	ctx := context.Background()
	s, raw := storagetest.OpenRaw(t, storage.DialectPostgres)
	ids := earlierLeads(t, s, raw, 6)
	planted := t0.Add(-24 * time.Hour)
	writer, err := raw.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Rollback()
	var holder int
	if err := writer.QueryRow("SELECT pg_backend_pid()").Scan(&holder); err != nil {
		t.Fatal(err)
	}
	if _, err := writer.Exec(fmt.Sprintf("UPDATE leads SET stage_ms = %d WHERE id = %d", planted.UnixMilli(), ids[3])); err != nil {
		t.Fatal(err)
	}
	done := backfillAsync(s)
	waitBlockedBy(t, raw, holder, done, "the write of the lead")
	if err := writer.Commit(); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil || !r.b.Done || r.b.Dated != 5 {
		t.Fatalf("backfill = %+v, %v; want 5 leads dated, done", r.b, r.err)
	}
	if got := stageTimes(t, s, ids)[3]; got == nil || !got.Equal(planted) {
		t.Errorf("the lead written during the batch has stage_ms %v, want the write's %v", got, planted)
	}
	wantStageTimes(t, s, ids, len(ids), 3)
}

// On PostgreSQL one backfill runs at a time: another replica's, started
// while the first holds its lock, returns at once, Elsewhere, having dated
// nothing; once the first is done, a call finds it done.
func TestBackfillStageTimesOneReplicaAtATime(t *testing.T) {
	ctx := context.Background()
	u := storagetest.URL(t, storage.DialectPostgres)
	s := storagetest.OpenURL(t, u, storage.Options{})
	raw, err := sql.Open("pgx", u)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	other := storagetest.OpenURL(t, u, storage.Options{})
	ids := earlierLeads(t, s, raw, 8)
	paused, resume := make(chan struct{}), make(chan struct{})
	var once sync.Once
	s.SetStageTimesBatch(4, func(int64) {
		once.Do(func() {
			close(paused)
			<-resume
		})
	})
	first := backfillAsync(s)
	<-paused
	started := false
	b, err := other.BackfillStageTimes(ctx, func() { started = true })
	if err != nil || !b.Elsewhere || b.Done || b.Dated != 0 || b.Batches != 0 || started {
		t.Fatalf("the other replica's backfill = %+v, %v, started %v; want it left to the first", b, err, started)
	}
	close(resume)
	if r := <-first; r.err != nil || !r.b.Done || r.b.Dated != 8 {
		t.Fatalf("first backfill = %+v, %v; want 8 leads dated, done", r.b, r.err)
	}
	wantStageTimes(t, s, ids, len(ids))
	b, err = other.BackfillStageTimes(ctx, nil)
	if err != nil || !b.Done || b.Elsewhere || b.Batches != 0 {
		t.Fatalf("the other replica's backfill after the first = %+v, %v; want it found done", b, err)
	}
}

// backfillResult is what a BackfillStageTimes returned.
type backfillResult struct {
	b   storage.StageTimesBackfill
	err error
}

// backfillAsync runs s.BackfillStageTimes on a goroutine of its own and
// returns where its result arrives.
func backfillAsync(s *storage.Store) <-chan backfillResult {
	done := make(chan backfillResult, 1)
	go func() {
		b, err := s.BackfillStageTimes(context.Background(), nil)
		done <- backfillResult{b, err}
	}()
	return done
}
