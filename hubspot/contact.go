// Package hubspot receives contacts from a HubSpot workflow's "Send a
// webhook" action at POST /hooks/hubspot: it verifies HubSpot's request
// signature v3, reads both body shapes HubSpot sends (the classic contact
// record and a flat body of chosen properties, alone or in an array) and
// saves each contact as a lead through the intake's validation.
package hubspot

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/connector"
)

// Actor is recorded on the events a HubSpot webhook causes.
const Actor = handoff.ActorHubSpot

// lifecycleStages maps HubSpot lifecycle stages (internal values or labels,
// normalised) to Handoff stages, the same as the CSV import.
var lifecycleStages = map[string]handoff.Stage{
	"subscriber": handoff.StageLead, "lead": handoff.StageLead,
	"marketingqualifiedlead": handoff.StageMQL, "salesqualifiedlead": handoff.StageSQL,
	"opportunity": handoff.StageOpportunity, "customer": handoff.StageWon, "evangelist": handoff.StageWon,
	"other": handoff.StageRecycled,
}

// otherReason is the reason recorded when HubSpot moves a contact to "other".
const otherReason = "HubSpot lifecycle stage set to other"

// properties maps HubSpot contact properties to intake fields.
var properties = map[string]string{
	"email": "email", "company": "company", "jobtitle": "title", "phone": "phone",
	"hs_analytics_source": "source", "hubspotscore": "score",
}

// propertyOf names the HubSpot property behind an intake field, for errors.
func propertyOf(field string) string {
	switch field {
	case "external_id":
		return "hs_object_id"
	case "name":
		return "firstname"
	case "stage", "reason":
		return "lifecyclestage"
	}
	for p, f := range properties {
		if f == field {
			return p
		}
	}
	return field
}

// modifiedProperties name the contact's last-modified time, in the order
// read: lastmodifieddate (the classic record's and the contact property)
// and hs_lastmodifieddate (a workflow's chosen properties may carry it).
var modifiedProperties = []string{"lastmodifieddate", "hs_lastmodifieddate"}

// portalKeys name the HubSpot account (portal) a body says it comes from:
// the classic record's portal-id, and portalId as HubSpot's other webhook
// bodies spell it.
var portalKeys = []string{"portal-id", "portalId"}

// Contact is one contact of a webhook body: its lead input, and its
// last-modified time in HubSpot, which orders deliveries of the same
// contact (zero when the body carries none).
type Contact struct {
	Input    handoff.LeadInput
	Modified time.Time
	// Prefix is what the contact's properties are named with in errors:
	// "[i]." for the contact at index i of an array, "" for a lone one.
	Prefix string
	// MergeOnly is true for a contact.merge event of HubSpot's webhooks
	// API: it names the surviving contact (Input.ExternalID) and the
	// merged ones (Input.Merged) and carries no state of either, so it
	// folds their leads and makes none.
	MergeOnly bool
	// Deleted is true for a contact.deletion event: HubSpot deleted the
	// contact at Modified. Its version is saved as a deletion
	// (handoff.CRMVersion.Deleted) whatever its lead's stage, so that the
	// contact holds its email address no more until a newer delivery
	// of it (the contact restored).
	Deleted bool
	// Restored is true for a contact.restore event: HubSpot restored the
	// deleted contact at Modified. Saved as the contact's newest state,
	// live, it clears a deletion older than it, and a lead that deletion
	// closed lost returns to the stage it had before (storage's
	// RestoreLeadVersion).
	Restored bool
	// Erase is true for a contact.privacyDeletion event: HubSpot erased
	// the contact at the person's request, and Handoff erases the
	// person's leads as its own erasure does, recording HubSpot as who
	// asked.
	Erase bool
	// Ignored is why an event is taken and left alone
	// (connector.IgnoredCreation, IgnoredProperty): a contact created,
	// whose properties the event does not carry, or a change of a contact
	// property Handoff does not read; "" for any other.
	Ignored string
	// Event names an event of HubSpot's webhooks API for the log by its
	// subscriptionType and eventId ("contact.deletion 3301"), which name
	// no person; "" for a contact.
	Event string
}

// ParseBody reads a webhook body as Parse does and returns the lead inputs
// alone.
func ParseBody(body []byte, now time.Time) ([]handoff.LeadInput, error) {
	contacts, err := Parse(body, now)
	ins := make([]handoff.LeadInput, len(contacts))
	for i, c := range contacts {
		ins[i] = c.Input
	}
	return ins, err
}

// Parse reads a webhook body: one contact (classic record or flat
// properties) or an array of them. It returns one Contact per contact, or
// an EINVALID error naming every bad property (prefixed with "[i]." in an
// array). In an array, the valid contacts are returned with that error:
// one bad contact must not keep the others out (HubSpot does not send a
// 4xx again). now is when it arrived.
func Parse(body []byte, now time.Time) ([]Contact, error) {
	return ParseFrom(body, now, "")
}

// ParseFrom is Parse for one HubSpot account: with portal set, a contact
// whose body names another portal (portal-id, portalId) is refused as a bad
// property, so a public app installed in several accounts, which signs them
// all with one client secret, brings in the leads of this one only. A
// contact that names no portal (a customized body) is read as Parse does.
func ParseFrom(body []byte, now time.Time, portal string) ([]Contact, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, invalidBody(fmt.Sprintf("not JSON: %v", err))
	}
	if !handoff.OnlySpaceAfter(dec, body) {
		return nil, invalidBody("must be one JSON value")
	}
	var records []any
	raws := []json.RawMessage{body} // each record's text, for what decoding hides
	prefix := func(int) string { return "" }
	switch x := v.(type) {
	case map[string]any:
		records = []any{x}
	case []any:
		if len(x) == 0 {
			return nil, invalidBody("an empty array")
		}
		records = x
		prefix = func(i int) string { return fmt.Sprintf("[%d].", i) }
		if err := json.Unmarshal(body, &raws); err != nil || len(raws) != len(records) {
			return nil, invalidBody(fmt.Sprintf("not JSON: %v", err))
		}
	default:
		if path, _, problem := handoff.JSONProblem(body); path != nil {
			return nil, invalidBody(problem)
		}
		return nil, invalidBody("must be a contact object or an array of them")
	}
	out := make([]Contact, 0, len(records))
	bad := map[string]string{}
	for i, rec := range records {
		// Text that is not UTF-8 or a property given twice.
		if path, _, problem := handoff.JSONProblem(raws[i]); path != nil {
			bad[prefix(i)+jsonProperty(path)] = problem
			continue
		}
		obj, ok := rec.(map[string]any)
		if !ok {
			bad[strings.TrimSuffix(prefix(i), ".")] = "must be a contact object"
			continue
		}
		parse := parseContact
		if _, ok := obj["subscriptionType"]; ok {
			parse = parseEvent
		}
		c, err := parse(obj, now, portal)
		if err != nil {
			for f, why := range handoff.ErrorFields(err) {
				bad[prefix(i)+f] = why
			}
			continue
		}
		c.Prefix = prefix(i)
		out = append(out, c)
	}
	if len(bad) > 0 {
		return out, handoff.Invalid("invalid HubSpot contact", bad)
	}
	return out, nil
}

// invalidBody is the EINVALID error for a body refused as a whole, naming
// the field "body" as a bad property is named.
func invalidBody(why string) error {
	return handoff.Invalid("invalid HubSpot body", map[string]string{"body": why})
}

// parseContact maps one contact to a lead input and reads its
// last-modified time; with portal set, it refuses a contact of another
// portal.
func parseContact(obj map[string]any, now time.Time, portal string) (Contact, error) {
	props, id := flatten(obj)
	bad := map[string]string{}
	if key, from := portalOf(obj); portal != "" && from != "" && from != portal {
		// Nothing else of a foreign contact is read, nor named.
		return Contact{}, handoff.Invalid("invalid HubSpot contact", map[string]string{
			key: fmt.Sprintf("portal %s is not the HubSpot account this Handoff takes leads from (HUBSPOT_PORTAL_ID)", from)})
	}
	raw := map[string]any{}
	if id == "" {
		bad["hs_object_id"] = "required (or vid): the contact's record id"
	}
	raw["external_id"] = id
	if name := strings.TrimSpace(props["firstname"] + " " + props["lastname"]); name != "" {
		raw["name"] = name
	}
	for p, f := range properties {
		if v := props[p]; v != "" {
			raw[f] = v
		}
	}
	if v := props["hs_analytics_source"]; v != "" {
		raw["source"] = sourceName(v)
	}
	var stageKey string
	if v := props["lifecyclestage"]; v != "" {
		// Internal values, or labels such as "Marketing Qualified Lead".
		stageKey = strings.ToLower(strings.Join(strings.Fields(v), ""))
		st, ok := lifecycleStages[stageKey]
		if !ok {
			bad["lifecyclestage"] = fmt.Sprintf("unknown lifecycle stage %q", v)
		}
		raw["stage"] = string(st)
		if st == handoff.StageRecycled {
			raw["reason"] = otherReason
		}
	}
	var modified time.Time
	for _, p := range modifiedProperties {
		if v := props[p]; v != "" {
			t, err := parseModified(v)
			if err != nil {
				bad[p] = "must be a time: milliseconds since 1970 or RFC 3339"
			}
			modified = t
			break
		}
	}
	merged := mergedIDs(obj, props, id, bad)
	var changed time.Time
	if stageKey != "" {
		changed = stageChanged(obj, props, stageKey, bad)
		if changed.IsZero() {
			changed = modified
		}
	}
	if len(bad) > 0 {
		return Contact{}, handoff.Invalid("invalid HubSpot contact", bad)
	}
	in, err := handoff.ParseLeadInput(raw, now)
	if err != nil {
		for f, why := range handoff.ErrorFields(err) {
			bad[propertyOf(f)] = why
		}
		return Contact{}, handoff.Invalid("invalid HubSpot contact", bad)
	}
	if !changed.IsZero() {
		in.ChangedAt = &changed
	}
	in.Merged = merged
	return Contact{Input: in, Modified: modified}, nil
}

// mergedIDs returns the ids of the contacts HubSpot merged into the
// contact id: the whole contact's merged-vids and the property
// hs_merged_object_ids (ids separated by ";"), without id itself. A value
// that is not a list of record ids is named in bad.
func mergedIDs(obj map[string]any, props map[string]string, id string, bad map[string]string) []string {
	var ids []string
	if v, ok := obj["merged-vids"]; ok && v != nil {
		list, ok := v.([]any)
		if !ok {
			bad["merged-vids"] = "must be a list of record ids"
		}
		for _, x := range list {
			ids = append(ids, scalar(x))
		}
	}
	from := len(ids)
	for _, part := range strings.Split(props["hs_merged_object_ids"], ";") {
		if part = strings.TrimSpace(part); part != "" {
			ids = append(ids, part)
		}
	}
	var out []string
	for i, v := range ids {
		if n, err := strconv.ParseUint(v, 10, 64); err != nil || n == 0 {
			key := "merged-vids"
			if i >= from {
				key = "hs_merged_object_ids"
			}
			bad[key] = "must be HubSpot record ids (digits), separated by ; in hs_merged_object_ids"
			continue
		}
		if v != id && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	if len(out) > handoff.MaxMerged {
		bad["hs_merged_object_ids"] = fmt.Sprintf("more than %d merged record ids", handoff.MaxMerged)
	}
	return out
}

// stageChanged returns when HubSpot set the contact's lifecycle stage to
// the one it has (stageKey, its normalised value), or the zero time when
// the body does not say: in the whole contact, the latest timestamp of
// lifecyclestage's versions with that value; in chosen properties, the
// stage's "Became a … Date" property (hs_lifecyclestage_<stage>_date),
// whose bad value is named in bad.
func stageChanged(obj map[string]any, props map[string]string, stageKey string, bad map[string]string) time.Time {
	var latest time.Time
	if classic, ok := obj["properties"].(map[string]any); ok {
		p, _ := classic["lifecyclestage"].(map[string]any)
		versions, _ := p["versions"].([]any)
		for _, v := range versions {
			ver, _ := v.(map[string]any)
			if ver == nil || strings.ToLower(strings.Join(strings.Fields(scalar(ver["value"])), "")) != stageKey {
				continue
			}
			if n, err := strconv.ParseInt(scalar(ver["timestamp"]), 10, 64); err == nil && n > 0 {
				if t := time.UnixMilli(n).UTC(); t.After(latest) {
					latest = t
				}
			}
		}
	}
	if latest.IsZero() {
		name := "hs_lifecyclestage_" + stageKey + "_date"
		if v := props[name]; v != "" {
			t, err := parseModified(v)
			if err != nil {
				bad[name] = "must be a time: milliseconds since 1970 or RFC 3339"
			}
			latest = t
		}
	}
	return latest
}

// DeletedReason is the reason a lead whose HubSpot contact was deleted
// (a contact.deletion event) is lost with (handoff.HubSpotDeletedReason).
const DeletedReason = handoff.HubSpotDeletedReason

// parseEvent reads one event of HubSpot's webhooks API (an app's
// subscriptions, sent as an array of events), about the contact objectId:
//   - contact.merge folds the merged contacts' leads (parseMerge);
//   - contact.privacyDeletion erases the contact's lead (Erase), as
//     Handoff's own erasure does;
//   - contact.deletion closes its lead, lost with DeletedReason, dated by
//     occurredAt as a CRM's stage is (LeadInput.ChangedAt), without
//     erasing it (handoff.HubSpotDeletion), and records the contact
//     deleted (Deleted) even when its lead was closed already;
//   - contact.restore undoes an older contact.deletion (Restored): the
//     contact is live again, dated by occurredAt, and a lead the deletion
//     closed returns to the stage it had before it; a restore arriving
//     before its deletion is the newer state, so that the deletion is
//     then stale;
//   - contact.propertyChange of lifecyclestage moves its lead to the stage
//     propertyValue names, dated by occurredAt, when HubSpot changed it; a
//     change of any other property is taken and ignored (Ignored): the
//     app's subscriptions choose the properties, and a 4xx, which HubSpot
//     does not retry, would change nothing but mark a valid delivery
//     failed;
//   - contact.creation is taken and ignored too: it carries none of the
//     contact's properties, so there is nothing to take in; the lead
//     arrives with the contact itself, when a workflow's Send a webhook
//     sends it at its lifecycle stage.
//
// Deletions, restores and property changes carry no contact: they change a known
// lead only (LeadInput.KnownOnly). Any other subscription is refused,
// naming subscriptionType.
func parseEvent(obj map[string]any, _ time.Time, portal string) (Contact, error) {
	if key, from := portalOf(obj); portal != "" && from != "" && from != portal {
		return Contact{}, handoff.Invalid("invalid HubSpot event", map[string]string{
			key: fmt.Sprintf("portal %s is not the HubSpot account this Handoff takes leads from (HUBSPOT_PORTAL_ID)", from)})
	}
	kind := scalar(obj["subscriptionType"])
	switch kind {
	case "contact.merge":
		return parseMerge(obj)
	case "contact.creation", "contact.deletion", "contact.restore", "contact.privacyDeletion", "contact.propertyChange":
	default:
		return Contact{}, handoff.Invalid("invalid HubSpot event", map[string]string{"subscriptionType": fmt.Sprintf(
			"%q is not taken: only contact.creation, contact.merge, contact.deletion, contact.restore, contact.privacyDeletion and contact.propertyChange events, and contacts from a workflow's Send a webhook action", kind)})
	}
	bad := map[string]string{}
	id := recordID(bad, "objectId", obj["objectId"])
	event := strings.TrimSpace(kind + " " + scalar(obj["eventId"]))
	if kind == "contact.privacyDeletion" || kind == "contact.creation" {
		// Nothing else is read: an erasure the person asked for is not
		// refused for a time it does not need, nor is an event ignored.
		if len(bad) > 0 {
			return Contact{}, handoff.Invalid("invalid HubSpot event", bad)
		}
		if kind == "contact.creation" {
			return Contact{Input: handoff.LeadInput{ExternalID: id}, Ignored: connector.IgnoredCreation, Event: event}, nil
		}
		return Contact{Input: handoff.LeadInput{ExternalID: id}, Erase: true, Event: event}, nil
	}
	n, err := strconv.ParseInt(scalar(obj["occurredAt"]), 10, 64)
	if err != nil || n <= 0 {
		bad["occurredAt"] = "required: when the change was made, in milliseconds since 1970"
	}
	occurred := time.UnixMilli(n).UTC()
	c := Contact{Input: handoff.LeadInput{ExternalID: id, KnownOnly: true, ChangedAt: &occurred}, Modified: occurred, Event: event}
	switch {
	case kind == "contact.deletion":
		c.Input, c.Deleted = handoff.HubSpotDeletion(id, occurred), true
	case kind == "contact.restore":
		c.Input, c.Restored = handoff.HubSpotRestore(id, occurred), true
	case scalar(obj["propertyName"]) != "lifecyclestage":
		c.Ignored = connector.IgnoredProperty
	default:
		v := scalar(obj["propertyValue"])
		st, ok := lifecycleStages[strings.ToLower(strings.Join(strings.Fields(v), ""))]
		switch {
		case !ok:
			bad["propertyValue"] = fmt.Sprintf("unknown lifecycle stage %q", v)
		case st == handoff.StageRecycled:
			c.Input.Reason = otherReason
		}
		c.Input.Stage = st
	}
	if len(bad) > 0 {
		return Contact{}, handoff.Invalid("invalid HubSpot event", bad)
	}
	return c, nil
}

// recordID returns v, the value of key, as a HubSpot record id, or ""
// with the problem named in bad.
func recordID(bad map[string]string, key string, v any) string {
	s := scalar(v)
	if n, err := strconv.ParseUint(s, 10, 64); err != nil || n == 0 {
		bad[key] = "must be a HubSpot record id"
		return ""
	}
	return s
}

// parseMerge reads a contact.merge event, whose surviving contact is
// newObjectId when HubSpot gave the merged contact a new id, else
// primaryObjectId, and whose merged contacts are mergedObjectIds (and
// primaryObjectId when it did not survive).
func parseMerge(obj map[string]any) (Contact, error) {
	bad := map[string]string{}
	primary := recordID(bad, "primaryObjectId", obj["primaryObjectId"])
	survivor := primary
	if v, ok := obj["newObjectId"]; ok && v != nil && scalar(v) != "0" {
		survivor = recordID(bad, "newObjectId", v)
	}
	list, ok := obj["mergedObjectIds"].([]any)
	if !ok || len(list) == 0 || len(list) > handoff.MaxMerged {
		bad["mergedObjectIds"] = fmt.Sprintf("must be a list of 1 to %d record ids", handoff.MaxMerged)
	}
	var merged []string
	if primary != survivor {
		merged = append(merged, primary)
	}
	for _, v := range list {
		if m := recordID(bad, "mergedObjectIds", v); m != "" && m != survivor && !slices.Contains(merged, m) {
			merged = append(merged, m)
		}
	}
	if len(bad) > 0 {
		return Contact{}, handoff.Invalid("invalid HubSpot event", bad)
	}
	return Contact{Input: handoff.LeadInput{ExternalID: survivor, Merged: merged}, MergeOnly: true}, nil
}

// portalOf returns the portal a contact names and the key that names it,
// or empty strings.
func portalOf(obj map[string]any) (key, portal string) {
	for _, k := range portalKeys {
		if v := scalar(obj[k]); v != "" {
			return k, v
		}
	}
	return "", ""
}

// parseModified reads a last-modified time as HubSpot sends it:
// milliseconds since 1970 (the classic record), or an RFC 3339 time.
func parseModified(v string) (time.Time, error) {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.UnixMilli(n).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	return t.UTC(), err
}

// flatten returns a contact's properties as strings and its record id, for
// either body shape: the classic record ({"vid": 101, "properties":
// {"email": {"value": …}}}) or chosen properties ({"hs_object_id": "101",
// "email": …}).
func flatten(obj map[string]any) (props map[string]string, id string) {
	props = map[string]string{}
	if classic, ok := obj["properties"].(map[string]any); ok {
		for name, p := range classic {
			if m, ok := p.(map[string]any); ok {
				props[name] = scalar(m["value"])
			}
		}
	} else {
		for name, v := range obj {
			props[name] = scalar(v)
		}
	}
	// The record id the CSV export calls "Record ID": hs_object_id, which
	// for a merged contact is the canonical vid.
	for _, key := range []string{"hs_object_id", "canonical-vid", "vid", "objectId"} {
		if v := props[key]; v != "" {
			return props, v
		}
		if v := scalar(obj[key]); v != "" {
			return props, v
		}
	}
	return props, ""
}

// scalar renders a JSON scalar as HubSpot shows it in an export; objects and
// arrays are ignored. An integer keeps its exact digits (a record id above
// 2^53 must not pass through float64); other numbers are read as float64,
// so 82.0 and 1e2 are written 82 and 100.
func scalar(v any) string {
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x)
	case json.Number:
		if !strings.ContainsAny(x.String(), ".eE") {
			if i, err := strconv.ParseInt(x.String(), 10, 64); err == nil {
				return strconv.FormatInt(i, 10)
			}
			return x.String() // beyond int64: the digits as sent
		}
		if f, err := strconv.ParseFloat(x.String(), 64); err == nil && f == float64(int64(f)) {
			return strconv.FormatInt(int64(f), 10)
		}
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}

// jsonProperty names the property at path (where handoff.JSONProblem found
// a problem) as ParseBody names properties: "firstname" in either body
// shape, "[1].email" in an array.
func jsonProperty(path []string) string {
	prefix := ""
	if len(path) > 0 && strings.HasPrefix(path[0], "[") {
		prefix, path = path[0]+".", path[1:]
	}
	if len(path) > 1 && path[0] == "properties" {
		path = path[1:]
	}
	if len(path) == 0 {
		if prefix == "" {
			return "body"
		}
		return strings.TrimSuffix(prefix, ".")
	}
	return prefix + path[0]
}
