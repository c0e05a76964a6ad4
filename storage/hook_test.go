package storage_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestOnQueued checks that the store's one hook fires after every write
// that committed chat work, and only then.
func TestOnQueued(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		policy := handoff.DefaultPolicy()
		var calls atomic.Int64
		s.OnQueued(func() { calls.Add(1) })
		score := 80
		var sql *handoff.Lead
		steps := []struct {
			name string
			do   func() error
			want int64 // hook calls the step adds
		}{
			{"a lead that is not an SQL queues nothing", func() error {
				_, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: "mql", Stage: handoff.StageMQL}, policy, t0, handoff.ActorAPI)
				return err
			}, 0},
			{"a new SQL queues its announcement", func() error {
				res, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: "sql", Company: "Acme", Score: &score}, policy, t0, handoff.ActorAPI)
				sql = res.Lead
				return err
			}, 1},
			{"repeating it writes nothing", func() error {
				_, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: "sql", Company: "Acme", Score: &score}, policy, t0, handoff.ActorAPI)
				return err
			}, 0},
			{"a won claim queues the refresh", func() error {
				_, _, err := s.ClaimLead(ctx, sql.ID, handoff.Owner{Platform: "slack", UserID: "U1"}, t0, handoff.Policy{}, "slack:U1")
				return err
			}, 1},
			{"a lost claim queues nothing", func() error {
				_, _, err := s.ClaimLead(ctx, sql.ID, handoff.Owner{Platform: "slack", UserID: "U2"}, t0, handoff.Policy{}, "slack:U2")
				return err
			}, 0},
			{"an update without chat work queues nothing", func() error {
				_, err := s.UpdateLead(ctx, sql.ID, t0, func(l *handoff.Lead) (handoff.LeadChange, error) { return handoff.LeadChange{}, nil })
				return err
			}, 0},
			{"enqueueing a notice", func() error {
				return s.Enqueue(ctx, t0, handoff.OutboxMessage{Kind: handoff.OutboxDirect, Platform: "slack", Payload: "{}"})
			}, 1},
			{"the SLA clock's escalation", func() error {
				_, _, err := s.FireSLA(ctx, t0.Add(72*time.Hour), policy, 10)
				return err
			}, 1},
			{"an erasure refreshes the posted card", func() error {
				return s.ForgetLead(ctx, "sql", policy, t0)
			}, 1},
		}
		for _, st := range steps {
			before := calls.Load()
			if err := st.do(); err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			if got := calls.Load() - before; got != st.want {
				t.Errorf("%s: hook called %d times, want %d", st.name, got, st.want)
			}
		}
	})
}
