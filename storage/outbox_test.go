package storage_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// A worker whose lease ran out and whose message another worker took can
// neither complete, retry, fail nor renew it: only the holder can.
func TestOutboxStaleHolder(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		if err := s.Enqueue(ctx, t0, handoff.OutboxMessage{Kind: "x", LeadID: 7}); err != nil {
			t.Fatal(err)
		}
		stale, err := s.TakeOutbox(ctx, t0, 1, time.Minute, "w1")
		if err != nil || len(stale) != 1 {
			t.Fatalf("take = %+v, %v", stale, err)
		}
		if err := s.RenewOutbox(ctx, stale[0], t0.Add(2*time.Minute)); err != nil {
			t.Fatalf("holder cannot renew: %v", err)
		}
		if again, _ := s.TakeOutbox(ctx, t0.Add(90*time.Second), 1, time.Minute, "w2"); len(again) != 0 {
			t.Fatalf("renewed lease taken by another worker: %+v", again)
		}
		fresh, err := s.TakeOutbox(ctx, t0.Add(3*time.Minute), 1, time.Minute, "w2")
		if err != nil || len(fresh) != 1 || fresh[0].LeasedBy != "w2" {
			t.Fatalf("take after the lease = %+v, %v", fresh, err)
		}
		post := handoff.ChatPost{LeadID: 7, Platform: "slack", Channel: "C1", MessageID: "stale-ts"}
		for name, op := range map[string]func() error{
			"complete": func() error { return s.CompleteOutbox(ctx, stale[0], t0, "stale-ts", post) },
			"retry":    func() error { return s.RetryOutbox(ctx, stale[0], t0.Add(time.Hour), "stale") },
			"fail":     func() error { return s.FailOutbox(ctx, stale[0], t0, "stale") },
			"renew":    func() error { return s.RenewOutbox(ctx, stale[0], t0.Add(time.Hour)) },
		} {
			if err := op(); handoff.ErrorCode(err) != handoff.ECONFLICT {
				t.Errorf("stale %s = %v, want ECONFLICT", name, err)
			}
		}
		// The stale worker's post exists on the platform: it is recorded
		// (for the lead's erasure to reach it), though the message is not
		// completed.
		if posts, _ := s.ChatPosts(ctx, 7); len(posts) != 1 || posts[0].MessageID != "stale-ts" {
			t.Fatalf("posts after a stale completion = %+v, want its post recorded", posts)
		}
		msgs, _ := s.OutboxMessages(ctx, 7)
		if len(msgs) != 1 || msgs[0].Status != storage.OutboxPending || msgs[0].LeasedBy != "w2" || msgs[0].LastError != "" {
			t.Fatalf("after stale calls = %+v, want untouched and held by w2", msgs)
		}
		if err := s.CompleteOutbox(ctx, fresh[0], t0, "ts", post); err != nil {
			t.Fatalf("holder cannot complete: %v", err)
		}
		if err := s.CompleteOutbox(ctx, fresh[0], t0, "ts", post); handoff.ErrorCode(err) != handoff.ECONFLICT {
			t.Fatalf("second completion = %v, want ECONFLICT", err)
		}
	})
}

func TestOutboxDead(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		if err := s.Enqueue(ctx, t0, handoff.OutboxMessage{Kind: "a"}, handoff.OutboxMessage{Kind: "b"}, handoff.OutboxMessage{Kind: "c"}); err != nil {
			t.Fatal(err)
		}
		taken, err := s.TakeOutbox(ctx, t0, 3, time.Minute, "w")
		if err != nil || len(taken) != 3 {
			t.Fatalf("take = %+v, %v", taken, err)
		}
		for _, m := range taken[:2] {
			if err := s.FailOutbox(ctx, m, t0, "channel_not_found"); err != nil {
				t.Fatal(err)
			}
		}
		dead, err := s.DeadOutbox(ctx, 0)
		if err != nil || len(dead) != 2 || dead[0].Kind != "a" || dead[0].LastError != "channel_not_found" || dead[0].Status != storage.OutboxDead {
			t.Fatalf("dead = %+v, %v", dead, err)
		}
		if st, _ := s.OutboxStats(ctx); st.Dead != 2 || st.Pending != 1 {
			t.Fatalf("stats = %+v, want 2 dead, 1 pending", st)
		}
		// Retrying or dropping a message that is not dead does nothing.
		if n, err := s.RetryDeadOutbox(ctx, t0, taken[2].ID); err != nil || n != 0 {
			t.Fatalf("retry of a pending message = %d, %v", n, err)
		}
		if err := s.CompleteOutbox(ctx, taken[2], t0, "sent"); err != nil {
			t.Fatal(err)
		}
		later := t0.Add(48 * time.Hour)
		if n, err := s.RetryDeadOutbox(ctx, later, dead[0].ID); err != nil || n != 1 {
			t.Fatalf("retry = %d, %v", n, err)
		}
		again, err := s.TakeOutbox(ctx, later, 5, time.Minute, "w")
		if err != nil || len(again) != 1 || again[0].ID != dead[0].ID || again[0].Attempts != 1 || !again[0].Created.Equal(dead[0].Created) ||
			!again[0].Requeued.Equal(later) || !again[0].Since().Equal(later) || !again[0].Retried() {
			t.Fatalf("take after retry = %+v, %v; want a fresh attempt of %d, requeued at %v, created when it was", again, err, dead[0].ID, later)
		}
		if st, _ := s.OutboxStats(ctx); !st.Oldest.Equal(later) {
			t.Fatalf("oldest pending = %v, want %v, when the message was requeued", st.Oldest, later)
		}
		if n, err := s.DropDeadOutbox(ctx); err != nil || n != 1 {
			t.Fatalf("drop all = %d, %v; want the one still dead", n, err)
		}
		if st, _ := s.OutboxStats(ctx); st.Dead != 0 {
			t.Fatalf("dead after drop = %d", st.Dead)
		}
	})
}

// A dead outcome queues its Then in its own transaction; an outcome whose
// lease was lost records nothing and queues nothing.
func TestOutboxDeadQueuesThen(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		card := handoff.OutboxMessage{Kind: handoff.OutboxAnnounceLead, LeadID: 41, Platform: "slack"}
		if err := s.Enqueue(ctx, t0, card, card); err != nil {
			t.Fatal(err)
		}
		taken, err := s.TakeOutbox(ctx, t0, 2, time.Minute, "w")
		if err != nil || len(taken) != 2 {
			t.Fatalf("take = %+v, %v", taken, err)
		}
		lost := taken[1]
		lost.LeasedBy = "another worker"
		dead := func(m handoff.OutboxMessage) handoff.OutboxOutcome {
			return handoff.OutboxOutcome{Message: m, At: t0, Dead: true, Cause: "not_in_channel",
				Then: []handoff.OutboxMessage{*handoff.CardGivenUp(m, "not_in_channel", true)}}
		}
		errs := s.RecordOutbox(ctx, dead(taken[0]), dead(lost))
		if errs[0] != nil || handoff.ErrorCode(errs[1]) != handoff.ECONFLICT {
			t.Fatalf("record = %v, want the first recorded and the second's lease lost", errs)
		}
		notes, err := s.TakeOutbox(ctx, t0, 5, time.Minute, "w2")
		if err != nil {
			t.Fatal(err)
		}
		if len(notes) != 1 || notes[0].Kind != handoff.OutboxCardGivenUp || notes[0].LeadID != 41 {
			t.Fatalf("queued = %+v, want the one dead card's note", notes)
		}
		if st, _ := s.OutboxStats(ctx); st.Dead != 1 {
			t.Fatalf("dead = %d, want 1", st.Dead)
		}
	})
}

// Command answers whose response_url has expired are pruned; answers still
// replaceable, and the lead's other messages, stay.
func TestPruneExpiredReplies(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		res, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: "reply-1", Company: "Reply"}, handoff.DefaultPolicy(), t0, handoff.ActorAPI)
		if err != nil {
			t.Fatal(err)
		}
		id := res.Lead.ID
		at := func(d time.Duration) *time.Time { x := t0.Add(d); return &x }
		posts := []handoff.ChatPost{
			{LeadID: id, Kind: handoff.PostReply, Platform: "slack", MessageID: "https://hooks.slack.test/old", ExpiresAt: at(30 * time.Minute)},
			{LeadID: id, Kind: handoff.PostReply, Platform: "slack", MessageID: "https://hooks.slack.test/now", ExpiresAt: at(time.Hour)},
			{LeadID: id, Kind: handoff.PostReply, Platform: "slack", MessageID: "https://hooks.slack.test/new", ExpiresAt: at(90 * time.Minute)},
			{LeadID: id, Kind: handoff.PostPrivate, Platform: "teams", Channel: "a:rep", MessageID: "1700000000001"},
		}
		if err := s.SaveLeadMessages(ctx, t0, t0, posts...); err != nil {
			t.Fatal(err)
		}
		n, err := s.PruneExpiredReplies(ctx, t0.Add(time.Hour))
		if err != nil || n != 2 {
			t.Fatalf("pruned = %d, %v; want 2 (expired before and at now)", n, err)
		}
		left, err := s.LeadMessages(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(left) != 2 || left[0].MessageID != "https://hooks.slack.test/new" || left[1].Kind != handoff.PostPrivate {
			t.Fatalf("left = %+v, want the unexpired reply and the private notice", left)
		}
		if n, err := s.PruneExpiredReplies(ctx, t0.Add(time.Hour)); err != nil || n != 0 {
			t.Fatalf("pruned again = %d, %v; want 0", n, err)
		}
	})
}

// A command answer rendered before its lead's erasure and recorded after it
// (the erasure's updates ran without it) is recorded, and the lead's erase
// update queued again, once for the answer's posts of that lead; one
// rendered after the erasure showed the anonymous lead and is skipped; one
// of a lead not erased is recorded with nothing queued.
func TestSaveLeadMessagesOfAnErasedLead(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		erasedAt := t0.Add(time.Minute)
		tests := []struct {
			name      string
			erase     bool
			rendered  time.Time
			posts     int
			wantKept  int
			wantQueue int
		}{
			{"rendered before the erasure", true, t0, 2, 2, 1},
			{"rendered at the erasure", true, erasedAt, 1, 1, 1},
			{"rendered after the erasure", true, erasedAt.Add(time.Second), 1, 0, 0},
			{"not erased", false, t0, 1, 1, 0},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ext := fmt.Sprintf("shown-%d", i)
				res, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: ext, Company: "Shown " + ext}, handoff.DefaultPolicy(), t0, handoff.ActorAPI)
				if err != nil {
					t.Fatal(err)
				}
				id := res.Lead.ID
				if tt.erase {
					if err := s.ForgetLead(ctx, ext, handoff.DefaultPolicy(), erasedAt); err != nil {
						t.Fatal(err)
					}
				}
				eraseUpdates := func() int {
					msgs, err := s.OutboxMessages(ctx, id)
					if err != nil {
						t.Fatal(err)
					}
					n := 0
					for _, m := range msgs {
						if m.Kind == handoff.OutboxEraseLead && m.Status == storage.OutboxPending {
							n++
						}
					}
					return n
				}
				before := eraseUpdates()
				var posts []handoff.ChatPost
				for k := range tt.posts {
					posts = append(posts, handoff.ChatPost{LeadID: id, Kind: handoff.PostReply, Platform: "slack",
						MessageID: fmt.Sprintf("https://hooks.slack.test/%d/%d", i, k), ExpiresAt: &erasedAt})
				}
				if err := s.SaveLeadMessages(ctx, tt.rendered, erasedAt.Add(2*time.Second), posts...); err != nil {
					t.Fatal(err)
				}
				kept, err := s.LeadMessages(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if len(kept) != tt.wantKept {
					t.Errorf("recorded %d answers, want %d", len(kept), tt.wantKept)
				}
				if got := eraseUpdates() - before; got != tt.wantQueue {
					t.Errorf("erase updates queued again = %d, want %d", got, tt.wantQueue)
				}
			})
		}
	})
}
