package storage_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// A known lead keeps the first source it is given, whichever path brings
// another (a CRM's versioned save, the API's save, the import's batch):
// October's funnel, by source too, read again after a change in November
// is what it was, and equals the funnel recomputed from the event log.
func TestSourceKeptAfterCreation(t *testing.T) {
	october := handoff.Period{Label: "2026-10", Start: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
	created, changed := time.Date(2026, 10, 15, 10, 0, 0, 0, time.UTC), t0
	policy := handoff.DefaultPolicy()
	cases := intakePaths(policy)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			storagetest.Each(t, func(t *testing.T, s *storage.Store) {
				ctx := context.Background()
				reports := func() map[string]handoff.FunnelCounts {
					t.Helper()
					out := map[string]handoff.FunnelCounts{}
					for _, src := range []string{"", "web", "partner"} {
						f := handoff.FunnelFilter{Period: october, Source: src, Now: october.End}
						got, err := s.FunnelCounts(ctx, f)
						if err != nil {
							t.Fatal(err)
						}
						want, err := s.FunnelCountsFromEvents(ctx, f)
						if err != nil {
							t.Fatal(err)
						}
						if !reflect.DeepEqual(got, want) {
							t.Errorf("source %q: rollup %+v, event log %+v", src, got, want)
						}
						out[src] = got
					}
					return out
				}
				if err := c.save(ctx, s, input(t, map[string]any{"external_id": "src-1", "source": "web", "stage": "sql"}), created); err != nil {
					t.Fatal(err)
				}
				before := reports()
				if before["web"].SQLs != 1 {
					t.Fatalf("October's SQLs from web = %d, want 1", before["web"].SQLs)
				}
				if err := c.save(ctx, s, input(t, map[string]any{"external_id": "src-1", "source": "partner", "stage": "contacted"}), changed); err != nil {
					t.Fatal(err)
				}
				if after := reports(); !reflect.DeepEqual(after, before) {
					t.Errorf("October's funnel changed after the fact:\nbefore %+v\nafter  %+v", before, after)
				}
				l, err := s.LeadByExternalID(ctx, "src-1")
				if err != nil {
					t.Fatal(err)
				}
				if l.Source != "web" || l.Stage != handoff.StageContacted {
					t.Errorf("lead: source %q, stage %s; want web, contacted", l.Source, l.Stage)
				}

				// A lead that came without a source takes the first it is
				// sent, past periods with it, and the rollup follows.
				if err := c.save(ctx, s, input(t, map[string]any{"external_id": "src-2", "stage": "sql"}), created); err != nil {
					t.Fatal(err)
				}
				if err := c.save(ctx, s, input(t, map[string]any{"external_id": "src-2", "source": "partner"}), changed); err != nil {
					t.Fatal(err)
				}
				if got := reports()["partner"].SQLs; got != 1 {
					t.Errorf("October's SQLs from partner = %d, want 1 (the lead given its first source)", got)
				}
				if l, err := s.LeadByExternalID(ctx, "src-2"); err != nil || l.Source != "partner" {
					t.Errorf("lead without a source, sent partner: source %q, %v", l.Source, err)
				}
			})
		})
	}
}

// intakePath is one way a lead input reaches the store.
type intakePath struct {
	name string
	save func(ctx context.Context, s *storage.Store, in handoff.LeadInput, at time.Time) error
}

// intakePaths are the paths that bring a known lead another source or
// campaign: a CRM's versioned save, the API's save, the import's batch.
func intakePaths(policy handoff.Policy) []intakePath {
	return []intakePath{
		{"CRM", func(ctx context.Context, s *storage.Store, in handoff.LeadInput, at time.Time) error {
			_, _, err := s.SaveLeadVersion(ctx, in, policy, at, "salesforce", "salesforce", handoff.VersionOf(in, at))
			return err
		}},
		{"API", func(ctx context.Context, s *storage.Store, in handoff.LeadInput, at time.Time) error {
			_, err := s.SaveLead(ctx, in, policy, at, handoff.ActorAPI)
			return err
		}},
		{"import", func(ctx context.Context, s *storage.Store, in handoff.LeadInput, at time.Time) error {
			_, errs, err := s.SaveLeads(ctx, []handoff.LeadInput{in}, policy, at, handoff.ActorImport)
			if err == nil {
				err = errs[0]
			}
			return err
		}},
	}
}

// A known lead keeps the first campaign it is given, as it keeps its
// source, on every path: October's funnel per campaign, read again after
// a November input with another campaign, is what it was and equals the
// funnel recomputed from the event log; a lead that came without a
// campaign takes the first one it is sent.
func TestCampaignKeptAfterCreation(t *testing.T) {
	october := handoff.Period{Label: "2026-10", Start: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
	created, changed := time.Date(2026, 10, 15, 10, 0, 0, 0, time.UTC), t0
	for _, c := range intakePaths(handoff.DefaultPolicy()) {
		t.Run(c.name, func(t *testing.T) {
			storagetest.Each(t, func(t *testing.T, s *storage.Store) {
				ctx := context.Background()
				byCampaign := func() map[string]handoff.CampaignCounts {
					t.Helper()
					f := handoff.FunnelFilter{Period: october, Now: october.End}
					got, err := s.FunnelCounts(ctx, f)
					if err != nil {
						t.Fatal(err)
					}
					want, err := s.FunnelCountsFromEvents(ctx, f)
					if err != nil {
						t.Fatal(err)
					}
					if !reflect.DeepEqual(got.ByCampaign, want.ByCampaign) {
						t.Errorf("by campaign: rollup %+v, event log %+v", got.ByCampaign, want.ByCampaign)
					}
					out := map[string]handoff.CampaignCounts{}
					for _, cc := range got.ByCampaign {
						out[cc.Source+"/"+cc.Campaign] = cc
					}
					return out
				}
				if err := c.save(ctx, s, input(t, map[string]any{"external_id": "cmp-1", "source": "web", "campaign": "spring_sale", "stage": "sql"}), created); err != nil {
					t.Fatal(err)
				}
				before := byCampaign()
				if before["web/spring_sale"].SQLs != 1 {
					t.Fatalf("October's SQLs of web/spring_sale = %+v, want 1", before)
				}
				if err := c.save(ctx, s, input(t, map[string]any{"external_id": "cmp-1", "campaign": "black_friday", "stage": "contacted"}), changed); err != nil {
					t.Fatal(err)
				}
				if after := byCampaign(); !reflect.DeepEqual(after, before) {
					t.Errorf("October's funnel per campaign changed after the fact:\nbefore %+v\nafter  %+v", before, after)
				}
				if l, err := s.LeadByExternalID(ctx, "cmp-1"); err != nil || l.Campaign != "spring_sale" || l.Stage != handoff.StageContacted {
					t.Errorf("lead: campaign %q, stage %s, %v; want spring_sale, contacted", l.Campaign, l.Stage, err)
				}

				// A lead that came without a campaign takes the first it
				// is sent, its past periods with it.
				if err := c.save(ctx, s, input(t, map[string]any{"external_id": "cmp-2", "source": "web", "stage": "sql"}), created); err != nil {
					t.Fatal(err)
				}
				if err := c.save(ctx, s, input(t, map[string]any{"external_id": "cmp-2", "campaign": "black_friday"}), changed); err != nil {
					t.Fatal(err)
				}
				if got := byCampaign()["web/black_friday"].SQLs; got != 1 {
					t.Errorf("October's SQLs of web/black_friday = %d, want 1 (the lead given its first campaign)", got)
				}
			})
		})
	}
}
