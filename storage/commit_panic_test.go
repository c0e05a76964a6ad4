package storage_test

import (
	"context"
	"strings"
	"testing"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// unencodable is an attribute value whose encoding panics, as a driver's
// or an unexpected value's might inside a commit: the lead's row is
// encoded by the committer, not by the caller.
type unencodable struct{}

func (unencodable) MarshalJSON() ([]byte, error) { panic("test: value cannot be encoded") }

// TestIntakePanicAnswersItsSave: a panic while a group of intake saves
// commits (on PostgreSQL in the one statement of new leads) becomes the
// error of the save that caused it; the group's other saves are stored and
// answered, nothing of the failed one is written, and the committer goes
// on with the next save.
func TestIntakePanicAnswersItsSave(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		policy := handoff.DefaultPolicy()
		in := func(ext string, attrs map[string]any) handoff.LeadInput {
			return handoff.LeadInput{ExternalID: ext, Stage: handoff.StageMQL, Attributes: attrs}
		}
		bad := map[string]any{"x": unencodable{}}
		results, errs := s.SaveAsIntakeGroup([]handoff.LeadInput{in("ok-1", nil), in("bad-1", bad), in("ok-2", nil)}, policy, t0, handoff.ActorAPI)
		for i, want := range []bool{true, false, true} {
			if stored := errs[i] == nil; stored != want {
				t.Errorf("group save %d: error %v, want stored %v", i, errs[i], want)
			} else if stored && !results[i].Created {
				t.Errorf("group save %d: not answered as created: %+v", i, results[i])
			}
		}
		if errs[1] != nil && !strings.Contains(errs[1].Error(), "panicked") {
			t.Errorf("the panicking save's error = %v, want the panic", errs[1])
		}
		// Through SaveLead, on the store's own committer.
		if _, err := s.SaveLead(ctx, in("bad-2", bad), policy, t0, handoff.ActorAPI); err == nil || !strings.Contains(err.Error(), "panicked") {
			t.Errorf("SaveLead of an unencodable lead: %v, want the panic as its error", err)
		}
		if res, err := s.SaveLead(ctx, in("ok-3", nil), policy, t0, handoff.ActorAPI); err != nil || !res.Created {
			t.Errorf("SaveLead after the panic: %+v, %v; want the lead created", res, err)
		}
		for _, ext := range []string{"ok-1", "ok-2", "ok-3", "bad-1", "bad-2"} {
			_, err := s.LeadByExternalID(ctx, ext)
			if stored := err == nil; stored != strings.HasPrefix(ext, "ok") {
				t.Errorf("lead %s: stored %v (%v)", ext, stored, err)
			}
		}
	})
}
