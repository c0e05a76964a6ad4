package storage

import (
	"reflect"
	"regexp"
	"testing"
	"time"

	"github.com/handoff/handoff"
)

// An item decided before it was queued (decideNew, saveItem.fresh) is
// saved as the batch decides it without: the same leads, events, chat
// work and rows; a lead the batch knows, or an earlier item of the batch
// created, is decided against that lead.
func TestFreshSaveDecidesAsTheBatch(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	plain := handoff.DefaultPolicy()
	scoring := handoff.DefaultPolicy()
	scoring.Scoring = &handoff.Scoring{MQLAt: 40, SQLAt: 70, Decay: 24 * time.Hour,
		Explicit: []handoff.ExplicitRule{{Field: "title", Matches: regexp.MustCompile(`(?i)cto|vp`), Points: 80}},
		Implicit: []handoff.ImplicitRule{{Activity: "demo_request", Points: 50}}}
	known := func() map[string]*handoff.Lead {
		return map[string]*handoff.Lead{"k": {ID: 7, ExternalID: "k", Stage: handoff.StageSQL, Email: "k@example.com", Reached: -1,
			CreatedAt: now.Add(-time.Hour), UpdatedAt: now.Add(-time.Hour)}}
	}
	for _, tc := range []struct {
		name   string
		policy handoff.Policy
		known  func() map[string]*handoff.Lead
		inputs []map[string]any
	}{
		{"new leads", plain, nil, []map[string]any{
			{"external_id": "a", "email": "a@example.com", "name": "A", "company": "Acme", "title": "CTO", "source": "web", "campaign": "q4", "score": 50.0},
			{"external_id": "b", "stage": "sql", "source": "paid", "amount_minor": 1200.0},
			{"external_id": "c", "stage": "won", "email": "c@example.com", "plan": "pro", "seats": 3.0},
			{"external_id": "d", "stage": "lost", "reason": "no budget"},
		}},
		{"the same new lead twice", plain, nil, []map[string]any{
			{"external_id": "a", "email": "a@example.com"},
			{"external_id": "a", "stage": "sql", "name": "A"},
			{"external_id": "a", "stage": "lead"},
		}},
		{"scoring", scoring, nil, []map[string]any{
			{"external_id": "s1", "score": 90.0, "company": "Acme"},
			{"external_id": "s2", "title": "CTO"},
			{"external_id": "s3", "stage": "mql", "title": "VP Sales"},
		}},
		{"a known lead", plain, known, []map[string]any{
			{"external_id": "k", "stage": "claimed"},
			{"external_id": "k", "name": "K"},
			{"external_id": "n", "stage": "sql"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var items, fresh []saveItem
			for _, raw := range tc.inputs {
				in, err := handoff.ParseLeadInput(raw, now)
				if err != nil {
					t.Fatal(err)
				}
				it := saveItem{in: in, policy: tc.policy, now: now, actor: handoff.ActorAPI}
				items = append(items, it)
				it.fresh = decideNew(it)
				if it.fresh == nil {
					t.Fatalf("%v: not decided before queueing", raw)
				}
				fresh = append(fresh, it)
			}
			decide := func(items []saveItem) ([]handoff.SaveResult, []error, []eventRow, []leadRollup, []outboxRow) {
				leads := map[string]*handoff.Lead{}
				if tc.known != nil {
					leads = tc.known()
				}
				b := decideSaves(items, leads, nil)
				for i, l := range b.created {
					l.ID = int64(100 + i)
				}
				events, rollups, outbox, err := b.rowsToWrite(nil)
				if err != nil {
					t.Fatal(err)
				}
				return b.done(events), b.errs, events, rollups, outbox
			}
			wantRes, wantErrs, wantEvents, wantRollups, wantOutbox := decide(items)
			res, errs, events, rollups, outbox := decide(fresh)
			for _, c := range []struct {
				what      string
				got, want any
			}{
				{"results", res, wantRes}, {"errors", errs, wantErrs}, {"event rows", events, wantEvents},
				{"rollup changes", rollups, wantRollups}, {"outbox rows", outbox, wantOutbox},
			} {
				if !reflect.DeepEqual(c.got, c.want) {
					t.Errorf("%s decided before queueing:\n%+v\nin the batch:\n%+v", c.what, c.got, c.want)
				}
			}
			if len(wantEvents) == 0 {
				t.Error("no events: the case tests nothing")
			}
		})
	}
}

// BenchmarkDecideNew is the work SaveLead no longer does for an update of
// a lead it saved lately (intakeItem, knownLeads): deciding the input for
// a new lead, which the writer then ignores. The input is a CRM's update
// of a lead's stage and firmographics.
//
//	go test ./storage -run '^$' -bench DecideNew -benchmem
func BenchmarkDecideNew(b *testing.B) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	in, err := handoff.ParseLeadInput(map[string]any{"external_id": "crm-42", "stage": "sql", "email": "lead@example.com",
		"name": "Lead", "company": "Acme", "title": "IT Manager", "source": "web", "campaign": "q4", "score": 55.0}, now)
	if err != nil {
		b.Fatal(err)
	}
	it := saveItem{in: in, policy: handoff.DefaultPolicy(), now: now, actor: handoff.ActorAPI}
	b.ReportAllocs()
	for b.Loop() {
		if f := decideNew(it); f == nil || !f.changed {
			b.Fatal("not decided")
		}
	}
}
