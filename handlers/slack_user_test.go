package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestSlackUserChange: signed user_change events. An out-of-office status
// marks the rep away until it expires and clearing it ends that; a
// deactivated account takes the rep out of the rotation and returns their
// claimed lead to the channel, with a note to the managers.
func TestSlackUserChange(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newSlackRig(t, s, nil)
		res, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: "uc-1", Company: "Acme"}, handoff.DefaultPolicy(), time.Now(), handoff.ActorAPI)
		if err != nil {
			t.Fatal(err)
		}
		if _, won, err := s.ClaimLead(ctx, res.Lead.ID, handoff.Owner{Platform: "slack", UserID: "UREP7"}, time.Now(), handoff.Policy{}, "slack:UREP7"); err != nil || !won {
			t.Fatalf("claim: %v %v", won, err)
		}
		expires := time.Now().Add(72 * time.Hour).Truncate(time.Second)
		event := func(id, user string) string {
			return fmt.Sprintf(`{"type":"event_callback","team_id":"T0001","event_id":%q,"event_time":1700000000,"event":{"type":"user_change","user":%s}}`, id, user)
		}
		steps := []struct {
			name, body      string
			wantAway        bool
			wantUntil       time.Time
			wantDeactivated bool
			wantStage       handoff.Stage
		}{
			{"out of office", event("EvUC1", fmt.Sprintf(`{"id":"UREP7","team_id":"T0001","deleted":false,"profile":{"status_text":"Out of office","status_emoji":":palm_tree:","status_expiration":%d}}`, expires.Unix())),
				true, expires.UTC(), false, handoff.StageClaimed},
			{"another workspace's user is ignored", event("EvUC2", `{"id":"UREP7","team_id":"T9999","deleted":true,"profile":{}}`),
				true, expires.UTC(), false, handoff.StageClaimed},
			{"status cleared", event("EvUC3", `{"id":"UREP7","team_id":"T0001","deleted":false,"profile":{"status_text":"","status_emoji":"","status_expiration":0}}`),
				false, time.Time{}, false, handoff.StageClaimed},
			{"deactivated", event("EvUC4", `{"id":"UREP7","team_id":"T0001","deleted":true,"profile":{"status_text":"","status_emoji":""}}`),
				false, time.Time{}, true, handoff.StageSQL},
		}
		for _, st := range steps {
			t.Run(st.name, func(t *testing.T) {
				if status, body := r.send(t, "/slack/events", signingSecret, time.Now(), st.body); status != http.StatusOK {
					t.Fatalf("HTTP %d %s", status, body)
				}
				states, err := s.RepStates(ctx)
				if err != nil {
					t.Fatal(err)
				}
				rep := states["slack:UREP7"]
				if (rep.Away != nil) != st.wantAway || rep.Deactivated != st.wantDeactivated {
					t.Fatalf("rep = %+v, want away %v deactivated %v", rep, st.wantAway, st.wantDeactivated)
				}
				if rep.Away != nil && (!rep.Away.Until.Equal(st.wantUntil) || rep.Away.Source != handoff.AwayBySlackStatus || rep.Away.Reason != "Out of office") {
					t.Errorf("away = %+v, want until %v from the status", *rep.Away, st.wantUntil)
				}
				lead, err := s.Lead(ctx, res.Lead.ID)
				if err != nil {
					t.Fatal(err)
				}
				if lead.Stage != st.wantStage {
					t.Errorf("lead stage = %s, want %s", lead.Stage, st.wantStage)
				}
			})
		}
		msgs, err := s.OutboxMessages(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		notes := 0
		for _, m := range msgs {
			if m.Kind == handoff.OutboxRepDeactivated {
				notes++
			}
		}
		if notes != 1 {
			t.Errorf("managers' notes = %d, want 1", notes)
		}
		// A status on a Slack user_change that is not an object is refused.
		if status, _ := r.send(t, "/slack/events", signingSecret, time.Now(), event("EvUC5", `"UREP7"`)); status != http.StatusBadRequest {
			t.Errorf("user_change with a user id string: HTTP %d, want 400", status)
		}
	})
}
