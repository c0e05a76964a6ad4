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

// TestRepStates: time off, deactivation and open-lead counts per rep key,
// as the routing decision reads them.
func TestRepStates(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		policy := handoff.DefaultPolicy()
		claim := func(ext string, owner handoff.Owner) {
			t.Helper()
			res, err := s.SaveLead(ctx, input(t, map[string]any{"external_id": ext, "email": ext + "@acme.dk", "stage": "sql"}), policy, t0, handoff.ActorAPI)
			if err != nil {
				t.Fatal(err)
			}
			if _, won, err := s.ClaimLead(ctx, res.Lead.ID, owner, t0.Add(time.Minute), handoff.Policy{}, owner.Platform+":"+owner.UserID); err != nil || !won {
				t.Fatalf("claim %s: won=%v err=%v", ext, won, err)
			}
		}
		u1 := handoff.Owner{Platform: "slack", UserID: "U0000001"}
		ann := handoff.Owner{Platform: "teams", UserID: "29:ann", Email: "Ann@Berg.dk"}
		if err := s.SaveTeamsUser(ctx, handoff.TeamsUser{ID: "29:ann", AADObjectID: "0F3A6E1C-8D2B-4C55-9A11-2B3C4D5E6F70"}, t0); err != nil {
			t.Fatal(err)
		}
		claim("r-1", u1)
		claim("r-2", u1)
		claim("r-3", u1)
		claim("r-4", ann)
		// r-3 is won: settled leads do not count; r-5 is an unclaimed SQL.
		if _, err := s.SaveLead(ctx, input(t, map[string]any{"external_id": "r-3", "stage": "won", "amount": 1000.0}), policy, t0.Add(time.Hour), handoff.ActorAPI); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SaveLead(ctx, input(t, map[string]any{"external_id": "r-5", "stage": "sql"}), policy, t0, handoff.ActorAPI); err != nil {
			t.Fatal(err)
		}

		back := t0.Add(14 * 24 * time.Hour)
		mustSetAway := func(key string, a handoff.Away) {
			t.Helper()
			if err := s.SetAway(ctx, key, a, t0); err != nil {
				t.Fatal(err)
			}
		}
		mustSetAway("slack:U0000001", handoff.Away{Until: back, Reason: "Skiing", Source: handoff.AwayByCommand, SetBy: "slack:UMANAGER"})
		mustSetAway("slack:U0000002", handoff.Away{Reason: "first draft", Source: handoff.AwayBySlackStatus, SetBy: "slack"})
		mustSetAway("slack:U0000002", handoff.Away{Reason: "OOO", Source: handoff.AwayBySlackStatus, SetBy: "slack"}) // replaces
		if changed, err := s.SetDeactivated(ctx, "slack:U0000003", true, t0); err != nil || !changed {
			t.Fatalf("deactivate: changed=%v err=%v", changed, err)
		}
		if changed, err := s.SetDeactivated(ctx, "slack:U0000003", true, t0.Add(time.Hour)); err != nil || changed {
			t.Fatalf("deactivate again: changed=%v err=%v, want no change", changed, err)
		}

		// A Slack status never replaces a running /away.
		mustSetAway("slack:U0000001", handoff.Away{Reason: "Vacationing", Source: handoff.AwayBySlackStatus, SetBy: "slack"})

		got, err := s.RepStates(ctx)
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			key         string
			open        int
			awayUntil   time.Time
			away        bool
			reason      string
			source      string
			setBy       string
			deactivated bool
		}{
			{key: "slack:U0000001", open: 2, away: true, awayUntil: back, reason: "Skiing", source: handoff.AwayByCommand, setBy: "slack:UMANAGER"},
			{key: "slack:U0000002", away: true, reason: "OOO", source: handoff.AwayBySlackStatus, setBy: "slack"},
			{key: "slack:U0000003", deactivated: true},
			{key: "teams:ann@berg.dk", open: 1},
			{key: "teams:0f3a6e1c-8d2b-4c55-9a11-2b3c4d5e6f70", open: 1},
			{key: "slack:U0000004"}, // nobody knows them: the zero state
		}
		for _, tt := range tests {
			t.Run(tt.key, func(t *testing.T) {
				st := got[tt.key]
				if st.OpenLeads != tt.open || st.Deactivated != tt.deactivated || (st.Away != nil) != tt.away {
					t.Fatalf("state = %+v, want open %d deactivated %v away %v", st, tt.open, tt.deactivated, tt.away)
				}
				if tt.away {
					a := st.Away
					if !a.Until.Equal(tt.awayUntil) || a.Reason != tt.reason || a.Source != tt.source || a.SetBy != tt.setBy {
						t.Errorf("away = %+v, want until %v reason %q source %q set by %q", *a, tt.awayUntil, tt.reason, tt.source, tt.setBy)
					}
				}
			})
		}

		t.Run("ClearingAStatusLeavesAnAwayCommand", func(t *testing.T) {
			if was, err := s.ClearAway(ctx, "slack:U0000001", handoff.AwayBySlackStatus, t0); err != nil || was {
				t.Fatalf("clear status of a commanded away: was=%v err=%v, want false", was, err)
			}
			if was, err := s.ClearAway(ctx, "slack:U0000002", handoff.AwayBySlackStatus, t0); err != nil || !was {
				t.Fatalf("clear status: was=%v err=%v, want true", was, err)
			}
			if was, err := s.ClearAway(ctx, "slack:U0000001", "", t0); err != nil || !was {
				t.Fatalf("/back: was=%v err=%v, want true", was, err)
			}
			if was, err := s.ClearAway(ctx, "slack:U0000001", "", t0); err != nil || was {
				t.Fatalf("/back twice: was=%v err=%v, want false", was, err)
			}
			got, err := s.RepStates(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got["slack:U0000001"].Away != nil || got["slack:U0000002"].Away != nil || got["slack:U0000001"].OpenLeads != 2 {
				t.Fatalf("after clearing: %+v %+v", got["slack:U0000001"], got["slack:U0000002"])
			}
		})

		t.Run("Reactivated", func(t *testing.T) {
			if changed, err := s.SetDeactivated(ctx, "slack:U0000003", false, t0); err != nil || !changed {
				t.Fatalf("reactivate: changed=%v err=%v", changed, err)
			}
			got, err := s.RepStates(ctx)
			if err != nil || got["slack:U0000003"].Deactivated {
				t.Fatalf("after reactivating: %+v, %v", got["slack:U0000003"], err)
			}
		})

		t.Run("StatusReplacesAnEndedAway", func(t *testing.T) {
			if err := s.SetAway(ctx, "slack:U0000005", handoff.Away{Until: t0.Add(time.Hour), Source: handoff.AwayByCommand}, t0); err != nil {
				t.Fatal(err)
			}
			if err := s.SetAway(ctx, "slack:U0000005", handoff.Away{Reason: "OOO", Source: handoff.AwayBySlackStatus}, t0.Add(2*time.Hour)); err != nil {
				t.Fatal(err)
			}
			got, err := s.RepStates(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if a := got["slack:U0000005"].Away; a == nil || a.Source != handoff.AwayBySlackStatus || a.Reason != "OOO" {
				t.Fatalf("away = %+v, want the status after the /away ended", a)
			}
		})

		t.Run("ReceivedLeads", func(t *testing.T) {
			week, err := handoff.ParsePeriod("week", t0, time.UTC)
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.ReceivedLeads(ctx, week)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]int{"slack:U0000001": 3, "teams:29:ann": 1, "teams:ann@berg.dk": 1, "teams:0f3a6e1c-8d2b-4c55-9a11-2b3c4d5e6f70": 1}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("received this week = %v, want %v", got, want)
			}
			lastWeek, err := handoff.ParsePeriod("last-week", t0, time.UTC)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := s.ReceivedLeads(ctx, lastWeek); err != nil || len(got) != 0 {
				t.Errorf("received last week = %v, %v; want none", got, err)
			}
		})

		t.Run("KeyRequired", func(t *testing.T) {
			if err := s.SetAway(ctx, "", handoff.Away{}, t0); handoff.ErrorCode(err) != handoff.EINVALID {
				t.Fatalf("SetAway without key: %v, want EINVALID", err)
			}
		})
	})
}
