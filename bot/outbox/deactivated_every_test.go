package outbox_test

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/outbox"
	slackbot "github.com/handoff/handoff/bot/slack"
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// The managers' note about a deactivated rep follows every change of a
// lead it names, whoever makes it: a claim in chat, the SLA clock's
// release, the API's owner_email, a CRM's rename (Salesforce's versioned
// save). Each is delivered as the refresh of the lead's chat messages,
// which renders the note again. A refresh that changes nothing the note
// shows calls no chat.update.
func TestDeactivatedNoteFollowsEveryChange(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r, disp, b := managersRig(t, s)
		back := claimedBy(t, s, r, b, "UREP1", "back-1")
		kept, renamed := claimedBy(t, s, r, b, "UREP1", "kept-1"), claimedBy(t, s, r, b, "UREP1", "kept-2")
		for _, id := range []int64{kept, renamed} {
			if _, err := b.LogContact(ctx, actor("UREP1"), id); err != nil {
				t.Fatal(err)
			}
		}
		r.clock.Advance(time.Second)
		if err := b.RepChanged(ctx, bot.RepChange{Platform: "slack", UserID: "UREP1", Deleted: true}); err != nil {
			t.Fatal(err)
		}
		drain(t, disp)

		release := handoff.DefaultPolicy()
		release.ReleaseOnBreach = true
		save := func(in handoff.LeadInput, actor string) error {
			_, err := s.SaveLead(ctx, in, handoff.DefaultPolicy(), r.clock.Now(), actor)
			return err
		}
		steps := []struct {
			name      string
			act       func() error
			updates   int      // the note's updates so far
			shows     []string // in its text
			showsNone []string
		}{
			{"posted", func() error { return nil }, 0,
				[]string{"1 lead back in the sales channel with Claim:\n• *Company back-1*", "*Company kept-1* (kept-1)", "*Company kept-2* (kept-2)"}, []string{"Since then"}},
			{"claimed in chat", func() error { return b.Claim(ctx, actor("UBO"), back) }, 1,
				[]string{"*Company back-1* (back-1) was claimed by <@UBO>"}, []string{"with Claim"}},
			{"released by the SLA clock", func() error {
				r.clock.Advance(30 * 24 * time.Hour)
				_, _, err := s.FireSLA(ctx, r.clock.Now(), release, 100)
				return err
			}, 2, []string{"1 lead back in the sales channel with Claim:\n• *Company back-1*"}, []string{"back-1) was claimed"}},
			{"an owner from the API", func() error {
				return save(handoff.LeadInput{ExternalID: "kept-1", OwnerEmail: "bo@acme.dk"}, handoff.ActorAPI)
			}, 3, []string{"*Company kept-1* (kept-1) was reassigned to"}, nil},
			{"renamed in Salesforce", func() error {
				in := handoff.LeadInput{ExternalID: "kept-2", Company: "Renamed AB"}
				_, _, err := s.SaveLeadVersion(ctx, in, handoff.DefaultPolicy(), r.clock.Now(), handoff.ActorSalesforce, handoff.ActorSalesforce, handoff.CRMVersion{Modified: r.clock.Now()})
				return err
			}, 4, []string{"*Renamed AB* (kept-2)"}, []string{"Company kept-2"}},
			{"a refresh that changes nothing shown", func() error {
				return s.Enqueue(ctx, r.clock.Now(), handoff.OutboxMessage{Kind: handoff.OutboxRefreshLead, LeadID: renamed})
			}, 4, []string{"*Renamed AB* (kept-2)"}, nil},
		}
		for _, st := range steps {
			if err := st.act(); err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			drain(t, disp)
			noteShows(t, st.name, deactivatedNoteIn(t, r.slack), st.updates, st.shows, st.showsNone)
		}
	})
}

// noteShows checks that the note about a deactivated rep was updated
// updates times and that its sections after the first hold each of shows
// and none of showsNone, after step.
func noteShows(t *testing.T, step string, note slacktest.Message, updates int, shows, showsNone []string) {
	t.Helper()
	if note.Updates != updates {
		t.Errorf("%s: the note was updated %d times, want %d", step, note.Updates, updates)
	}
	text := strings.Join(sectionTexts(note.Neutral()), "\n")
	for _, want := range shows {
		if !strings.Contains(text, want) {
			t.Errorf("%s: the note lacks %q:\n%s", step, want, text)
		}
	}
	for _, not := range showsNone {
		if strings.Contains(text, not) {
			t.Errorf("%s: the note still shows %q:\n%s", step, not, text)
		}
	}
}

// A lead claimed while the note about its deactivated rep is on its way
// to Slack, the claim's refresh delivered by another replica before the
// note was recorded (it found no note to render again), still ends up
// shown: recording the note queues its update, since one of its leads
// changed after the note was queued.
func TestDeactivatedNotePostedDuringAClaimShowsIt(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r, _, b := managersRig(t, s)
		back := claimedBy(t, s, r, b, "UREP1", "back-1")
		second := outbox.New(r.managersConfig("replica-2"))
		armed, claimed := false, false
		var mu sync.Mutex
		url := hookedSlackCalls(t, r, func(method string, body []byte) {
			mu.Lock()
			defer mu.Unlock()
			if !armed || claimed || method != "chat.postMessage" || !bytes.Contains(body, []byte("CMGR")) {
				return
			}
			claimed = true
			r.clock.Advance(time.Second)
			if err := b.Claim(ctx, actor("UBO"), back); err != nil {
				t.Error(err)
			}
			drain(t, second) // the claim's refresh: no note recorded yet
		})
		cfg := r.managersConfig("replica-1")
		cfg.Targets[0].Platform = slackbot.NewPlatform(slackbot.NewClient(botToken, "", url, slacktest.ClientTimeout))
		first := outbox.New(cfg)
		r.clock.Advance(time.Second)
		if err := b.RepChanged(ctx, bot.RepChange{Platform: "slack", UserID: "UREP1", Deleted: true}); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		armed = true
		mu.Unlock()
		drain(t, first)
		drain(t, second)
		if !claimed {
			t.Fatal("the note was not posted through the slow Slack")
		}
		note := deactivatedNoteIn(t, r.slack)
		text := strings.Join(sectionTexts(note.Neutral()), "\n")
		if !strings.Contains(text, "*Company back-1* (back-1) was claimed by <@UBO>") || strings.Contains(text, "with Claim") {
			t.Fatalf("the note, posted while a lead it names was claimed, shows:\n%s\nwant the claim", text)
		}
		if note.Updates != 1 {
			t.Errorf("the note was updated %d times, want once", note.Updates)
		}
	})
}

// deactivatedNoteIn returns the one note about a deactivated rep in the
// managers' channel CMGR of the fake Slack.
func deactivatedNoteIn(t *testing.T, slack *slacktest.Server) slacktest.Message {
	t.Helper()
	var notes []slacktest.Message
	for _, m := range slack.Messages("CMGR") {
		if strings.Contains(m.Text, "was deactivated") {
			notes = append(notes, m)
		}
	}
	if len(notes) != 1 {
		t.Fatalf("notes about a deactivated rep in CMGR = %+v, want one", notes)
	}
	return notes[0]
}

// claimedMeanwhile is the store with another replica that claims the note
// (Store.SetNoteShown, its own token) while this one's update of it is on
// its way to the platform, once armed.
type claimedMeanwhile struct {
	*storage.Store
	mu    sync.Mutex
	armed bool
}

func (c *claimedMeanwhile) SetNoteShown(ctx context.Context, platform, messageID, was, shown string, anyWas bool) (bool, error) {
	c.mu.Lock()
	now := c.armed && strings.HasPrefix(was, "~") && !strings.HasPrefix(shown, "~") // this worker's token, about to be replaced by what it posted
	if now {
		c.armed = false
	}
	c.mu.Unlock()
	if now {
		if _, err := c.Store.SetNoteShown(ctx, platform, messageID, "", "~another-replica", true); err != nil {
			return false, err
		}
	}
	return c.Store.SetNoteShown(ctx, platform, messageID, was, shown, anyWas)
}

// A replica whose update of a note lands while another replica has
// claimed the note since (so that its update may have landed after the
// other's, with an older render) updates it again, with a render made
// after a new claim, and then records what the note shows: a refresh that
// changes nothing after that calls no chat.update.
func TestDeactivatedNoteClaimedMeanwhileUpdatedAgain(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r, disp, b := managersRig(t, s)
		back := claimedBy(t, s, r, b, "UREP1", "back-1")
		r.clock.Advance(time.Second)
		if err := b.RepChanged(ctx, bot.RepChange{Platform: "slack", UserID: "UREP1", Deleted: true}); err != nil {
			t.Fatal(err)
		}
		drain(t, disp)
		store := &claimedMeanwhile{Store: s, armed: true}
		cfg := r.managersConfig("replica-2")
		cfg.Store = store
		second := outbox.New(cfg)
		if err := b.Claim(ctx, actor("UBO"), back); err != nil {
			t.Fatal(err)
		}
		drain(t, second)
		store.mu.Lock()
		armed := store.armed
		store.mu.Unlock()
		if armed {
			t.Fatal("the note's update was not made")
		}
		note := deactivatedNoteIn(t, r.slack)
		if note.Updates != 2 {
			t.Errorf("the note, claimed by another replica during its update, was updated %d times, want twice", note.Updates)
		}
		if shown := shownOf(t, s, back); shown == "" || strings.HasPrefix(shown, "~") {
			t.Errorf("the note's records show %q, want the fingerprint of what was posted", shown)
		}
		if err := s.Enqueue(ctx, r.clock.Now(), handoff.OutboxMessage{Kind: handoff.OutboxRefreshLead, LeadID: back}); err != nil {
			t.Fatal(err)
		}
		drain(t, second)
		if note := deactivatedNoteIn(t, r.slack); note.Updates != 2 {
			t.Errorf("a refresh that changed nothing updated the note: %d updates, want 2", note.Updates)
		}
	})
}

// shownOf returns what lead id's record of its note about a deactivated
// rep says the note shows.
func shownOf(t *testing.T, s *storage.Store, id int64) string {
	t.Helper()
	msgs, err := s.LeadMessages(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.Kind == handoff.PostDeactivated {
			return m.Shown
		}
	}
	t.Fatalf("lead %d has no note: %+v", id, msgs)
	return ""
}
