package config

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/handoff/handoff"
)

// The agreement's marketing half: lead scoring and the reasons a lead is
// returned, lost or recycled for.

type scoringFile struct {
	MQLAt    yaml.Node      `yaml:"mql_at"`
	SQLAt    yaml.Node      `yaml:"sql_at"`
	Explicit []explicitFile `yaml:"explicit"`
	Implicit []implicitFile `yaml:"implicit"`
	Decay    yaml.Node      `yaml:"decay"`
}

type explicitFile struct {
	Field   yaml.Node `yaml:"field"`
	Matches yaml.Node `yaml:"matches"`
	AtLeast yaml.Node `yaml:"at_least"`
	Points  yaml.Node `yaml:"points"`
}

type implicitFile struct {
	Activity   yaml.Node `yaml:"activity"`
	URLMatches yaml.Node `yaml:"url_matches"`
	Points     yaml.Node `yaml:"points"`
	Max        yaml.Node `yaml:"max"`
}

// scoring reads the scoring section; every problem is reported with its
// key path (a bad regular expression, negative points, mql_at above
// sql_at, a rule with neither matches nor at_least …).
func (b *agreementBuilder) scoring(f *scoringFile) *handoff.Scoring {
	s := &handoff.Scoring{}
	s.MQLAt, _ = b.integer("scoring.mql_at", &f.MQLAt)
	s.SQLAt, _ = b.integer("scoring.sql_at", &f.SQLAt)
	if v, ok := b.scalar("scoring.decay", &f.Decay); ok {
		if d, err := handoff.ParseRetention(v); err != nil {
			b.errorf("scoring.decay", "invalid duration %q (use e.g. 30d or 720h)", v)
		} else {
			s.Decay = d
		}
	}
	for i, e := range f.Explicit {
		path := fmt.Sprintf("scoring.explicit[%d]", i)
		r := handoff.ExplicitRule{}
		r.Field, _ = b.scalar(path+".field", &e.Field)
		r.Matches = b.regexp(path+".matches", &e.Matches)
		if v, ok := b.scalar(path+".at_least", &e.AtLeast); ok {
			x, err := strconv.ParseFloat(v, 64)
			if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
				b.errorf(path+".at_least", "invalid number %q", v)
			} else {
				r.AtLeast = &x
			}
		}
		r.Points, _ = b.integer(path+".points", &e.Points)
		s.Explicit = append(s.Explicit, r)
	}
	for i, m := range f.Implicit {
		path := fmt.Sprintf("scoring.implicit[%d]", i)
		r := handoff.ImplicitRule{}
		r.Activity, _ = b.scalar(path+".activity", &m.Activity)
		r.URLMatches = b.regexp(path+".url_matches", &m.URLMatches)
		r.Points, _ = b.integer(path+".points", &m.Points)
		r.Max, _ = b.integer(path+".max", &m.Max)
		s.Implicit = append(s.Implicit, r)
	}
	bad := s.Validate()
	keys := make([]string, 0, len(bad))
	for k := range bad {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if strings.HasSuffix(k, ".matches") && b.reported("scoring."+k) {
			continue // the regular expression itself was reported
		}
		b.errorf("scoring."+k, "%s", bad[k])
	}
	return s
}

// reasons reads the reasons list: non-empty, distinct entries.
func (b *agreementBuilder) reasons(n *yaml.Node) []string {
	items, ok := b.list("reasons", n)
	if !ok {
		return nil
	}
	if len(items) == 0 {
		b.errorf("reasons", "empty list; leave the key out for the default reasons")
	}
	seen := map[string]bool{}
	var out []string
	for i, v := range items {
		v = strings.TrimSpace(v)
		switch {
		case v == "":
			b.errorf(fmt.Sprintf("reasons[%d]", i), "empty reason")
		case len(v) > 75:
			b.errorf(fmt.Sprintf("reasons[%d]", i), "%q is longer than 75 characters (chat menus cut it)", v)
		case seen[strings.ToLower(v)]:
			b.errorf(fmt.Sprintf("reasons[%d]", i), "%q is listed twice", v)
		default:
			seen[strings.ToLower(v)] = true
			out = append(out, v)
		}
	}
	return out
}

// regexp compiles a regular expression (Go RE2 syntax); nil when absent
// or invalid, the latter reported.
func (b *agreementBuilder) regexp(path string, n *yaml.Node) *regexp.Regexp {
	v, ok := b.scalar(path, n)
	if !ok {
		return nil
	}
	re, err := regexp.Compile(v)
	if err != nil {
		b.errorf(path, "invalid regular expression %q: %v", v, err)
		return nil
	}
	return re
}

// integer reads a whole number of either sign (the caller checks the range).
func (b *agreementBuilder) integer(path string, n *yaml.Node) (int, bool) {
	v, ok := b.scalar(path, n)
	if !ok {
		return 0, false
	}
	x, err := strconv.Atoi(v)
	if err != nil {
		b.errorf(path, "invalid whole number %q", v)
		return 0, false
	}
	return x, true
}

// reported says whether a problem was already reported for path.
func (b *agreementBuilder) reported(path string) bool {
	for _, err := range b.errs {
		if strings.HasPrefix(err.Error(), "config: "+path+":") {
			return true
		}
	}
	return false
}
