package hubspot

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/connector"
)

// MaxBodyBytes bounds a webhook body.
const MaxBodyBytes = 1 << 20

// Path is where HubSpot's workflow sends its webhook.
const Path = "/hooks/hubspot"

// Handler serves POST /hooks/hubspot.
type Handler struct {
	// Secret is the HubSpot app's client secret (HUBSPOT_CLIENT_SECRET);
	// empty refuses every request.
	Secret string
	// PublicURL is the server's URL as HubSpot calls it
	// (HANDOFF_PUBLIC_URL), used to rebuild the signed URI behind a proxy.
	PublicURL string
	Store     Store
	Policy    handoff.Policy
	Now       func() time.Time // time.Now when nil
	Logger    *slog.Logger     // slog.Default when nil
}

// Register adds the route to mux.
func (h *Handler) Register(mux *http.ServeMux) { mux.Handle("POST "+Path, h) }

// Store is what the webhook needs from storage.
type Store interface {
	SaveLead(ctx context.Context, in handoff.LeadInput, policy handoff.Policy, now time.Time, actor string) (handoff.SaveResult, error)
}

// Result is one stored contact in the answer.
type Result struct {
	ExternalID string        `json:"external_id"`
	Stage      handoff.Stage `json:"stage"`
	Created    bool          `json:"created"`
	// StageKept is true when HubSpot's stage was behind Handoff's and the
	// lead kept its stage.
	StageKept bool `json:"stage_kept,omitempty"`
}

type answer struct {
	Stored int               `json:"stored,omitempty"`
	Leads  []Result          `json:"leads,omitempty"`
	Error  string            `json:"error,omitempty"`
	Fields map[string]string `json:"fields,omitempty"`
}

// ServeHTTP answers 200 once every contact in the body is stored, 401 for a
// wrong or stale signature, 400 with the reason for a body or a contact
// that cannot be a lead (HubSpot does not retry a 4xx) and 500 when the
// database failed (a retry can help). Nothing is stored without a valid
// signature, nor of a bad contact; the valid contacts of an array with a
// bad one are stored before the 400, which lists them.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	logger := h.Logger
	if logger == nil {
		logger = slog.Default()
	}
	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			reply(w, http.StatusRequestEntityTooLarge, answer{Error: "body larger than 1 MiB"})
			return
		}
		reply(w, http.StatusBadRequest, answer{Error: "could not read body"})
		return
	}
	if err := Verify(r, body, h.Secret, h.PublicURL, now()); err != nil {
		logger.WarnContext(r.Context(), "hubspot: refused request", "err", err)
		reply(w, http.StatusUnauthorized, answer{Error: "signature refused: " + err.Error()})
		return
	}
	inputs, invalid := ParseBody(body, now().UTC())
	var out answer
	for _, in := range inputs {
		at := now().UTC()
		res, kept, err := connector.Save(func(in handoff.LeadInput) (handoff.SaveResult, error) {
			return h.Store.SaveLead(r.Context(), in, h.Policy, at, Actor)
		}, in)
		if err != nil {
			if handoff.ErrorCode(err) == handoff.EINVALID {
				reply(w, http.StatusBadRequest, answer{Error: handoff.ErrorMessage(err), Fields: handoff.ErrorFields(err)})
				return
			}
			logger.ErrorContext(r.Context(), "hubspot: save contact", "external_id", in.ExternalID, "err", err)
			reply(w, http.StatusInternalServerError, answer{Error: "could not store the contact; retry later"})
			return
		}
		out.Leads = append(out.Leads, Result{ExternalID: res.Lead.ExternalID, Stage: res.Lead.Stage, Created: res.Created, StageKept: kept})
	}
	out.Stored = len(out.Leads)
	if invalid != nil {
		out.Error, out.Fields = handoff.ErrorMessage(invalid), handoff.ErrorFields(invalid)
		reply(w, http.StatusBadRequest, out)
		return
	}
	reply(w, http.StatusOK, out)
}

func reply(w http.ResponseWriter, status int, v answer) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
