package handoff_test

import (
	"testing"
	"time"

	"github.com/handoff/handoff"
)

// A CRM's time dates a stage change only within bounds: never after the
// change reached Handoff, never before what Handoff recorded of the lead,
// and, for a lead that left sales, never before its departure.
func TestCRMTimeBounds(t *testing.T) {
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	created := now.Add(-48 * time.Hour)
	sql := now.Add(-24 * time.Hour)
	claimed := now.Add(-2 * time.Hour)
	known := handoff.Lead{ID: 1, CreatedAt: created, SQLAt: &sql, ClaimedAt: &claimed}
	// Lost at 11:00 yesterday, after its SQL, and changed since (a rescore).
	lostAt := now.Add(-22 * time.Hour)
	lost := handoff.Lead{ID: 1, CreatedAt: created, SQLAt: &sql, Stage: handoff.StageLost, StageAt: &lostAt, UpdatedAt: now.Add(-time.Hour)}
	stored := lost // stored before StageAt was kept: its last update stands in
	stored.StageAt = nil
	open := lost // an SQL again: its stage's time is no departure
	open.Stage = handoff.StageClaimed
	for _, c := range []struct {
		name string
		lead handoff.Lead
		t    time.Time
		want time.Time
	}{
		{"new lead, three hours ago", handoff.Lead{}, now.Add(-3 * time.Hour), now.Add(-3 * time.Hour)},
		{"new lead, last month", handoff.Lead{}, now.AddDate(0, -1, 0), now.AddDate(0, -1, 0)},
		{"ahead within the skew", handoff.Lead{}, now.Add(time.Minute), now},
		{"ahead beyond the skew", handoff.Lead{}, now.Add(time.Hour), now},
		{"a placeholder", handoff.Lead{}, time.UnixMilli(0), now},
		{"known lead, after its claim", known, now.Add(-time.Hour), now.Add(-time.Hour)},
		{"known lead, before its claim", known, now.Add(-3 * time.Hour), claimed},
		{"known lead, before its creation", known, created.Add(-time.Hour), claimed},
		{"lost lead, a return before its loss", lost, sql.Add(time.Hour), lostAt},
		{"lost lead, a return dated as its SQL", lost, sql, lostAt},
		{"lost lead, a return after its loss", lost, lostAt.Add(time.Hour), lostAt.Add(time.Hour)},
		{"lost lead stored without its loss's time", stored, sql.Add(time.Hour), now.Add(-time.Hour)},
		{"claimed lead, its stage's time no floor", open, sql.Add(time.Hour), sql.Add(time.Hour)},
		{"created after now (a clock behind)", handoff.Lead{ID: 1, CreatedAt: now.Add(time.Minute)}, now.Add(-time.Hour), now},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := c.lead
			if got := l.CRMTime(c.t, now); !got.Equal(c.want) {
				t.Errorf("CRMTime(%s) = %s, want %s", c.t, got, c.want)
			}
		})
	}
}

// A CRM's SQL that arrives three hours late is dated when the CRM made it
// (the funnel counts it then), with a note of its arrival, while its
// deadlines count from its arrival: it is not announced as breached. An
// occurred_at the API's sender states still sets both.
func TestApplyDatesCRMChangeByCRMTime(t *testing.T) {
	now := time.Date(2026, 11, 1, 1, 0, 0, 0, time.UTC)
	crm := time.Date(2026, 10, 31, 22, 0, 0, 0, time.UTC)
	policy := handoff.DefaultPolicy()
	for _, c := range []struct {
		name             string
		changed, stated  *time.Time
		wantAt, wantFrom time.Time
		wantReceived     string
	}{
		{"CRM time", &crm, nil, crm, now, "2026-11-01T01:00:00Z"},
		{"no time", nil, nil, now, now, ""},
		{"stated occurred_at", &crm, &crm, crm, crm, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			in, err := handoff.ParseLeadInput(map[string]any{"external_id": "x", "stage": "sql"}, now)
			if err != nil {
				t.Fatal(err)
			}
			in.ChangedAt, in.OccurredAt = c.changed, c.stated
			l := &handoff.Lead{}
			_, events, err := in.Apply(l, now, handoff.ActorHubSpot, policy)
			if err != nil {
				t.Fatal(err)
			}
			last := events[len(events)-1]
			if last.Stage != handoff.StageSQL || !last.At.Equal(c.wantAt) || !l.SQLAt.Equal(c.wantAt) {
				t.Errorf("SQL event at %s, lead's SQL at %s; want %s", last.At, l.SQLAt, c.wantAt)
			}
			if last.Details["received"] != c.wantReceived {
				t.Errorf("details %v, want received %q", last.Details, c.wantReceived)
			}
			if want := policy.ClaimDue(c.wantFrom); !l.ClaimDueAt.Equal(want) {
				t.Errorf("claim due %s, want %s (counted from %s)", l.ClaimDueAt, want, c.wantFrom)
			}
			if want := policy.ContactDue(c.wantFrom); !l.ContactDueAt.Equal(want) {
				t.Errorf("contact due %s, want %s", l.ContactDueAt, want)
			}
			if c.changed != nil && c.stated == nil && handoff.BecameSQLPastClaimDeadline(l, events, now) {
				t.Error("a CRM's late SQL is announced as past its claim deadline")
			}
		})
	}
}
