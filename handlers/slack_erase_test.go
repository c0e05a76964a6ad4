package handlers_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/report"
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// historyAnswerer answers every command with the history of the lead
// named by its text, as `/leads <id>` does.
type historyAnswerer struct{ s *storage.Store }

func (a historyAnswerer) Answer(ctx context.Context, cmd bot.Command) (bot.Message, error) {
	lead, err := a.s.LeadByExternalID(ctx, cmd.Text)
	if err != nil {
		return bot.Message{}, err
	}
	events, err := a.s.Events(ctx, lead.ID)
	if err != nil {
		return bot.Message{}, err
	}
	return report.HistoryMessage(lead, events, time.Now(), handoff.DefaultPolicy()), nil
}

// A Slack command answered at once (in the HTTP response) that showed a
// lead is replaced through its response_url when the lead is erased.
func TestSlackEraseReplacesCommandAnswer(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		r := newSlackRig(t, s, historyAnswerer{s})
		lead := r.announced(t, "sync-1")
		status, body := r.send(t, "/slack/commands", signingSecret, time.Now(),
			slacktest.CommandBody("U1", "C1", "/leads", "sync-1", r.slack.ResponseURL("sync")))
		if status != http.StatusOK || !strings.Contains(body, lead.Company) {
			t.Fatalf("answer = %d %s, want the lead's history", status, body)
		}
		if err := s.ForgetLead(context.Background(), "sync-1", handoff.DefaultPolicy(), time.Now()); err != nil {
			t.Fatal(err)
		}
		r.drain(t)
		got := r.slack.Responses("sync")
		if len(got) != 1 || !got[0].ReplaceOriginal || !strings.Contains(got[0].Text, "erased") || strings.Contains(got[0].Text, lead.Company) {
			t.Fatalf("response_url posts after the erase = %+v, want the answer replaced with the erased view", got)
		}
	})
}
