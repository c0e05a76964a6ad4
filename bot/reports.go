package bot

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/handoff/handoff"
)

// ReportStore is what the reporting commands read; *storage.Store
// implements it.
type ReportStore interface {
	FunnelCounts(ctx context.Context, f handoff.FunnelFilter) (handoff.FunnelCounts, error)
	OpenSQLs(ctx context.Context, now time.Time, limit int) (handoff.OpenSQLs, error)
	SLAByRep(ctx context.Context, period handoff.Period, now time.Time) ([]handoff.RepSLA, error)
	OpenLeads(ctx context.Context, owner string, limit int) ([]*handoff.Lead, error)
	LeadByExternalID(ctx context.Context, externalID string) (*handoff.Lead, error)
	Events(ctx context.Context, leadID int64) ([]handoff.Event, error)
}

// Reports answers /funnel, /sla and /leads from the store. Store and
// Policy are required; Now defaults to time.Now.
type Reports struct {
	Store  ReportStore
	Policy handoff.Policy
	Now    func() time.Time
}

var _ CommandAnswerer = (*Reports)(nil)

// reportListLimit caps the leads listed in one answer.
const reportListLimit = 20

// Answer answers one reporting command. Answers are private unless
// /funnel is asked with `public`. Bad arguments return an EINVALID error
// whose message corrects the user (the platform shows it privately); an
// unknown lead is ENOTFOUND; a store failure is returned wrapped (EINTERNAL).
func (r *Reports) Answer(ctx context.Context, cmd Command) (Message, error) {
	args := strings.Fields(strings.ToLower(cmd.Text))
	switch cmd.Name {
	case "funnel":
		return r.funnel(ctx, args)
	case "sla":
		return r.sla(ctx, args)
	case "leads":
		return r.leads(ctx, cmd, strings.Fields(cmd.Text))
	}
	return Message{}, handoff.Errorf(handoff.EINVALID, "I don't know `/%s`. Try `/funnel`, `/sla` or `/leads`.", cmd.Name)
}

func (r *Reports) now() time.Time {
	if r.Now == nil {
		return time.Now()
	}
	return r.Now()
}

// FunnelHelp is the answer to `/funnel help`.
func FunnelHelp() Message {
	text := "*/funnel [period] [source] [public]* shows what our leads became: the funnel with its conversion rates, " +
		"revenue, time to contact, SLA compliance and both departments' targets.\n\n" +
		"• *period*: " + Escape(handoff.PeriodForms) + ". Default: month.\n" +
		"• *source*: only leads from that source, e.g. `webinar` (targets are then left out).\n" +
		"• *public*: share the answer in the channel; otherwise only you see it.\n\n" +
		"Examples: `/funnel`, `/funnel last-month`, `/funnel 2026-Q4 webinar`, `/funnel week public`."
	return Message{Summary: "How to use /funnel", Header: "/funnel help", Sections: []Section{{Text: text}},
		Context: []string{"Also: `/sla` for open SQLs and this month's compliance per rep, `/leads` for your open leads."}, Private: true}
}

// looksLikePeriod matches words that were probably meant as a period: ones
// with a digit, or that start like a relative period.
var looksLikePeriod = regexp.MustCompile(`[0-9]|^(last|this|prev|cur|week|month|quarter|year|w[0-9]|q[0-9])`)

// funnel answers /funnel [period] [source] [public] | help.
func (r *Reports) funnel(ctx context.Context, args []string) (Message, error) {
	now := r.now()
	var period *handoff.Period
	source, public := "", false
	for _, a := range args {
		switch a {
		case "help", "-h", "--help", "?":
			return FunnelHelp(), nil
		case "public", "share":
			public = true
			continue
		}
		a = strings.TrimPrefix(a, "source=")
		if p, err := handoff.ParsePeriod(a, now, r.Policy.Location); err == nil {
			if period != nil {
				return Message{}, funnelUsage(fmt.Sprintf("You gave two periods (`%s` and `%s`); pick one.", period.Label, a))
			}
			period = &p
			continue
		}
		if looksLikePeriod.MatchString(a) {
			return Message{}, funnelUsage(fmt.Sprintf("I don't know the period `%s`.", a))
		}
		if source != "" {
			return Message{}, funnelUsage(fmt.Sprintf("I can only filter on one source, but got `%s` and `%s`.", source, a))
		}
		source = a
	}
	if period == nil {
		p, err := handoff.ParsePeriod(handoff.DefaultPeriod, now, r.Policy.Location)
		if err != nil {
			return Message{}, fmt.Errorf("bot: funnel: %w", err)
		}
		period = &p
	}
	filter := handoff.FunnelFilter{Period: *period, Source: source, Now: now}
	counts, err := r.Store.FunnelCounts(ctx, filter)
	if err != nil {
		return Message{}, fmt.Errorf("bot: funnel %s: %w", period.Label, err)
	}
	m := FunnelMessage(handoff.NewFunnel(filter, counts, r.Policy), now, r.Policy)
	m.Private = !public
	return m, nil
}

func funnelUsage(problem string) error {
	return handoff.Errorf(handoff.EINVALID, "%s Use `/funnel [period] [source] [public]`, where the period is %s. "+
		"Example: `/funnel last-month webinar`. More: `/funnel help`.", problem, handoff.PeriodForms)
}

// FunnelMessage is the /funnel answer for f as seen at now: the funnel
// table with conversion rates, revenue and deal size, median times to
// claim and contact, SLA compliance, the targets of both departments with
// an on-track mark, and a funnel chart. It is private.
func FunnelMessage(f handoff.Funnel, now time.Time, p handoff.Policy) Message {
	title := "Funnel " + f.Period.Label
	if f.Source != "" {
		title += " · " + f.Source
	}
	span := periodSpan(f.Period, p)
	if now.Before(f.Period.End) && now.After(f.Period.Start) {
		span += " (so far)"
	}
	fields := []Field{
		{Key: "Revenue", Value: FormatAmount(int64(math.Round(f.Revenue*100)), f.Currency)},
		{Key: "Average deal size", Value: amountOrDash(f.AvgDealSize, f.Currency)},
		{Key: "Median time to claim", Value: secondsOrDash(f.MedianSecondsToClaim)},
		{Key: "Median time to contact", Value: secondsOrDash(f.MedianSecondsToContact)},
		{Key: "SLA: contacted in time", Value: slaText(f.SLA)},
		{Key: "Lost / recycled", Value: fmt.Sprintf("%d / %d", f.Lost, f.Recycled)},
	}
	m := Message{
		Summary: fmt.Sprintf("%s: %d SQLs, %d won (%s), SLA %s", Escape(title), f.SQLs, f.Won,
			FormatAmount(int64(math.Round(f.Revenue*100)), f.Currency), pct(f.SLA.Compliance)),
		Header:   "📊 " + title,
		Sections: []Section{{Text: span, Fields: fields}},
		Private:  true,
	}
	funnel := Table{Title: "Funnel", Columns: []string{"Stage", "Count", "Conversion"}, Numeric: []bool{false, true, true}}
	if f.Visits != nil {
		funnel.Rows = append(funnel.Rows, []string{"Website visits", count(*f.Visits), ""})
	}
	c := f.Conversion
	leadConv := ""
	if f.Visits != nil {
		leadConv = pct(f.VisitToLead)
	}
	stages := []struct {
		name string
		n    int64
		conv string
	}{
		{"Leads", f.Leads, leadConv},
		{"MQLs", f.MQLs, pct(c.LeadToMQL)},
		{"SQLs", f.SQLs, pct(c.MQLToSQL)},
		{"Claimed", f.Claimed, pct(c.SQLToClaimed)},
		{"Contacted", f.Contacted, pct(c.ClaimedToContacted)},
		{"Opportunities", f.Opportunities, pct(c.ContactedToOpportunity)},
		{"Won", f.Won, pct(c.OpportunityToWon)},
	}
	chart := Chart{Kind: ChartBar, Title: "Funnel " + f.Period.Label, Series: []Series{{Name: "Leads"}}}
	for _, s := range stages {
		funnel.Rows = append(funnel.Rows, []string{s.name, count(s.n), s.conv})
		chart.Categories = append(chart.Categories, s.name)
		chart.Series[0].Values = append(chart.Series[0].Values, float64(s.n))
	}
	m.Tables = append(m.Tables, funnel)
	if t := targetsTable(f); len(t.Rows) > 0 {
		m.Tables = append(m.Tables, t)
	}
	m.Charts = []Chart{chart}
	m.Context = append(m.Context, fmt.Sprintf("Counts are leads that entered each stage in the period; conversion is from the stage above. SQL → won: %s.", pct(c.SQLToWon)))
	if f.Source != "" {
		if f.Leads+f.SQLs+f.Won == 0 {
			m.Context = append(m.Context, "No leads came from `"+Escape(f.Source)+"` in this period: is the source spelled as in the CRM?")
		}
		m.Context = append(m.Context, "The targets are agreed for all sources together, so they are left out here.")
	}
	m.Context = append(m.Context, "`/funnel help` for other periods and sources.")
	return m
}

// targetsTable compares the agreement's targets with the actuals, pro rata.
func targetsTable(f handoff.Funnel) Table {
	t := Table{Title: "Targets (pro rata)", Columns: []string{"Promise", "Target", "Due by now", "Actual", "Status"},
		Numeric: []bool{false, true, true, true, false}}
	add := func(name string, ta *handoff.TargetActual, format func(float64) string) {
		if ta == nil {
			return
		}
		actual := "–"
		if ta.Actual != nil {
			actual = format(*ta.Actual)
		}
		t.Rows = append(t.Rows, []string{name, format(ta.Target), format(ta.Expected), actual, onTrack(ta.OnTrack)})
	}
	num := func(v float64) string { return trimFloat(v) }
	money := func(v float64) string { return FormatAmount(int64(math.Round(v*100)), f.Currency) }
	add("Marketing: SQLs delivered", f.Targets.SQLs, num)
	add("Sales: customers won", f.Targets.Customers, num)
	add("Sales: average deal size", f.Targets.AvgDealSize, money)
	return t
}

func onTrack(ok bool) string {
	if ok {
		return "✅ on track"
	}
	return "⚠️ behind"
}

// sla answers /sla: the open SQLs now, and this month's compliance per rep.
func (r *Reports) sla(ctx context.Context, args []string) (Message, error) {
	if len(args) > 0 {
		if args[0] == "help" {
			return Notice("*/sla* shows the open SQLs right now (unclaimed, claimed but not contacted, breached) and this month's compliance per rep."), nil
		}
		return Message{}, handoff.Errorf(handoff.EINVALID, "`/sla` takes no arguments. For other periods use `/funnel <period>`.")
	}
	now := r.now()
	open, err := r.Store.OpenSQLs(ctx, now, reportListLimit)
	if err != nil {
		return Message{}, fmt.Errorf("bot: sla: %w", err)
	}
	month, err := handoff.ParsePeriod("month", now, r.Policy.Location)
	if err != nil {
		return Message{}, fmt.Errorf("bot: sla: %w", err)
	}
	reps, err := r.Store.SLAByRep(ctx, month, now)
	if err != nil {
		return Message{}, fmt.Errorf("bot: sla: %w", err)
	}
	return SLAMessage(open, reps, month, now, r.Policy), nil
}

// SLAMessage is the /sla answer: tables of the unclaimed SQLs (age, claim
// deadline), the claimed ones awaiting contact (owner, deadline, time
// left), the breached ones, and the compliance per rep in month. It is
// private.
func SLAMessage(open handoff.OpenSQLs, reps []handoff.RepSLA, month handoff.Period, now time.Time, p handoff.Policy) Message {
	m := Message{
		Summary: fmt.Sprintf("SLA now: %d unclaimed, %d awaiting first contact, %d breached", open.UnclaimedTotal, open.WaitingTotal, open.BreachedTotal),
		Header:  "⏱ SLA right now",
		Sections: []Section{{Fields: []Field{
			{Key: "Unclaimed", Value: count(open.UnclaimedTotal)},
			{Key: "Awaiting first contact", Value: count(open.WaitingTotal)},
			{Key: "Breached", Value: breachedMark(open.BreachedTotal)},
		}}},
		Private: true,
	}
	unclaimed := Table{Title: fmt.Sprintf("Unclaimed (%d)", open.UnclaimedTotal), Columns: []string{"Lead", "Waiting", "Claim by", "Time left"}}
	for _, l := range open.Unclaimed {
		unclaimed.Rows = append(unclaimed.Rows, []string{leadRef(l), age(l, now), clockOrDash(l.ClaimDueAt, now, p), leftOrDash(l.ClaimDueAt, now, p)})
	}
	waiting := Table{Title: fmt.Sprintf("Claimed, not yet contacted (%d)", open.WaitingTotal), Columns: []string{"Lead", "Owner", "Contact by", "Time left"}}
	for _, l := range open.Waiting {
		waiting.Rows = append(waiting.Rows, []string{leadRef(l), ownerRef(l.Owner), clockOrDash(l.ContactDueAt, now, p), leftOrDash(l.ContactDueAt, now, p)})
	}
	m.Tables = append(m.Tables, unclaimed, waiting, breachTable(open, now, p), repTable(reps, month))
	for _, lt := range []struct {
		what   string
		listed int
		total  int64
	}{{"unclaimed", len(open.Unclaimed), open.UnclaimedTotal}, {"waiting", len(open.Waiting), open.WaitingTotal}, {"breached", len(open.Breached), open.BreachedTotal}} {
		if int64(lt.listed) < lt.total {
			m.Context = append(m.Context, fmt.Sprintf("Showing %d of %d %s SQLs.", lt.listed, lt.total, lt.what))
		}
	}
	m.Context = append(m.Context, "Times are "+zoneName(p)+"; time left counts "+clockKind(p)+".")
	return m
}

// breachTable lists the breached open SQLs: which deadline was missed and
// how late.
func breachTable(open handoff.OpenSQLs, now time.Time, p handoff.Policy) Table {
	t := Table{Title: fmt.Sprintf("Breached (%d)", open.BreachedTotal), Columns: []string{"Lead", "Owner", "Missed", "Late by"}}
	for _, l := range open.Breached {
		missed, late := "claimed late", "–"
		switch {
		case l.ContactDueAt != nil && now.After(*l.ContactDueAt):
			missed, late = "contact by "+clock(*l.ContactDueAt, now, p), FormatDuration(p.Between(*l.ContactDueAt, now))
		case l.Stage == handoff.StageSQL && l.ClaimDueAt != nil && now.After(*l.ClaimDueAt):
			missed, late = "claim by "+clock(*l.ClaimDueAt, now, p), FormatDuration(p.Between(*l.ClaimDueAt, now))
		}
		owner := ownerRef(l.Owner)
		if l.Stage == handoff.StageSQL {
			owner = "unclaimed"
		}
		t.Rows = append(t.Rows, []string{leadRef(l), owner, missed, late})
	}
	return t
}

// repTable is the SLA compliance per rep over a period.
func repTable(reps []handoff.RepSLA, period handoff.Period) Table {
	t := Table{Title: "Compliance per rep, " + period.Label, Columns: []string{"Rep", "Due", "In time", "Breached", "Pending", "Compliance"},
		Numeric: []bool{false, true, true, true, true, true}}
	for _, rp := range reps {
		name := ownerRef(rp.Owner)
		if rp.Owner.IsZero() {
			name = "nobody (never claimed)"
		}
		t.Rows = append(t.Rows, []string{name, count(rp.Due), count(rp.Met), count(rp.Breached), count(rp.Pending), pct(rp.Compliance)})
	}
	return t
}

// leads answers /leads [mine|open|<external_id>].
func (r *Reports) leads(ctx context.Context, cmd Command, args []string) (Message, error) {
	arg := "mine"
	switch len(args) {
	case 0:
	case 1:
		arg = args[0]
	default:
		return Message{}, handoff.Errorf(handoff.EINVALID, "Use `/leads`, `/leads open` or `/leads <lead id>` (one id, as in the CRM).")
	}
	now := r.now()
	switch strings.ToLower(arg) {
	case "help":
		return Notice("*/leads* lists your open leads with their deadlines; *`/leads open`* lists every open lead; *`/leads <lead id>`* shows one lead's history."), nil
	case "mine", "my":
		leads, err := r.Store.OpenLeads(ctx, cmd.UserID, reportListLimit)
		if err != nil {
			return Message{}, fmt.Errorf("bot: leads of %s: %w", cmd.UserID, err)
		}
		return LeadsMessage("Your open leads", leads, false, now, r.Policy), nil
	case "open", "all":
		leads, err := r.Store.OpenLeads(ctx, "", reportListLimit)
		if err != nil {
			return Message{}, fmt.Errorf("bot: open leads: %w", err)
		}
		return LeadsMessage("Open leads", leads, true, now, r.Policy), nil
	}
	lead, err := r.Store.LeadByExternalID(ctx, arg)
	if handoff.ErrorCode(err) == handoff.ENOTFOUND {
		return Message{}, handoff.Errorf(handoff.ENOTFOUND, "I found no lead with the id `%s`. Use the id from the CRM, as shown by `/leads open`.", arg)
	}
	if err != nil {
		return Message{}, fmt.Errorf("bot: lead %q: %w", arg, err)
	}
	events, err := r.Store.Events(ctx, lead.ID)
	if err != nil {
		return Message{}, fmt.Errorf("bot: history of lead %q: %w", arg, err)
	}
	return HistoryMessage(lead, events, now, r.Policy), nil
}

// LeadsMessage lists open leads with their next deadline; withOwner adds
// an owner column. It is private.
func LeadsMessage(title string, leads []*handoff.Lead, withOwner bool, now time.Time, p handoff.Policy) Message {
	t := Table{Title: fmt.Sprintf("%s (%d)", title, len(leads)), Columns: []string{"Lead", "Stage", "Next deadline"}}
	if withOwner {
		t.Columns = []string{"Lead", "Stage", "Owner", "Next deadline"}
	}
	for _, l := range leads {
		row := []string{leadRef(l), string(l.Stage)}
		if withOwner {
			owner := ownerRef(l.Owner)
			if l.Stage == handoff.StageSQL {
				owner = "unclaimed"
			}
			row = append(row, owner)
		}
		t.Rows = append(t.Rows, append(row, nextDeadline(l, now, p)))
	}
	m := Message{
		Summary: fmt.Sprintf("%s: %d", title, len(leads)),
		Header:  "📋 " + title,
		Tables:  []Table{t},
		Private: true,
	}
	if len(leads) == reportListLimit {
		m.Context = append(m.Context, fmt.Sprintf("Showing the first %d, most urgent first.", reportListLimit))
	}
	m.Context = append(m.Context, "`/leads <lead id>` shows a lead's history. Times are "+zoneName(p)+".")
	return m
}

// nextDeadline is what the lead's owner must do next, and by when.
func nextDeadline(l *handoff.Lead, now time.Time, p handoff.Policy) string {
	due, what := l.ContactDueAt, "contact"
	switch {
	case l.Stage == handoff.StageSQL && l.ClaimDueAt != nil:
		due, what = l.ClaimDueAt, "claim"
	case l.ContactedAt != nil || due == nil:
		return "–"
	}
	left := p.Between(now, *due)
	if left <= 0 {
		return fmt.Sprintf("⚠️ %s overdue by %s", what, FormatDuration(-left))
	}
	return fmt.Sprintf("%s by %s (%s left)", what, clock(*due, now, p), FormatDuration(left))
}

// HistoryMessage is one lead's card details and its events in order, in
// the policy's time zone. It is private.
func HistoryMessage(l *handoff.Lead, events []handoff.Event, now time.Time, p handoff.Policy) Message {
	fields := append(leadFields(l), Field{Key: "Stage", Value: string(l.Stage)}, Field{Key: "Owner", Value: ownerRef(l.Owner)})
	if l.Stage == handoff.StageWon {
		fields = append(fields, Field{Key: "Amount", Value: FormatAmount(l.AmountMinor, p.Targets.Currency)})
	}
	t := Table{Title: fmt.Sprintf("History (%d events)", len(events)), Columns: []string{"When", "What", "Who"}}
	for _, e := range events {
		t.Rows = append(t.Rows, []string{localTime(e.At, p), describeEvent(e, p), actorRef(e.Actor)})
	}
	m := Message{
		Summary:  "History of " + Escape(leadTitle(l)),
		Header:   "📜 " + leadTitle(l) + " (" + l.ExternalID + ")",
		Sections: []Section{{Text: personLine(l), Fields: fields}},
		Tables:   []Table{t},
		Private:  true,
	}
	switch {
	case l.Stage == handoff.StageClaimed:
		m.Context = deadlineContext(l, now, p)
	case l.Stage == handoff.StageSQL:
		if line := slaLine(l, now, p); line != "" {
			m.Context = append(m.Context, line)
		}
		fallthrough
	case l.SLABreached:
		if l.SLABreached {
			m.Context = append(m.Context, "⚠️ The SLA was breached for this lead.")
		}
	}
	m.Context = append(m.Context, "Times are "+zoneName(p)+".")
	return m
}

// describeEvent says what an event recorded, in a few words.
func describeEvent(e handoff.Event, p handoff.Policy) string {
	d := e.Details
	var s string
	switch e.Kind {
	case handoff.EventStage:
		s = "→ " + string(e.Stage)
		if d["implied"] == "true" {
			s += " (implied)"
		}
	case handoff.EventBreach:
		s = "🚨 SLA breach"
		if d["deadline"] != "" {
			s += ": " + d["deadline"] + " deadline"
		}
	case handoff.EventRelease:
		s = "Released"
	case handoff.EventReassign:
		s = "Reassigned"
		if d["to"] != "" {
			s += " to " + actorRef(d["to"])
		}
	case handoff.EventReminder:
		s = "Reminder sent"
	case handoff.EventEscalation:
		s = "Escalated to managers"
	case handoff.EventErased:
		s = "Personal data erased"
	default:
		s = string(e.Kind)
	}
	if v := d["reason"]; v != "" {
		s += " · " + Escape(v)
	}
	return s
}

// actorRef names who did something: a mention for a chat user, else the
// actor as recorded (api, import, system).
func actorRef(actor string) string {
	if platform, id, ok := strings.Cut(actor, ":"); ok && (platform == "slack" || platform == "teams") && id != "" {
		return MentionOn(platform, id, "")
	}
	return orDash(Escape(actor))
}

// leadRef names a lead in a table: its title and external id.
func leadRef(l *handoff.Lead) string {
	if l.ExternalID == "" || l.ExternalID == leadTitle(l) {
		return Escape(leadTitle(l))
	}
	return Escape(leadTitle(l) + " (" + l.ExternalID + ")")
}

func age(l *handoff.Lead, now time.Time) string {
	if l.SQLAt == nil {
		return "–"
	}
	return FormatDuration(now.Sub(*l.SQLAt))
}

func clockOrDash(t *time.Time, now time.Time, p handoff.Policy) string {
	if t == nil {
		return "–"
	}
	return clock(*t, now, p)
}

func leftOrDash(due *time.Time, now time.Time, p handoff.Policy) string {
	if due == nil {
		return "–"
	}
	left := p.Between(now, *due)
	if left <= 0 {
		return "⚠️ overdue"
	}
	return FormatDuration(left)
}

func breachedMark(n int64) string {
	if n > 0 {
		return "⚠️ " + count(n)
	}
	return "✅ 0"
}

// periodSpan writes a period's first and last day: "2 Nov – 8 Nov 2026".
func periodSpan(per handoff.Period, p handoff.Policy) string {
	loc := p.Location
	if loc == nil {
		loc = time.UTC
	}
	first, last := per.Start.In(loc), per.LastDay().In(loc)
	if first.Year() == last.Year() {
		return first.Format("Mon 2 Jan") + " – " + last.Format("Mon 2 Jan 2006")
	}
	return first.Format("Mon 2 Jan 2006") + " – " + last.Format("Mon 2 Jan 2006")
}

// localTime writes t on the policy's wall clock: "Mon 2 Nov 2026 14:05".
func localTime(t time.Time, p handoff.Policy) string {
	loc := p.Location
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format("Mon 2 Jan 2006 15:04")
}

func zoneName(p handoff.Policy) string {
	if p.Location == nil || p.Location.String() == "" {
		return "UTC"
	}
	return p.Location.String()
}

func clockKind(p handoff.Policy) string {
	if p.BusinessHours != nil {
		return "business hours only"
	}
	return "around the clock"
}

// slaText writes SLA stats: "83% (5 of 6 decided) · 2 pending".
func slaText(s handoff.SLAStats) string {
	decided := s.Met + s.Breached
	if decided == 0 && s.Pending == 0 {
		return "– (nothing due)"
	}
	if decided == 0 {
		return fmt.Sprintf("– · %d pending", s.Pending)
	}
	out := fmt.Sprintf("%s (%d of %d)", pct(s.Compliance), s.Met, decided)
	if s.Pending > 0 {
		out += fmt.Sprintf(" · %d pending", s.Pending)
	}
	return out
}

// pct writes a rate as a whole percentage, "–" when unknown.
func pct(r *float64) string {
	if r == nil {
		return "–"
	}
	return fmt.Sprintf("%.0f%%", *r*100)
}

// count writes a whole number with thousands separators: "1,250".
func count(n int64) string {
	s := strconv.FormatInt(n, 10)
	sign := ""
	if n < 0 {
		sign, s = "-", s[1:]
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return sign + b.String()
}

// trimFloat writes v with at most two decimals and no trailing zeros.
func trimFloat(v float64) string {
	s := fmt.Sprintf("%.2f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		return "0"
	}
	return s
}

func amountOrDash(v *float64, currency string) string {
	if v == nil {
		return "–"
	}
	return FormatAmount(int64(math.Round(*v*100)), currency)
}

func secondsOrDash(s *float64) string {
	if s == nil {
		return "–"
	}
	return FormatDuration(time.Duration(*s * float64(time.Second)))
}
