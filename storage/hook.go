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

// queuedBy counts the chat messages that saved intake results wrote to
// the outbox, as each save counted the rows it wrote (SaveResult.Queued,
// set by saveBatch.rowsToWrite): a refresh that handoff.NotesRefresh
// added for a change without an event included, which the chat work of
// the results' events alone (handoff.NewChange) does not hold.
func queuedBy(results ...handoff.SaveResult) int {
	n := 0
	for _, r := range results {
		n += r.Queued
	}
	return n
}
