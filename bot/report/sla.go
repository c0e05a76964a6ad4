package report

import (
	"fmt"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
)

// SLAMessage is the /sla answer: tables of the unclaimed SQLs (age, claim
// deadline), the claimed ones awaiting contact (owner, deadline, time
// left), the breached ones, and the compliance per rep in period. It is
// private.
func SLAMessage(open handoff.OpenSQLs, reps []handoff.RepSLA, period handoff.Period, now time.Time, p handoff.Policy) bot.Message {
	m := bot.Message{
		Summary: fmt.Sprintf("SLA now: %d unclaimed, %d awaiting first contact, %d breached", open.UnclaimedTotal, open.WaitingTotal, open.BreachedTotal),
		Header:  "⏱ SLA right now",
		Sections: []bot.Section{{Fields: []bot.Field{
			{Key: "Unclaimed", Value: count(open.UnclaimedTotal)},
			{Key: "Awaiting first contact", Value: count(open.WaitingTotal)},
			{Key: "Breached", Value: breachedMark(open.BreachedTotal)},
		}}},
		Private: true,
		Leads:   bot.LeadIDs(open.Unclaimed, open.Waiting, open.Breached),
	}
	unclaimed := bot.Table{Title: fmt.Sprintf("Unclaimed (%d)", open.UnclaimedTotal), Columns: []string{"Lead", "Waiting", "Claim by", "Time left"}}
	for _, l := range open.Unclaimed {
		due := l.ClaimDueAtNow(now, p) // as the clock holds it: an unshown card's moved on
		unclaimed.Rows = append(unclaimed.Rows, []string{leadRef(l), age(l, now), clockOrDash(due, now, p), leftOrDash(due, now, p)})
	}
	waiting := bot.Table{Title: fmt.Sprintf("Claimed, not yet contacted (%d)", open.WaitingTotal), Columns: []string{"Lead", "Owner", "Contact by", "Time left"}}
	for _, l := range open.Waiting {
		waiting.Rows = append(waiting.Rows, []string{leadRef(l), bot.OwnerRef(l.Owner), clockOrDash(l.ContactDueAt, now, p), leftOrDash(l.ContactDueAt, now, p)})
	}
	m.Tables = append(m.Tables, unclaimed, waiting, breachTable(open, now, p), repTable(reps, period))
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

// SLATotalsMessage is the /sla answer for someone who may not see leads'
// personal data: the totals right now and the compliance per rep in period,
// without any lead. It is private.
func SLATotalsMessage(open handoff.OpenSQLs, reps []handoff.RepSLA, period handoff.Period, now time.Time, p handoff.Policy) bot.Message {
	m := SLAMessage(open, reps, period, now, p)
	m.Tables = []bot.Table{repTable(reps, period)}
	m.Context = []string{"Which leads these are is shown to the sales channel's members and sales managers."}
	return m
}

// SLAHelp is the answer to `/sla help`.
func SLAHelp() bot.Message {
	return bot.Notice("*/sla [period]* shows the open SQLs right now (unclaimed, claimed but not contacted, breached) " +
		"and each rep's compliance in the period: " + bot.Escape(handoff.PeriodForms) + ". Default: month. " +
		"Example: `/sla last-month`.")
}

// BreachedMessage is the /leads breached answer: the open SQLs past their
// claim or contact deadline, most overdue first, with who owns them and
// how late they are. It is private.
func BreachedMessage(open handoff.OpenSQLs, now time.Time, p handoff.Policy) bot.Message {
	m := bot.Message{
		Summary: fmt.Sprintf("Breached leads: %d", open.BreachedTotal),
		Header:  "🚨 Breached leads",
		Tables:  []bot.Table{breachTable(open, now, p)},
		Private: true,
		Leads:   bot.LeadIDs(open.Breached),
	}
	if open.BreachedTotal == 0 {
		m.Sections = []bot.Section{{Text: "✅ No open SQL is past its claim or contact deadline."}}
	}
	if int64(len(open.Breached)) < open.BreachedTotal {
		m.Context = append(m.Context, fmt.Sprintf("Showing %d of %d breached SQLs.", len(open.Breached), open.BreachedTotal))
	}
	m.Context = append(m.Context, "`/sla` for the whole picture. Times are "+zoneName(p)+"; lateness counts "+clockKind(p)+".")
	return m
}

// breachTable lists the breached open SQLs: which deadline was missed and
// how late.
func breachTable(open handoff.OpenSQLs, now time.Time, p handoff.Policy) bot.Table {
	t := bot.Table{Title: fmt.Sprintf("Breached (%d)", open.BreachedTotal), Columns: []string{"Lead", "Owner", "Missed", "Late by"}}
	for _, l := range open.Breached {
		missed, late := "claimed late", "–"
		claimDue := l.ClaimDueAtNow(now, p)
		switch {
		case l.ContactDueAt != nil && now.After(*l.ContactDueAt):
			missed, late = "contact by "+bot.Clock(*l.ContactDueAt, now, p), bot.FormatAgreed(p.Between(*l.ContactDueAt, now), p)
		case l.Stage == handoff.StageSQL && claimDue != nil && now.After(*claimDue):
			missed, late = "claim by "+bot.Clock(*claimDue, now, p), bot.FormatAgreed(p.Between(*claimDue, now), p)
		}
		owner := bot.OwnerRef(l.Owner)
		if l.Stage == handoff.StageSQL {
			owner = "unclaimed"
		}
		t.Rows = append(t.Rows, []string{leadRef(l), owner, missed, late})
	}
	return t
}

// repTable is the SLA compliance per rep over a period.
func repTable(reps []handoff.RepSLA, period handoff.Period) bot.Table {
	t := bot.Table{Title: "Compliance per rep, " + period.Label, Columns: []string{"Rep", "Due", "In time", "Breached", "Pending", "Compliance"},
		Numeric: []bool{false, true, true, true, true, true}}
	for _, rp := range reps {
		name := bot.OwnerRef(rp.Owner)
		if rp.Owner.IsZero() {
			name = "nobody (unclaimed)"
		}
		t.Rows = append(t.Rows, []string{name, count(rp.Due), count(rp.Met), count(rp.Breached), count(rp.Pending), pct(rp.Compliance)})
	}
	return t
}
