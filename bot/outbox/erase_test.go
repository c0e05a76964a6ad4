package outbox_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/outbox"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// noTrace fails the test for every column of every table that still holds
// one of the strings.
func noTrace(t *testing.T, s *storage.Store, when string, texts ...string) {
	t.Helper()
	for _, text := range texts {
		found, err := s.FindText(context.Background(), text)
		if err != nil {
			t.Fatal(err)
		}
		if len(found) > 0 {
			t.Errorf("%s: %q is still in %v", when, text, found)
		}
	}
}

// queued counts the pending messages of kind for the leads.
func queued(t *testing.T, s *storage.Store, kind string, leads ...int64) int {
	t.Helper()
	n := 0
	for _, id := range leads {
		msgs, err := s.OutboxMessages(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if m.Kind == kind && m.Status == storage.OutboxPending {
				n++
			}
		}
	}
	return n
}

// After an erase, the lead's card, the owner's DM with the contact
// details, the reminder and the escalation are all updated to the erased
// view through the outbox; a notice still queued is never sent; and no
// column of any table holds the person's data, before or after the outbox
// has run.
func TestEraseUpdatesEveryChatMessage(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s)
		policy := handoff.DefaultPolicy()
		disp := outbox.New(r.managersConfig("w"))
		b := bot.New(bot.Config{Store: s, Policy: policy, Now: r.clock.Now, Logger: quiet(),
			Managers: map[string]bot.Managers{"slack": bothManagers{}}})
		person := []string{"Annika Bergström", "annika@bergstrom-consult.dk", "+45 2233 4455", "Bergström Consult ApS", "annika-b-77"}
		score := 90
		res, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: "gdpr-chat", Name: person[0], Email: person[1], Phone: person[2],
			Company: person[3], Title: "CEO", Score: &score, Attributes: map[string]any{"linkedin": person[4]}}, policy, t0, handoff.ActorAPI)
		if err != nil {
			t.Fatal(err)
		}
		id := res.Lead.ID
		drain(t, disp)
		if _, err := b.Act(ctx, actor("UA"), bot.ActionClaim, fmt.Sprint(id)); err != nil {
			t.Fatal(err)
		}
		escalation, _ := json.Marshal(handoff.SLANotice{Action: handoff.SLAEscalateContact, Due: t0, At: t0, Owner: handoff.Owner{Platform: "slack", UserID: "UA"}})
		if err := s.Enqueue(ctx, r.clock.Now(), handoff.OutboxMessage{Kind: handoff.OutboxRemind, LeadID: id},
			handoff.OutboxMessage{Kind: handoff.OutboxEscalate, LeadID: id, Payload: string(escalation)}); err != nil {
			t.Fatal(err)
		}
		drain(t, disp)
		shown := map[string]string{} // channel/ts → what it was
		for _, c := range r.slack.Calls("chat.postMessage") {
			if strings.Contains(c.Param("text")+c.Param("blocks"), person[3]) {
				shown[c.Param("channel")+"/"+c.TS] = c.Param("text")
			}
		}
		if len(shown) != 4 {
			t.Fatalf("messages showing the lead = %v, want card, DM, reminder and escalation", shown)
		}
		// A too-late notice naming the lead is still queued at the erase.
		if _, err := b.Act(ctx, actor("UB"), bot.ActionClaim, fmt.Sprint(id)); err != nil {
			t.Fatal(err)
		}
		if n := queued(t, s, handoff.OutboxPrivate, 0, id); n != 1 {
			t.Fatalf("private notices queued = %d, want the too-late one", n)
		}

		if err := s.ForgetLead(ctx, "gdpr-chat", policy, r.clock.Now()); err != nil {
			t.Fatal(err)
		}
		noTrace(t, s, "after the erase", person...)
		drain(t, disp)
		noTrace(t, s, "after the outbox ran", person...)

		if eph := r.slack.Calls("chat.postEphemeral"); len(eph) != 0 {
			t.Errorf("a notice queued before the erase was sent: %+v", eph)
		}
		updated := map[string]string{}
		for _, c := range r.slack.Calls("chat.update") {
			updated[c.Param("channel")+"/"+c.Param("ts")] = c.Param("text") + c.Param("blocks")
		}
		for key, before := range shown {
			after, ok := updated[key]
			switch {
			case !ok:
				t.Errorf("%s (%q) was not updated", key, before)
			case strings.Contains(after, person[0]) || strings.Contains(after, person[3]) || strings.Contains(after, person[1]):
				t.Errorf("%s still shows the person: %s", key, after)
			case !strings.HasPrefix(key, "CSALES/") && !strings.Contains(after, "personal data was erased"):
				t.Errorf("%s = %s, want the erased view", key, after)
			}
		}
	})
}
