package storage_test

import (
	"context"
	"testing"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// What a managers' note about a deactivated rep shows is one value for
// all its records (one per lead it names), set only while it holds what
// the caller read, unless the caller takes it whatever it holds; another
// note, and another kind of message with the same id, keep theirs.
func TestSetNoteShown(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		var ids []int64
		for _, ext := range []string{"note-1", "note-2"} {
			res, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: ext, Company: "Noted"}, handoff.DefaultPolicy(), t0, handoff.ActorAPI)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, res.Lead.ID)
		}
		note := func(id int64, ts string) handoff.ChatPost {
			return handoff.ChatPost{LeadID: id, Kind: handoff.PostDeactivated, Platform: "slack", Channel: "CMGR", MessageID: ts, Notice: "{}", Shown: "fp-posted"}
		}
		posts := []handoff.ChatPost{note(ids[0], "1.1"), note(ids[1], "1.1"), note(ids[0], "2.2"),
			{LeadID: ids[1], Kind: handoff.PostManagers, Platform: "slack", Channel: "CMGR", MessageID: "1.1"}}
		if err := s.SaveLeadMessages(ctx, t0, t0, posts...); err != nil {
			t.Fatal(err)
		}
		steps := []struct {
			name           string
			was, shown     string
			anyWas, wantOK bool
			want           string // NoteShown of note 1.1 after
		}{
			{"claimed from what was read", "fp-posted", "~a", false, true, "~a"},
			{"claimed from what is no longer there", "fp-posted", "~b", false, false, "~a"},
			{"taken whatever it holds", "", "~b", true, true, "~b"},
			{"set by the claim's holder", "~b", "fp-new", false, true, "fp-new"},
			{"set by a claim taken over", "~a", "fp-old", false, false, "fp-new"},
		}
		for _, st := range steps {
			ok, err := s.SetNoteShown(ctx, "slack", "1.1", st.was, st.shown, st.anyWas)
			if err != nil || ok != st.wantOK {
				t.Fatalf("%s: SetNoteShown = %v, %v; want %v", st.name, ok, err, st.wantOK)
			}
			if got, err := s.NoteShown(ctx, "slack", "1.1"); err != nil || got != st.want {
				t.Fatalf("%s: NoteShown = %q, %v; want %q", st.name, got, err, st.want)
			}
		}
		for _, id := range ids {
			msgs, err := s.LeadMessages(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range msgs {
				want := "fp-new"
				switch {
				case m.Kind != handoff.PostDeactivated:
					want = ""
				case m.MessageID == "2.2":
					want = "fp-posted"
				}
				if m.Shown != want {
					t.Errorf("lead %d's %s %s shows %q, want %q", id, m.Kind, m.MessageID, m.Shown, want)
				}
			}
		}
		if got, err := s.NoteShown(ctx, "slack", "9.9"); err != nil || got != "" {
			t.Errorf("NoteShown of no note = %q, %v; want \"\"", got, err)
		}
	})
}
