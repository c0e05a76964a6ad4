package storage_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestRetryRefusedOutbox: the dead messages a place refused are queued
// again when the app is back there, those another place refused or that
// died of anything else stay dead, and a message queued again, by the
// app's return or by hand, forgets its refusal: given up again for another
// reason, it is not queued by a later return.
func TestRetryRefusedOutbox(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		kinds := []string{"sales card", "managers' note", "other channel", "bad blocks"}
		var msgs []handoff.OutboxMessage
		for _, k := range kinds {
			msgs = append(msgs, handoff.OutboxMessage{Kind: k, Platform: "slack"})
		}
		if err := s.Enqueue(ctx, t0, msgs...); err != nil {
			t.Fatal(err)
		}
		taken, err := s.TakeOutbox(ctx, t0, len(kinds), time.Minute, "w")
		if err != nil || len(taken) != len(kinds) {
			t.Fatalf("take = %+v, %v", taken, err)
		}
		refusedBy := map[string]string{"sales card": "CSALES", "managers' note": "CSALES", "other channel": "COTHER"}
		var outcomes []handoff.OutboxOutcome
		for _, m := range taken {
			outcomes = append(outcomes, handoff.OutboxOutcome{Message: m, At: t0, Dead: true, Cause: "refused", RefusedBy: refusedBy[m.Kind]})
		}
		for i, err := range s.RecordOutbox(ctx, outcomes...) {
			if err != nil {
				t.Fatalf("record %s: %v", taken[i].Kind, err)
			}
		}

		if places, err := s.RefusedPlaces(ctx); err != nil || !slices.Equal(places, []string{"COTHER", "CSALES"}) {
			t.Fatalf("refused places = %v, %v; want COTHER and CSALES", places, err)
		}
		back := t0.Add(time.Hour)
		for _, c := range []struct {
			place string
			want  int64
		}{{"", 0}, {"CUNKNOWN", 0}, {"CSALES", 2}, {"CSALES", 0}} {
			if n, err := s.RetryRefusedOutbox(ctx, c.place, back); err != nil || n != c.want {
				t.Fatalf("retry what %q refused = %d, %v; want %d", c.place, n, err, c.want)
			}
		}
		again, err := s.TakeOutbox(ctx, back, 10, 24*time.Hour, "w") // held past what follows
		if err != nil || len(again) != 2 {
			t.Fatalf("take after the channel's return = %+v, %v; want the two messages it refused", again, err)
		}
		for _, m := range again {
			if refusedBy[m.Kind] != "CSALES" || !m.Requeued.Equal(back) || m.Attempts != 1 || m.RefusedBy != "" {
				t.Errorf("queued again: %+v; want a fresh attempt of a message CSALES refused, requeued at %v", m, back)
			}
		}
		dead, err := s.DeadOutbox(ctx, 0)
		if err != nil || len(dead) != 2 || dead[0].Kind != "other channel" || dead[1].Kind != "bad blocks" {
			t.Fatalf("still dead = %+v, %v; want the other channel's and the one not refused", dead, err)
		}

		// Given up again for another reason, the card is not queued by
		// its old channel's return.
		if errs := s.RecordOutbox(ctx, handoff.OutboxOutcome{Message: again[0], At: back, Dead: true, Cause: "invalid_blocks"}); errs[0] != nil {
			t.Fatal(errs[0])
		}
		if n, err := s.RetryRefusedOutbox(ctx, "CSALES", back); err != nil || n != 0 {
			t.Fatalf("retry after a death of another cause = %d, %v; want 0", n, err)
		}
		// Queued again by hand, a refused message forgets its refusal too.
		if n, err := s.RetryDeadOutbox(ctx, back); err != nil || n != 3 {
			t.Fatalf("retry all = %d, %v", n, err)
		}
		byHand, err := s.TakeOutbox(ctx, back, 10, 24*time.Hour, "w") // held past what follows
		if err != nil || len(byHand) != 3 {
			t.Fatalf("take after outbox retry --all = %+v, %v", byHand, err)
		}
		for _, m := range byHand {
			if m.RefusedBy != "" {
				t.Errorf("%s queued again by hand still refused by %q", m.Kind, m.RefusedBy)
			}
		}

		// Given platforms, only their messages and those for every
		// platform are queued.
		later := back.Add(time.Hour)
		if err := s.Enqueue(ctx, later, handoff.OutboxMessage{Kind: "teams card", Platform: "teams"}, handoff.OutboxMessage{Kind: "note to all"}); err != nil {
			t.Fatal(err)
		}
		both, err := s.TakeOutbox(ctx, later, 10, time.Minute, "w")
		if err != nil || len(both) != 2 {
			t.Fatalf("take = %+v, %v", both, err)
		}
		for i, err := range s.RecordOutbox(ctx, handoff.OutboxOutcome{Message: both[0], At: later, Dead: true, RefusedBy: "19:team"},
			handoff.OutboxOutcome{Message: both[1], At: later, Dead: true, RefusedBy: "19:team"}) {
			if err != nil {
				t.Fatalf("record %s: %v", both[i].Kind, err)
			}
		}
		if n, err := s.RetryRefusedOutbox(ctx, "19:team", later, "slack"); err != nil || n != 1 {
			t.Fatalf("retry what 19:team refused for slack = %d, %v; want the note to all platforms only", n, err)
		}
		if n, err := s.RetryRefusedOutbox(ctx, "19:team", later, "slack", "teams"); err != nil || n != 1 {
			t.Fatalf("retry what 19:team refused for slack and teams = %d, %v; want the Teams card", n, err)
		}
	})
}
