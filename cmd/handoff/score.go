package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/config"
	"github.com/handoff/handoff/storage"
)

// scoreStore is what the score command needs from storage.
type scoreStore interface {
	LeadByExternalID(ctx context.Context, externalID string) (*handoff.Lead, error)
	Activities(ctx context.Context, leadID int64, scoring *handoff.Scoring, now time.Time) ([]handoff.Activity, error)
	ScoredLeads(ctx context.Context, period handoff.Period) ([]handoff.ScoredLead, error)
}

const scoreUsage = `handoff score --explain <external_id>
handoff score --what-if agreement.yml [--period last-month]

--explain shows a lead's score under the agreement's scoring, rule by rule.
--what-if replays the leads that arrived in the period (default last month)
under the scoring of another agreement file, beside the current agreement
and what actually happened: how many would have become MQLs and SQLs.`

// scoreOptions are the flags of `handoff score`.
type scoreOptions struct {
	explain, whatIf, period string
}

func (o *scoreOptions) declare(fs *flag.FlagSet) {
	fs.StringVar(&o.explain, "explain", "", "the external id of the lead whose score to explain")
	fs.StringVar(&o.whatIf, "what-if", "", "an agreement file whose scoring to try on past leads")
	fs.StringVar(&o.period, "period", "last-month", "with --what-if, the period whose leads to replay")
}

// scoreFlags declares `handoff score`'s flags.
func scoreFlags(fs *flag.FlagSet, _ env) runFunc {
	var o scoreOptions
	o.declare(fs)
	return withReportStore(func() error { return o.check() }, nil, func(ctx context.Context, s *storage.Store, p handoff.Policy, now time.Time, w io.Writer) error {
		return o.run(ctx, s, p, loadAgreementPolicy, now, w)
	})
}

// loadAgreementPolicy reads the policy of an agreement file.
func loadAgreementPolicy(path string) (handoff.Policy, error) {
	a, err := config.LoadAgreement(path)
	return a.Policy, err
}

// check returns an EINVALID error unless exactly one of --explain and
// --what-if is given, or for an unknown --period.
func (o scoreOptions) check() error {
	if (o.explain == "") == (o.whatIf == "") {
		return handoff.Errorf(handoff.EINVALID, "score: give either --explain <external_id> or --what-if agreement.yml")
	}
	if _, err := handoff.ParsePeriod(o.period, time.Now(), nil); o.whatIf != "" && err != nil {
		return fmt.Errorf("score: %w", err)
	}
	return nil
}

// run explains a lead's score (--explain) or replays the period's leads
// under another agreement's scoring, read with load (--what-if). Neither or
// both, an agreement without scoring or an unknown lead return an EINVALID
// or ENOTFOUND error; a store failure is returned wrapped.
func (o scoreOptions) run(ctx context.Context, store scoreStore, policy handoff.Policy, load func(path string) (handoff.Policy, error), now time.Time, stdout io.Writer) error {
	if err := o.check(); err != nil {
		return err
	}
	if o.explain != "" {
		return explainScore(ctx, store, policy, o.explain, now, stdout)
	}
	other, err := load(o.whatIf)
	if err != nil {
		return fmt.Errorf("score: %w", err)
	}
	if other.Scoring == nil {
		return handoff.Errorf(handoff.EINVALID, "score: %s has no scoring section", o.whatIf)
	}
	p, err := handoff.ParsePeriod(o.period, now, policy.Location)
	if err != nil {
		return fmt.Errorf("score: %w", err)
	}
	leads, err := store.ScoredLeads(ctx, p)
	if err != nil {
		return fmt.Errorf("score: %w", err)
	}
	return writeWhatIf(stdout, p, leads, policy.Scoring, other.Scoring, o.whatIf, now)
}

func explainScore(ctx context.Context, store scoreStore, policy handoff.Policy, externalID string, now time.Time, w io.Writer) error {
	s := policy.Scoring
	if s == nil {
		return handoff.Errorf(handoff.EINVALID, "score: the agreement has no scoring section; the score is the sender's")
	}
	lead, err := store.LeadByExternalID(ctx, externalID)
	if err != nil {
		return fmt.Errorf("score: %w", err)
	}
	acts, err := store.Activities(ctx, lead.ID, s, now)
	if err != nil {
		return fmt.Errorf("score: %w", err)
	}
	e := s.Score(lead, acts, now)
	verdict := "below mql_at"
	if st := s.StageFor(e.Score); st != "" {
		verdict = "reaches " + string(st)
	}
	fmt.Fprintf(w, "Score of %s: %d (%s; mql_at %d, sql_at %d); stage now %s\n\n", lead.ExternalID, e.Score, verdict, s.MQLAt, s.SQLAt, lead.Stage)
	width := len("rule")
	for _, l := range e.Lines {
		width = max(width, len(l.Rule))
	}
	fmt.Fprintf(w, "  %-*s  %6s  %s\n", width, "rule", "points", "matched")
	for _, l := range e.Lines {
		matched := l.Matched
		if l.Capped {
			matched += " (capped)"
		}
		fmt.Fprintf(w, "  %-*s  %6d  %s\n", width, l.Rule, l.Points, matched)
	}
	fmt.Fprintf(w, "\n%s now", bot.Count(len(acts), "activity counts", "activities count"))
	if s.Decay > 0 {
		fmt.Fprintf(w, " (those of the last %g days)", s.Decay.Hours()/24)
	}
	_, err = fmt.Fprintln(w, ".")
	return err
}

func writeWhatIf(w io.Writer, p handoff.Period, leads []handoff.ScoredLead, current, other *handoff.Scoring, name string, now time.Time) error {
	actual := handoff.WhatIfResult{Leads: len(leads)}
	for _, sl := range leads {
		if sl.Lead.Reached >= handoff.StageMQL.Rank() {
			actual.MQLs++
		}
		if sl.Lead.Reached >= handoff.StageSQL.Rank() {
			actual.SQLs++
		}
	}
	fmt.Fprintf(w, "What-if for the %s in %s\n\n", bot.Count(len(leads), "lead that arrived", "leads that arrived"), p.Label)
	fmt.Fprintf(w, "  %-32s %6s %6s\n", "", "MQLs", "SQLs")
	row := func(label string, r handoff.WhatIfResult) {
		fmt.Fprintf(w, "  %-32s %6d %6d\n", label, r.MQLs, r.SQLs)
	}
	row("what happened", actual)
	if current != nil {
		row("the current agreement's scoring", current.WhatIf(leads, now))
	}
	row(name, other.WhatIf(leads, now))
	_, err := fmt.Fprintln(w, "\nA lead counts once its score at any moment (on arrival or after an activity) reached the threshold.")
	return err
}
