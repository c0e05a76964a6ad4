package storage

import "github.com/handoff/handoff"

// OnQueued sets the one hook the store calls after it committed chat work
// to the outbox (an announcement, a refresh, a reminder, a notice), so that
// the dispatcher delivers it now rather than at its next look, and the SLA
// clock sees new deadlines. It is called once per committing call that
// queued anything, after the commit; f must not block. nil removes it.
func (s *Store) OnQueued(f func()) {
	if f == nil {
		s.onQueued.Store(nil)
		return
	}
	s.onQueued.Store(&f)
}

// queued calls the OnQueued hook when n messages were committed.
func (s *Store) queued(n int) {
	if n <= 0 {
		return
	}
	if f := s.onQueued.Load(); f != nil {
		(*f)()
	}
}

// queuedBy counts the chat work that saved intake results caused.
func queuedBy(results ...handoff.SaveResult) int {
	n := 0
	for _, r := range results {
		if r.Lead != nil {
			n += len(handoff.NewChange(r.Lead, r.Events).Outbox)
		}
	}
	return n
}
