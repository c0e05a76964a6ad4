package handoff

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net/mail"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// LeadInput is one validated lead record from intake (the API or a CSV row).
// Empty strings and nil pointers mean "not given".
type LeadInput struct {
	ExternalID  string
	Email       string
	Name        string
	Company     string
	Title       string
	Phone       string
	Source      string
	Campaign    string
	Score       *int
	Stage       Stage
	AmountMinor *int64
	Reason      string
	OccurredAt  *time.Time
	OwnerEmail  string
	Attributes  map[string]any
	// ChangedAt is when the sender's system, a CRM, made the change (a
	// HubSpot property's timestamp, Salesforce's LastModifiedDate): the
	// stages the input enters are dated by it rather than by its arrival,
	// so that a delayed or retried delivery counts in the period the CRM
	// says, within bounds (CRMTime). An OccurredAt the sender states comes
	// first. Never read from a request.
	ChangedAt *time.Time
	// Merged are the ids of the records the sender, a CRM, merged into this
	// one (HubSpot's merged-vids, hs_merged_object_ids): their leads fold
	// into this lead (MergeKeeper, Lead.MergeInto) when the input is
	// saved, so the person has one lead and one card. Never read from a
	// request.
	Merged []string
	// EarlierImplied lets an older state of the sender's record, one a
	// versioned save finds stale (a delivery the CRM retried and that
	// arrives after a newer one), date earlier the marketing stages the
	// newer state only implied, by its ChangedAt (EarlierImpliedDates);
	// nothing else of it is saved. Set by the Salesforce connector. Never
	// read from a request, and no part of a CRMVersion's digest.
	EarlierImplied bool `json:"-"`
	// KnownOnly is set on the input of a CRM event that names a record
	// without carrying its contact (HubSpot's contact.deletion, a
	// property change): it changes a known lead only, and for an unknown
	// one Apply returns ENOTFOUND and nothing is made, so that no lead
	// without a person is announced. Never read from a request.
	KnownOnly bool
	// History records the input as a past record, not a lead for sales to
	// act on now (`handoff import --old history`, for an OldRecord): a lead
	// it makes an SQL is never announced and no deadline, reminder or routing
	// offer holds sales to it (Lead.asHistory). Never read from a request.
	History bool
	// FillIn is set on the input of a sender that may add leads but not
	// read or change them (an intake-only API token: a web form), by
	// AsFillIn. A known lead is only added to: its empty fields filled,
	// attributes it lacks added (those past MaxAttributes dropped), a
	// stage it never reached entered; nothing it has is changed, and no
	// input is refused for what the lead holds, so that the answer says
	// nothing about it. Never read from a request.
	FillIn bool
}

// FillInStages are the stages a FillIn input may name: marketing's, up
// to the hand-off to sales.
var FillInStages = []Stage{StageLead, StageMQL, StageSQL}

// AsFillIn returns in as the input of a sender that may add leads but
// not read or change them (FillIn), or an EINVALID error naming each
// field such a sender may not send: a stage past sql (sales' and the
// CRM's to set), owner_email, amount and reason.
func (in LeadInput) AsFillIn() (LeadInput, error) {
	bad := map[string]string{}
	if in.Stage != "" && !slices.Contains(FillInStages, in.Stage) {
		bad["stage"] = fmt.Sprintf("%s is for sales or the CRM to set; this sender may send lead, mql or sql", in.Stage)
	}
	if in.OwnerEmail != "" {
		bad["owner_email"] = "the owner is for sales or the CRM to set, not this sender"
	}
	if in.AmountMinor != nil {
		bad["amount"] = "the deal value is for sales or the CRM to set, not this sender"
	}
	if in.Reason != "" {
		bad["reason"] = "a reason goes with lost or recycled, which this sender may not send"
	}
	if len(bad) > 0 {
		return LeadInput{}, Invalid("invalid lead", bad)
	}
	in.FillIn = true
	return in, nil
}

// LeadFieldNames lists the intake fields with a meaning of their own; any
// other field is kept as an attribute.
var LeadFieldNames = []string{"external_id", "email", "name", "company", "title", "phone",
	"source", "campaign", "score", "stage", "amount", "reason", "occurred_at", "owner_email"}

// ErasedIDPrefix begins the anonymous external id an erased lead is given
// (and the keyed hashes its id is kept as): no lead may be sent with it.
const ErasedIDPrefix = "erased-"

// ParseLeadInput validates a decoded JSON object (or a CSV row as strings)
// received at now and returns the lead input, or an EINVALID error whose
// Fields name every bad field. Text fields must pass CheckText (reason
// keeps its line breaks, external_id may have none, the others are folded
// onto one line by SingleLine), attributes stay within the limits, and
// occurred_at must pass CheckOccurredAt.
func ParseLeadInput(raw map[string]any, now time.Time) (LeadInput, error) {
	var in LeadInput
	bad := map[string]string{}
	str := func(key string) string {
		v, ok := raw[key]
		if !ok || v == nil {
			return ""
		}
		s, ok := v.(string)
		if !ok {
			bad[key] = "must be a string"
			return ""
		}
		s = strings.TrimSpace(s)
		if p := CheckText(s, MaxFieldLen); p != "" {
			bad[key] = p
			return ""
		}
		switch key {
		case "reason":
		case "external_id": // the idempotency key is kept exactly as sent
			if strings.ContainsAny(s, "\t\n\r") {
				bad[key] = "contains a line break or tab"
				return ""
			}
		default:
			s = SingleLine(s)
		}
		return s
	}
	in.ExternalID = str("external_id")
	if _, given := bad["external_id"]; !given && in.ExternalID == "" {
		bad["external_id"] = "required"
	} else if strings.HasPrefix(in.ExternalID, ErasedIDPrefix) {
		// The anonymous ids of erased leads: a lead posted under one would
		// update an erased lead, where no erasure reaches its data, or
		// take the id a later erasure needs.
		bad["external_id"] = "the prefix " + ErasedIDPrefix + " is reserved for erased leads"
	}
	in.Email = str("email")
	in.Name = str("name")
	in.Company = str("company")
	in.Title = str("title")
	in.Phone = str("phone")
	in.Source = str("source")
	in.Campaign = str("campaign")
	in.Reason = str("reason")
	in.OwnerEmail = str("owner_email")
	for _, key := range []string{"email", "owner_email"} {
		v := map[string]string{"email": in.Email, "owner_email": in.OwnerEmail}[key]
		if v == "" {
			continue
		}
		if addr, err := mail.ParseAddress(v); err != nil || addr.Address != v {
			// The value is not echoed: error reports (the import's
			// rejected rows, logs) must not copy personal data.
			bad[key] = "invalid email address"
		}
	}
	in.Email = strings.ToLower(in.Email)
	in.OwnerEmail = strings.ToLower(in.OwnerEmail)

	if v, ok := raw["score"]; ok && v != nil && v != "" {
		n, err := wholeNumber(v)
		if err != nil {
			bad["score"] = "must be an integer of at most 15 digits"
		} else {
			score := int(n)
			in.Score = &score
		}
	}
	if s := str("stage"); s != "" {
		st, err := ParseStage(s)
		if err != nil {
			bad["stage"] = err.Error()
		}
		in.Stage = st
	}
	if v, ok := raw["amount"]; ok && v != nil && v != "" {
		minor, err := parseAmount(v)
		if err != nil {
			bad["amount"] = err.Error()
		} else {
			in.AmountMinor = &minor
		}
	}
	if s := str("occurred_at"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			bad["occurred_at"] = fmt.Sprintf("not an RFC 3339 time: %q", s)
		} else if p := CheckOccurredAt(t, now); p != "" {
			bad["occurred_at"] = p
		} else {
			in.OccurredAt = &t
		}
	}
	if in.Stage == StageRecycled && in.Reason == "" {
		bad["reason"] = "required when stage is recycled"
	}
	for k, v := range raw {
		if isLeadField(k) {
			continue
		}
		if in.Attributes == nil {
			in.Attributes = map[string]any{}
		}
		in.Attributes[k] = v
	}
	checkAttributes(in.Attributes, bad)
	if len(bad) > 0 {
		return LeadInput{}, &Error{Code: EINVALID, Message: "invalid lead: " + describeFields(bad), Fields: bad}
	}
	return in, nil
}

func isLeadField(k string) bool {
	for _, f := range LeadFieldNames {
		if k == f {
			return true
		}
	}
	return false
}

func describeFields(bad map[string]string) string {
	keys := make([]string, 0, len(bad))
	for k := range bad {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + bad[k]
	}
	return strings.Join(parts, "; ")
}

// maxWholeNumber bounds a whole number sent in any form: a JSON number
// beyond it has lost its digits in float64 already.
const maxWholeNumber = 1e15

// wholeNumber accepts a JSON number (float64 or json.Number) or a numeric
// string without a fraction, at most maxWholeNumber either way.
func wholeNumber(v any) (int64, error) {
	var n int64
	switch x := v.(type) {
	case float64:
		if x != math.Trunc(x) || math.Abs(x) > maxWholeNumber {
			return 0, fmt.Errorf("not an integer")
		}
		return int64(x), nil
	case json.Number:
		i, err := strconv.ParseInt(x.String(), 10, 64)
		if err != nil {
			return 0, err
		}
		n = i
	case string:
		i, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		if err != nil {
			return 0, err
		}
		n = i
	default:
		return 0, fmt.Errorf("not an integer")
	}
	if n > maxWholeNumber || n < -maxWholeNumber {
		return 0, fmt.Errorf("not an integer of at most 15 digits")
	}
	return n, nil
}

// parseAmount turns a JSON number or a numeric string into minor units
// (see ParseAmount).
func parseAmount(v any) (int64, error) {
	switch n := v.(type) {
	case float64:
		return ParseAmount(strconv.FormatFloat(n, 'f', -1, 64))
	case json.Number:
		return ParseAmount(n.String())
	case string:
		return ParseAmount(n)
	}
	return 0, fmt.Errorf("must be a number")
}

// ParseAmount reads a non-negative amount in major units with at most two
// decimals ("40000", "40 000", "1250.5", Danish "1250,50") and returns it in
// minor units, or an error saying what is wrong ("must be a number", "must
// not be negative", "too large", "at most two decimals").
func ParseAmount(s string) (int64, error) {
	s = strings.NewReplacer(" ", "", "\u00a0", "", "_", "").Replace(strings.TrimSpace(s))
	if strings.Count(s, ",") == 1 && !strings.Contains(s, ".") {
		s = strings.Replace(s, ",", ".", 1)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("must be a number")
	}
	if f < 0 {
		return 0, fmt.Errorf("must not be negative")
	}
	if f > 1e13 {
		return 0, fmt.Errorf("too large")
	}
	minor := math.Round(f * 100)
	if math.Abs(minor-f*100) > 1e-6*math.Max(1, f) {
		return 0, fmt.Errorf("at most two decimals")
	}
	return int64(minor), nil
}

// checkAttributeCount refuses an input whose new attributes would take the
// lead past MaxAttributes: each input is checked alone, but updates add up.
// Updating the values of attributes the lead has is always taken, and the
// kept sender's score (SourceScoreAttribute) does not count.
func (in LeadInput) checkAttributeCount(l *Lead) error {
	have, adds := 0, 0
	for k := range l.Attributes {
		if k != SourceScoreAttribute {
			have++
		}
	}
	for k := range in.Attributes {
		if _, ok := l.Attributes[k]; !ok && k != SourceScoreAttribute {
			adds++
		}
	}
	if adds > 0 && have+adds > MaxAttributes {
		return Invalid("invalid lead", map[string]string{"attributes": fmt.Sprintf(
			"the lead has %d attributes and this adds %d: at most %d in all; send values for the ones it has, or fewer new ones", have, adds, MaxAttributes)})
	}
	return nil
}

// fillingIn is in, a FillIn input, cut to what it adds to l, a known
// lead: the fields l has are dropped, and so are the attributes it has
// and, in name order, the new ones past MaxAttributes; the score unless
// l has none (under policy.Scoring: none from a sender, kept as
// SourceScoreAttribute), and the stage unless l never reached it.
func (in LeadInput) fillingIn(l *Lead, policy Policy) LeadInput {
	for _, f := range []struct{ have, give *string }{
		{&l.Email, &in.Email}, {&l.Name, &in.Name}, {&l.Company, &in.Company}, {&l.Title, &in.Title},
		{&l.Phone, &in.Phone}, {&l.Source, &in.Source}, {&l.Campaign, &in.Campaign},
	} {
		if *f.have != "" {
			*f.give = ""
		}
	}
	have := 0
	for k := range l.Attributes {
		if k != SourceScoreAttribute {
			have++
		}
	}
	attrs := map[string]any{}
	for _, k := range slices.Sorted(maps.Keys(in.Attributes)) {
		if _, ok := l.Attributes[k]; ok || k == SourceScoreAttribute {
			continue
		}
		if have < MaxAttributes {
			attrs[k] = in.Attributes[k]
			have++
		}
	}
	in.Attributes = attrs
	if _, ok := l.Attributes[SourceScoreAttribute]; ok || (policy.Scoring == nil && l.Score != 0) {
		in.Score = nil
	}
	if in.Stage != "" && (!in.Stage.OnMainPath() || in.Stage.Rank() <= l.Reached) {
		in.Stage = ""
	}
	in.OwnerEmail, in.AmountMinor, in.Reason = "", nil, ""
	return in
}

// Apply merges the input into lead l (a new lead when l.ID is 0) at time now
// and returns the events to record and whether anything changed. A known
// lead keeps the first source and the first campaign it was given, so
// that its past periods stay under them. With
// policy.Scoring a posted score is kept as the attribute source_score and a
// new lead without a stage starts as a lead; the caller then calls Rescore. It returns
// ECONFLICT for a backwards move, EINVALID for a recycle without reason
// and ENOTFOUND for a KnownOnly input that names no known lead;
// a FillIn input is only added to a known lead (fillingIn), never refused
// for what the lead holds.
func (in LeadInput) Apply(l *Lead, now time.Time, actor string, policy Policy) (changed bool, events []Event, err error) {
	isNew := l.ID == 0 && l.Stage == ""
	before := l.slaArming()
	if isNew && in.KnownOnly {
		return false, nil, Errorf(ENOTFOUND, "lead %q not found", in.ExternalID)
	}
	if in.FillIn && !isNew {
		in = in.fillingIn(l, policy)
	} else if err := in.checkAttributeCount(l); err != nil {
		return false, nil, err
	}
	if isNew {
		l.ExternalID = in.ExternalID
		l.Reached = -1
		changed = true
	}
	set := func(dst *string, v string) {
		if v != "" && *dst != v {
			*dst = v
			changed = true
		}
	}
	set(&l.Email, in.Email)
	set(&l.Name, in.Name)
	set(&l.Company, in.Company)
	set(&l.Title, in.Title)
	set(&l.Phone, in.Phone)
	if isNew || l.Source == "" {
		// A lead's source is the first one it is given: the funnel
		// counts its whole history under it, so a later one (a CRM's
		// Original Source edited, an export imported again) would move
		// its past periods to another source and change reports already
		// read. A lead that came without one takes the first it is sent:
		// that fills in what was unknown rather than moving a
		// marketing source's figures to another.
		set(&l.Source, in.Source)
	}
	if isNew || l.Campaign == "" {
		// The same holds for its campaign: the funnel by campaign counts
		// the lead's whole history under it, so the campaign that brought
		// the lead in keeps its SQLs, claims and wins (first touch), and
		// a later campaign the contact answers (a CRM's campaign edited,
		// a second form) does not take last month's figures from it.
		set(&l.Campaign, in.Campaign)
	}
	if in.Score != nil && policy.Scoring != nil {
		// The agreement's scoring decides the score; the sender's is kept.
		if old, ok := l.Attributes[SourceScoreAttribute]; !ok || fmt.Sprint(old) != strconv.Itoa(*in.Score) {
			if l.Attributes == nil {
				l.Attributes = map[string]any{}
			}
			l.Attributes[SourceScoreAttribute] = float64(*in.Score)
			changed = true
		}
	} else if in.Score != nil && *in.Score != l.Score {
		l.Score = *in.Score
		changed = true
	}
	if in.AmountMinor != nil && *in.AmountMinor != l.AmountMinor {
		l.AmountMinor = *in.AmountMinor
		changed = true
	}
	for k, v := range in.Attributes {
		if l.Attributes == nil {
			l.Attributes = map[string]any{}
		}
		if old, ok := l.Attributes[k]; !ok || fmt.Sprint(old) != fmt.Sprint(v) {
			l.Attributes[k] = v
			changed = true
		}
	}

	target := in.Stage
	if target == "" {
		target = l.Stage
	}
	if target == "" {
		// A new lead is an SQL unless the agreement's scoring decides.
		target = StageSQL
		if policy.Scoring != nil {
			target = StageLead
		}
	}
	plan, err := PlanTransition(l.Stage, l.Reached, target)
	if err != nil {
		return false, nil, err
	}
	at := now
	if in.OccurredAt != nil {
		at = l.NotBeforeDeparture(*in.OccurredAt)
	} else if in.ChangedAt != nil {
		at = l.CRMTime(*in.ChangedAt, now)
	}
	// A rep named as the owner (owner_email) takes the lead over as a
	// manager's reassign does: a promise settled before this input goes
	// on counting for whoever held the lead then (handOver, before the
	// stages, so that a contact this input records counts for the rep it
	// names); a cycle a new SQL ends keeps the rep who worked it, and the
	// owner is set after the stages.
	renamed := l.ownerRenamed(in.OwnerEmail)
	if renamed {
		l.handOver(at.UTC())
	}
	if plan.Changed {
		if target.HoldsReason() {
			// The reason it enters the stage with, none when it came
			// without one: a lead recycled after a loss is not labelled
			// with the loss's reason, which its history keeps.
			l.Reason = in.Reason
		}
		var details map[string]string
		if in.Reason != "" {
			details = policy.ReasonDetails(in.Reason, "", false)
			details["reason"] = in.Reason // the sender's words, whatever category they count under
		}
		if in.OccurredAt == nil && now.Sub(at) > MaxClockSkew {
			// Dated by the CRM well before it arrived (a delayed or
			// retried delivery): the history says when Handoff got it.
			if details == nil {
				details = map[string]string{}
			}
			details["received"] = now.UTC().Format(time.RFC3339)
		}
		clock := at // an SQL's deadlines count from its time: the sender's
		if in.OccurredAt == nil {
			// A CRM's SQL that reaches Handoff late is dated when the CRM
			// made it, for the funnel's period and the wait the buyer had
			// (the system's delay, SQL to card shown), but sales is held
			// to its deadlines from when it arrived: nobody could claim
			// it before, so a delayed delivery is not announced as
			// already breached.
			clock = now
		}
		events = l.enterStages(plan, at.UTC(), clock.UTC(), actor, details, policy)
		in.keepAsHistory(l, events)
		changed = true
	}
	if renamed {
		l.Owner = Owner{Email: in.OwnerEmail}
		changed = true
	}
	// Deadlines set now count from the input's time (clock), set at now.
	l.armSLA(before, now)
	if changed {
		if isNew {
			l.CreatedAt = now
		}
		l.UpdatedAt = now
	}
	return changed, events, nil
}

// NotBeforeDeparture returns the time to date a change of l by that its
// sender dates t: t, but for a lead that left sales (won, lost or
// recycled) never before its departure (EnteredStageAt), so that a return,
// or any change that follows the departure, is never dated before it and
// the lead's history reads in order. The API's occurred_at and a CSV's
// date are bounded by it alone (a sender may date a new lead's or an open
// lead's stages in the past), a CRM's date by it and more (CRMTime).
func (l *Lead) NotBeforeDeparture(t time.Time) time.Time {
	if closing(l.Stage) {
		if left := l.EnteredStageAt(); t.Before(left) {
			return left
		}
	}
	return t
}

// CRMTime returns the time to date a stage change of l by that a CRM says
// it made at t, reaching Handoff at now: t, but never after now (a CRM
// clock ahead of this one, by a small skew or more, cannot date a stage
// in the future, where deadlines counted from it would not start) and
// never before what Handoff already recorded of the lead (its creation
// here, its SQL, its first claim and first contact, and, for a lead that
// left sales (won, lost or recycled), its departure: EnteredStageAt), so
// that its history stays in order and a return is never dated before the
// departure it follows; a t before EarliestOccurredAt is no time (a
// placeholder) and gives now.
func (l *Lead) CRMTime(t, now time.Time) time.Time {
	if t.Before(EarliestOccurredAt) || t.After(now) {
		return now
	}
	floor := l.CreatedAt
	for _, at := range []*time.Time{l.SQLAt, l.ClaimedAt, l.ContactedAt} {
		if at != nil && at.After(floor) {
			floor = *at
		}
	}
	floor = l.NotBeforeDeparture(floor)
	switch {
	case floor.After(now):
		return now
	case t.Before(floor):
		return floor
	}
	return t
}
