package salesforce

import (
	"context"
	"crypto/subtle"
	"errors"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"strings"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/connector"
)

// Path is where the Outbound Message is sent.
const Path = "/hooks/salesforce"

// MaxBodyBytes bounds a message: 100 notifications of many fields.
const MaxBodyBytes = 4 << 20

// Store is what the endpoint needs from storage.
type Store interface {
	SaveLeadVersion(ctx context.Context, in handoff.LeadInput, policy handoff.Policy, now time.Time, actor, source string, version handoff.CRMVersion) (handoff.SaveResult, bool, error)
}

// Handler serves POST /hooks/salesforce.
type Handler struct {
	// OrgID is the only org accepted (SALESFORCE_ORG_ID, either form).
	OrgID string
	// Token must equal the request's token query parameter
	// (SALESFORCE_OUTBOUND_TOKEN); empty refuses every request.
	Token string
	// Status maps Lead Status values to stages.
	Status map[string]handoff.Stage
	Store  Store
	Policy handoff.Policy
	Now    func() time.Time // time.Now when nil
	Logger *slog.Logger     // slog.Default when nil
	// Refused is told each message refused with a fault for what it is, by
	// reason (connector.RefusedAuth, RefusedInvalid), not one refused for a
	// database failure: Salesforce sends it again, to the same refusal. It
	// may be nil.
	Refused connector.RefusedFunc
	// Ignored is told each notification acknowledged and left alone, by
	// reason: connector.IgnoredStale for an older or repeated state of a
	// lead. It may be nil.
	Ignored connector.IgnoredFunc
}

// Register adds the route to mux.
func (h *Handler) Register(mux *http.ServeMux) { mux.Handle("POST "+Path, h) }

// ServeHTTP acknowledges a message only once every notification in it is
// stored (or was already: a repeated notification or an older state of a
// record changes nothing but, for an older one, the date of the stages a
// newer one only implied; each is told to Ignored as stale). A wrong token or org, or a body that is not an
// Outbound Message on Lead, gets a SOAP fault and nothing is stored. A
// notification that cannot be a lead gets a fault naming it, after the
// valid notifications of its message are stored (Salesforce sends the
// message again, and they change nothing then); a database failure gets a
// fault too, naming the notifications not stored, and Salesforce sends the
// message again. One notification refused or not stored does not stop the
// others of its message: each is tried before the answer.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	logger := h.Logger
	if logger == nil {
		logger = slog.Default()
	}
	// refuse answers a fault; refusal is its connector.Refused… reason,
	// "" for a database failure.
	refuse := func(code, reason string, fields map[string]string, refusal string) {
		if refusal != "" {
			h.Refused.Tell(refusal)
		}
		logger.WarnContext(r.Context(), "salesforce: refused outbound message", "reason", reason)
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError) // SOAP 1.1 sends every fault with 500
		_, _ = w.Write(fault(code, reason, fields))
	}
	if h.Token == "" || h.OrgID == "" {
		refuse("soapenv:Client", "Salesforce is not configured: set SALESFORCE_ORG_ID and SALESFORCE_OUTBOUND_TOKEN", nil, connector.RefusedAuth)
		return
	}
	if subtle.ConstantTimeCompare([]byte(r.URL.Query().Get("token")), []byte(h.Token)) != 1 {
		refuse("soapenv:Client", "missing or wrong token in the endpoint URL", nil, connector.RefusedAuth)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			refuse("soapenv:Client", "message larger than 4 MiB", nil, connector.RefusedInvalid)
			return
		}
		refuse("soapenv:Client", "could not read the message", nil, connector.RefusedInvalid)
		return
	}
	msg, err := Parse(body)
	if err != nil {
		refuse("soapenv:Client", handoff.CutBytes(err.Error(), handoff.MaxErrorMessage), nil, connector.RefusedInvalid)
		return
	}
	if !SameOrg(msg.OrganizationID, h.OrgID) {
		refuse("soapenv:Client", "OrganizationId "+handoff.CutBytes(msg.OrganizationID, handoff.MaxFieldName)+" is not the configured org", nil, connector.RefusedAuth)
		return
	}
	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	updates, invalid := Updates(msg, h.Status, now().UTC())
	bad := map[string]string{} // the store's refusals, as Updates names fields
	var failed []string
	for _, u := range updates {
		at, version := now().UTC(), handoff.VersionOf(u.Input, u.Modified)
		var stale bool
		res, _, err := connector.Save(func(in handoff.LeadInput) (handoff.SaveResult, error) {
			res, s, err := h.Store.SaveLeadVersion(r.Context(), in, h.Policy, at, Actor, Actor, version)
			stale = s
			return res, err
		}, u.Input)
		switch {
		case handoff.ErrorCode(err) == handoff.EINVALID:
			logger.WarnContext(r.Context(), "salesforce: lead refused", "notification", u.NotificationID, "err", err)
			refusedBy(bad, "notification "+u.NotificationID, err)
		case err != nil:
			logger.ErrorContext(r.Context(), "salesforce: save lead", "notification", u.NotificationID, "err", err)
			failed = append(failed, u.NotificationID)
		case stale:
			h.Ignored.Tell(connector.IgnoredStale)
			if res.Changed && res.Lead != nil {
				logger.InfoContext(r.Context(), "salesforce: older state ignored; it dated the stages implied by a newer one earlier",
					"notification", u.NotificationID, "lead", res.Lead.ID)
				break
			}
			logger.InfoContext(r.Context(), "salesforce: older or repeated state ignored", "notification", u.NotificationID)
		}
	}
	if len(bad) > 0 {
		maps.Copy(bad, handoff.ErrorFields(invalid))
		invalid = handoff.Invalid("invalid Outbound Message", bad)
	}
	// The fault names the first notifications and fields and says how
	// many there are (handoff.Bounded), a few KiB however big the message.
	var reasons []string
	var fields map[string]string
	if len(failed) > 0 {
		reasons = append(reasons, "could not store notification "+handoff.FirstOf(failed)+"; send again later")
	}
	if invalid != nil {
		var msg string
		msg, fields = handoff.Bounded(invalid)
		reasons = append(reasons, msg)
	}
	switch {
	case len(failed) > 0:
		refuse("soapenv:Server", strings.Join(reasons, "; "), fields, "")
		return
	case invalid != nil:
		refuse("soapenv:Client", strings.Join(reasons, "; "), fields, connector.RefusedInvalid)
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	_, _ = io.WriteString(w, ack)
}

// refusedBy adds to bad the fields of err, a notification's EINVALID error
// from the store, named with the notification's label ("notification
// <Id>: <field>", as Updates names them), or its message under the label
// when err names no field.
func refusedBy(bad map[string]string, label string, err error) {
	fields := handoff.ErrorFields(err)
	if len(fields) == 0 {
		bad[label] = handoff.ErrorMessage(err)
	}
	for f, why := range fields {
		bad[label+": "+f] = why
	}
}
