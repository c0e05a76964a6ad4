package handoff

import (
	"strings"
	"time"
)

// Marketing's side of the funnel: what the SQLs of each source and
// campaign became, how conversion depends on the speed of first contact,
// and whose part of the wait before a claim was the system's.

// SpeedBuckets are the speed-to-lead buckets, fastest first: the time from
// becoming an SQL to first contact.
var SpeedBuckets = []string{"<5m", "5m-1h", "1h-4h", "4h-24h", ">24h"}

// speedBounds are the upper bounds (exclusive) of all but the last bucket.
var speedBounds = []time.Duration{5 * time.Minute, time.Hour, 4 * time.Hour, 24 * time.Hour}

// SpeedBucket returns the bucket of a time to first contact: "<5m" below
// five minutes, "5m-1h" from five minutes to below an hour, "1h-4h",
// "4h-24h", and ">24h" from a day on. A negative time counts as "<5m".
func SpeedBucket(d time.Duration) string {
	for i, b := range speedBounds {
		if d < b {
			return SpeedBuckets[i]
		}
	}
	return SpeedBuckets[len(SpeedBuckets)-1]
}

// SpeedToLead is the conversion of the SQL cycles first contacted in a
// period (a lead's earlier cycles too) within one bucket of time: how many
// became opportunities and were won (by now; a finished cycle by the time
// it ended), and WinRate = Won / Contacted (nil when none was contacted).
type SpeedToLead struct {
	Bucket        string   `json:"bucket"`
	Contacted     int64    `json:"contacted"`
	Opportunities int64    `json:"opportunities"`
	Won           int64    `json:"won"`
	WinRate       *float64 `json:"win_rate"`
}

// NewSpeedToLead returns one row per bucket, in bucket order, from counts
// keyed by bucket; buckets without leads are present with zeros.
func NewSpeedToLead(counts map[string]SpeedToLead) []SpeedToLead {
	out := make([]SpeedToLead, len(SpeedBuckets))
	for i, b := range SpeedBuckets {
		c := counts[b]
		out[i] = SpeedToLead{Bucket: b, Contacted: c.Contacted, Opportunities: c.Opportunities, Won: c.Won,
			WinRate: Rate(c.Won, c.Contacted)}
	}
	return out
}

// ReasonCount is how often one reason was given.
type ReasonCount struct {
	Reason string `json:"reason"`
	Count  int64  `json:"count"`
}

// CampaignResult is what the SQLs of one source and campaign became in a
// period: SQLs delivered, claimed (accepted by sales), returned as not a
// fit, recycled (any return to marketing, not a fit included), won with
// revenue in major units, and the most given reasons for not a fit, lost
// and recycled.
type CampaignResult struct {
	Source     string        `json:"source"`
	Campaign   string        `json:"campaign"`
	SQLs       int64         `json:"sqls"`
	Claimed    int64         `json:"claimed"`
	NotAFit    int64         `json:"not_a_fit"`
	Recycled   int64         `json:"recycled"`
	Won        int64         `json:"won"`
	Revenue    float64       `json:"revenue"`
	TopReasons []ReasonCount `json:"top_reasons"`
}

// Delays are the medians of the two parts of the wait for a claim, over
// the SQLs claimed in a period: the system's (the lead accepted by
// Handoff until its card was shown in chat) and the rep's (card shown
// until claimed). Nil when nothing was measured.
type Delays struct {
	MedianSystemSeconds *float64 `json:"median_system_seconds"`
	MedianRepSeconds    *float64 `json:"median_rep_seconds"`
}

// SplitClaimDelay splits the time from becoming an SQL (sqlAt) to the
// claim into the system's part, until the card was shown (shownAt), and the
// rep's part, from then on. Neither is negative: a card shown after the
// claim (in another platform) leaves the whole wait to the system.
func SplitClaimDelay(sqlAt, shownAt, claimedAt time.Time) (system, rep time.Duration) {
	shown := shownAt
	if shown.Before(sqlAt) {
		shown = sqlAt
	}
	if shown.After(claimedAt) {
		shown = claimedAt
	}
	return max(0, shown.Sub(sqlAt)), max(0, claimedAt.Sub(shown))
}

// ExcusedClaimDue returns the claim deadline of an SQL that became an SQL
// at sqlAt and whose card was first shown in chat at shownAt: with
// ExcuseSystemDelay the deadline moves later by the system's delay
// (shownAt - sqlAt, counted as the SLA clock counts: only business time
// when the policy has business hours, so closed hours that cost the reps
// nothing excuse nothing and the deadline stays inside business hours),
// so an outage of Slack or Teams is not counted against the reps;
// otherwise it is ClaimDue(sqlAt). For every sqlAt before shownAt it is
// ClaimDue(shownAt) with the excuse, the claim window counted from the
// showing, so the SLA clock holds every SQL it excuses at now to the same
// deadline, ClaimDue(now), which storage's OpenSQLs orders them by
// (TestExcusedClaimDueIsTheWindowFromTheShowing).
func (p Policy) ExcusedClaimDue(sqlAt, shownAt time.Time) time.Time {
	due := p.ClaimDue(sqlAt)
	if p.ExcuseSystemDelay && shownAt.After(sqlAt) {
		if delay := p.Between(sqlAt, shownAt); delay > 0 {
			return p.Add(due, delay)
		}
	}
	return due
}

// CardShown records that the lead's card was shown in chat at at, the end
// of the system's part of the wait for a claim. Only the first showing of
// an SQL cycle counts; with ExcuseSystemDelay an unclaimed SQL's claim
// deadline then moves by the system's delay (ExcusedClaimDue). It returns
// false when nothing changed.
func (l *Lead) CardShown(at time.Time, p Policy) bool {
	if l.SQLAt == nil || (l.ShownAt != nil && !l.ShownAt.Before(*l.SQLAt)) {
		return false
	}
	shown := at
	l.ShownAt = &shown
	if p.ExcuseSystemDelay && l.Stage == StageSQL && l.ClaimEscalatedAt == nil {
		before := l.slaArming()
		due := p.ExcusedClaimDue(*l.SQLAt, at)
		l.ClaimDueAt = &due
		l.armSLA(before, at)
	}
	return true
}

// DefaultReasons are the reasons a lead can be returned, lost or recycled
// for when the agreement lists none.
var DefaultReasons = []string{"not reachable", "wrong contact data", "no need", "no budget", "bad timing",
	"chose a competitor", "outside our segment", "other"}

// ReasonList returns the agreement's reasons, DefaultReasons when it lists none.
func (p Policy) ReasonList() []string {
	if len(p.Reasons) == 0 {
		return DefaultReasons
	}
	return p.Reasons
}

// ReasonCode returns the agreement's reason that text names (ignoring case
// and surrounding space), "other" for any other text, and "" for none: the
// category a free-text reason from the API counts under.
func (p Policy) ReasonCode(text string) string {
	text = strings.TrimSpace(text)
	if text == "" {
		return ""
	}
	for _, r := range p.ReasonList() {
		if strings.EqualFold(r, text) {
			return r
		}
	}
	return "other"
}

// ReasonDetails are the details of an event that returns, loses or
// recycles a lead: the reason (its code from the agreement's list, see
// ReasonCode) as reason_code, the text as reason (the code with the note
// after it when a note is given), and not_a_fit for a lead sales returned
// as not a fit. Nil when there is nothing to record.
func (p Policy) ReasonDetails(reason, note string, notAFit bool) map[string]string {
	d := map[string]string{}
	if code := p.ReasonCode(reason); code != "" {
		d["reason_code"] = code
		d["reason"] = strings.TrimSpace(reason)
	}
	if note = strings.TrimSpace(note); note != "" {
		d["note"] = note
		if d["reason"] != "" {
			d["reason"] += ": " + note
		} else {
			d["reason"] = note
		}
	}
	if notAFit {
		d["not_a_fit"] = "true"
	}
	if len(d) == 0 {
		return nil
	}
	return d
}
