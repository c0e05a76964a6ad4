package storage

import (
	"runtime"
	"syscall"
	"time"
	"unsafe"

	"github.com/handoff/handoff"
)

// BenchWriter commits groups of saves as SQLite's writer commits
// concurrent SaveLead calls (saveJobs: one batch, no savepoint), on a
// goroutine of its own locked to its thread, so that the writer's CPU
// (and, under valgrind --separate-threads, its instructions) is that
// thread's. The store's own writer must be idle.
type BenchWriter struct {
	s      *Store
	groups chan []writeJob
	cpu    chan time.Duration
}

// NewBenchWriter starts a BenchWriter on s; Close stops it.
func (s *Store) NewBenchWriter() *BenchWriter {
	w := &BenchWriter{s: s, groups: make(chan []writeJob), cpu: make(chan time.Duration)}
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		benchWriterLocked()
		for group := range w.groups {
			if group == nil {
				benchWriterLocked()
				w.cpu <- 0
				continue
			}
			t0 := threadCPU()
			s.group.commit(group)
			if s.group.after != nil {
				s.group.after()
			}
			w.cpu <- threadCPU() - t0
		}
	}()
	return w
}

// Mark has the writer's thread call benchWriterLocked again, so that
// callgrind --zero-before counts from there: after a benchmark's setup.
func (w *BenchWriter) Mark() {
	w.groups <- nil
	<-w.cpu
}

// Close stops the writer's goroutine.
func (w *BenchWriter) Close() { close(w.groups) }

// Commit saves the inputs as one group and returns the CPU time the
// writer's thread spent on it; what SaveLead does before a save queues is
// done on the caller's goroutine, as SaveLead does it.
func (w *BenchWriter) Commit(ins []handoff.LeadInput, policy handoff.Policy, now time.Time, actor string) (time.Duration, error) {
	group := make([]writeJob, len(ins))
	results := make([]handoff.SaveResult, len(ins))
	for i, in := range ins {
		it := saveItem{in: in, policy: policy, now: now, actor: actor, hooks: w.s.hooks}
		it.fresh = decideNew(it)
		group[i] = writeJob{save: &it, res: &results[i], done: make(chan error, 1)}
	}
	w.groups <- group
	cpu := <-w.cpu
	for _, job := range group {
		if err := <-job.done; err != nil {
			return cpu, err
		}
	}
	return cpu, nil
}

// benchWriterLocked marks where BenchWriter's thread starts committing:
// callgrind --zero-before=…benchWriterLocked counts from there.
//
//go:noinline
func benchWriterLocked() {}

// threadCPU is the CPU time of the calling thread.
func threadCPU() time.Duration {
	var ts syscall.Timespec
	const clockThreadCPUTimeID = 3
	syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTimeID, uintptr(unsafe.Pointer(&ts)), 0)
	return time.Duration(ts.Nano())
}
