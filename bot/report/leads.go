package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
)

// LeadsMessage lists open leads with their next deadline, all of them;
// withOwner adds an owner column. It is private.
func LeadsMessage(title string, leads []*handoff.Lead, withOwner bool, now time.Time, p handoff.Policy) bot.Message {
	return LeadsPageMessage(title, LeadList{Leads: leads, Total: len(leads)}, withOwner, now, p)
}

// LeadList is one page of a list of open leads, most urgent first.
type LeadList struct {
	Leads  []*handoff.Lead // the page's leads
	Total  int             // how many leads the whole list holds
	Offset int             // how many of the list come before the page
	// Command is the command that lists them ("/leads open"): followed by
	// a page number, it shows that page of reportListLimit leads; by
	// "from n", reportListLimit leads from the list's nth on.
	Command string
}

// LeadsPageMessage lists a page of open leads with their next deadline:
// the title counts the whole list, and when the page is not all of it the
// line under the table (bot.Table.Below) says which of them it shows and
// which command shows the next ones (the previous, on the last page), from
// the first lead the platform showed not, when it cut the page short.
// withOwner adds an owner column. It is private.
func LeadsPageMessage(title string, list LeadList, withOwner bool, now time.Time, p handoff.Policy) bot.Message {
	leads := list.Leads
	total := max(list.Total, list.Offset+len(leads))
	t := bot.Table{Title: fmt.Sprintf("%s (%d)", title, total), Columns: []string{"Lead", "Stage", "Next deadline"}}
	if withOwner {
		t.Columns = []string{"Lead", "Stage", "Owner", "Next deadline"}
	}
	for _, l := range leads {
		row := []string{leadRef(l), string(l.Stage)}
		if withOwner {
			owner := bot.OwnerRef(l.Owner)
			if l.Stage == handoff.StageSQL {
				owner = "unclaimed"
			}
			row = append(row, owner)
		}
		t.Rows = append(t.Rows, append(row, nextDeadline(l, now, p)))
	}
	t.Page = &bot.Page{First: list.Offset + 1, Total: total, Size: reportListLimit, Command: list.Command, Order: "most urgent first"}
	m := bot.Message{
		Summary: fmt.Sprintf("%s: %d", title, total),
		Header:  "📋 " + title,
		Tables:  []bot.Table{t},
		Private: true,
		Leads:   bot.LeadIDs(leads),
	}
	m.Context = append(m.Context, "`/leads <lead id>` shows a lead's history. Times are "+zoneName(p)+".")
	return m
}

// nextDeadline is what the lead's owner must do next, and by when: an
// SQL's claim deadline as the SLA clock holds it at now (one passed while
// its card was not shown yet, under sla.excuse_system_delay, moved on, not
// overdue), or its contact deadline when that comes first.
func nextDeadline(l *handoff.Lead, now time.Time, p handoff.Policy) string {
	due, what := l.ContactDueAt, "contact"
	switch claim := l.ClaimDueAtNow(now, p); {
	case l.Stage == handoff.StageSQL && claim != nil && (due == nil || !claim.After(*due)):
		due, what = claim, "claim"
	case l.ContactedAt != nil || due == nil:
		return "–"
	}
	left := p.Between(now, *due)
	if left <= 0 {
		return fmt.Sprintf("⚠️ %s overdue by %s", what, bot.FormatAgreed(-left, p))
	}
	return fmt.Sprintf("%s by %s (%s left)", what, bot.Clock(*due, now, p), bot.FormatAgreed(left, p))
}

// HistoryMessage is one lead's card details and its events in order, in
// the policy's time zone. It is private.
func HistoryMessage(l *handoff.Lead, events []handoff.Event, now time.Time, p handoff.Policy) bot.Message {
	fields := append(bot.LeadFields(l), bot.Field{Key: "Stage", Value: string(l.Stage)}, bot.Field{Key: "Owner", Value: bot.OwnerRef(l.Owner)})
	if l.Stage == handoff.StageWon {
		fields = append(fields, bot.Field{Key: "Amount", Value: bot.FormatAmount(l.AmountMinor, p.Targets.Currency)})
	}
	t := bot.Table{Title: "History (" + bot.Count(len(events), "event", "events") + ")", Columns: []string{"When", "What", "Who"}}
	for _, e := range events {
		t.Rows = append(t.Rows, []string{localTime(e.At, p), describeEvent(e, p), actorRef(e.Actor)})
	}
	m := bot.Message{
		Summary:  "History of " + bot.Escape(bot.LeadTitle(l)),
		Header:   "📜 " + leadName(l),
		Sections: []bot.Section{{Text: bot.PersonLine(l), Fields: fields}},
		Tables:   []bot.Table{t},
		Private:  true,
		Leads:    []int64{l.ID},
	}
	switch {
	case l.Stage == handoff.StageClaimed:
		m.Context = bot.DeadlineContext(l, now, p)
	case l.Stage == handoff.StageSQL:
		if line := bot.SLALine(l, now, p); line != "" {
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
	case handoff.EventRouted:
		return routedEvent(e, p)
	default:
		s = string(e.Kind)
	}
	if v := d["reason"]; v != "" {
		s += " · " + bot.Escape(v)
	}
	return s
}

// actorRef names who did something: a mention for a chat user, else the
// actor as recorded (api, import, system).
func actorRef(actor string) string {
	if platform, id, ok := strings.Cut(actor, ":"); ok && (platform == "slack" || platform == "teams") && id != "" {
		return bot.MentionOn(platform, id, "")
	}
	return bot.OrDash(bot.Escape(actor))
}

// leadRef names a lead in a table: leadName, escaped.
func leadRef(l *handoff.Lead) string {
	return bot.Escape(leadName(l))
}

// leadName names a lead in plain text: its title and, when that does not
// say it already, its external id ("Acme A/S (hs-42)"), the id that
// `/leads <id>` asks for. An erased lead's external id is an anonymous
// hash, meaningless to a person: it is named by its title alone
// (bot.LeadTitle: "lead 42 (personal data erased)"), whose "lead 42"
// `/leads lead 42` asks for.
func leadName(l *handoff.Lead) string {
	title := bot.LeadTitle(l)
	if l.ErasedAt != nil || l.ExternalID == "" || l.ExternalID == title {
		return title
	}
	return title + " (" + l.ExternalID + ")"
}

func age(l *handoff.Lead, now time.Time) string {
	if l.SQLAt == nil {
		return "–"
	}
	return bot.FormatDuration(now.Sub(*l.SQLAt))
}

func clockOrDash(t *time.Time, now time.Time, p handoff.Policy) string {
	if t == nil {
		return "–"
	}
	return bot.Clock(*t, now, p)
}

func leftOrDash(due *time.Time, now time.Time, p handoff.Policy) string {
	if due == nil {
		return "–"
	}
	left := p.Between(now, *due)
	if left <= 0 {
		return "⚠️ overdue"
	}
	return bot.FormatAgreed(left, p)
}
