package handoff

import (
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"time"
)

// RoutingMode says how a new SQL finds its owner.
type RoutingMode string

// Routing modes.
const (
	// RouteByClaim posts every SQL to the sales channel; the first click wins.
	RouteByClaim RoutingMode = "claim"
	// RouteRoundRobin offers each SQL privately to one available rep at a
	// time, fairly by weight, before opening it to the channel.
	RouteRoundRobin RoutingMode = "round_robin"
)

// Defaults of the routing agreement.
const (
	DefaultOfferFor    = 15 * time.Minute
	DefaultOfferRounds = 2
)

// Routing is the routing part of the agreement.
type Routing struct {
	// Mode is RouteByClaim (the default) or RouteRoundRobin.
	Mode RoutingMode
	// OfferFor is how long an offered rep has to accept. Default 15m.
	OfferFor time.Duration
	// OfferRounds is how many reps are offered a lead one after another
	// before it opens to the whole channel. Default 2.
	OfferRounds int
	// MaxOpenPerRep skips a rep who owns this many open leads; 0 is no limit.
	MaxOpenPerRep int
	// AccountOwnerFirst offers a lead first to the rep who already owns an
	// open or won lead of the same company or email domain.
	AccountOwnerFirst bool
	// Reps is the rotation, in the order the agreement lists them.
	Reps []Rep
}

// RepRef names a rep on one chat platform.
type RepRef struct {
	// Platform is "slack" or "teams".
	Platform string
	// ID is a Slack user id, or a Teams Entra object id or email.
	ID string
}

// Key is the rep's stable key, "slack:U0123ABC".
func (r RepRef) Key() string { return r.Platform + ":" + r.ID }

// IsZero reports whether r names nobody.
func (r RepRef) IsZero() bool { return r.ID == "" }

// Rep is one member of the rotation.
type Rep struct {
	Ref RepRef
	// Weight is the rep's share of leads relative to the others. Default 1.
	Weight int
	// Hours, when set, are the only times the rep is offered leads.
	Hours *BusinessHours
	// Location is the time zone of Hours; nil means the agreement's.
	Location *time.Location
}

var (
	slackUserID = regexp.MustCompile(`^[UW][A-Z0-9]{6,}$`)
	entraID     = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
)

// IsSlackUserID reports whether s is a Slack user id: U or W (an Enterprise
// Grid user), then at least six capitals and digits.
func IsSlackUserID(s string) bool { return slackUserID.MatchString(s) }

// IsEntraObjectID reports whether s is an Entra (Azure AD) object id, a GUID.
func IsEntraObjectID(s string) bool { return entraID.MatchString(s) }

// Validate reports every problem of the routing agreement at once, or nil.
// The zero Routing (claim mode, no reps) is valid.
func (r Routing) Validate() error {
	var errs []error
	switch r.Mode {
	case "", RouteByClaim, RouteRoundRobin:
	default:
		errs = append(errs, fmt.Errorf("routing.mode: %q is not claim or round_robin", r.Mode))
	}
	if r.OfferFor < 0 {
		errs = append(errs, fmt.Errorf("routing.offer_for: %s is negative", r.OfferFor))
	}
	if r.OfferRounds < 0 {
		errs = append(errs, fmt.Errorf("routing.offer_rounds: %d is negative", r.OfferRounds))
	}
	if r.MaxOpenPerRep < 0 {
		errs = append(errs, fmt.Errorf("routing.max_open_per_rep: %d is negative", r.MaxOpenPerRep))
	}
	if r.Mode == RouteRoundRobin && len(r.Reps) == 0 {
		errs = append(errs, errors.New("routing.reps: round_robin needs at least one rep"))
	}
	seen := map[string]int{}
	for i, rep := range r.Reps {
		field := fmt.Sprintf("routing.reps[%d]", i)
		if err := rep.Ref.validate(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", field, err))
		}
		if rep.Weight <= 0 {
			errs = append(errs, fmt.Errorf("%s.weight: %d must be 1 or more", field, rep.Weight))
		}
		if rep.Hours != nil {
			if err := rep.Hours.Validate(); err != nil {
				errs = append(errs, fmt.Errorf("%s.hours never open: %w", field, err))
			}
		}
		key := strings.ToLower(rep.Ref.Key())
		if j, dup := seen[key]; dup {
			errs = append(errs, fmt.Errorf("%s: %s is listed twice (also routing.reps[%d])", field, rep.Ref.Key(), j))
		} else {
			seen[key] = i
		}
	}
	return errors.Join(errs...)
}

func (r RepRef) validate() error {
	switch r.Platform {
	case "slack":
		if !IsSlackUserID(r.ID) {
			return fmt.Errorf("slack: %q is not a Slack user id (U… or W…)", r.ID)
		}
	case "teams":
		if _, err := mail.ParseAddress(r.ID); err != nil && !IsEntraObjectID(r.ID) {
			return fmt.Errorf("teams: %q is neither an Entra object id nor an email", r.ID)
		}
	default:
		return errors.New("name the rep with slack: or teams:")
	}
	if CheckLen(r.Key(), MaxRepKeyLen) != "" {
		// Refused on PostgreSQL, kept on SQLite: the offered rep's column.
		return fmt.Errorf("%s: %q makes a rep key (%s) longer than %d characters", r.Platform, CutChars(r.ID, 40), r.Platform+":<id>", MaxRepKeyLen)
	}
	return nil
}

// WithDefaults returns r with zero settings replaced by the defaults.
func (r Routing) WithDefaults() Routing {
	if r.Mode == "" {
		r.Mode = RouteByClaim
	}
	if r.OfferFor == 0 {
		r.OfferFor = DefaultOfferFor
	}
	if r.OfferRounds == 0 {
		r.OfferRounds = DefaultOfferRounds
	}
	reps := make([]Rep, len(r.Reps))
	for i, rep := range r.Reps {
		if rep.Weight == 0 {
			rep.Weight = 1
		}
		reps[i] = rep
	}
	r.Reps = reps
	return r
}

// Rep returns the rep with the given key and whether the rotation has one.
func (r Routing) Rep(key string) (Rep, bool) {
	for _, rep := range r.Reps {
		if rep.Ref.Key() == key {
			return rep, true
		}
	}
	return Rep{}, false
}

// Away is a rep's time off.
type Away struct {
	// Until is when the rep is back; zero means until they say /back.
	Until time.Time
	// Reason is the rep's own words, or the Slack status text.
	Reason string
	// Source is AwayByCommand (set with /away) or AwayBySlackStatus.
	Source string
	// SetBy is who set it: the actor ("slack:U…"), the rep or a manager;
	// "slack" for a status.
	SetBy string
}

// Sources of an Away.
const (
	AwayByCommand     = "command"
	AwayBySlackStatus = "slack_status"
)

// Active reports whether the rep is away at now.
func (a *Away) Active(now time.Time) bool {
	return a != nil && (a.Until.IsZero() || now.Before(a.Until))
}

var outOfOfficeText = regexp.MustCompile(`(?i)\b(out of (the )?office|ooo|vacation|on holiday|on leave|ferie)\b`)

// AwayFromSlackStatus reads a Slack profile status as time off: a palm tree
// emoji, or a text saying out of office, OOO or vacation. It returns nil
// when the status does not read as time off or has already expired
// (expiration zero means the status does not expire).
func AwayFromSlackStatus(emoji, text string, expiration, now time.Time) *Away {
	if emoji != ":palm_tree:" && !outOfOfficeText.MatchString(text) {
		return nil
	}
	if !expiration.IsZero() && !now.Before(expiration) {
		return nil
	}
	return &Away{Until: expiration, Reason: text, Source: AwayBySlackStatus, SetBy: "slack"}
}
