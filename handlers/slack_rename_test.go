package handlers_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot/report"
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestSlackUserChangeRenames: /sla's tables come as text in the command's
// answer, where a Slack user is written by the name users.info gave,
// kept 10 minutes. A signed user_change event that renames the owner of
// a lead (Slack sends their whole user object) makes the next answer
// write the new name, not the old one for up to 10 minutes more.
func TestSlackUserChangeRenames(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newSlackRig(t, s, &report.Reports{Store: s, Policy: handoff.DefaultPolicy()})
		r.slack.SetUser("UREP7", slacktest.User{Name: "Mette Hansen"})
		res, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: "rename-1", Company: "Acme"}, handoff.DefaultPolicy(), time.Now(), handoff.ActorAPI)
		if err != nil {
			t.Fatal(err)
		}
		if _, won, err := s.ClaimLead(ctx, res.Lead.ID, handoff.Owner{Platform: "slack", UserID: "UREP7"}, time.Now(), handoff.Policy{}, "slack:UREP7"); err != nil || !won {
			t.Fatalf("claim: %v %v", won, err)
		}
		sla := func() string {
			t.Helper()
			status, ack := r.send(t, "/slack/commands", signingSecret, time.Now(), slacktest.CommandBody("UREP", salesChannel, "/sla", "", r.slack.ResponseURL("UREP")))
			if status != http.StatusOK {
				t.Fatalf("/sla: HTTP %d %s", status, ack)
			}
			return ack
		}
		if ack := sla(); !strings.Contains(ack, "@Mette Hansen") {
			t.Fatalf("/sla before the rename = %s, want the owner as @Mette Hansen", ack)
		}

		r.slack.SetUser("UREP7", slacktest.User{Name: "Mette Berg"})
		renamed := `{"type":"event_callback","team_id":"T0001","event_id":"EvRename1","event_time":1700000000,"event":{"type":"user_change","user":` +
			`{"id":"UREP7","team_id":"T0001","name":"urep7","real_name":"Mette Berg","deleted":false,` +
			`"profile":{"display_name":"Mette Berg","real_name":"Mette Berg","status_text":"","status_emoji":""}}}}`
		if status, body := r.send(t, "/slack/events", signingSecret, time.Now(), renamed); status != http.StatusOK {
			t.Fatalf("user_change: HTTP %d %s", status, body)
		}
		if ack := sla(); !strings.Contains(ack, "@Mette Berg") || strings.Contains(ack, "Mette Hansen") {
			t.Errorf("/sla after the rename = %s, want the owner as @Mette Berg", ack)
		}
	})
}
