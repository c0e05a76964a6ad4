package handoff

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Policy is the SLA agreement between marketing and sales: how fast sales must
// claim and contact an SQL, when reminders go out, what happens on a breach and
// what both departments have promised to deliver each month.
//
// The zero Policy is not useful; start from DefaultPolicy.
type Policy struct {
	// Location is the time zone the agreement is kept in: business hours,
	// holidays and the digest schedule are read as wall clock in it.
	// Nil means UTC.
	Location *time.Location
	// ClaimWithin is how long sales has to claim a new SQL. Default 2h.
	ClaimWithin time.Duration
	// ContactWithin is how long sales has to make first contact, counted from
	// the moment the lead became an SQL. Default 48h.
	ContactWithin time.Duration
	// BusinessHours, when set, makes the SLA clock run only inside them.
	// Nil means the clock runs 24/7.
	BusinessHours *BusinessHours
	// RemindBefore lists how long before the contact deadline reminders are
	// sent (e.g. 12h, 1h), sorted descending without duplicates; each is
	// greater than zero and less than ContactWithin.
	RemindBefore []time.Duration
	// ReleaseOnBreach returns a breached lead to the open pool so another rep
	// can claim it.
	ReleaseOnBreach bool
	// Targets are the monthly numbers both departments are measured on.
	Targets Targets
	// DigestSchedule is a standard 5-field cron expression, read in Location,
	// for the weekly SLA digest. Default "0 8 * * MON".
	DigestSchedule string
	// Retention is how long a lead's personal data (name, email, phone,
	// attributes) is kept after its last change; 0 keeps it until erased by hand.
	Retention time.Duration
	// ExcuseSystemDelay moves an SQL's claim deadline later by the time
	// Handoff took to show its card in chat (see ExcusedClaimDue).
	ExcuseSystemDelay bool
	// Reasons are the reasons a rep picks from when returning a lead as not
	// a fit, losing or recycling it; empty means DefaultReasons.
	Reasons []string
	// Scoring is the agreed lead scoring; nil leaves the sender's score.
	Scoring *Scoring
	// Routing says how a new SQL finds its owner; the zero Routing is
	// claim mode (first click in the channel wins).
	Routing Routing
}

// Targets are the monthly promises of the agreement. Zero means "no target".
type Targets struct {
	// SQLsPerMonth is marketing's promise: SQLs delivered to sales per month.
	SQLsPerMonth int
	// CustomersPerMonth is sales' promise: customers won per month.
	CustomersPerMonth int
	// AvgDealSize is the expected average revenue per customer, in Currency.
	AvgDealSize float64
	// Currency is an ISO 4217 code such as "DKK". Default "DKK".
	Currency string
}

// BusinessHours are the open windows the SLA clock runs in: the same local
// wall-clock window [Start, End) on each open weekday, except on holidays.
// A nil *BusinessHours means the clock runs 24/7.
type BusinessHours struct {
	// Days marks the open weekdays, indexed by time.Weekday.
	Days [7]bool
	// Start and End are the local opening and closing times as durations
	// since midnight; 0 <= Start < End <= 24h.
	Start, End time.Duration
	// Holidays are closed local dates, keyed "2006-01-02".
	Holidays map[string]bool
}

// Defaults of the agreement, used by DefaultPolicy.
const (
	DefaultClaimWithin    = 2 * time.Hour
	DefaultContactWithin  = 48 * time.Hour
	DefaultDigestSchedule = "0 8 * * MON"
	DefaultCurrency       = "DKK"
)

// DefaultPolicy returns the agreement used when no configuration says
// otherwise: UTC, claim within 2h, contact within 48h on a 24/7 clock, no
// reminders, no release on breach, no targets (currency DKK), and a digest
// every Monday at 08:00.
func DefaultPolicy() Policy {
	return Policy{
		Location:       time.UTC,
		ClaimWithin:    DefaultClaimWithin,
		ContactWithin:  DefaultContactWithin,
		DigestSchedule: DefaultDigestSchedule,
		Targets:        Targets{Currency: DefaultCurrency},
	}
}

// ClaimDue returns the moment by which an SQL that became an SQL at sqlAt must
// be claimed, counting only business hours when the policy has them. The
// result is expressed in the policy's location.
func (p Policy) ClaimDue(sqlAt time.Time) time.Time {
	return p.Add(sqlAt, p.ClaimWithin)
}

// ContactDue returns the moment by which an SQL that became an SQL at sqlAt
// must have had first contact, counting only business hours when the policy
// has them. The result is expressed in the policy's location.
func (p Policy) ContactDue(sqlAt time.Time) time.Time {
	return p.Add(sqlAt, p.ContactWithin)
}

// ContactReminders returns when the reminders for an SQL that became an SQL at
// sqlAt are due: for each RemindBefore entry r, the moment when r of SLA time
// is left before ContactDue. Reminders therefore never fall outside business
// hours. The result is in RemindBefore order (earliest first when RemindBefore
// is sorted descending); entries not less than ContactWithin are skipped.
func (p Policy) ContactReminders(sqlAt time.Time) []time.Time {
	var out []time.Time
	for _, r := range p.RemindBefore {
		if r <= 0 || r >= p.ContactWithin {
			continue
		}
		out = append(out, p.Add(sqlAt, p.ContactWithin-r))
	}
	return out
}

// Add returns start plus d of SLA time: business time when the policy has
// business hours, plain elapsed time otherwise. A negative d counts as zero.
// The result is expressed in the policy's location.
func (p Policy) Add(start time.Time, d time.Duration) time.Time {
	return p.BusinessHours.Add(start, d, p.location())
}

// Between returns the SLA time elapsed from from to to: business time when the
// policy has business hours, plain elapsed time otherwise. It is negative when
// to is before from, so Between(now, due) is the time left and goes negative
// once the deadline has passed.
func (p Policy) Between(from, to time.Time) time.Duration {
	return p.BusinessHours.Between(from, to, p.location())
}

// location returns the policy's location, UTC when unset.
func (p Policy) location() *time.Location {
	if p.Location == nil {
		return time.UTC
	}
	return p.Location
}

// Validate reports every rule the policy breaks, joined with errors.Join, or
// nil when the policy is usable. Config loading reports problems with their
// YAML key; Validate is the check for policies built in code.
func (p Policy) Validate() error {
	var errs []error
	if p.ClaimWithin <= 0 {
		errs = append(errs, fmt.Errorf("policy: claim within must be positive, got %s", p.ClaimWithin))
	}
	if p.ContactWithin <= 0 {
		errs = append(errs, fmt.Errorf("policy: contact within must be positive, got %s", p.ContactWithin))
	}
	if p.ClaimWithin > p.ContactWithin && p.ContactWithin > 0 {
		errs = append(errs, fmt.Errorf("policy: claim within (%s) must not exceed contact within (%s)", p.ClaimWithin, p.ContactWithin))
	}
	for i, r := range p.RemindBefore {
		switch {
		case r <= 0:
			errs = append(errs, fmt.Errorf("policy: remind before %s must be positive", r))
		case r >= p.ContactWithin:
			errs = append(errs, fmt.Errorf("policy: remind before %s must be less than contact within (%s)", r, p.ContactWithin))
		case i > 0 && r >= p.RemindBefore[i-1]:
			errs = append(errs, fmt.Errorf("policy: remind before must be sorted descending without duplicates, got %s after %s", r, p.RemindBefore[i-1]))
		}
	}
	if err := p.BusinessHours.Validate(); err != nil {
		errs = append(errs, err)
	}
	t := p.Targets
	if t.SQLsPerMonth < 0 || t.CustomersPerMonth < 0 || t.AvgDealSize < 0 || t.AvgDealSize != t.AvgDealSize {
		errs = append(errs, fmt.Errorf("policy: targets must be non-negative, got %+v", t))
	}
	if !isCurrencyCode(t.Currency) {
		errs = append(errs, fmt.Errorf("policy: currency %q is not a 3-letter uppercase code", t.Currency))
	}
	bad := p.Scoring.Validate()
	for _, k := range slices.Sorted(maps.Keys(bad)) {
		errs = append(errs, fmt.Errorf("policy: scoring.%s: %s", k, bad[k]))
	}
	if p.DigestSchedule == "" {
		errs = append(errs, errors.New("policy: digest schedule is empty"))
	}
	if err := p.Routing.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("policy: %w", err))
	}
	return errors.Join(errs...)
}

// isCurrencyCode reports whether s looks like an ISO 4217 code: three
// uppercase ASCII letters.
func isCurrencyCode(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

// ParseRetention parses a retention period: Go duration syntax, or a whole
// number of days such as "730d".
func ParseRetention(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(strings.TrimSpace(s), "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("invalid retention %q", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("invalid retention %q", s)
	}
	return d, nil
}
