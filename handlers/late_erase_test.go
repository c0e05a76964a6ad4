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
	"github.com/handoff/handoff/bot/teams/teamstest"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// pausedHistoryAnswerer answers with a lead's history, read at once; the answer
// then waits for release, as a slow report does after its reads.
type pausedHistoryAnswerer struct {
	store         *storage.Store
	id            int64
	read, release chan struct{}
}

func (a pausedHistoryAnswerer) Answer(ctx context.Context, cmd bot.Command) (bot.Message, error) {
	lead, err := a.store.Lead(ctx, a.id)
	if err != nil {
		return bot.Message{}, err
	}
	msg := report.HistoryMessage(lead, nil, time.Now(), handoff.DefaultPolicy())
	close(a.read)
	select {
	case <-a.release:
	case <-ctx.Done():
		return bot.Message{}, ctx.Err()
	}
	return msg, nil
}

// A slow command answer that read a lead before the lead's erasure and is
// queued after it never shows the person: the erasure cannot drop it, so
// it goes out as the erased answer.
func TestSlackLateAnswerOfALeadErasedMeanwhile(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		person := "Midway Erased ApS"
		res, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: "late-erase", Company: person, Name: "Mia Way"},
			handoff.DefaultPolicy(), time.Now().UTC(), handoff.ActorAPI)
		if err != nil {
			t.Fatal(err)
		}
		answerer := pausedHistoryAnswerer{store: s, id: res.Lead.ID, read: make(chan struct{}), release: make(chan struct{})}
		r := newSlackRig(t, s, answerer)
		r.answerDue <- time.Now() // AnswerWithin ends before the answer comes
		status, body := r.send(t, "/slack/commands", signingSecret, time.Now(), slacktest.CommandBody("U1", "C1", "/leads", "late-erase", r.slack.ResponseURL("cmd")))
		if status != http.StatusOK || !strings.Contains(body, "Working on") {
			t.Fatalf("ack = %d %s, want the working-on answer", status, body)
		}
		<-answerer.read
		if err := s.ForgetLead(ctx, "late-erase", handoff.DefaultPolicy(), time.Now()); err != nil {
			t.Fatal(err)
		}
		close(answerer.release)
		deadline := time.Now().Add(30 * time.Second)
		for len(r.slack.Calls("response_url")) == 0 && time.Now().Before(deadline) {
			r.drain(t)
			time.Sleep(20 * time.Millisecond)
		}
		late := r.slack.Calls("response_url")
		if len(late) != 1 {
			t.Fatalf("late answers = %+v, want one", late)
		}
		if text := late[0].Param("text") + late[0].Param("blocks"); strings.Contains(text, person) || !strings.Contains(text, "erased while it was being made") {
			t.Errorf("late answer = %s, want the erased answer", text)
		}
	})
}

// The same on Teams, whose answers all go through the outbox: an answer
// that read a lead before the lead's erasure and was queued after it goes
// out as the erased answer.
func TestTeamsAnswerOfALeadErasedMeanwhile(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		person := "Midway Erased Teams ApS"
		res, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: "late-erase-teams", Company: person, Name: "Mia Way"},
			handoff.DefaultPolicy(), time.Now().UTC(), handoff.ActorAPI)
		if err != nil {
			t.Fatal(err)
		}
		answerer := pausedHistoryAnswerer{store: s, id: res.Lead.ID, read: make(chan struct{}), release: make(chan struct{})}
		e := newTeamsEnv(t, s, answerer)
		e.install()
		a := e.activity("message", ritaID, "Rita Rep", "a:rita-personal")
		a["text"] = "leads late-erase-teams"
		token := e.token()
		posted := make(chan int, 1)
		go func() {
			status, _ := teamstest.Post(t, e.srv.URL, a, token)
			posted <- status
		}()
		<-answerer.read
		if err := s.ForgetLead(ctx, "late-erase-teams", handoff.DefaultPolicy(), e.clock.Now()); err != nil {
			t.Fatal(err)
		}
		close(answerer.release)
		if status := <-posted; status != http.StatusOK {
			t.Fatalf("HTTP %d", status)
		}
		before := len(callsOf(e.bf, "send"))
		e.deliver()
		sends := callsOf(e.bf, "send")[before:]
		if len(sends) != 1 {
			t.Fatalf("answers = %d, want 1", len(sends))
		}
		if text := cardText(sends[0]); strings.Contains(text, person) || !strings.Contains(text, "erased while it was being made") {
			t.Errorf("answer = %s, want the erased answer", text)
		}
	})
}
