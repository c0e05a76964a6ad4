package handoff

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Limits of the activities intake.
const (
	// MaxActivitiesPerRequest bounds one POST of activities.
	MaxActivitiesPerRequest = 1000
	maxActivityTypeLen      = 100
	maxActivityURLLen       = 2000
)

// ActorScoring is the actor of stage moves made by lead scoring.
const ActorScoring = "scoring"

// SourceScoreAttribute keeps the score a sender posted when the agreement
// has its own scoring.
const SourceScoreAttribute = "source_score"

// ParseActivities validates a decoded JSON body of activities: one object
// or an array of them, each {"type", "url", "occurred_at", "id"}, at now.
// type is required (letters, digits, _ - . :, at most 100); url at most
// 2,000 characters; occurred_at RFC 3339 and within the intake's bounds
// (CheckOccurredAt; default now); id optional (at most MaxFieldLen), making
// a repeat harmless. Text must pass CheckText, as the intake's does. It
// returns an EINVALID error whose Fields name every bad field
// ("[2].occurred_at").
func ParseActivities(body any, now time.Time) ([]Activity, error) {
	var items []any
	switch v := body.(type) {
	case map[string]any:
		items = []any{v}
	case []any:
		items = v
	default:
		return nil, &Error{Code: EINVALID, Message: "invalid activities: want an object or an array of objects",
			Fields: map[string]string{"body": "want an object or an array of objects"}}
	}
	bad := map[string]string{}
	if len(items) == 0 {
		bad["body"] = "no activities"
	}
	if len(items) > MaxActivitiesPerRequest {
		bad["body"] = fmt.Sprintf("more than %d activities", MaxActivitiesPerRequest)
		items = nil
	}
	out := make([]Activity, 0, len(items))
	seen := map[string]bool{}
	for i, it := range items {
		prefix := ""
		if _, isArray := body.([]any); isArray {
			prefix = "[" + strconv.Itoa(i) + "]."
		}
		raw, ok := it.(map[string]any)
		if !ok {
			bad[strings.TrimSuffix(prefix, ".")] = "must be an object"
			continue
		}
		a := Activity{OccurredAt: now.UTC()}
		str := func(key string, limit int) string {
			v, ok := raw[key]
			if !ok || v == nil {
				return ""
			}
			s, ok := v.(string)
			if !ok {
				bad[prefix+key] = "must be a string"
				return ""
			}
			if p := CheckText(s, limit); p != "" {
				bad[prefix+key] = p
				return ""
			}
			return strings.TrimSpace(s)
		}
		a.Type = str("type", maxActivityTypeLen)
		if _, given := bad[prefix+"type"]; !given {
			if a.Type == "" {
				bad[prefix+"type"] = "required"
			} else if strings.IndexFunc(a.Type, notActivityTypeRune) >= 0 {
				bad[prefix+"type"] = fmt.Sprintf("%q: use letters, digits, _ - . :", a.Type)
			}
		}
		a.URL = str("url", maxActivityURLLen)
		a.ID = str("id", MaxFieldLen)
		if a.ID != "" {
			if seen[a.ID] {
				bad[prefix+"id"] = fmt.Sprintf("%q appears twice in the request", a.ID)
			}
			seen[a.ID] = true
		}
		if s := str("occurred_at", 64); s != "" {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				bad[prefix+"occurred_at"] = fmt.Sprintf("not an RFC 3339 time: %q", s)
			} else if p := CheckOccurredAt(t, now); p != "" {
				bad[prefix+"occurred_at"] = p
			} else {
				a.OccurredAt = t.UTC()
			}
		}
		for k := range raw {
			if k != "type" && k != "url" && k != "occurred_at" && k != "id" {
				bad[prefix+k] = "unknown field"
			}
		}
		out = append(out, a)
	}
	if len(bad) > 0 {
		return nil, &Error{Code: EINVALID, Message: "invalid activities: " + describeFields(bad), Fields: bad}
	}
	return out, nil
}

func notActivityTypeRune(r rune) bool {
	return !(unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("_-.:", r))
}

// Rescore recomputes the lead's score at now from its fields and
// activities under policy.Scoring, and moves it forward when the score
// crossed mql_at or sql_at (actor ActorScoring, the score in the event's
// details). It returns the explanation, whether the lead changed and the
// change to record: the stage events and their chat work (NewChange), or,
// when only the score of a lead in chat changed, a refresh of its cards.
// It also sets NextDecayAt, when the score next changes with time alone
// (a change of that alone does not count as a change). Without scoring it
// does nothing. It never moves a lead back (see Scoring.Promotion) and is
// pure.
func (l *Lead) Rescore(activities []Activity, now time.Time, policy Policy) (ScoreExplained, bool, LeadChange) {
	before := l.slaArming()
	expl, changed, change := l.rescore(activities, now, now, policy)
	l.armSLA(before, now)
	return expl, changed, change
}

// rescore is Rescore at now with the stages the score moves the lead to
// entered at at, the input's own time (LeadInput.Rescore). Its caller
// records when it set deadlines (armSLA), at the time of the change.
func (l *Lead) rescore(activities []Activity, now, at time.Time, policy Policy) (ScoreExplained, bool, LeadChange) {
	s := policy.Scoring
	if s == nil {
		return ScoreExplained{}, false, LeadChange{}
	}
	expl := s.Score(l, activities, now)
	l.NextDecayAt = s.NextDecay(activities, now)
	changed := expl.Score != l.Score || expl.Summary() != l.ScoreReasons
	l.Score, l.ScoreReasons = expl.Score, expl.Summary()
	var events []Event
	if to, ok := s.Promotion(l.Stage, l.Reached, expl.Score); ok {
		if plan, err := PlanTransition(l.Stage, l.Reached, to); err == nil && plan.Changed {
			details := map[string]string{"score": strconv.Itoa(expl.Score), "reasons": expl.Summary()}
			events = l.enterStages(plan, at.UTC(), at.UTC(), ActorScoring, details, policy)
			changed = true
		}
	}
	change := NewChange(l, events)
	if changed && len(change.Outbox) == 0 && l.SQLAt != nil {
		change.Outbox = []OutboxMessage{{Kind: OutboxRefreshLead, LeadID: l.ID}} // the card shows the score
	}
	return expl, changed, change
}
