package handoff

import (
	"cmp"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Scoring is the lead scoring both departments agreed on: explicit points
// for who the lead is, implicit points for what the lead did, and the
// thresholds at which a lead becomes an MQL and an SQL. A nil *Scoring
// means the agreement has no scoring and the sender's score stands.
type Scoring struct {
	// MQLAt and SQLAt are the thresholds: a score at or above SQLAt makes an
	// SQL, at or above MQLAt an MQL. 0 < MQLAt <= SQLAt.
	MQLAt, SQLAt int
	Explicit     []ExplicitRule
	Implicit     []ImplicitRule
	// Decay is the age past which an activity stops counting; 0 means
	// activities never stop counting.
	Decay time.Duration
}

// ExplicitRule gives points for what a lead states about itself: a field
// (title, company, name, email, phone, source, campaign, or any attribute)
// whose text matches a pattern, or whose number is at least a bound.
// Exactly one of Matches and AtLeast is set.
type ExplicitRule struct {
	Field   string
	Matches *regexp.Regexp
	AtLeast *float64
	Points  int
}

// ImplicitRule gives points for each activity of a type (optionally only
// those whose URL matches), up to Max in total (0: no cap).
type ImplicitRule struct {
	Activity   string
	URLMatches *regexp.Regexp
	Points     int
	Max        int
}

// Activity is one thing a lead did that marketing automation tracked: a
// page view, a download, a demo request. ID, when the sender gives one,
// makes posting it again harmless.
type Activity struct {
	ID         string    `json:"id,omitempty"`
	Type       string    `json:"type"`
	URL        string    `json:"url,omitempty"`
	OccurredAt time.Time `json:"occurred_at"`
}

// ScoreLine is one rule's part in a score: the rule as the agreement
// states it, what matched, and the points it gives now (0 when nothing
// matched or everything matching has decayed).
type ScoreLine struct {
	Rule   string `json:"rule"`
	Points int    `json:"points"`
	// Matched is the field's value (explicit) or how many activities
	// counted (implicit), empty when nothing matched.
	Matched string `json:"matched,omitempty"`
	// Capped is true when the rule's Max cut its points.
	Capped bool `json:"capped,omitempty"`
	// Label is a short description of what gave the points, for a card:
	// "title: CTO", "marketing's score 77 ≥ 60", "page_view /pricing ×2".
	Label string `json:"label,omitempty"`
}

// ScoreExplained is a computed score with one line per rule, in the
// agreement's order (explicit rules first).
type ScoreExplained struct {
	Score int         `json:"score"`
	Lines []ScoreLine `json:"rules"`
}

// String describes the rule as the agreement states it.
func (r ExplicitRule) String() string {
	if r.Matches != nil {
		return fmt.Sprintf("%s matches %s", r.Field, r.Matches)
	}
	if r.AtLeast != nil {
		return fmt.Sprintf("%s at least %s", r.Field, strconv.FormatFloat(*r.AtLeast, 'f', -1, 64))
	}
	return r.Field
}

// String describes the rule as the agreement states it.
func (r ImplicitRule) String() string {
	s := r.Activity
	if r.URLMatches != nil {
		s += " " + r.URLMatches.String()
	}
	if r.Max > 0 {
		s += fmt.Sprintf(" (max %d)", r.Max)
	}
	return s
}

// LeadField returns the text of one of the lead's fields for scoring: a
// named field or an attribute, and false when the lead has no such value.
func (l *Lead) LeadField(name string) (string, bool) {
	named := map[string]string{"title": l.Title, "company": l.Company, "name": l.Name, "email": l.Email,
		"phone": l.Phone, "source": l.Source, "campaign": l.Campaign}
	v, ok := named[name]
	if !ok {
		a, ok := l.Attributes[name]
		if !ok || a == nil {
			return "", false
		}
		switch x := a.(type) {
		case string:
			v = x
		case float64:
			v = strconv.FormatFloat(x, 'f', -1, 64)
		case json.Number:
			v = x.String()
		default:
			v = fmt.Sprint(x)
		}
	}
	v = strings.TrimSpace(v)
	return v, v != ""
}

// fieldLabel names a rule's field on a card: the field as the agreement
// writes it, but the score the sender posted as "marketing's score", which
// a rep reads more easily than the attribute's name.
func fieldLabel(field string) string {
	if field == SourceScoreAttribute {
		return "marketing's score"
	}
	return field
}

// label describes what matched the rule, for a card: "title: CTO" for a
// pattern, "marketing's score 77 ≥ 60" for a threshold (the value beside
// what it had to reach, so that its points do not read as added to it).
func (r ExplicitRule) label(v string) string {
	if r.AtLeast != nil {
		return fmt.Sprintf("%s %s ≥ %s", fieldLabel(r.Field), v, strconv.FormatFloat(*r.AtLeast, 'f', -1, 64))
	}
	return fieldLabel(r.Field) + ": " + v
}

// Score computes the lead's score at now from its fields and activities:
// each explicit rule whose field matches gives its points once; each
// implicit rule gives its points per matching activity not older than
// Decay (and not after now), capped at Max. It is pure.
func (s *Scoring) Score(l *Lead, activities []Activity, now time.Time) ScoreExplained {
	var out ScoreExplained
	if s == nil {
		return out
	}
	for _, r := range s.Explicit {
		line := ScoreLine{Rule: r.String()}
		if v, ok := l.LeadField(r.Field); ok && r.matches(v) {
			line.Points, line.Matched, line.Label = r.Points, v, r.label(v)
		}
		out.Lines = append(out.Lines, line)
	}
	for _, r := range s.Implicit {
		line := ScoreLine{Rule: r.String()}
		n := 0
		for _, a := range activities {
			if a.Type == r.Activity && s.counts(a, now) && (r.URLMatches == nil || r.URLMatches.MatchString(a.URL)) {
				n++
			}
		}
		if n > 0 {
			line.Points, line.Matched = n*r.Points, fmt.Sprintf("%d×", n)
			line.Label = r.Activity
			if r.URLMatches != nil {
				line.Label += " " + r.URLMatches.String()
			}
			line.Label += fmt.Sprintf(" ×%d", n)
			if r.Max > 0 && line.Points > r.Max {
				line.Points, line.Capped = r.Max, true
			}
		}
		out.Lines = append(out.Lines, line)
	}
	for _, line := range out.Lines {
		out.Score += line.Points
	}
	return out
}

// NextDecay returns the first time after now at which the score of a lead
// with these activities changes by time alone: when an activity some
// implicit rule gives points for stops counting (Decay after it occurred),
// or starts counting (a time a few minutes ahead, as the intake allows).
// Nil when no such time comes. It is pure.
func (s *Scoring) NextDecay(activities []Activity, now time.Time) *time.Time {
	var next *time.Time
	for _, a := range activities {
		if !s.scores(a) {
			continue
		}
		at := a.OccurredAt
		if !at.After(now) {
			if s.Decay <= 0 || !s.counts(a, now) {
				continue
			}
			at = at.Add(s.Decay)
		}
		if next == nil || at.Before(*next) {
			next = &at
		}
	}
	return next
}

// scores reports whether some implicit rule gives points for a.
func (s *Scoring) scores(a Activity) bool {
	for _, r := range s.Implicit {
		if a.Type == r.Activity && (r.URLMatches == nil || r.URLMatches.MatchString(a.URL)) {
			return true
		}
	}
	return false
}

// counts reports whether activity a still counts at now.
func (s *Scoring) counts(a Activity, now time.Time) bool {
	if a.OccurredAt.After(now) {
		return false
	}
	return s.Decay <= 0 || now.Sub(a.OccurredAt) < s.Decay
}

func (r ExplicitRule) matches(v string) bool {
	if r.Matches != nil {
		return r.Matches.MatchString(v)
	}
	if r.AtLeast != nil {
		f, err := strconv.ParseFloat(strings.ReplaceAll(v, " ", ""), 64)
		return err == nil && f >= *r.AtLeast
	}
	return false
}

// Top returns up to n lines that gave points, most points first (ties in
// the agreement's order).
func (e ScoreExplained) Top(n int) []ScoreLine {
	var out []ScoreLine
	for _, l := range e.Lines {
		if l.Points != 0 {
			out = append(out, l)
		}
	}
	slices.SortStableFunc(out, func(a, b ScoreLine) int { return cmp.Compare(b.Points, a.Points) })
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// Summary is one line of the top three reasons, for a card:
// "demo_request ×1 +40 · title: CTO +30 · company_size 80 ≥ 50 +15", cut
// to MaxScoreReasonsLen characters (a label quotes the value that
// matched, which may be long).
func (e ScoreExplained) Summary() string {
	var parts []string
	for _, l := range e.Top(3) {
		parts = append(parts, fmt.Sprintf("%s %+d", l.Label, l.Points))
	}
	return CutChars(strings.Join(parts, " · "), MaxScoreReasonsLen)
}

// StageFor returns the stage a score earns: SQL at or above SQLAt, MQL at
// or above MQLAt, and "" below both.
func (s *Scoring) StageFor(score int) Stage {
	switch {
	case s == nil:
		return ""
	case score >= s.SQLAt:
		return StageSQL
	case score >= s.MQLAt:
		return StageMQL
	}
	return ""
}

// Promotion returns the stage a lead in stage from, with highest main-path
// rank reached, moves to because of its score, and false when the score
// moves it nowhere. Scoring only ever moves a lead forward along the main
// path before SQL: a lead already at or past the stage the score earns
// (including one that was there before), or off the main path (lost,
// recycled: marketing nurtures those and sends them back itself), stays.
// A lower score (decay) therefore never moves a lead back.
func (s *Scoring) Promotion(from Stage, reached int, score int) (Stage, bool) {
	to := s.StageFor(score)
	if to == "" || (from != "" && !from.OnMainPath()) {
		return "", false
	}
	if from.Rank() >= to.Rank() || reached >= to.Rank() {
		return "", false
	}
	return to, true
}

// ScoredLead is a lead with its activities, for a what-if evaluation.
type ScoredLead struct {
	Lead       *Lead
	Activities []Activity
}

// WhatIfResult counts how many leads would have become MQLs and SQLs.
type WhatIfResult struct {
	Leads int `json:"leads"`
	MQLs  int `json:"mqls"`
	SQLs  int `json:"sqls"`
}

// WhatIf replays each lead's history under s up to now: the score is taken
// when the lead arrived (its CreatedAt) and after each activity, with the
// decay as it stood then; a lead counts as an SQL (MQL) when any of those
// scores reached SQLAt (MQLAt). It answers "how many of these leads would
// have become SQLs under these rules?" and is pure.
func (s *Scoring) WhatIf(leads []ScoredLead, now time.Time) WhatIfResult {
	res := WhatIfResult{Leads: len(leads)}
	for _, sl := range leads {
		best := s.peakScore(sl, now)
		switch s.StageFor(best) {
		case StageSQL:
			res.SQLs++
			res.MQLs++
		case StageMQL:
			res.MQLs++
		}
	}
	return res
}

// peakScore is the highest score the lead had at any moment up to now.
func (s *Scoring) peakScore(sl ScoredLead, now time.Time) int {
	moments := []time.Time{sl.Lead.CreatedAt}
	for _, a := range sl.Activities {
		if !a.OccurredAt.After(now) {
			moments = append(moments, a.OccurredAt)
		}
	}
	best := 0
	for i, m := range moments {
		if m.After(now) {
			continue
		}
		if sc := s.Score(sl.Lead, sl.Activities, m).Score; i == 0 || sc > best {
			best = sc
		}
	}
	return best
}

// Validate reports every rule the scoring breaks, keyed by its place in
// the agreement ("mql_at", "explicit[1].points"), or nil when it is usable.
func (s *Scoring) Validate() map[string]string {
	bad := map[string]string{}
	if s == nil {
		return nil
	}
	if s.MQLAt <= 0 {
		bad["mql_at"] = fmt.Sprintf("must be positive, got %d", s.MQLAt)
	}
	if s.SQLAt <= 0 {
		bad["sql_at"] = fmt.Sprintf("must be positive, got %d", s.SQLAt)
	}
	if s.MQLAt > s.SQLAt {
		bad["mql_at"] = fmt.Sprintf("%d must not exceed sql_at (%d)", s.MQLAt, s.SQLAt)
	}
	if s.Decay < 0 {
		bad["decay"] = fmt.Sprintf("must not be negative, got %s", s.Decay)
	}
	for i, r := range s.Explicit {
		key := fmt.Sprintf("explicit[%d].", i)
		if strings.TrimSpace(r.Field) == "" {
			bad[key+"field"] = "required"
		}
		if (r.Matches == nil) == (r.AtLeast == nil) {
			bad[key+"matches"] = "exactly one of matches and at_least is required"
		}
		if r.Points < 0 {
			bad[key+"points"] = fmt.Sprintf("must not be negative, got %d", r.Points)
		}
	}
	for i, r := range s.Implicit {
		key := fmt.Sprintf("implicit[%d].", i)
		if strings.TrimSpace(r.Activity) == "" {
			bad[key+"activity"] = "required"
		}
		if r.Points < 0 {
			bad[key+"points"] = fmt.Sprintf("must not be negative, got %d", r.Points)
		}
		if r.Max < 0 {
			bad[key+"max"] = fmt.Sprintf("must not be negative, got %d", r.Max)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return bad
}
