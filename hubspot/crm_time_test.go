package hubspot_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/hubspot"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// A contact HubSpot made an SQL on 31 October at 22:00 whose webhook
// arrives three hours later, on 1 November, counts in October's funnel,
// as HubSpot dates it (the whole contact's lifecyclestage versions, or a
// chosen body's "Became a Sales Qualified Lead Date"), while its
// deadlines count from its arrival: nothing is breached on arrival.
func TestHubSpotStageDatedByHubSpot(t *testing.T) {
	arrival := time.Date(2026, 11, 1, 1, 0, 0, 0, time.UTC)
	sqlAt := time.Date(2026, 10, 31, 22, 0, 0, 0, time.UTC)
	october := handoff.Period{Label: "2026-10", Start: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), End: arrival.Truncate(24 * time.Hour)}
	november := handoff.Period{Label: "2026-11", Start: october.End, End: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	ms := strconv.FormatInt(sqlAt.UnixMilli(), 10)
	classic := strings.NewReplacer(`"timestamp": 1763620000000`, `"timestamp": `+ms,
		`"lastmodifieddate": {"value": "1763620000123"`, `"lastmodifieddate": {"value": "`+ms+`"`).Replace(classicContact)
	for _, c := range []struct {
		name, body, id string
	}{
		{"whole contact", classic, "101"},
		{"chosen properties", `{"hs_object_id": 505, "email": "eva@x.dk", "lifecyclestage": "salesqualifiedlead",
			"hs_lifecyclestage_salesqualifiedlead_date": "2026-10-31T22:00:00Z", "hs_lastmodifieddate": "2026-11-01T00:59:00Z"}`, "505"},
	} {
		t.Run(c.name, func(t *testing.T) {
			storagetest.Each(t, func(t *testing.T, s *storage.Store) {
				ctx := context.Background()
				srv := newServerOf(t, s, hubspot.Handler{Now: func() time.Time { return arrival }})
				if status, ans := send(t, srv, "/hooks/hubspot", c.body, "", arrival, secret); status != 200 {
					t.Fatalf("%d %v", status, ans)
				}
				l, err := s.LeadByExternalID(ctx, c.id)
				if err != nil {
					t.Fatal(err)
				}
				if l.SQLAt == nil || !l.SQLAt.Equal(sqlAt) {
					t.Errorf("SQL at %v, want %s (HubSpot's time)", l.SQLAt, sqlAt)
				}
				policy := handoff.DefaultPolicy()
				if l.ClaimDueAt == nil || !l.ClaimDueAt.Equal(policy.ClaimDue(arrival)) || l.SLABreached {
					t.Errorf("claim due %v, breached %v; want %s (from its arrival), not breached", l.ClaimDueAt, l.SLABreached, policy.ClaimDue(arrival))
				}
				for _, p := range []struct {
					period handoff.Period
					sqls   int64
				}{{october, 1}, {november, 0}} {
					got, err := s.FunnelCounts(ctx, handoff.FunnelFilter{Period: p.period, Now: november.End})
					if err != nil {
						t.Fatal(err)
					}
					if got.SQLs != p.sqls {
						t.Errorf("%s's SQLs = %d, want %d", p.period.Label, got.SQLs, p.sqls)
					}
				}
			})
		})
	}
}
