package handoff

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"
)

// CRMVersion is the state of a CRM record that one delivery brings: the
// record's last-modified time in the CRM, and a digest of what the
// delivery says of the record. It orders the deliveries of one record: a
// later Modified is a newer state and an earlier one an older state. An
// equal Modified does not tell them apart, as Salesforce's
// LastModifiedDate (and a HubSpot time in RFC 3339) has whole seconds and
// two changes made within one second share it: then a state whose Digest
// was already seen at that time is a repeat (a retry, a replay), and one
// not yet seen is a change to apply.
type CRMVersion struct {
	Modified time.Time
	// Digest identifies the content; "" when it is unknown, which makes
	// an equal Modified a repeat.
	Digest string
	// Deleted is true when the state is the record deleted in its CRM at
	// Modified (HubSpot's contact.deletion, HubSpotDeletion): see
	// DeletedAt. It is no part of Digest.
	Deleted bool
}

// DeletedAt returns when the record stands deleted in its CRM once v is
// the newest of its states saved: v.Modified for a deletion, nil for any
// other state. A state newer than a deletion is the record restored
// (HubSpot restores a deleted contact under its id, and sends it, or a
// change of it, again), which holds its email address again; one older
// than the newest saved is stale and never saved, so a late delivery from
// before the deletion does not undo it. A record deleted holds no address
// (storage's ForgetCRMPerson erases its lead with the person who has it).
func (v CRMVersion) DeletedAt() *time.Time {
	if !v.Deleted {
		return nil
	}
	at := v.Modified
	return &at
}

// VersionOf returns the version of the state in, last modified at
// modified in its CRM: its Digest is a hash of every field of in, so that
// two deliveries that would save the same thing share it.
func VersionOf(in LeadInput, modified time.Time) CRMVersion {
	b, err := json.Marshal(in)
	if err != nil {
		// An attribute JSON cannot hold: no digest, so an equal time is a
		// repeat, as without one.
		return CRMVersion{Modified: modified}
	}
	sum := sha256.Sum256(b)
	return CRMVersion{Modified: modified, Digest: hex.EncodeToString(sum[:8])}
}
