package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// An outcome whose cause quotes an answer that is not valid UTF-8 (a
// Latin-1 error page, a body cut in the middle of a character, a NUL
// byte) is recorded all the same, on both databases, its cause kept with
// the bytes PostgreSQL cannot store replaced: refused, the message would
// never be recorded, and it would be sent again at every lease, never
// given up.
func TestOutcomeWithUnstorableCauseIsRecorded(t *testing.T) {
	causes := []struct {
		name, cause, want string
	}{
		{"latin-1", "HTTP 400: Ung\xfcltige Anfrage", "HTTP 400: Ung\uFFFDltige Anfrage"},
		{"cut mid-character", "HTTP 503: Dienst nicht verf\xc3", "HTTP 503: Dienst nicht verf\uFFFD"},
		{"NUL", "HTTP 400: bad\x00body", "HTTP 400: bad\uFFFDbody"},
	}
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		for i, c := range causes {
			for _, dead := range []bool{false, true} {
				lead := int64(100*i + 1)
				if dead {
					lead++
				}
				if err := s.Enqueue(ctx, t0, handoff.OutboxMessage{Kind: "x", LeadID: lead}); err != nil {
					t.Fatal(err)
				}
				taken, err := s.TakeOutbox(ctx, t0, 1, time.Minute, "w")
				if err != nil || len(taken) != 1 {
					t.Fatalf("take = %+v, %v", taken, err)
				}
				o := handoff.OutboxOutcome{Message: taken[0], At: t0, Cause: c.cause, Retry: t0.Add(time.Hour)}
				if dead {
					o.Retry, o.Dead = time.Time{}, true
				}
				if err := s.RecordOutbox(ctx, o)[0]; err != nil {
					t.Fatalf("%s (dead %v): record = %v", c.name, dead, err)
				}
				msgs, err := s.OutboxMessages(ctx, lead)
				if err != nil || len(msgs) != 1 {
					t.Fatalf("outbox = %+v, %v", msgs, err)
				}
				m := msgs[0]
				want := storage.OutboxPending
				if dead {
					want = storage.OutboxDead
				}
				if m.Status != want || m.LastError != c.want {
					t.Errorf("%s (dead %v): message is %s with %q, want %s with %q", c.name, dead, m.Status, m.LastError, want, c.want)
				}
			}
		}
	})
}
