package config

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/handoff/handoff"
)

// The agreement's routing section: how a new SQL finds its owner.

type routingFile struct {
	Mode              yaml.Node `yaml:"mode"`
	OfferFor          yaml.Node `yaml:"offer_for"`
	OfferRounds       yaml.Node `yaml:"offer_rounds"`
	MaxOpenPerRep     yaml.Node `yaml:"max_open_per_rep"`
	AccountOwnerFirst yaml.Node `yaml:"account_owner_first"`
	Reps              []repFile `yaml:"reps"`
}

type repFile struct {
	Slack  yaml.Node     `yaml:"slack"`
	Teams  yaml.Node     `yaml:"teams"`
	Weight yaml.Node     `yaml:"weight"`
	Hours  *repHoursFile `yaml:"hours"`
}

// repHoursFile is a rep's own hours: a business_hours section with its
// own time zone (the agreement's when left out).
type repHoursFile struct {
	hoursFile `yaml:",inline"`
	Timezone  yaml.Node `yaml:"timezone"`
}

// routing reads the routing section into the domain's Routing, with the
// defaults applied. The shape of each value is checked here; the rules
// (rep id shapes, weights, hours that never open, a rep listed twice) are
// handoff.Routing.Validate's, reported with their key paths.
func (b *agreementBuilder) routing(f *routingFile) handoff.Routing {
	var r handoff.Routing
	if v, ok := b.scalar("routing.mode", &f.Mode); ok {
		r.Mode = handoff.RoutingMode(strings.ToLower(strings.TrimSpace(v)))
	}
	if d, ok := b.duration("routing.offer_for", &f.OfferFor); ok {
		r.OfferFor = d
	}
	if n, ok := b.count("routing.offer_rounds", &f.OfferRounds); ok {
		if n == 0 {
			b.errorf("routing.offer_rounds", "must be 1 or more (leave it out for %d)", handoff.DefaultOfferRounds)
		}
		r.OfferRounds = n
	}
	if n, ok := b.count("routing.max_open_per_rep", &f.MaxOpenPerRep); ok {
		r.MaxOpenPerRep = n
	}
	r.AccountOwnerFirst = b.boolean("routing.account_owner_first", &f.AccountOwnerFirst)
	for i, rf := range f.Reps {
		r.Reps = append(r.Reps, b.rep(fmt.Sprintf("routing.reps[%d]", i), rf))
	}
	if err := r.Validate(); err != nil {
		for _, e := range unjoin(err) {
			msg := e.Error()
			path, _, _ := strings.Cut(msg, ":")
			path, _, _ = strings.Cut(path, " ")
			if b.reported(path) || (strings.HasSuffix(path, ".hours") && b.reportedUnder(path)) {
				continue // the value itself was already reported
			}
			b.errs = append(b.errs, fmt.Errorf("config: %s", msg))
		}
	}
	return r.WithDefaults()
}

// rep reads one member of the rotation at path.
func (b *agreementBuilder) rep(path string, f repFile) handoff.Rep {
	rep := handoff.Rep{Weight: 1}
	slackID, isSlack := b.scalar(path+".slack", &f.Slack)
	teamsID, isTeams := b.scalar(path+".teams", &f.Teams)
	switch {
	case isSlack && isTeams:
		b.errorf(path, "name the rep with one of slack: and teams:, not both")
	case isSlack:
		rep.Ref = handoff.RepRef{Platform: "slack", ID: strings.TrimSpace(slackID)}
	case isTeams:
		// Entra object ids and emails are case-insensitive: one spelling
		// keeps the rep's key stable.
		rep.Ref = handoff.RepRef{Platform: "teams", ID: strings.ToLower(strings.TrimSpace(teamsID))}
	}
	if n, ok := b.integer(path+".weight", &f.Weight); ok {
		rep.Weight = n
	}
	if f.Hours != nil {
		rep.Hours = b.hours(path+".hours", &f.Hours.hoursFile)
		if s, ok := b.scalar(path+".hours.timezone", &f.Hours.Timezone); ok {
			if loc, err := loadLocation(s); err != nil {
				b.errorf(path+".hours.timezone", "unknown time zone %q", s)
			} else {
				rep.Location = loc
			}
		}
	}
	return rep
}

// reportedUnder says whether a problem was already reported for path or a
// key below it.
func (b *agreementBuilder) reportedUnder(path string) bool {
	for _, err := range b.errs {
		if msg := err.Error(); strings.HasPrefix(msg, "config: "+path+":") || strings.HasPrefix(msg, "config: "+path+".") {
			return true
		}
	}
	return false
}

// unjoin lists the errors joined in err.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
