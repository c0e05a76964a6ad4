package storage_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage/storagetest"
)

// BackfillStageTimes dates a lead from the event by which it entered its
// stage the last time: the last of its stage and release events in the
// order they were recorded (by id), when that event is of the lead's
// stage. Every write path records an event of the stage it moves a lead to
// last, in the transaction that moves it, holding the lead's row; so a
// history whose last such event is of another stage says the lead came
// back to its stage unrecorded (hand-edited, or a restored copy of the
// leads without their events): its older events of the stage date a stay
// it left since, and it keeps NULL. The histories are rows as an earlier
// version, or a hand, left them.
func TestBackfillStageTimesFromTheLastEntry(t *testing.T) {
	hour := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
	at := func(h int) *time.Time { v := hour(h); return &v }
	// ev is one event row: its kind, stage and hour, recorded in the
	// order listed.
	type ev struct {
		kind  handoff.EventKind
		stage handoff.Stage
		h     int
	}
	stage := func(st handoff.Stage, h int) ev { return ev{handoff.EventStage, st, h} }
	cases := []struct {
		name   string
		stage  handoff.Stage
		events []ev
		want   *time.Time
	}{
		{"claimed, released, claimed again: the last claim", handoff.StageClaimed,
			[]ev{stage(handoff.StageSQL, 0), stage(handoff.StageClaimed, 1), {handoff.EventRelease, handoff.StageSQL, 2}, stage(handoff.StageClaimed, 3)}, at(3)},
		{"released back to the channel: the release", handoff.StageSQL,
			[]ev{stage(handoff.StageSQL, 0), stage(handoff.StageClaimed, 1), {handoff.EventRelease, handoff.StageSQL, 2}}, at(2)},
		{"lost, back as an SQL dated before the loss: the return, by id", handoff.StageSQL,
			[]ev{stage(handoff.StageSQL, 0), stage(handoff.StageLost, 5), stage(handoff.StageSQL, 3)}, at(3)},
		{"its stage after reminders, breaches, a reassign, a routing step and the erasure", handoff.StageClaimed,
			[]ev{stage(handoff.StageSQL, 0), {handoff.EventRouted, handoff.StageSQL, 1}, stage(handoff.StageClaimed, 2), {handoff.EventReminder, handoff.StageClaimed, 3},
				{handoff.EventBreach, handoff.StageClaimed, 4}, {handoff.EventReassign, handoff.StageClaimed, 5}, {handoff.EventErased, handoff.StageClaimed, 6}}, at(2)},
		{"back in its stage unrecorded after leaving it: none", handoff.StageSQL,
			[]ev{stage(handoff.StageSQL, 0), stage(handoff.StageClaimed, 1)}, nil},
		{"left its stage and came back unrecorded twice: none", handoff.StageSQL,
			[]ev{stage(handoff.StageSQL, 0), stage(handoff.StageClaimed, 1), {handoff.EventRelease, handoff.StageSQL, 2}, stage(handoff.StageLost, 3)}, nil},
		{"a stage it never had an event of: none", handoff.StageContacted,
			[]ev{stage(handoff.StageSQL, 0), stage(handoff.StageClaimed, 1)}, nil},
		{"only other kinds of its stage: none", handoff.StageSQL,
			[]ev{{handoff.EventRouted, handoff.StageSQL, 0}, {handoff.EventBreach, handoff.StageSQL, 1}, {handoff.EventReminder, handoff.StageSQL, 2}}, nil},
	}
	for _, d := range storagetest.Dialects {
		t.Run(d, func(t *testing.T) {
			ctx := context.Background()
			s, raw := storagetest.OpenRaw(t, d)
			exec := func(q string, args ...any) {
				t.Helper()
				if d == "postgres" {
					for i := range args {
						q = strings.Replace(q, "?", fmt.Sprintf("$%d", i+1), 1)
					}
				}
				if _, err := raw.Exec(q, args...); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			ids := make([]int64, len(cases))
			for i, c := range cases {
				in := handoff.LeadInput{ExternalID: fmt.Sprintf("history-%d", i), Email: fmt.Sprintf("history%d@x.dk", i), Stage: handoff.StageSQL}
				res, err := s.SaveLead(ctx, in, handoff.DefaultPolicy(), hour(0), handoff.ActorAPI)
				if err != nil {
					t.Fatal(err)
				}
				ids[i] = res.Lead.ID
				exec("DELETE FROM lead_events WHERE lead_id = ?", ids[i])
				for _, e := range c.events {
					exec("INSERT INTO lead_events (lead_id, kind, stage, at_ms, actor, details, reason_code, not_a_fit) VALUES (?, ?, ?, ?, 'api', '', '', ?)",
						ids[i], string(e.kind), string(e.stage), hour(e.h).UnixMilli(), false)
				}
				exec("UPDATE leads SET stage = ?, stage_ms = NULL WHERE id = ?", string(c.stage), ids[i])
			}
			exec(unrecordStageTimes)
			b, err := s.BackfillStageTimes(ctx, nil)
			dated := 0
			for _, c := range cases {
				if c.want != nil {
					dated++
				}
			}
			if err != nil || !b.Done {
				t.Fatalf("backfill = %+v, %v; want it done", b, err)
			}
			if b.Dated != int64(dated) {
				t.Errorf("backfill dated %d leads, want %d", b.Dated, dated)
			}
			for i, got := range stageTimes(t, s, ids) {
				if c := cases[i]; (got == nil) != (c.want == nil) || c.want != nil && !got.Equal(*c.want) {
					t.Errorf("%s: stage_ms %v, want %v", c.name, got, c.want)
				}
			}
		})
	}
}
