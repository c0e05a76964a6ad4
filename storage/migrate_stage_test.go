package storage_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage/storagetest"
)

// Migrate gives a lead stored before stage_ms was kept (NULL) the time of
// the event by which it entered its current stage, the stage's own or a
// release's, as its history dates it, whatever was written to the lead
// since: the closed card's time (EnteredStageAt) no longer moves with a
// later update. A lead that has stage_ms keeps it, one whose history holds
// no such event keeps NULL, an erased lead gains its stage time back and
// nothing else, and nothing else of any lead changes. Run again, recorded
// or not, it changes nothing more.
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
						_, won, err = s.ClaimLead(ctx, ids[c.id], handoff.Owner{Platform: "slack", UserID: "U1"}, hour(st.h), "slack:U1")
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
						err = s.ForgetLead(ctx, c.id, hour(st.h))
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
			unrecord := "DELETE FROM data_migrations WHERE name = 'leads-stage-ms-from-events'"
			for _, when := range []string{"migrated", "migrated again", "migrated again, unrecorded"} {
				if when != "migrated again" {
					exec(unrecord)
				}
				if err := s.Migrate(ctx); err != nil {
					t.Fatal(err)
				}
				check(when)
			}
		})
	}
}
