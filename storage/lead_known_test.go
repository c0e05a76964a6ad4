package storage_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// An update of a lead SaveLead saved is decided once, by the writer on the
// lead as stored, not first for a new lead on the request's goroutine
// (decideNew); a lead not saved yet, or one whose external id an erasure
// freed, is decided as before. Either way every save gives what the same
// saves give through SaveLeads, which never decides before the write.
func TestKnownLeadsDecidedOnce(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		ref := storagetest.Open(t, s.Dialect())
		policy := handoff.DefaultPolicy()
		at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
		steps := []struct {
			name      string
			raw       map[string]any
			forget    bool // erase the lead first
			decided   bool // before queueing
			wantError bool
		}{
			{"new", map[string]any{"external_id": "a", "email": "a@example.com", "name": "A", "source": "web"}, false, true, false},
			{"update", map[string]any{"external_id": "a", "stage": "sql", "company": "Acme"}, false, false, false},
			{"the same again", map[string]any{"external_id": "a", "stage": "sql", "company": "Acme"}, false, false, false},
			{"backwards", map[string]any{"external_id": "a", "stage": "lead"}, false, false, true},
			{"won", map[string]any{"external_id": "a", "stage": "won", "plan": "pro", "seats": 3.0}, false, false, false},
			{"another new", map[string]any{"external_id": "b", "stage": "sql"}, false, true, false},
			{"after an erasure", map[string]any{"external_id": "a", "stage": "sql", "name": "A again"}, true, false, false},
			{"update after it", map[string]any{"external_id": "a", "stage": "claimed"}, false, false, false},
		}
		for i, step := range steps {
			now := at.Add(time.Duration(i) * time.Minute)
			in := input(t, step.raw)
			if step.forget {
				for _, st := range []*storage.Store{s, ref} {
					if err := st.ForgetLead(ctx, "a", policy, now); err != nil {
						t.Fatalf("%s: forget: %v", step.name, err)
					}
				}
			}
			if got := s.DecidedBeforeQueueing(in, policy, now, handoff.ActorAPI); got != step.decided {
				t.Errorf("%s: decided before queueing %v, want %v", step.name, got, step.decided)
			}
			res, err := s.SaveLead(ctx, in, policy, now, handoff.ActorAPI)
			refs, errs, refErr := ref.SaveLeads(ctx, []handoff.LeadInput{in}, policy, now, handoff.ActorAPI)
			if refErr != nil {
				t.Fatalf("%s: SaveLeads: %v", step.name, refErr)
			}
			if (err != nil) != step.wantError || (errs[0] != nil) != step.wantError || err != nil && !strings.HasSuffix(err.Error(), errs[0].Error()) {
				t.Fatalf("%s: SaveLead: %v; SaveLeads: %v; want an error %v", step.name, err, errs[0], step.wantError)
			}
			if err != nil {
				continue
			}
			if got, want := comparable(res), comparable(refs[0]); !reflect.DeepEqual(got, want) {
				t.Errorf("%s:\nSaveLead  %+v\nSaveLeads %+v", step.name, got, want)
			}
			if !res.Changed {
				continue
			}
			got, err := s.LeadByExternalID(ctx, "a")
			want, refErr := ref.LeadByExternalID(ctx, "a")
			if err != nil || refErr != nil {
				t.Fatalf("%s: read a: %v, %v", step.name, err, refErr)
			}
			if g, w := comparableLead(*got), comparableLead(*want); !reflect.DeepEqual(g, w) {
				t.Errorf("%s: stored\n%+v\nwant\n%+v", step.name, g, w)
			}
		}
	})
}

// comparable is a save's result without the ids the two stores gave.
func comparable(r handoff.SaveResult) handoff.SaveResult {
	l := comparableLead(*r.Lead)
	r.Lead = &l
	events := make([]handoff.Event, len(r.Events))
	for i, e := range r.Events {
		e.ID, e.LeadID = 0, 0
		events[i] = e
	}
	r.Events = events
	return r
}

func comparableLead(l handoff.Lead) handoff.Lead {
	l.ID = 0
	return l
}
