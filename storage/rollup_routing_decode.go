package storage

import (
	"fmt"

	"github.com/handoff/handoff"
)

// A routed event's details are a JSON object of strings (handoff's
// RouteStep writes them with encoding/json) whose "decision" is the
// RouteDecision, itself as JSON: with a pool of hundreds of reps, tens of
// kilobytes of candidates, each with its skip reason, until and detail.
// The routing rollup needs five of the details and, of the decision, each
// candidate's rep and whether it was skipped. decodeRoutedStep reads just
// those with jsonReader (jsonreader.go), without reflection, and skips the rest.
//
// It reads what encoding/json reads from the same text (duplicate keys,
// nulls, escapes and invalid UTF-8 alike; TestDecodeRoutedStepAsJSON and
// FuzzDecodeRoutedStep compare it with encoding/json), and refuses every
// text that encoding/json refuses: a text that is not JSON, a malformed
// value it skips included (TestDecodeRoutedStepRefusesMalformedSkippedValues),
// and a value of another type than its field's, the fields it does not
// keep included (a candidate's Until that is not a time, Credits that are
// not whole numbers), with an error naming the field
// (TestDecodeRoutedStepRefusesMistypedFields). Like encoding/json it reads
// the whole text before it reports a type: a syntax error anywhere comes
// first, then the first time that does not parse, then the first other
// value of another type. decisionFields and the lists beside it name the
// domain's fields, TestRoutedReaderFieldsAreTheDomains checks them.

// routedDetails are the details of a routed event that the rollup reads.
type routedDetails struct {
	state, ending, offered, ended, decision string
}

// decodeRoutedStep reads a routed event's details: who was offered, whose
// offer ended and how, and, for an offer that ends none, the reps available.
func decodeRoutedStep(r eventRow) (handoff.RoutedStep, error) {
	var d routedDetails
	if r.Details != "" {
		if err := d.decode(r.Details); err != nil {
			return handoff.RoutedStep{}, fmt.Errorf("storage: routing: lead %d details: %w", r.LeadID, err)
		}
	}
	st := handoff.RoutedStep{LeadID: r.LeadID, At: fromMs(r.AtMs), Opened: d.state == string(handoff.OfferOpen),
		Waiting: d.state == string(handoff.OfferWaiting), Ending: handoff.SkipReason(d.ending)}
	if d.offered != "" {
		st.Offered = handoff.ParseRepKey(d.offered)
	}
	if d.ended != "" {
		st.Ended = handoff.ParseRepKey(d.ended)
	}
	if d.decision != "" && !st.Offered.IsZero() && st.Ended.IsZero() {
		available, err := availableReps(d.decision)
		if err != nil {
			return handoff.RoutedStep{}, fmt.Errorf("storage: routing: lead %d decision: %w", r.LeadID, err)
		}
		st.Available = available
	}
	return st, nil
}

// decode reads details as encoding/json reads them into a
// map[string]string: an object of strings (a null one is ""), or null.
func (d *routedDetails) decode(details string) error {
	j := jsonReader{s: details}
	j.space()
	if j.null() {
		return j.end()
	}
	if j.i < len(j.s) && j.s[j.i] != '{' {
		if err := j.mismatch("", "object"); err != nil {
			return err
		}
		if err := j.end(); err != nil {
			return err
		}
		return j.typeError()
	}
	err := j.object(func(key string) error {
		var v *string
		switch key {
		case "state":
			v = &d.state
		case "ending":
			v = &d.ending
		case "offered":
			v = &d.offered
		case "ended":
			v = &d.ended
		case "decision":
			v = &d.decision
		default:
			return j.stringInto(nil, key)
		}
		*v = ""
		return j.stringInto(v, key)
	})
	if err != nil {
		return err
	}
	if err := j.end(); err != nil {
		return err
	}
	return j.typeError()
}

// The fields of handoff.RouteDecision, of its candidates
// (handoff.Availability) and of a handoff.RepRef, in the order of their
// declarations: the reader checks the type of each
// (TestRoutedReaderFieldsAreTheDomains keeps them the domain's).
var (
	decisionFields  = []string{"At", "Candidates", "Offered", "OfferUntil", "SameAccount", "OpenToChannel", "Waiting", "Credits"}
	candidateFields = []string{"Rep", "Skip", "Until", "Detail"}
	repRefFields    = []string{"Platform", "ID"}
)

// repRefPaths name a RepRef's fields where it stands, as an error does.
type repRefPaths struct{ rep, platform, id string }

var (
	offeredPaths      = repRefPaths{"Offered", "Offered.Platform", "Offered.ID"}
	candidateRepPaths = repRefPaths{"Candidates.Rep", "Candidates.Rep.Platform", "Candidates.Rep.ID"}
)

// candidate is what availableReps reads of a decision's candidate.
type candidate struct {
	rep  handoff.RepRef
	skip string
}

// availableReps reads the reps of a RouteDecision's candidates who were
// available (handoff.Availability.Available), in order, as encoding/json
// decodes them.
func availableReps(decision string) ([]handoff.RepRef, error) {
	j := jsonReader{s: decision}
	var cands []candidate
	j.space()
	err := j.structOf("", decisionFields, func(field int) error {
		switch field {
		case 0:
			return j.time("At")
		case 1:
			var err error
			cands, err = j.candidates(cands)
			return err
		case 2:
			return j.repRef(nil, offeredPaths)
		case 3:
			return j.time("OfferUntil")
		case 4:
			return j.boolean("SameAccount")
		case 5:
			return j.boolean("OpenToChannel")
		case 6:
			return j.boolean("Waiting")
		default:
			return j.int64Map("Credits")
		}
	})
	if err != nil {
		return nil, err
	}
	if err := j.end(); err != nil {
		return nil, err
	}
	if err := j.typeError(); err != nil {
		return nil, err
	}
	var out []handoff.RepRef
	for _, c := range cands {
		if c.skip == "" {
			out = append(out, c.rep)
		}
	}
	return out, nil
}

// candidates reads the decision's Candidates into cands as encoding/json
// decodes an array into a slice (null makes it nil; the elements of an
// earlier Candidates are decoded into again, an object's fields one by one).
func (j *jsonReader) candidates(cands []candidate) ([]candidate, error) {
	if j.null() {
		return nil, nil
	}
	if j.i < len(j.s) && j.s[j.i] != '[' {
		return cands, j.mismatch("Candidates", "array")
	}
	n := 0
	err := j.array(func() error {
		if n < cap(cands) {
			cands = cands[:n+1]
		} else {
			cands = append(cands, candidate{})
		}
		c := &cands[n]
		n++
		return j.structOf("Candidates", candidateFields, func(field int) error {
			switch field {
			case 0:
				return j.repRef(&c.rep, candidateRepPaths)
			case 1:
				return j.stringInto(&c.skip, "Candidates.Skip")
			case 2:
				return j.time("Candidates.Until")
			default:
				return j.stringInto(nil, "Candidates.Detail")
			}
		})
	})
	if err != nil {
		return nil, err
	}
	return cands[:n], nil
}

// repRef reads a handoff.RepRef into r (with r nil, checks it), its fields
// named by paths.
func (j *jsonReader) repRef(r *handoff.RepRef, paths repRefPaths) error {
	return j.structOf(paths.rep, repRefFields, func(field int) error {
		switch {
		case r == nil && field == 0:
			return j.stringInto(nil, paths.platform)
		case r == nil:
			return j.stringInto(nil, paths.id)
		case field == 0:
			return j.stringInto(&r.Platform, paths.platform)
		default:
			return j.stringInto(&r.ID, paths.id)
		}
	})
}
