package handoff

import "time"

// EarlierDate is a stage event an older CRM state dates earlier: the event,
// its stage, the date it has and the one it takes.
type EarlierDate struct {
	EventID  int64
	Stage    Stage
	From, To time.Time
}

// EarlierImpliedDates returns the stage events of history (a lead's
// events, in the order they were recorded) that an older state of its CRM
// record dates earlier: one that put the lead in stage at the CRM's time
// at, and reached Handoff at now, after a newer state (a delivery the CRM
// retried, out of order). The newer state, saved first, entered the stages
// before its own only by implication and dated them by its time; the older
// one says the lead had reached stage, and so every stage before it, by at.
//
// Only implied events of marketing's stages (lead, mql) move: no webhook
// told them (WebhookEventOf) and nothing but the funnel's counts reads
// their dates, which the caller keeps in step. An SQL and every later
// stage keep the date they were first given, implied or not: they start
// the SLA cycle and its deadlines, were shown in chat and may have been
// sent, and the SLA figures of their period may have been read. A stage
// the newer state named itself keeps its date too (a status Handoff
// already has keeps the date it was first given).
//
// An event moves to at, but never before an event recorded ahead of it
// (the lead's history stays in order), and never later than it is. A time
// before EarliestOccurredAt (a placeholder) or after now (a clock ahead)
// moves nothing. The result is empty when nothing moves; it is pure.
func EarlierImpliedDates(history []Event, stage Stage, at, now time.Time) []EarlierDate {
	if stage.Rank() < 0 || at.Before(EarliestOccurredAt) || at.After(now) {
		return nil
	}
	limit := min(stage.Rank(), StageMQL.Rank())
	var out []EarlierDate
	var floor time.Time
	for _, e := range history {
		to := at
		if to.Before(floor) {
			to = floor
		}
		r := e.Stage.Rank()
		if e.Kind == EventStage && e.Details["implied"] == "true" && r >= 0 && r <= limit && e.At.After(to) {
			out = append(out, EarlierDate{EventID: e.ID, Stage: e.Stage, From: e.At, To: to})
			floor = to
			continue
		}
		if e.At.After(floor) {
			floor = e.At
		}
	}
	return out
}
