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
