package outbox_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// A replica that stops mid-round (a rolling deploy's SIGTERM) finishes the
// card it is posting and gives back the rest of its batch, so that another
// replica posts those cards at once. They stayed leased to the stopped
// replica, and the new leads waited for the lease to run out before anyone
// saw them, at every deploy.
func TestDispatchStopGivesBackWhatItHasNotStarted(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		var leads []*handoff.Lead
		for i := range 3 {
			leads = append(leads, saveLead(t, s, fmt.Sprintf("stop-%d", i)))
		}
		ctx, stop := context.WithCancel(context.Background())
		first := dispatcherAt(r, slowSlack(t, r, stop), "replica-1", time.Minute)
		if n, err := first.RunOnce(ctx); err != nil || n != 3 {
			t.Fatalf("RunOnce = %d, %v; want the batch of 3 taken", n, err)
		}
		// The other replica looks at once, its clock where the first one stopped.
		if n, err := r.dispatcher("replica-2").RunOnce(context.Background()); err != nil || n != 2 {
			t.Fatalf("the other replica took %d messages (%v), want the 2 the stopped one had not started", n, err)
		}
		calls := r.slack.Calls("chat.postMessage")
		for _, l := range leads {
			if n := postsOf(calls, l.Company); n != 1 {
				t.Errorf("%s posted %d times, want 1", l.Company, n)
			}
			msgs, err := s.OutboxMessages(context.Background(), l.ID)
			if err != nil || len(msgs) != 1 {
				t.Fatalf("outbox of %s = %+v, %v", l.Company, msgs, err)
			}
			// A message given back untried counts no attempt: its taker
			// does not look for the post of an attempt never made.
			if m := msgs[0]; m.Status != storage.OutboxDone || m.Attempts != 1 {
				t.Errorf("%s: %s after %d attempts, want done after 1", l.Company, m.Status, m.Attempts)
			}
		}
	})
}
