package handlers

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/handoff/handoff"
)

// postActivities records what a lead did (one activity or an array),
// idempotent by each activity's optional id (409 naming an id sent again
// with another activity). With scoring in the agreement
// the lead's score is recomputed and the lead moved forward when it
// crossed a threshold. 200 with the lead, its score explained and how many
// activities were new; 400 naming every bad field; 404 for an unknown lead.
// To a token that may not read leads (intake) the answer is 202 with the
// external id it sent whether the lead is known or not, and whether or
// not an id was sent again with another activity (nothing of the request
// is stored then, as for a 404 or a 409, and a warning is logged): any
// other answer would tell it which leads exist.
func (a *API) postActivities(w http.ResponseWriter, r *http.Request) {
	ext, ok := pathID(w, r)
	if !ok {
		return
	}
	body, ok := decodeBody(w, r, "a JSON object or an array of objects")
	if !ok {
		return
	}
	now := a.now()
	acts, err := handoff.ParseActivities(body, now)
	if err != nil {
		writeError(w, r, a.logger(), err)
		return
	}
	read := mayRead(r.Context())
	res, err := a.Store.SaveActivities(r.Context(), ext, acts, a.Policy, now)
	if code := handoff.ErrorCode(err); !read && (code == handoff.ENOTFOUND || code == handoff.ECONFLICT) {
		// Logged without the id, which can be an email address: an
		// unknown lead (a visitor not yet a lead) is routine, an id sent
		// again with another activity a sender's mistake.
		level := slog.LevelInfo
		if code == handoff.ECONFLICT {
			level = slog.LevelWarn
		}
		a.logger().Log(r.Context(), level, "activities not stored", "token", TokenName(r.Context()), "code", code, "fields", handoff.ErrorFields(err))
		writeJSON(w, http.StatusAccepted, ActivitiesReceipt{ExternalID: ext})
		return
	}
	if err != nil {
		writeError(w, r, a.logger(), fieldsOfOne(body, err))
		return
	}
	for _, e := range res.Events {
		if e.Kind == handoff.EventStage {
			a.Metrics.LeadStage(string(e.Stage), res.Lead.Source)
		}
	}
	if !read {
		writeJSON(w, http.StatusAccepted, ActivitiesReceipt{ExternalID: ext})
		return
	}
	events, err := a.Store.Events(r.Context(), res.Lead.ID)
	if err != nil {
		writeError(w, r, a.logger(), err)
		return
	}
	out := ActivitiesJSON{Added: res.Added, Lead: NewLeadJSON(res.Lead, events, a.now(), a.Policy)}
	if a.Policy.Scoring != nil {
		if out.Lead.ScoreExplained, err = a.explain(r, res.Lead); err != nil {
			writeError(w, r, a.logger(), err)
			return
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// ActivitiesJSON answers a POST of activities.
type ActivitiesJSON struct {
	Added int      `json:"added"`
	Lead  LeadJSON `json:"lead"`
}

// ActivitiesReceipt answers a POST of activities to a token that may not
// read leads (intake), with 202: the external id it sent, and nothing
// that depends on what Handoff holds (not how many activities were new).
type ActivitiesReceipt struct {
	ExternalID string `json:"external_id"`
}

// explain computes the lead's score now under the agreement's scoring,
// rule by rule; nil without scoring.
func (a *API) explain(r *http.Request, l *handoff.Lead) (*handoff.ScoreExplained, error) {
	s := a.Policy.Scoring
	if s == nil {
		return nil, nil
	}
	now := a.now()
	acts, err := a.Store.Activities(r.Context(), l.ID, s, now)
	if err != nil {
		return nil, err
	}
	e := s.Score(l, acts, now)
	return &e, nil
}

// fieldsOfOne names the fields of err, an error about the activities of
// body ("[0].id"), as ParseActivities names them: without the index when
// body is one activity, not an array ("id").
func fieldsOfOne(body any, err error) error {
	var e *handoff.Error
	if _, isArray := body.([]any); isArray || !errors.As(err, &e) || len(e.Fields) == 0 {
		return err
	}
	one := *e
	one.Fields = make(map[string]string, len(e.Fields))
	for f, why := range e.Fields {
		one.Fields[strings.TrimPrefix(f, "[0].")] = why
	}
	one.Message = strings.ReplaceAll(e.Message, "[0].", "")
	return &one
}
