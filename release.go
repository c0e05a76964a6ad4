package handoff

import "time"

// Release gives a claimed lead back to the open pool as an unclaimed SQL
// (its SLA clock keeps running) and returns the event to record: a release
// by actor, with details (the previous owner is added as "from"). A
// promise settled by now goes on counting for the rep who held the lead
// then (handOver). A lead that is not claimed, or whose personal data was
// erased (ReleaseRefused), is left as it is and nothing is returned.
func (l *Lead) Release(now time.Time, actor string, details map[string]string) []Event {
	if l.Stage != StageClaimed || l.ErasedAt != nil {
		return nil
	}
	d := map[string]string{"from": l.Owner.Platform + ":" + l.Owner.UserID}
	for k, v := range details {
		d[k] = v
	}
	l.handOver(now)
	before := l.slaArming()
	l.Stage, l.Owner, l.ClaimedAt = StageSQL, Owner{}, nil
	released := now
	l.StageAt = &released
	l.armSLA(before, now) // a claim deadline not escalated acts again
	return []Event{{Kind: EventRelease, Stage: StageSQL, At: now, Actor: actor, Details: d}}
}

// ReleaseRefused returns the ECONFLICT error that refuses releasing lead l
// when its personal data was erased, and nil otherwise: released, it
// would be an SQL nobody can claim (TakeUpRefused). Its owner or a
// manager closes it instead, with Lost (its claimed card's button). The
// lead is named as TakeUpRefused names it.
func (l *Lead) ReleaseRefused() error {
	if l.ErasedAt == nil {
		return nil
	}
	return Errorf(ECONFLICT, "Lead %d (personal data erased) cannot be released: nobody could claim it. Close it instead: Lost, with a reason.", l.ID)
}
