package storage

import (
	"context"
	"time"

	"github.com/handoff/handoff"
	"gorm.io/gorm"
)

// maxGroup bounds how many intake saves share one SQLite transaction.
const maxGroup = 64

// saveRequest is one SaveLead waiting for the group committer.
type saveRequest struct {
	ctx    context.Context
	in     handoff.LeadInput
	policy handoff.Policy
	now    time.Time
	actor  string
	reply  chan saveReply
}

type saveReply struct {
	res SaveResult
	err error
}

// groupCommitter gives SQLite group commit: concurrent SaveLead calls queue
// here and one goroutine saves whatever is waiting in a single transaction,
// so many leads share one fsync. Every caller still returns only after its
// lead is committed.
type groupCommitter struct {
	store *Store
	queue chan saveRequest
	done  chan struct{}
}

func newGroupCommitter(s *Store) *groupCommitter {
	g := &groupCommitter{store: s, queue: make(chan saveRequest, maxGroup), done: make(chan struct{})}
	go g.loop()
	return g
}

func (g *groupCommitter) stop() {
	close(g.queue)
	<-g.done
}

func (g *groupCommitter) save(ctx context.Context, in handoff.LeadInput, policy handoff.Policy, now time.Time, actor string) (SaveResult, error) {
	req := saveRequest{ctx: ctx, in: in, policy: policy, now: now, actor: actor, reply: make(chan saveReply, 1)}
	select {
	case g.queue <- req:
	case <-ctx.Done():
		return SaveResult{}, ctx.Err()
	}
	r := <-req.reply
	return r.res, r.err
}

func (g *groupCommitter) loop() {
	defer close(g.done)
	group := make([]saveRequest, 0, maxGroup)
	for first := range g.queue {
		group = append(group[:0], first)
	drain:
		for len(group) < maxGroup {
			select {
			case req, ok := <-g.queue:
				if !ok {
					break drain
				}
				group = append(group, req)
			default:
				break drain
			}
		}
		g.commit(group)
	}
}

// commit saves the group in one transaction. If the transaction itself
// fails, each request is retried alone so one bad apple cannot fail the rest.
func (g *groupCommitter) commit(group []saveRequest) {
	items := make([]saveItem, len(group))
	for i, req := range group {
		items[i] = saveItem{req.in, req.policy, req.now, req.actor}
	}
	var (
		results []SaveResult
		errs    []error
	)
	err := g.store.write.WithContext(context.WithoutCancel(group[0].ctx)).Transaction(func(tx *gorm.DB) error {
		var err error
		results, errs, err = saveBatchInTx(tx, items)
		return err
	})
	for i, req := range group {
		if err != nil && len(group) > 1 {
			res, err := g.store.saveLeadOnce(req.ctx, req.in, req.policy, req.now, req.actor)
			req.reply <- saveReply{res, err}
			continue
		}
		if err != nil {
			req.reply <- saveReply{err: err}
			continue
		}
		req.reply <- saveReply{results[i], errs[i]}
	}
}
