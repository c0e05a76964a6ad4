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

// Migrate clears the reason an earlier version stored on a lead that is
// neither lost nor recycled (an SQL again after a loss, a lead HubSpot
// restored after its deletion, one won after a loss), and keeps a lost or
// recycled lead's own, a merged-away lead's included; the funnel, which
// counts losses from the events, answers as before. Run again, even with
// its record in data_migrations gone, it changes nothing more.
func TestMigrateClearsReopenedLeadsReasons(t *testing.T) {
	policy := handoff.DefaultPolicy()
	const competitor, timing = "Chose a competitor", "bad timing"
	cases := []struct {
		id string
		// stages are what the lead goes through after it is made an SQL
		// at t0, an hour apart, each a stage and its reason.
		stages [][2]string
		// stale is the reason the earlier version left on the lead, set
		// as it did; "" leaves the lead as this version saved it.
		stale string
		want  string
	}{
		{"reopened", [][2]string{{"lost", competitor}, {"sql", ""}}, competitor, ""},
		{"restored", [][2]string{{"lost", handoff.HubSpotDeletedReason}, {"claimed", ""}}, handoff.HubSpotDeletedReason, ""},
		{"won after a loss", [][2]string{{"lost", competitor}, {"won", ""}}, competitor, ""},
		{"mql after a return", [][2]string{{"recycled", timing}, {"mql", ""}}, timing, ""},
		{"lost", [][2]string{{"lost", competitor}}, "", competitor},
		{"recycled after a loss", [][2]string{{"lost", competitor}, {"recycled", timing}}, "", timing},
		{"merged away", [][2]string{{"lost", handoff.MergedReason}}, "", handoff.MergedReason},
		{"open", nil, "", ""},
	}
	month, err := handoff.ParsePeriod("2026-11", t0, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range storagetest.Dialects {
		t.Run(d, func(t *testing.T) {
			ctx := context.Background()
			s, raw := storagetest.OpenRaw(t, d)
			ids := map[string]int64{}
			for _, c := range cases {
				res, err := s.SaveLead(ctx, input(t, map[string]any{"external_id": c.id, "source": "LinkedIn"}), policy, t0, handoff.ActorAPI)
				if err != nil {
					t.Fatal(err)
				}
				ids[c.id] = res.Lead.ID
				for i, st := range c.stages {
					in := handoff.LeadInput{ExternalID: c.id, Stage: handoff.Stage(st[0]), Reason: st[1]}
					if _, err := s.SaveLead(ctx, in, policy, t0.Add(time.Duration(i+1)*time.Hour), handoff.ActorAPI); err != nil {
						t.Fatal(err)
					}
				}
				if c.stale != "" {
					q := fmt.Sprintf("UPDATE leads SET reason = '%s' WHERE id = %d", strings.ReplaceAll(c.stale, "'", "''"), res.Lead.ID)
					if _, err := raw.Exec(q); err != nil {
						t.Fatalf("%s: %v", q, err)
					}
				}
			}
			filter := handoff.FunnelFilter{Period: month, Now: t0.Add(24 * time.Hour)}
			before, err := s.FunnelCounts(ctx, filter)
			if err != nil {
				t.Fatal(err)
			}
			check := func(when string) {
				t.Helper()
				for _, c := range cases {
					// The row as stored: a lead read through the store
					// shows no reason outside lost and recycled anyway.
					var stage, reason string
					q := fmt.Sprintf("SELECT stage, reason FROM leads WHERE id = %d", ids[c.id])
					if err := raw.QueryRow(q).Scan(&stage, &reason); err != nil {
						t.Fatalf("%s: %v", q, err)
					}
					if reason != c.want {
						t.Errorf("%s: lead %s (%s) has reason %q stored, want %q", when, c.id, stage, reason, c.want)
					}
				}
				after, err := s.FunnelCounts(ctx, filter)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(after, before) {
					t.Errorf("%s: funnel %+v, want it as before: %+v", when, after, before)
				}
			}
			again := "DELETE FROM data_migrations WHERE name = 'reopened-leads-drop-reason'"
			for _, when := range []string{"migrated", "migrated again", "migrated again, unrecorded"} {
				if when != "migrated again" {
					if _, err := raw.Exec(again); err != nil {
						t.Fatalf("%s: %v", again, err)
					}
				}
				if err := s.Migrate(ctx); err != nil {
					t.Fatal(err)
				}
				check(when)
			}
			if before.Lost != 6 || before.Recycled != 2 {
				t.Errorf("funnel counts %d lost and %d recycled, want 6 and 2: every loss and return in the events", before.Lost, before.Recycled)
			}
		})
	}
}
