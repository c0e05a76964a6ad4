package hubspot

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
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
	// PortalID is the HubSpot account (portal) whose contacts are taken
	// (HUBSPOT_PORTAL_ID); a contact naming another is refused. Empty takes
	// any account that signs with Secret.
	PortalID string
	Store    Store
	Policy   handoff.Policy
	Now      func() time.Time // time.Now when nil
	Logger   *slog.Logger     // slog.Default when nil
	// Wall is the clock a request's signed timestamp is checked against
	// (Now when nil): serve gives it this machine's clock, which HubSpot's
	// (both NTP-synced) is compared with, while Now is the database's, on
	// which leads are stamped; on the database's, a database clock off
	// by more than MaxSkew refused every request.
	Wall func() time.Time
	// Refused is told each delivery refused with a 4xx, by reason
	// (connector.RefusedAuth, RefusedInvalid): HubSpot does not send it
	// again. It may be nil.
	Refused connector.RefusedFunc
	// Ignored is told each event taken (2xx) and left alone, by reason
	// (connector.IgnoredCreation, IgnoredProperty, IgnoredUnknown, and
	// IgnoredStale for an older or repeated state of a contact, a
	// contact's body or an event, answered stale). It may be nil.
	Ignored connector.IgnoredFunc
}

// Register adds the route to mux.
func (h *Handler) Register(mux *http.ServeMux) { mux.Handle("POST "+Path, h) }

// Store is what the webhook needs from storage: SaveLeadVersion orders
// the deliveries of a contact by its last-modified time, SaveLead saves a
// contact that carries none.
type Store interface {
	SaveLead(ctx context.Context, in handoff.LeadInput, policy handoff.Policy, now time.Time, actor string) (handoff.SaveResult, error)
	SaveLeadVersion(ctx context.Context, in handoff.LeadInput, policy handoff.Policy, now time.Time, actor, source string, version handoff.CRMVersion) (handoff.SaveResult, bool, error)
	// RestoreLeadVersion saves a contact.restore as SaveLeadVersion saves
	// a state, the contact live again, and returns the lead its deletion
	// closed lost to the stage it had before, read from its history in
	// the same transaction; ENOTFOUND when no lead has the contact's id.
	RestoreLeadVersion(ctx context.Context, in handoff.LeadInput, policy handoff.Policy, now time.Time, actor, source string, version handoff.CRMVersion) (handoff.SaveResult, bool, error)
	// FoldMerged folds the leads of the contacts merged into survivor,
	// for a merge event that carries no contact: it makes no lead.
	FoldMerged(ctx context.Context, source, survivor string, merged []string, policy handoff.Policy, now time.Time, actor string) error
	// ForgetCRMPerson erases every lead of the person whose contact
	// HubSpot erased at their request (the contact's, those of the
	// contacts merged with it, those with their email address that no
	// live CRM record holds: a contact deleted in HubSpot holds none),
	// in one transaction, as Handoff's own erasure
	// does, recording actor as who asked, and returns how many;
	// ENOTFOUND when there is none not yet erased.
	ForgetCRMPerson(ctx context.Context, source, externalID string, policy handoff.Policy, now time.Time, actor string) (int, error)
}

// Result is one stored contact in the answer.
type Result struct {
	ExternalID string        `json:"external_id"`
	Stage      handoff.Stage `json:"stage,omitempty"`
	Created    bool          `json:"created"`
	// StageKept is true when HubSpot's stage was behind Handoff's and the
	// lead kept its stage.
	StageKept bool `json:"stage_kept,omitempty"`
	// Stale is true when Handoff already had this or a newer state of the
	// contact (by its last-modified time, as a late retry brings): nothing
	// changed.
	Stale bool `json:"stale,omitempty"`
	// Merged lists, for a contact.merge event, the contacts whose leads
	// were folded into the surviving contact's (ExternalID).
	Merged []string `json:"merged,omitempty"`
	// Erased is true when a contact.privacyDeletion event erased the
	// person's leads: the contact's, those of the contacts merged with
	// it and those with their email address that no live CRM record
	// holds (see storage.Store.ForgetCRMPerson).
	Erased bool `json:"erased,omitempty"`
	// Unknown is true for an event about a contact Handoff has no lead
	// of (or one already erased): nothing was written.
	Unknown bool `json:"unknown,omitempty"`
	// Ignored is true for an event taken and left alone: a contact
	// created (contact.creation, which carries none of its properties), or
	// a change of a contact property Handoff does not read (a
	// contact.propertyChange event other than lifecyclestage): nothing was
	// written.
	Ignored bool `json:"ignored,omitempty"`
	// Restored is true for a contact.restore event newer than the
	// contact's state stored: the contact is live again, holding its
	// email address, and its lead is at Stage.
	Restored bool `json:"restored,omitempty"`
	// Reopened is true when the restore returned a lead its deletion had
	// closed (lost, "deleted in HubSpot") to the stage it had before, as
	// a stage change does: announced again as an SQL, its SLA clock
	// started again, or back with its owner. A won lead, or one lost for
	// another reason, stays as it was.
	Reopened bool `json:"reopened,omitempty"`
}

type answer struct {
	Stored int      `json:"stored,omitempty"`
	Leads  []Result `json:"leads,omitempty"`
	// MoreLeads is how many contacts of the body were taken (stored,
	// stale, unknown, ignored) past the first handoff.MaxNamedFields that
	// Leads lists.
	MoreLeads int               `json:"more_leads,omitempty"`
	Error     string            `json:"error,omitempty"`
	Fields    map[string]string `json:"fields,omitempty"`
}

// bound keeps the first handoff.MaxNamedFields of a's leads and counts
// the rest in MoreLeads, so that the answer stays a few KiB however many
// contacts a body holds, as the errors' fields do (handoff.Bounded).
func (a *answer) bound() {
	if len(a.Leads) > handoff.MaxNamedFields {
		a.MoreLeads = len(a.Leads) - handoff.MaxNamedFields
		a.Leads = a.Leads[:handoff.MaxNamedFields]
	}
}

// ServeHTTP answers 200 once every contact in the body is stored (or was
// already: a contact whose last-modified time is older than the one saved,
// or equal with the same properties, changes nothing, so a late retry
// cannot undo a newer state), 401 for a
// wrong or stale signature, 400 with the reason for a body or a contact
// that cannot be a lead (HubSpot does not retry a 4xx) and 500 when the
// database failed (a retry can help). Nothing is stored without a valid
// signature, nor of a bad contact; the valid contacts of an array with a
// bad one are stored before the 400, which lists them. One contact that
// the store refuses or fails to store does not stop the others: each is
// tried, the answer lists those stored (the first 10, and how many more in
// more_leads), names the bad ones' properties
// ("[1].email", the first 10 by name, as handoff.Bounded says) and the
// ones not stored (the first 10), and is 500 when any was not
// (HubSpot sends it again; what was stored changes nothing then). An
// event of HubSpot's webhooks API about a contact Handoff has no lead of
// (a deletion, a restore) writes nothing and is answered 200
// (Result.Unknown).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	logger := h.Logger
	if logger == nil {
		logger = slog.Default()
	}
	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	wall := now
	if h.Wall != nil {
		wall = h.Wall
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		h.Refused.Tell(connector.RefusedInvalid)
		if errors.As(err, &tooBig) {
			reply(w, http.StatusRequestEntityTooLarge, answer{Error: "body larger than 1 MiB"})
			return
		}
		reply(w, http.StatusBadRequest, answer{Error: "could not read body"})
		return
	}
	if err := Verify(r, body, h.Secret, h.PublicURL, wall()); err != nil {
		h.Refused.Tell(connector.RefusedAuth)
		logger.WarnContext(r.Context(), "hubspot: refused request", "err", err)
		reply(w, http.StatusUnauthorized, answer{Error: "signature refused: " + err.Error()})
		return
	}
	contacts, invalid := ParseFrom(body, now().UTC(), h.PortalID)
	var out answer
	bad := map[string]string{} // the store's refusals
	var failed []string
	for _, c := range contacts {
		if c.MergeOnly {
			if err := h.Store.FoldMerged(r.Context(), Actor, c.Input.ExternalID, c.Input.Merged, h.Policy, now().UTC(), Actor); err != nil {
				logger.ErrorContext(r.Context(), "hubspot: fold merged contacts", "contact", c.Prefix, "err", err)
				failed = append(failed, c.Input.ExternalID)
				continue
			}
			out.Stored++
			out.Leads = append(out.Leads, Result{ExternalID: c.Input.ExternalID, Merged: c.Input.Merged})
			continue
		}
		if c.Ignored != "" {
			h.Ignored.Tell(c.Ignored)
			out.Leads = append(out.Leads, Result{ExternalID: c.Input.ExternalID, Ignored: true})
			continue
		}
		if c.Erase {
			_, err := h.Store.ForgetCRMPerson(r.Context(), Actor, c.Input.ExternalID, h.Policy, now().UTC(), Actor)
			switch {
			case handoff.ErrorCode(err) == handoff.ENOTFOUND:
				h.skipUnknown(r.Context(), logger, c)
				out.Leads = append(out.Leads, Result{ExternalID: c.Input.ExternalID, Unknown: true})
			case err != nil:
				logger.ErrorContext(r.Context(), "hubspot: erase contact", "contact", c.Prefix, "err", err)
				failed = append(failed, c.Input.ExternalID)
			default:
				out.Stored++
				out.Leads = append(out.Leads, Result{ExternalID: c.Input.ExternalID, Erased: true})
			}
			continue
		}
		res, kept, stale, err := h.save(r.Context(), c, now().UTC())
		switch {
		case c.Input.KnownOnly && handoff.ErrorCode(err) == handoff.ENOTFOUND:
			h.skipUnknown(r.Context(), logger, c)
			out.Leads = append(out.Leads, Result{ExternalID: c.Input.ExternalID, Unknown: true})
		case handoff.ErrorCode(err) == handoff.EINVALID:
			refused(bad, c.Prefix, err)
		case err != nil:
			logger.ErrorContext(r.Context(), "hubspot: save contact", "contact", c.Prefix, "err", err)
			failed = append(failed, c.Input.ExternalID)
		case stale:
			h.Ignored.Tell(connector.IgnoredStale)
			logger.InfoContext(r.Context(), "hubspot: older or repeated state ignored", "contact", c.Prefix, "modified", c.Modified)
			out.Leads = append(out.Leads, Result{ExternalID: c.Input.ExternalID, Stale: true})
		default:
			out.Stored++
			out.Leads = append(out.Leads, Result{ExternalID: res.Lead.ExternalID, Stage: res.Lead.Stage, Created: res.Created, StageKept: kept,
				Restored: c.Restored, Reopened: c.Restored && reopened(res.Events)})
		}
	}
	if len(bad) > 0 {
		maps.Copy(bad, handoff.ErrorFields(invalid))
		invalid = handoff.Invalid("invalid HubSpot contact", bad)
	}
	if invalid != nil {
		out.Error, out.Fields = handoff.Bounded(invalid)
		logger.WarnContext(r.Context(), "hubspot: contacts refused", "fields", out.Fields, "refused", len(handoff.ErrorFields(invalid)), "stored", out.Stored)
	}
	out.bound()
	switch {
	case len(failed) > 0:
		out.Error = strings.TrimPrefix(out.Error+"; ", "; ") + "could not store contact " + handoff.FirstOf(failed) + "; retry later"
		reply(w, http.StatusInternalServerError, out)
	case invalid != nil:
		h.Refused.Tell(connector.RefusedInvalid)
		reply(w, http.StatusBadRequest, out)
	default:
		reply(w, http.StatusOK, out)
	}
}

// skipUnknown counts (connector.IgnoredUnknown) and logs event c about a
// contact Handoff has no lead of, which carries no name or email to make
// one of: by the event's kind, id and stage, never the contact's id,
// which is personal data. A stage change is logged as a warning: it may
// be a lead sales does not see until the contact itself is sent (a
// workflow's Send a webhook).
func (h *Handler) skipUnknown(ctx context.Context, logger *slog.Logger, c Contact) {
	h.Ignored.Tell(connector.IgnoredUnknown)
	level, msg := slog.LevelInfo, "hubspot: event about a contact Handoff has no lead of skipped"
	if c.Input.Stage != "" && !c.Deleted {
		level, msg = slog.LevelWarn, "hubspot: lifecycle stage change of a contact Handoff has no lead of skipped: "+
			"the event carries no name or email to make a lead of; send the contact with a workflow's Send a webhook"
	}
	logger.Log(ctx, level, msg, "event", c.Event, "stage", c.Input.Stage)
}

// save stores one contact received at at: by its last-modified time when
// it has one (stale when a newer state is stored, or this one: see
// storage's SaveLeadVersion for two states of one time), as
// connector.Save does with a stage behind Handoff's (kept).
func (h *Handler) save(ctx context.Context, c Contact, at time.Time) (res handoff.SaveResult, kept, stale bool, err error) {
	version := handoff.VersionOf(c.Input, c.Modified) // of the contact as sent, whatever connector.Save keeps
	version.Deleted = c.Deleted                       // kept with a won lead's stage too
	res, kept, err = connector.Save(func(in handoff.LeadInput) (handoff.SaveResult, error) {
		if c.Modified.IsZero() && len(in.Merged) == 0 {
			return h.Store.SaveLead(ctx, in, h.Policy, at, Actor)
		}
		// A contact with merged contacts is saved with its version, the
		// zero time without one, so that their leads fold into its own in
		// the same transaction.
		saveVersion := h.Store.SaveLeadVersion
		if c.Restored {
			saveVersion = h.Store.RestoreLeadVersion
		}
		res, s, err := saveVersion(ctx, in, h.Policy, at, Actor, Actor, version)
		stale = s
		return res, err
	}, c.Input)
	return res, kept, stale, err
}

// reopened reports whether a restore's events moved its lead to a stage.
func reopened(events []handoff.Event) bool {
	return slices.ContainsFunc(events, func(e handoff.Event) bool { return e.Kind == handoff.EventStage })
}

// refused adds to bad the fields of err, a contact's EINVALID error from
// the store, named with the contact's prefix ("[2].", or the contact's
// own message under "[2]" or "body" when err names no field).
func refused(bad map[string]string, prefix string, err error) {
	fields := handoff.ErrorFields(err)
	if len(fields) == 0 {
		bad[cmp.Or(strings.TrimSuffix(prefix, "."), "body")] = handoff.ErrorMessage(err)
	}
	for f, why := range fields {
		bad[prefix+f] = why
	}
}

func reply(w http.ResponseWriter, status int, v answer) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
