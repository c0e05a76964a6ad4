package storage_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// A group of saves decided before they queued as new leads (SaveLead's
// decideNew) is saved as the same group decided only in the batch, which
// looks up the known leads first: on SQLite the writer inserts such a
// group's leads without the lookup and decides again only the saves of
// leads that turn out known. Each save's result (created or updated,
// events, error), the leads, their events, outbox and the funnel rollup
// are the same either way, whichever of the group's leads are known and
// however often the group names them.
func TestSaveGroupOfKnownLeadsDecidedNew(t *testing.T) {
	type save struct {
		raw     map[string]any
		created bool   // the save's result
		err     string // the error code it fails with
	}
	for _, tc := range []struct {
		name  string
		known []map[string]any // saved before the group
		group []save
	}{
		{"all new", nil, []save{
			{raw: map[string]any{"external_id": "a", "email": "a@example.com", "company": "Acme"}, created: true},
			{raw: map[string]any{"external_id": "b", "stage": "sql", "source": "paid"}, created: true},
			{raw: map[string]any{"external_id": "c", "stage": "won", "amount_minor": 1200.0}, created: true},
		}},
		{"a known lead among new", []map[string]any{{"external_id": "k", "company": "Acme", "source": "web"}}, []save{
			{raw: map[string]any{"external_id": "a", "company": "Acme"}, created: true},
			{raw: map[string]any{"external_id": "k", "stage": "sql", "name": "K"}},
			{raw: map[string]any{"external_id": "b", "stage": "mql"}, created: true},
		}},
		{"known and new twice each", []map[string]any{{"external_id": "k", "company": "Acme"}}, []save{
			{raw: map[string]any{"external_id": "k", "name": "K"}},
			{raw: map[string]any{"external_id": "a", "email": "a@example.com"}, created: true},
			{raw: map[string]any{"external_id": "k", "stage": "sql", "source": "paid"}},
			{raw: map[string]any{"external_id": "a", "stage": "sql"}},
		}},
		{"all known", []map[string]any{{"external_id": "k", "company": "Acme"}, {"external_id": "m", "stage": "mql"}}, []save{
			{raw: map[string]any{"external_id": "m", "stage": "sql"}},
			{raw: map[string]any{"external_id": "k", "stage": "won", "amount_minor": 500.0}},
		}},
		{"a known lead unchanged", []map[string]any{{"external_id": "k", "company": "Acme"}}, []save{
			{raw: map[string]any{"external_id": "k", "company": "Acme"}},
			{raw: map[string]any{"external_id": "a", "company": "Acme"}, created: true},
		}},
		{"a known lead moved backwards", []map[string]any{{"external_id": "k", "stage": "sql"}}, []save{
			{raw: map[string]any{"external_id": "a", "stage": "sql"}, created: true},
			{raw: map[string]any{"external_id": "k", "stage": "mql"}, err: handoff.ECONFLICT},
			{raw: map[string]any{"external_id": "k", "name": "K"}},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, dialect := range storagetest.Dialects {
				t.Run(dialect, func(t *testing.T) {
					var got [2]string
					for k, decided := range []bool{true, false} {
						s := storagetest.Open(t, dialect)
						ctx := context.Background()
						for _, raw := range tc.known {
							if _, err := s.SaveLead(ctx, input(t, raw), handoff.DefaultPolicy(), t0, handoff.ActorAPI); err != nil {
								t.Fatal(err)
							}
						}
						ins := make([]handoff.LeadInput, len(tc.group))
						for i, sv := range tc.group {
							ins[i] = input(t, sv.raw)
						}
						results, errs := s.SaveGroup(ins, handoff.DefaultPolicy(), t0.Add(time.Hour), handoff.ActorAPI, decided)
						for i, sv := range tc.group {
							if code := handoff.ErrorCode(errs[i]); errs[i] != nil && code != sv.err || errs[i] == nil && sv.err != "" {
								t.Errorf("decided %v: save %d: error %v, want %q", decided, i, errs[i], sv.err)
							}
							if errs[i] == nil && results[i].Created != sv.created {
								t.Errorf("decided %v: save %d: created %v, want %v", decided, i, results[i].Created, sv.created)
							}
						}
						got[k] = groupOutcome(t, s, results, errs, tc.group[0].raw, tc.known)
					}
					if got[0] != got[1] {
						t.Errorf("decided before queueing:\n%s\ndecided in the batch:\n%s", got[0], got[1])
					}
				})
			}
		})
	}
}

// groupOutcome is a group's results and what it stored, as text: every
// lead the group or known names with its events and outbox, and the
// funnel rollup. Leads are named by their external ids, not their ids: a
// known lead's row that SQLite's INSERT skipped took an id (AUTOINCREMENT,
// as a PostgreSQL sequence skips one for a conflict).
func groupOutcome(t *testing.T, s *storage.Store, results []handoff.SaveResult, errs []error, first map[string]any, known []map[string]any) string {
	t.Helper()
	ctx := context.Background()
	out := ""
	ids := map[string]bool{first["external_id"].(string): true}
	for _, raw := range known {
		ids[raw["external_id"].(string)] = true
	}
	for _, r := range results {
		if r.Lead != nil {
			ids[r.Lead.ExternalID] = true
		}
	}
	names := map[int64]string{}
	leads := map[string]*handoff.Lead{}
	for _, id := range []string{"a", "b", "c", "k", "m"} {
		if ids[id] {
			lead, err := s.LeadByExternalID(ctx, id)
			if err != nil {
				t.Fatalf("lead %s: %v", id, err)
			}
			names[lead.ID], leads[id] = id, lead
		}
	}
	lead := func(l handoff.Lead) string {
		name := names[l.ID]
		l.ID = 0
		return fmt.Sprintf("%s: %+v", name, l)
	}
	events := func(es []handoff.Event) string {
		for i := range es {
			es[i].LeadID = 0
		}
		return fmt.Sprintf("%+v", es)
	}
	for i, r := range results {
		out += fmt.Sprintf("save %d: error %v\n", i, errs[i])
		if r.Lead != nil {
			out += fmt.Sprintf("  %s changed %v created %v\n  events %s\n", lead(*r.Lead), r.Changed, r.Created, events(r.Events))
		}
	}
	for _, id := range []string{"a", "b", "c", "k", "m"} {
		l := leads[id]
		if l == nil {
			continue
		}
		es, err := s.Events(ctx, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		msgs, err := s.OutboxMessages(ctx, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		for i := range msgs {
			msgs[i].LeadID = 0
		}
		out += fmt.Sprintf("lead %s\n  events %s\n  outbox %+v\n", lead(*l), events(es), msgs)
	}
	rollup, err := s.RollupRows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return out + fmt.Sprintf("rollup %q\n", rollup)
}
