package storage_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// The changes of a member list name the entries they changed, so that a
// replica drops those alone; a change of the whole list, or one no
// longer kept, makes the reader drop everything.
func TestMemberChangesNameTheirEntries(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		for _, key := range []string{"U1", "U2", "", "U3"} {
			if _, err := s.StampMembers(ctx, "slack:users", key); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.StampMembers(ctx, "slack:members:C1", "U9"); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			after, upTo int64
			keys        []string
			complete    bool
		}{
			{0, 2, []string{"U1", "U2"}, true},
			{1, 2, []string{"U2"}, true},
			{3, 4, []string{"U3"}, true},
			{2, 4, nil, false}, // change 3 was of the whole list
			{4, 4, nil, true},
			{4, 3, nil, false}, // a count that went back: the list is new
		}
		for _, c := range cases {
			keys, complete, err := s.MemberChanges(ctx, "slack:users", c.after, c.upTo)
			if err != nil {
				t.Fatal(err)
			}
			if complete != c.complete || (complete && !slices.Equal(keys, c.keys)) {
				t.Errorf("changes after %d up to %d = %v (complete %v), want %v (complete %v)", c.after, c.upTo, keys, complete, c.keys, c.complete)
			}
		}
	})
}

// Only the last MemberChangesKept changes keep their entry: the table
// stays bounded, and a replica that last looked before them drops
// everything.
func TestMemberChangesKeptBounded(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			s, raw := storagetest.OpenRaw(t, dialect)
			var gen int64
			for i := range storage.MemberChangesKept + 5 {
				var err error
				if gen, err = s.StampMembers(ctx, "slack:users", fmt.Sprintf("U%d", i)); err != nil {
					t.Fatal(err)
				}
			}
			var rows int64
			if err := raw.QueryRow(`SELECT COUNT(*) FROM member_changes`).Scan(&rows); err != nil {
				t.Fatal(err)
			}
			if rows != storage.MemberChangesKept {
				t.Errorf("member_changes holds %d rows after %d changes, want the last %d", rows, gen, storage.MemberChangesKept)
			}
			keys, complete, err := s.MemberChanges(ctx, "slack:users", gen-storage.MemberChangesKept, gen)
			if err != nil || !complete || len(keys) != storage.MemberChangesKept {
				t.Errorf("the last %d changes = %d keys (complete %v, %v), want each", storage.MemberChangesKept, len(keys), complete, err)
			}
			if _, complete, err := s.MemberChanges(ctx, "slack:users", gen-storage.MemberChangesKept-1, gen); err != nil || complete {
				t.Errorf("the last %d changes complete = %v (%v), want false: the first is no longer kept", storage.MemberChangesKept+1, complete, err)
			}
		})
	}
}

// A change of one Teams user names them by their Bot Framework id, which
// teams_users holds up to 300 characters: it is kept whole, in a
// database made before too, where member_changes held 100.
func TestMemberChangesKeepLongTeamsIDs(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			s, raw := storagetest.OpenRaw(t, dialect)
			if dialect == storage.DialectPostgres {
				if _, err := raw.Exec(`ALTER TABLE member_changes ALTER COLUMN key TYPE varchar(100)`); err != nil {
					t.Fatal(err)
				}
				if err := s.Migrate(ctx); err != nil {
					t.Fatal(err)
				}
			}
			id := "29:1" + strings.Repeat("x", 296)
			gen, err := s.StampMembers(ctx, "teams:members", id)
			if err != nil {
				t.Fatalf("a change of a user with a %d-character id: %v", len(id), err)
			}
			keys, complete, err := s.MemberChanges(ctx, "teams:members", gen-1, gen)
			if err != nil || !complete || !slices.Equal(keys, []string{id}) {
				t.Errorf("the change of a user with a %d-character id = %d keys (complete %v, %v), want the id", len(id), len(keys), complete, err)
			}
		})
	}
}
