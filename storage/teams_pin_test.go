package storage_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestTeamsChannelPins: a configured channel name resolves once and stays
// pinned to that conversation, through a rename and a newer channel taking
// the name; a name two channels share is a conflict naming both.
func TestTeamsChannelPins(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		channel := func(id, name, teamID, team string) handoff.TeamsConversation {
			return handoff.TeamsConversation{ConversationID: id, ServiceURL: "https://smba.example/emea/", TenantID: "t1",
				ChannelID: id, ChannelName: name, TeamID: teamID, TeamName: team}
		}
		save := func(c handoff.TeamsConversation, at time.Time) {
			t.Helper()
			if err := s.SaveTeamsConversation(ctx, c, at); err != nil {
				t.Fatal(err)
			}
		}
		save(channel("19:sales@thread.tacv2", "Sales", "19:team@thread.tacv2", "Sales Team"), t0)
		save(channel("19:other@thread.tacv2", "Sales", "19:theirs@thread.tacv2", "Partners"), t0.Add(time.Second))

		t.Run("AmbiguousNameNamesTheCandidates", func(t *testing.T) {
			for _, get := range []func() error{
				func() error { _, err := s.TeamsConversation(ctx, "Sales"); return err },
				func() error { _, err := s.PinTeamsChannel(ctx, "sales", t0); return err },
			} {
				err := get()
				if handoff.ErrorCode(err) != handoff.ECONFLICT {
					t.Fatalf("ambiguous name: %v, want ECONFLICT", err)
				}
				for _, want := range []string{"Sales Team/Sales (19:sales@thread.tacv2)", "Partners/Sales (19:other@thread.tacv2)"} {
					if !strings.Contains(handoff.ErrorMessage(err), want) {
						t.Errorf("error %q does not name %s", handoff.ErrorMessage(err), want)
					}
				}
			}
		})

		t.Run("PinnedNameFollowsTheChannel", func(t *testing.T) {
			ref, err := s.PinTeamsChannel(ctx, " Sales Team / Sales ", t0)
			if err != nil || ref.ConversationID != "19:sales@thread.tacv2" {
				t.Fatalf("pin = %+v, %v", ref, err)
			}
			// Our channel is renamed; someone creates a newer "Sales" in our team.
			save(channel("19:sales@thread.tacv2", "Leads", "19:team@thread.tacv2", "Sales Team"), t0.Add(time.Minute))
			save(channel("19:impostor@thread.tacv2", "Sales", "19:team@thread.tacv2", "Sales Team"), t0.Add(2*time.Minute))
			for _, get := range []func() (handoff.TeamsConversation, error){
				func() (handoff.TeamsConversation, error) { return s.TeamsConversation(ctx, "sales team/sales") },
				func() (handoff.TeamsConversation, error) {
					return s.PinTeamsChannel(ctx, "Sales Team/Sales", t0.Add(time.Hour))
				},
			} {
				got, err := get()
				if err != nil || got.ConversationID != "19:sales@thread.tacv2" || got.ChannelName != "Leads" {
					t.Fatalf("pinned name = %+v, %v; want the renamed original channel", got, err)
				}
			}
		})

		t.Run("IDsAndUnknownNamesAreNotPinned", func(t *testing.T) {
			if ref, err := s.PinTeamsChannel(ctx, "19:other@thread.tacv2", t0); err != nil || ref.ConversationID != "19:other@thread.tacv2" {
				t.Fatalf("by id = %+v, %v", ref, err)
			}
			if _, err := s.PinTeamsChannel(ctx, "Marketing", t0); handoff.ErrorCode(err) != handoff.ENOTFOUND {
				t.Fatalf("unknown name: %v, want ENOTFOUND", err)
			}
			save(channel("19:mkt@thread.tacv2", "Marketing", "19:team@thread.tacv2", "Sales Team"), t0)
			if ref, err := s.PinTeamsChannel(ctx, "Marketing", t0); err != nil || ref.ConversationID != "19:mkt@thread.tacv2" {
				t.Fatalf("after install = %+v, %v", ref, err)
			}
		})
	})
}
