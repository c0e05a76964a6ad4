package handoff_test

import (
	"testing"
	"time"

	"github.com/handoff/handoff"
)

// A lead that left sales (won, lost or recycled) is never dated back
// before its departure, whoever dates the change that follows it: a CRM
// (Lead.CRMTime, HubSpot's and Salesforce's dates) and a sender that
// states the time (the API's occurred_at, a CSV's date, through
// LeadInput.Apply) alike. The same cases feed both paths; a CRM's other
// bounds (after now, before the lead's SQL or claim) are
// TestCRMTimeBounds'.
func TestNoChangeDatedBeforeTheDeparture(t *testing.T) {
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	created := now.Add(-48 * time.Hour)
	sql := now.Add(-24 * time.Hour)
	leftAt := now.Add(-22 * time.Hour) // 11:00 yesterday
	updated := now.Add(-time.Hour)     // a rescore since
	left := func(stage handoff.Stage, at *time.Time) handoff.Lead {
		return handoff.Lead{ID: 1, ExternalID: "x", CreatedAt: created, SQLAt: &sql, Stage: stage, StageAt: at, Reached: handoff.StageSQL.Rank(),
			UpdatedAt: updated}
	}
	for _, c := range []struct {
		name string
		lead handoff.Lead
		to   handoff.Stage
		t    time.Time
		want time.Time
	}{
		{"lost, a return before its loss", left(handoff.StageLost, &leftAt), handoff.StageSQL, sql.Add(time.Hour), leftAt},
		{"lost, a return dated as its first SQL", left(handoff.StageLost, &leftAt), handoff.StageSQL, sql, leftAt},
		{"lost, a return dated before its first SQL", left(handoff.StageLost, &leftAt), handoff.StageSQL, sql.Add(-time.Hour), leftAt},
		{"lost, a return at its loss", left(handoff.StageLost, &leftAt), handoff.StageSQL, leftAt, leftAt},
		{"lost, a return after its loss", left(handoff.StageLost, &leftAt), handoff.StageSQL, leftAt.Add(time.Hour), leftAt.Add(time.Hour)},
		{"recycled, back to marketing as an MQL before it", left(handoff.StageRecycled, &leftAt), handoff.StageMQL, leftAt.Add(-time.Minute), leftAt},
		{"recycled, an SQL again before it", left(handoff.StageRecycled, &leftAt), handoff.StageSQL, leftAt.Add(-time.Minute), leftAt},
		{"won, recycled dated before the win", left(handoff.StageWon, &leftAt), handoff.StageRecycled, sql.Add(time.Hour), leftAt},
		{"lost, stored before its loss's time was kept: its last update stands in", left(handoff.StageLost, nil), handoff.StageSQL, sql.Add(time.Hour), updated},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := c.lead
			if got := l.NotBeforeDeparture(c.t); !got.Equal(c.want) {
				t.Errorf("NotBeforeDeparture(%s) = %s, want %s", c.t, got, c.want)
			}
			if got := l.CRMTime(c.t, now); !got.Equal(c.want) {
				t.Errorf("CRMTime(%s) = %s, want %s", c.t, got, c.want)
			}
			stated := c.t
			in := handoff.LeadInput{ExternalID: "x", Stage: c.to, OccurredAt: &stated}
			if c.to.HoldsReason() {
				in.Reason = "Not ready"
			}
			_, events, err := in.Apply(&l, now, handoff.ActorAPI, handoff.DefaultPolicy())
			if err != nil {
				t.Fatal(err)
			}
			if len(events) == 0 {
				t.Fatalf("no events; want %s entered", c.to)
			}
			for _, e := range events {
				if !e.At.Equal(c.want) {
					t.Errorf("occurred_at %s: %s %s dated %s, want %s", c.t, e.Kind, e.Stage, e.At, c.want)
				}
			}
			if l.Stage != c.to || l.StageAt == nil || !l.StageAt.Equal(c.want) {
				t.Errorf("occurred_at %s: lead %s at %v, want %s at %s", c.t, l.Stage, l.StageAt, c.to, c.want)
			}
		})
	}
}

// A stated time that follows no departure is kept as the sender states it:
// a new lead's, an open lead's (its stage's time no floor), and a
// departure's own.
func TestStatedTimeWithoutADeparture(t *testing.T) {
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	sql := now.Add(-24 * time.Hour)
	claimedAt := now.Add(-2 * time.Hour)
	for _, c := range []struct {
		name string
		lead handoff.Lead
		t    time.Time
	}{
		{"a new lead, last month", handoff.Lead{}, now.AddDate(0, -1, 0)},
		{"a claimed lead, before its claim", handoff.Lead{ID: 1, Stage: handoff.StageClaimed, StageAt: &claimedAt, SQLAt: &sql}, sql.Add(time.Hour)},
		{"an SQL, a time before it became one", handoff.Lead{ID: 1, Stage: handoff.StageSQL, StageAt: &sql, SQLAt: &sql}, sql.Add(-time.Hour)},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := c.lead
			if got := l.NotBeforeDeparture(c.t); !got.Equal(c.t) {
				t.Errorf("NotBeforeDeparture(%s) = %s, want it kept", c.t, got)
			}
		})
	}
}
