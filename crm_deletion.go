package handoff

import "time"

// HubSpotDeletion returns the input of HubSpot's deletion of contact id at
// occurred (a contact.deletion event and its occurredAt): a change of a
// known lead only (KnownOnly), lost with HubSpotDeletedReason and dated by
// occurred. The hubspot connector saves it at VersionOf(in, occurred)
// marked Deleted; storage's Migrate recognises a deletion saved before
// crm_versions recorded it by that version's digest, so both build the
// input here.
func HubSpotDeletion(id string, occurred time.Time) LeadInput {
	return LeadInput{ExternalID: id, KnownOnly: true, ChangedAt: &occurred, Stage: StageLost, Reason: HubSpotDeletedReason}
}

// HubSpotRestore returns the input of HubSpot's restore of contact id at
// occurred (a contact.restore event and its occurredAt), which carries
// none of the contact's properties: a change of a known lead only
// (KnownOnly), dated by occurred. Its stage is the one the lead had before
// the deletion the restore undoes, which only the lead's history tells
// (StageBeforeDeletion): storage reads it in the transaction that saves
// the input. Saved at VersionOf(in, occurred) not marked Deleted, it
// clears the contact's deletion when newer than it.
func HubSpotRestore(id string, occurred time.Time) LeadInput {
	return LeadInput{ExternalID: id, KnownOnly: true, ChangedAt: &occurred}
}

// StageBeforeDeletion returns the stage a lead returns to when the CRM
// restores its deleted record, and the reason to enter it with (the one
// recorded when it entered it, for a recycled lead): the stage entered
// last before HubSpot's deletion closed it lost with HubSpotDeletedReason,
// read from history (its events, oldest first). It returns false, and
// the lead stays as it is, unless the lead is lost for that reason with
// that loss its last stage event and not erased: a lead lost for another
// reason, won (a deletion leaves it won), erased or never deleted, or
// moved since the deletion, is left alone.
func StageBeforeDeletion(l *Lead, history []Event) (Stage, string, bool) {
	if l == nil || l.ErasedAt != nil || l.Stage != StageLost || l.Reason != HubSpotDeletedReason {
		return "", "", false
	}
	deletion := -1
	for i := len(history) - 1; i >= 0; i-- {
		if e := history[i]; e.Kind == EventStage {
			if e.Stage != StageLost || e.Details["reason"] != HubSpotDeletedReason {
				return "", "", false
			}
			deletion = i
			break
		}
	}
	for i := deletion - 1; i >= 0; i-- {
		if e := history[i]; e.Kind == EventStage {
			if e.Stage == StageLost || e.Stage == StageWon {
				return "", "", false // not a move a deletion makes
			}
			return e.Stage, e.Details["reason"], true
		}
	}
	return "", "", false
}
