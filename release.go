package handoff

import "time"

// Release gives a claimed lead back to the open pool as an unclaimed SQL
// (its SLA clock keeps running) and returns the event to record: a release
// by actor, with details (the previous owner is added as "from"). A
// promise settled by now goes on counting for the rep who held the lead
// then (handOver). A lead that is not claimed is left as it is and nothing
// is returned.
func (l *Lead) Release(now time.Time, actor string, details map[string]string) []Event {
	if l.Stage != StageClaimed {
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
