package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/handoff/handoff"
)

// decodeObject reads a JSON object body of at most MaxBodyBytes. It writes
// the 4xx answer itself and returns false when the body is unacceptable.
func decodeObject(w http.ResponseWriter, r *http.Request) (map[string]any, bool) {
	v, ok := decodeBody(w, r, "one JSON object")
	if !ok {
		return nil, false
	}
	obj, isObj := v.(map[string]any)
	if !isObj || obj == nil {
		badBody(w, "must be one JSON object")
		return nil, false
	}
	return obj, true
}

// badBody answers 400 for a body refused as a whole (not JSON, or JSON of
// the wrong kind: an array, a string, a number or null where an object is
// wanted), naming the field "body" as a refused field is named.
func badBody(w http.ResponseWriter, why string) {
	writeJSON(w, http.StatusBadRequest, errorBody{Error: "invalid: body: " + why, Fields: map[string]string{"body": why}})
}

// decodeBody reads one JSON value (want describes it for errors) of at
// most MaxBodyBytes, numbers as float64. It writes the 4xx answer itself
// and returns false when the body is unacceptable.
func decodeBody(w http.ResponseWriter, r *http.Request, want string) (any, bool) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		writeJSON(w, http.StatusUnsupportedMediaType, errorBody{Error: "Content-Type must be application/json"})
		return nil, false
	}
	body, ok := readBody(w, r, nil)
	if !ok {
		return nil, false
	}
	var obj any
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&obj); err != nil || obj == nil {
		msg := "must be " + want
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			msg = fmt.Sprintf("invalid JSON at byte %d: %v", syn.Offset, syn)
		case errors.As(err, &typ):
			if bad := outOfRangeFields(body); bad != nil {
				writeJSON(w, http.StatusBadRequest, boundedError(handoff.Invalid("invalid", bad)))
				return nil, false
			}
		}
		badBody(w, msg)
		return nil, false
	}
	if !handoff.OnlySpaceAfter(dec, body) {
		badBody(w, "must be "+want+" and nothing after it")
		return nil, false
	}
	if path, isKey, problem := handoff.JSONProblem(body); path != nil {
		field, why := jsonField(path, isKey, problem)
		writeJSON(w, http.StatusBadRequest, errorBody{Error: "invalid: " + field + ": " + why, Fields: map[string]string{field: why}})
		return nil, false
	}
	return obj, true
}

// jsonField names the field of a JSON body where handoff.JSONProblem found
// problem at path, as the intake names fields: "name", or "[2].url" in an
// array (a repeated key is that field; an attribute name that is not
// UTF-8 is "attributes"); a bare string is "body".
func jsonField(path []string, isKey bool, problem string) (field, why string) {
	why = problem
	if len(path) == 0 {
		return "body", why
	}
	depth := 1
	field = path[0]
	if strings.HasPrefix(field, "[") && len(path) > 1 {
		depth, field = 2, field+"."+path[1]
	}
	if isKey && len(path) == depth && problem == handoff.ProblemUTF8 {
		field = strings.TrimPrefix(strings.TrimSuffix(strings.TrimSuffix(field, path[depth-1]), ".")+".attributes", ".")
		why = "attribute name: " + problem
	}
	return field, why
}

func (a *API) postLead(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	raw, ok := decodeObject(w, r)
	if !ok {
		return
	}
	in, err := handoff.ParseLeadInput(raw, a.now())
	read := mayRead(r.Context())
	if err == nil && !read {
		in, err = in.AsFillIn()
	}
	if err != nil {
		writeError(w, r, a.logger(), err)
		return
	}
	res, err := a.Store.SaveLead(r.Context(), in, a.Policy, a.now(), TokenName(r.Context()))
	if err != nil {
		writeError(w, r, a.logger(), err)
		return
	}
	a.Metrics.Intake(time.Since(start))
	for _, e := range res.Events {
		if e.Kind == handoff.EventStage {
			a.Metrics.LeadStage(string(e.Stage), res.Lead.Source)
		}
	}
	if !read {
		writeCompactJSON(w, http.StatusAccepted, LeadReceipt{ExternalID: in.ExternalID})
		return
	}
	events := res.Events // a new lead's whole history
	if !res.Created {
		if events, err = a.Store.Events(r.Context(), res.Lead.ID); err != nil {
			writeError(w, r, a.logger(), err)
			return
		}
	}
	status := http.StatusOK
	if res.Created {
		status = http.StatusCreated
		w.Header().Set("Location", leadPath(res.Lead.ExternalID))
	}
	writeCompactJSON(w, status, NewLeadJSON(res.Lead, events, a.now(), a.Policy))
}

// LeadReceipt answers a POST of a lead to a token that may not read leads
// (intake), with 202 whether the lead was new or known: the external id
// it sent, and nothing that depends on what Handoff holds, so that such
// a token cannot learn which leads exist. Its input only adds to a known
// lead (handoff.LeadInput.AsFillIn); the lead as stored is for read
// tokens.
type LeadReceipt struct {
	ExternalID string `json:"external_id"`
}

// leadPath is the URL path of the lead with that external id, escaped: an
// id may hold '/', '?', '#', '%', spaces or any other character.
func leadPath(externalID string) string { return "/api/leads/" + url.PathEscape(externalID) }

// getLead answers a lead with its history; for an erased lead, asked by
// the external id it had, its anonymous view (no personal data, the stage
// history ending in "erased").
func (a *API) getLead(w http.ResponseWriter, r *http.Request) {
	ext, ok := pathID(w, r)
	if !ok {
		return
	}
	lead, err := a.Store.LeadByExternalID(r.Context(), ext)
	if handoff.ErrorCode(err) == handoff.ENOTFOUND {
		lead, err = a.Store.ErasedLeadByExternalID(r.Context(), ext)
	}
	if err != nil {
		writeError(w, r, a.logger(), err)
		return
	}
	events, err := a.Store.Events(r.Context(), lead.ID)
	if err != nil {
		writeError(w, r, a.logger(), err)
		return
	}
	out := NewLeadJSON(lead, events, a.now(), a.Policy)
	if out.ScoreExplained, err = a.explain(r, lead); err != nil {
		writeError(w, r, a.logger(), err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// deleteLead erases a lead's personal data (GDPR) and keeps its anonymous
// history; 204 when done, 404 for an unknown lead or one already erased
// (by its old id or its anonymous one: a lead is erased once).
func (a *API) deleteLead(w http.ResponseWriter, r *http.Request) {
	ext, ok := pathID(w, r)
	if !ok {
		return
	}
	if err := a.Store.ForgetLeadAs(r.Context(), ext, a.Policy, a.now(), TokenName(r.Context())); err != nil {
		writeError(w, r, a.logger(), err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// pathID returns the request's {external_id}. An id that is not UTF-8 or
// holds a NUL, which no lead can have and PostgreSQL cannot even be asked
// for, is answered 400 naming external_id, and pathID returns false.
func pathID(w http.ResponseWriter, r *http.Request) (string, bool) {
	ext := r.PathValue("external_id")
	if !utf8.ValidString(ext) || strings.ContainsRune(ext, 0) {
		p := handoff.CheckText(ext, len(ext))
		writeJSON(w, http.StatusBadRequest, errorBody{Error: "invalid external_id: " + p, Fields: map[string]string{"external_id": p}})
		return "", false
	}
	return ext, true
}

// LeadJSON is a lead as the API shows it. StageAt is when the lead
// entered its stage as its history dates it (handoff.Lead.StageAt), null
// for a lead last moved before Handoff kept that time whose history does
// not say (not its last update, which handoff.Lead.EnteredStageAt falls
// back to: no guess).
type LeadJSON struct {
	ID            int64          `json:"id"`
	ExternalID    string         `json:"external_id"`
	Email         string         `json:"email,omitempty"`
	Name          string         `json:"name,omitempty"`
	Company       string         `json:"company,omitempty"`
	Title         string         `json:"title,omitempty"`
	Phone         string         `json:"phone,omitempty"`
	Source        string         `json:"source,omitempty"`
	Campaign      string         `json:"campaign,omitempty"`
	Score         int            `json:"score"`
	Stage         handoff.Stage  `json:"stage"`
	StageAt       *time.Time     `json:"stage_at"`
	Amount        float64        `json:"amount"`
	Reason        string         `json:"reason,omitempty"`
	Attributes    map[string]any `json:"attributes,omitempty"`
	Owner         string         `json:"owner"`
	OwnerPlatform string         `json:"owner_platform,omitempty"`
	OwnerEmail    string         `json:"owner_email,omitempty"`
	SQLAt         *time.Time     `json:"sql_at"`
	ClaimedAt     *time.Time     `json:"claimed_at"`
	ContactedAt   *time.Time     `json:"contacted_at"`
	ClaimDueAt    *time.Time     `json:"claim_due_at"`
	ContactDueAt  *time.Time     `json:"contact_due_at"`
	SLABreached   bool           `json:"sla_breached"`
	CreatedAt     time.Time      `json:"created_at"`
	UpdatedAt     time.Time      `json:"updated_at"`
	Events        []EventJSON    `json:"events"`
	// ScoreExplained is the score now under the agreement's scoring, each
	// rule with its points; absent without scoring.
	ScoreExplained *handoff.ScoreExplained `json:"score_explained,omitempty"`
}

// EventJSON is one history entry as the API shows it.
type EventJSON struct {
	Kind    handoff.EventKind `json:"kind"`
	Stage   handoff.Stage     `json:"stage"`
	At      time.Time         `json:"at"`
	Actor   string            `json:"actor"`
	Details map[string]string `json:"details,omitempty"`
}

// NewLeadJSON renders a lead and its history for the API at now under p:
// its claim deadline is the one p's SLA clock holds it to at now
// (Lead.ClaimDueAtNow), so an SQL whose card has not reached chat under
// sla.excuse_system_delay shows the deadline the clock has moved on, not
// the stored one it has passed.
func NewLeadJSON(l *handoff.Lead, events []handoff.Event, now time.Time, p handoff.Policy) LeadJSON {
	out := LeadJSON{
		ID: l.ID, ExternalID: l.ExternalID, Email: l.Email, Name: l.Name, Company: l.Company, Title: l.Title,
		Phone: l.Phone, Source: l.Source, Campaign: l.Campaign, Score: l.Score, Stage: l.Stage, StageAt: storedPtr(l.StageAt), Amount: l.Amount(),
		Reason: l.Reason, Attributes: l.Attributes, Owner: l.Owner.UserID, OwnerPlatform: l.Owner.Platform,
		OwnerEmail: l.Owner.Email, SQLAt: storedPtr(l.SQLAt), ClaimedAt: storedPtr(l.ClaimedAt), ContactedAt: storedPtr(l.ContactedAt),
		ClaimDueAt: storedPtr(l.ClaimDueAtNow(now, p)), ContactDueAt: storedPtr(l.ContactDueAt), SLABreached: l.SLABreached,
		CreatedAt: stored(l.CreatedAt), UpdatedAt: stored(l.UpdatedAt), Events: make([]EventJSON, len(events)),
	}
	for i, e := range events {
		out.Events[i] = EventJSON{Kind: e.Kind, Stage: e.Stage, At: stored(e.At), Actor: e.Actor, Details: e.Details}
	}
	return out
}

// stored is t as the store keeps it, to the millisecond, so that a lead
// answered from memory (a new lead's 201) shows the times every later
// answer, read back from the store, shows.
func stored(t time.Time) time.Time { return t.Truncate(time.Millisecond) }

func storedPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := stored(*t)
	return &v
}
