package storage

import (
	"hash/maphash"
	"sync/atomic"
)

// knownLeads remembers, by a hash of their external ids, the leads this
// store saved lately through SaveLead, so that an update of one does not
// work out first what its input would do to a new lead (decideNew, the
// domain's Apply on the request's goroutine) only for the writer, which
// finds the lead known, to apply the input again to the lead as stored.
//
// It is a hint, never a fact: a slot keeps the last external id hashed to
// it, and another replica's saves, a restart or an erasure (which renames
// the lead's external id) leave it stale. A wrong "known" costs only the
// early decision (the writer decides a lead it finds new, as it does a
// known one, with the same result: TestFreshSaveDecidesAsTheBatch), a wrong
// "not known" the double decision it saves; the saves' results never
// depend on it (TestKnownLeadsDecidedOnce).
type knownLeads struct {
	seed  maphash.Seed
	slots []atomic.Uint64
}

// knownLeadSlots is how many external ids knownLeads holds at most: 128
// KiB a store.
const knownLeadSlots = 1 << 14

func newKnownLeads() *knownLeads {
	return &knownLeads{seed: maphash.MakeSeed(), slots: make([]atomic.Uint64, knownLeadSlots)}
}

// hash is the external id's hash, never 0 (an empty slot).
func (k *knownLeads) hash(externalID string) uint64 {
	return maphash.String(k.seed, externalID) | 1
}

// has reports whether externalID was added, unless another id took its
// slot since.
func (k *knownLeads) has(externalID string) bool {
	h := k.hash(externalID)
	return k.slots[h%knownLeadSlots].Load() == h
}

// add remembers externalID.
func (k *knownLeads) add(externalID string) {
	h := k.hash(externalID)
	k.slots[h%knownLeadSlots].Store(h)
}
