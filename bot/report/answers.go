// Package report answers the reporting commands (/funnel, /sla, /leads,
// /routing),
// builds the weekly SLA digest as platform-neutral bot messages, and renders
// messages and the funnel for the terminal, for scripts and spreadsheets.
package report

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
)

// ReportStore is what the reporting commands read; *storage.Store
// implements it.
type ReportStore interface {
	FunnelCounts(ctx context.Context, f handoff.FunnelFilter) (handoff.FunnelCounts, error)
	OpenSQLs(ctx context.Context, now time.Time, p handoff.Policy, limit int) (handoff.OpenSQLs, error)
	SLAByRep(ctx context.Context, period handoff.Period, now time.Time) ([]handoff.RepSLA, error)
	OpenLeadsPage(ctx context.Context, owner string, offset, limit int) ([]*handoff.Lead, int, error)
	LeadByExternalID(ctx context.Context, externalID string) (*handoff.Lead, error)
	Lead(ctx context.Context, id int64) (*handoff.Lead, error)
	Events(ctx context.Context, leadID int64) ([]handoff.Event, error)
	Activities(ctx context.Context, leadID int64, scoring *handoff.Scoring, now time.Time) ([]handoff.Activity, error)
	RoutingStore
}

// Reports answers /funnel, /sla, /leads and /routing from the store. Store and
// Policy are required; Now defaults to time.Now.
type Reports struct {
	Store  ReportStore
	Policy handoff.Policy
	Now    func() time.Time
}

var _ bot.CommandAnswerer = (*Reports)(nil)

// reportListLimit caps the leads listed in one answer.
const reportListLimit = 20

// Answer answers one reporting command. Answers are private unless
// /funnel is asked with `public`. Leads' personal data is shown only when
// cmd.SeesLeads: otherwise /leads is refused (EFORBIDDEN, politely) and
// /sla shows the totals only. Bad arguments return an EINVALID error
// whose message corrects the user (the platform shows it privately); an
// unknown lead is ENOTFOUND; a store failure is returned wrapped (EINTERNAL).
func (r *Reports) Answer(ctx context.Context, cmd bot.Command) (bot.Message, error) {
	args := strings.Fields(strings.ToLower(cmd.Text))
	switch cmd.Name {
	case "funnel":
		return r.funnel(ctx, strings.Fields(cmd.Text)) // a source keeps its case: it is matched as stored
	case "sla":
		return r.sla(ctx, cmd, args)
	case "leads":
		if !cmd.SeesLeads && !strings.EqualFold(strings.TrimSpace(cmd.Text), "help") {
			return bot.Message{}, handoff.Errorf(handoff.EFORBIDDEN, "%s", bot.NotALeadReader)
		}
		return r.leads(ctx, cmd, strings.Fields(cmd.Text))
	case "routing":
		return r.routing(ctx, args)
	}
	return bot.Message{}, handoff.Errorf(handoff.EINVALID, "I don't know `/%s`. Try `/funnel`, `/sla` or `/leads`.", cmd.Name)
}

func (r *Reports) now() time.Time {
	if r.Now == nil {
		return time.Now()
	}
	return r.Now()
}

// looksLikePeriod matches words that were probably meant as a period: a
// year with anything after it ("2026-13"), a relative period however
// written ("lastmonth", "last-30-days", "months") or a bare week or
// quarter ("w47", "q4"). A source with digits elsewhere (G2, 6sense) or
// that merely starts like a period (weekly-newsletter) is a source; one
// that reads as a period is given as source=2026.
var looksLikePeriod = regexp.MustCompile(`^([0-9]{4}([^0-9].*)?|(last|this|prev|previous|cur|current|next)([-_].*|(week|month|quarter|year)s?)|(week|month|quarter|year)s?|[wq][0-9]{1,2})$`)

// funnel answers /funnel [period] [source] [public] | help.
func (r *Reports) funnel(ctx context.Context, args []string) (bot.Message, error) {
	now := r.now()
	var period *handoff.Period
	source, public := "", false
	for _, word := range args {
		a := strings.ToLower(word)
		switch {
		case isHelp(a):
			return FunnelHelp(), nil
		case a == "public" || a == "share":
			public = true
			continue
		}
		named := len(word) >= len("source=") && strings.EqualFold(word[:len("source=")], "source=")
		if named {
			word = word[len("source="):]
		}
		if p, err := handoff.ParsePeriod(a, now, r.Policy.Location); err == nil && !named {
			if period != nil {
				return bot.Message{}, funnelUsage(fmt.Sprintf("You gave two periods (`%s` and `%s`); pick one.", period.Label, a))
			}
			period = &p
			continue
		}
		if looksLikePeriod.MatchString(a) && !named {
			return bot.Message{}, funnelUsage(fmt.Sprintf("I don't know the period `%s`.", a))
		}
		if source != "" {
			return bot.Message{}, funnelUsage(fmt.Sprintf("I can only filter on one source, but got `%s` and `%s`.", source, word))
		}
		source = word
	}
	if period == nil {
		p, err := handoff.ParsePeriod(handoff.DefaultPeriod, now, r.Policy.Location)
		if err != nil {
			return bot.Message{}, fmt.Errorf("bot: funnel: %w", err)
		}
		period = &p
	}
	filter := handoff.FunnelFilter{Period: *period, Source: source, Now: now}
	counts, err := r.Store.FunnelCounts(ctx, filter)
	if err != nil {
		return bot.Message{}, fmt.Errorf("bot: funnel %s: %w", period.Label, err)
	}
	m := FunnelMessage(handoff.NewFunnel(filter, counts, r.Policy), now, r.Policy)
	m.Private = !public
	return m, nil
}

func funnelUsage(problem string) error {
	return handoff.Errorf(handoff.EINVALID, "%s Use `/funnel [period] [source] [public]`, where the period is %s. "+
		"Example: `/funnel last-month webinar`. More: `/funnel help`.", problem, handoff.PeriodForms)
}

// sla answers /sla [period]: the open SQLs now, and the compliance per rep
// in the period (this month by default).
func (r *Reports) sla(ctx context.Context, cmd bot.Command, args []string) (bot.Message, error) {
	now := r.now()
	arg := handoff.DefaultPeriod
	switch {
	case len(args) > 1:
		return bot.Message{}, slaUsage(fmt.Sprintf("I can show one period, but got `%s`.", strings.Join(args, " ")))
	case len(args) == 1 && isHelp(args[0]):
		return SLAHelp(), nil
	case len(args) == 1:
		arg = args[0]
	}
	period, err := handoff.ParsePeriod(arg, now, r.Policy.Location)
	if err != nil {
		return bot.Message{}, slaUsage(fmt.Sprintf("I don't know the period `%s`.", arg))
	}
	open, err := r.Store.OpenSQLs(ctx, now, r.Policy, reportListLimit)
	if err != nil {
		return bot.Message{}, fmt.Errorf("bot: sla: %w", err)
	}
	reps, err := r.Store.SLAByRep(ctx, period, now)
	if err != nil {
		return bot.Message{}, fmt.Errorf("bot: sla %s: %w", period.Label, err)
	}
	if !cmd.SeesLeads {
		return SLATotalsMessage(open, reps, period, now, r.Policy), nil
	}
	return SLAMessage(open, reps, period, now, r.Policy), nil
}

func slaUsage(problem string) error {
	return handoff.Errorf(handoff.EINVALID, "%s Use `/sla [period]`, where the period is %s. Example: `/sla last-month`.",
		problem, handoff.PeriodForms)
}

// isHelp reports whether a command argument asks for help.
func isHelp(arg string) bool {
	switch arg {
	case "help", "-h", "--help", "?":
		return true
	}
	return false
}

// leadsUsage is the correction for a /leads with bad arguments.
const leadsUsage = "Use `/leads [mine|open|open <page>|open from <n>|breached|<lead id>|why <lead id>]`: your open leads, all open leads (" +
	"20 a page: `/leads open 2` is the second page, `/leads open from 17` the 20 from the 17th), the breached ones, one lead's history (the id as in the CRM, " +
	"or Handoff's as the lists name a lead whose personal data was erased: `/leads lead 42`) or how it was routed."

// leads answers /leads [mine|open|breached|<external_id>].
func (r *Reports) leads(ctx context.Context, cmd bot.Command, args []string) (bot.Message, error) {
	arg := "mine"
	args = joinHandoffID(args)
	if len(args) == 2 && strings.EqualFold(args[0], "why") {
		return r.why(ctx, args[1])
	}
	offset := 0 // the leads of the list before the page
	switch len(args) {
	case 0:
	case 1:
		arg = args[0]
	case 2, 3:
		// A page of a list: /leads open 2, /leads mine 3; or its leads from
		// the nth on: /leads open from 17 (a page a platform cut short).
		from := len(args) == 3
		n, err := strconv.Atoi(args[len(args)-1])
		switch a := strings.ToLower(args[0]); {
		case a != "mine" && a != "my" && a != "open" && a != "all", from && !strings.EqualFold(args[1], "from"):
			return bot.Message{}, handoff.Errorf(handoff.EINVALID, "%s", leadsUsage)
		case from && (err != nil || n < 1):
			return bot.Message{}, handoff.Errorf(handoff.EINVALID, "`%s` is not a lead's place in the list: it counts from 1, as in `/leads %s from 17`.", args[2], a)
		case err != nil || n < 1:
			return bot.Message{}, handoff.Errorf(handoff.EINVALID, "The page `%s` is not a page number: pages count from 1, as in `/leads %s 2`.", args[1], a)
		case from:
			offset = n - 1
		default:
			offset = (n - 1) * reportListLimit
		}
		arg = args[0]
	default:
		return bot.Message{}, handoff.Errorf(handoff.EINVALID, "%s", leadsUsage)
	}
	if isHelp(strings.ToLower(arg)) {
		return bot.Notice("*/leads* lists your open leads with their deadlines; *`/leads open`* lists every open lead, " +
			"most urgent first, 20 a page (*`/leads open 2`* the next 20); *`/leads breached`* the open SQLs past a deadline; " +
			"*`/leads <lead id>`* shows one lead's history (the CRM's id, or Handoff's as a list names an erased lead: *`/leads lead 42`*); *`/leads why <lead id>`* every routing decision for it."), nil
	}
	now := r.now()
	switch a := strings.ToLower(arg); a {
	case "mine", "my", "open", "all":
		owner, title, command := cmd.UserID, "Your open leads", "/leads mine"
		if a == "open" || a == "all" {
			owner, title, command = "", "Open leads", "/leads open"
		}
		leads, total, err := r.Store.OpenLeadsPage(ctx, owner, offset, reportListLimit)
		if err != nil {
			return bot.Message{}, fmt.Errorf("bot: %s from %d: %w", command, offset+1, err)
		}
		if len(leads) == 0 && offset > 0 {
			last := max(1, (total+reportListLimit-1)/reportListLimit)
			if len(args) == 3 {
				return bot.Message{}, handoff.Errorf(handoff.EINVALID, "There is no lead %d in the list: %s, so `%s %d` is the last page.",
					offset+1, bot.Count(total, "open lead", "open leads"), command, last)
			}
			return bot.Message{}, handoff.Errorf(handoff.EINVALID, "There is no page %d: %s, %d a page, so `%s %d` is the last page.",
				offset/reportListLimit+1, bot.Count(total, "open lead", "open leads"), reportListLimit, command, last)
		}
		list := LeadList{Leads: leads, Total: total, Offset: offset, Command: command}
		return LeadsPageMessage(title, list, owner == "", now, r.Policy), nil
	case "breached", "late", "overdue":
		open, err := r.Store.OpenSQLs(ctx, now, r.Policy, reportListLimit)
		if err != nil {
			return bot.Message{}, fmt.Errorf("bot: breached leads: %w", err)
		}
		return BreachedMessage(open, now, r.Policy), nil
	}
	lead, events, err := r.leadEvents(ctx, arg)
	if err != nil {
		return bot.Message{}, err
	}
	m := HistoryMessage(lead, events, now, r.Policy)
	// An erased lead's score is explained by nothing: its attributes and
	// activities went with its person, so the rules would all read 0
	// beside the score it kept for the funnel.
	if s := r.Policy.Scoring; s != nil && lead.ErasedAt == nil {
		acts, err := r.Store.Activities(ctx, lead.ID, s, now)
		if err != nil {
			return bot.Message{}, fmt.Errorf("report: activities of lead %d: %w", lead.ID, err)
		}
		m.Tables = append([]bot.Table{ScoreTable(s.Score(lead, acts, now), s)}, m.Tables...)
	}
	return m, nil
}

// leadEvents loads a lead by its external id and its events; an unknown
// id is ENOTFOUND with a correction.
func (r *Reports) leadEvents(ctx context.Context, arg string) (*handoff.Lead, []handoff.Event, error) {
	var lead *handoff.Lead
	var err error
	if id, ok := handoffID(arg); ok {
		lead, err = r.Store.Lead(ctx, id)
	} else {
		lead, err = r.Store.LeadByExternalID(ctx, arg)
	}
	if handoff.ErrorCode(err) == handoff.ENOTFOUND {
		return nil, nil, handoff.Errorf(handoff.ENOTFOUND, "I found no lead with the id `%s`. Use the id from the CRM, as shown by `/leads open`. %s", arg, leadsUsage)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("bot: lead %s: %w", arg, err)
	}
	events, err := r.Store.Events(ctx, lead.ID)
	if err != nil {
		return nil, nil, fmt.Errorf("bot: history of lead %d: %w", lead.ID, err)
	}
	return lead, events, nil
}

// handoffIDWord starts Handoff's own id for a lead as the lists name a lead
// whose personal data was erased ("lead 42 (personal data erased)",
// bot.LeadTitle), whose external id is an anonymous hash no list shows.
const handoffIDWord = "lead "

// joinHandoffID joins the last two arguments of /leads into one when they
// are Handoff's id for a lead ("lead" and a number: /leads lead 42, /leads
// why lead 42), so that they are read as one lead id (handoffID).
func joinHandoffID(args []string) []string {
	n := len(args)
	if n < 2 || n > 3 || (n == 3 && !strings.EqualFold(args[0], "why")) || !strings.EqualFold(args[n-2], strings.TrimSpace(handoffIDWord)) {
		return args
	}
	if _, err := strconv.ParseInt(args[n-1], 10, 64); err != nil {
		return args
	}
	return append(slices.Clone(args[:n-2]), handoffIDWord+args[n-1])
}

// handoffID returns the id of a lead argument joined by joinHandoffID, and
// false for any other argument (an external id).
func handoffID(arg string) (int64, bool) {
	if len(arg) <= len(handoffIDWord) || !strings.EqualFold(arg[:len(handoffIDWord)], handoffIDWord) {
		return 0, false
	}
	id, err := strconv.ParseInt(arg[len(handoffIDWord):], 10, 64)
	return id, err == nil && id > 0
}

// why answers /leads why <external_id>: the lead's routing decisions.
func (r *Reports) why(ctx context.Context, arg string) (bot.Message, error) {
	lead, events, err := r.leadEvents(ctx, arg)
	if err != nil {
		return bot.Message{}, err
	}
	return WhyMessage(lead, events, r.Policy), nil
}

// ScoreTable explains a score under the agreement's scoring: each rule,
// what matched and its points, and the thresholds.
func ScoreTable(e handoff.ScoreExplained, s *handoff.Scoring) bot.Table {
	t := bot.Table{Title: fmt.Sprintf("Score %d (MQL at %d, SQL at %d)", e.Score, s.MQLAt, s.SQLAt),
		Columns: []string{"Rule", "Matched", "Points"}, Numeric: []bool{false, false, true}}
	for _, l := range e.Lines {
		matched := bot.OrDash(bot.Escape(l.Matched))
		if l.Capped {
			matched += " (capped)"
		}
		t.Rows = append(t.Rows, []string{bot.Escape(l.Rule), matched, strconv.Itoa(l.Points)})
	}
	return t
}
