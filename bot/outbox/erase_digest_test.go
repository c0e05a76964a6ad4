package outbox_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot/outbox"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// A weekly digest posted to the managers' channel names its open breaches.
// Erasing one of those leads builds the week's digest again in its place:
// nothing of the person anywhere, the digest still there, a line saying
// why it changed.
func TestEraseBuildsThePostedDigestAgain(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s)
		policy := handoff.DefaultPolicy()
		disp := outbox.New(r.managersConfig("w"))
		person := []string{"Dagny Digest", "dagny@digest-breach.dk", "Digest Breach ApS"}
		score := 90
		if _, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: "gdpr-digest", Name: person[0], Email: person[1], Company: person[2], Score: &score},
			policy, r.clock.Now(), handoff.ActorAPI); err != nil {
			t.Fatal(err)
		}
		drain(t, disp)
		r.clock.Advance(5 * time.Hour) // past the claim deadline: an open breach
		y, w := r.clock.Now().ISOWeek()
		req, _ := json.Marshal(handoff.DigestRequest{Week: fmt.Sprintf("%04d-W%02d", y, w)})
		if err := s.Enqueue(ctx, r.clock.Now(), handoff.OutboxMessage{Kind: handoff.OutboxDigest, Payload: string(req)}); err != nil {
			t.Fatal(err)
		}
		drain(t, disp)
		var digest string // channel/ts
		for _, c := range r.slack.Calls("chat.postMessage") {
			if c.Param("channel") == "CMGR" && strings.Contains(c.Param("text"), "SLA digest") {
				digest = c.Param("channel") + "/" + c.TS
				if !strings.Contains(c.Param("blocks"), person[2]) {
					t.Fatalf("the digest does not name the breached lead: %s", c.Param("blocks"))
				}
			}
		}
		if digest == "" {
			t.Fatal("no digest in the managers' channel")
		}

		if err := s.ForgetLead(ctx, "gdpr-digest", policy, r.clock.Now()); err != nil {
			t.Fatal(err)
		}
		drain(t, disp)
		noTrace(t, s, "after the erase", person...)
		after := ""
		for _, c := range r.slack.Calls("chat.update") {
			if c.Param("channel")+"/"+c.Param("ts") == digest {
				after = c.Param("text") + c.Param("blocks")
			}
		}
		switch {
		case after == "":
			t.Fatal("the digest was not updated after the erase")
		case strings.Contains(after, person[0]) || strings.Contains(after, person[2]):
			t.Errorf("the digest still shows the person: %s", after)
		case !strings.Contains(after, "SLA digest") || !strings.Contains(after, "Built again"):
			t.Errorf("the digest after the erase = %s, want the week's digest built again", after)
		}
	})
}
