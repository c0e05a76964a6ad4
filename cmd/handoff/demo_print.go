// What the demo prints: the narration of the week and, at the end, the
// channels, the direct messages, the summary and the /funnel answer.

package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/report"
	"github.com/handoff/handoff/bot/slack/slacktest"
)

// intro prints the agreement, the people and where the week's leads come
// from.
func (d *demo) intro(leads []demoLead) {
	p := d.policy
	hours := func(t time.Duration) string { return strconv.FormatFloat(t.Hours(), 'f', -1, 64) + " h" }
	var remind []string
	for _, r := range p.RemindBefore {
		remind = append(remind, hours(r))
	}
	_, week := d.monday.ISOWeek()
	d.printf("Handoff demo: the real server (%s) against a stand-in Slack, on a throw-away SQLite database.\n", d.base)
	d.printf("Agreement: claim within %s, contact within %s of business time (%s, %s); reminders %s before the deadline.\n",
		hours(p.ClaimWithin), hours(p.ContactWithin), describeBusinessHours(p.BusinessHours), p.Location, strings.Join(remind, " and "))
	d.printf("Targets per month: %d SQLs, %d customers, %s average deal.\n", p.Targets.SQLsPerMonth, p.Targets.CustomersPerMonth,
		bot.FormatAmount(int64(p.Targets.AvgDealSize*100), p.Targets.Currency))
	var reps []string
	for _, r := range demoReps {
		reps = append(reps, r.Name)
	}
	d.printf("People: reps %s; sales manager %s; %s from marketing.\n", strings.Join(reps, ", "), demoManager.Name, demoMarketer.Name)
	var api, hubspot, salesforce, visits, form, again int
	for _, l := range leads {
		switch {
		case l.again:
			again++
		case l.form:
			form++
		case l.visits != nil:
			visits++
		case l.hubspot:
			hubspot++
		case l.salesforce:
			salesforce++
		default:
			api++
		}
	}
	d.printf("Replaying week %d (%s to %s) and the Monday after: %d SQLs arrive (%d from marketing automation through POST /api/leads, %d from HubSpot's webhook, "+
		"%d from Salesforce's Outbound Messages, %d scored by its page views on the website, %d from the website's form), %d of them comes back as an SQL; "+
		"reps click in %s with signed requests.\n\n",
		week, d.monday.Format("Mon 2 Jan"), d.at(4, "17:00").Format("Mon 2 Jan 2006"), len(leads)-again, api, hubspot, salesforce, visits, form, again,
		demoChannelNames[demoSales])
}

// describeBusinessHours writes "Mon–Fri 08:00–17:00".
func describeBusinessHours(b *handoff.BusinessHours) string {
	if b == nil {
		return "round the clock"
	}
	var days []string
	for i := range 7 {
		if wd := time.Weekday((i + 1) % 7); b.Days[wd] {
			days = append(days, wd.String()[:3])
		}
	}
	clock := func(t time.Duration) string { return fmt.Sprintf("%02d:%02d", int(t.Hours()), int(t.Minutes())%60) }
	span := strings.Join(days, ", ")
	if strings.Join(days, ",") == "Mon,Tue,Wed,Thu,Fri" {
		span = "Mon–Fri"
	}
	return span + " " + clock(b.Start) + "–" + clock(b.End)
}

// narrate prints what the fake received since the last call that people
// would notice: posts to the managers' channel, reminders and private
// notices. With a heading, the lines are put under it and the time.
func (d *demo) narrate(heading string) {
	calls := d.slack.Calls("")
	var lines []string
	for _, c := range calls[d.reported:] {
		if c.TS == "" {
			continue
		}
		text := d.plain(c.Param("text"))
		ch := c.Param("channel")
		switch {
		case c.Method == "chat.postMessage" && ch == demoManagers:
			lines = append(lines, "→ "+demoChannelNames[ch]+": "+text)
		case c.Method == "chat.postMessage" && strings.HasPrefix(ch, "D") && strings.Contains(text, "Reminder"):
			lines = append(lines, "→ DM to "+d.mention(strings.TrimPrefix(ch, "D"))+": "+text)
		case c.Method == "chat.postEphemeral":
			lines = append(lines, "→ only "+d.mention(c.Param("user"))+" sees: "+text)
		}
	}
	d.reported = len(calls)
	lines = append(lines, d.narrateCRM()...)
	if len(lines) == 0 {
		return
	}
	if heading != "" {
		d.printf("%s  %s\n", d.when(d.clock.Now()), heading)
	}
	for _, l := range lines {
		d.printf("%18s%s\n", "", l)
	}
}

// mention is a user's @name.
func (d *demo) mention(id string) string {
	if n, ok := d.names[id]; ok {
		return "@" + n
	}
	return "@" + id
}

// terminal is the terminal renderer with the demo's people as @names.
func (d *demo) terminal() report.Options {
	return report.Options{Names: func(_, id string) (string, bool) {
		n, ok := d.names[id]
		return n, ok
	}}
}

// plain turns a message's Slack text (bot markup: mentions, entities, bold
// marks) into one printable line of plain text, as the terminal renderer does.
func (d *demo) plain(s string) string { return report.Printable(d.terminal().Plain(s)) }

// card prints what the stand-in Slack shows of a message through the
// terminal renderer, without its blank lines: the first line (the header)
// as a heading with note, the rest under it.
func (d *demo) card(m slacktest.Message, note string) {
	text := d.terminal().Render(m.Neutral())
	first := true
	for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		switch {
		case strings.TrimSpace(l) == "":
			continue
		case first && note != "":
			fmt.Fprintf(d.out, "  %s  %s\n", l, note)
		case first:
			fmt.Fprintf(d.out, "  %s\n", l)
		default:
			fmt.Fprintf(d.out, "      %s\n", l)
		}
		first = false
	}
	fmt.Fprintln(d.out)
}

func (d *demo) printChannel() {
	msgs := d.slack.Messages(demoSales)
	fmt.Fprintf(d.out, "\n═══ %s: what the channel shows now (%d messages, each in its final state) ═══\n\n", demoChannelNames[demoSales], len(msgs))
	for _, m := range msgs {
		note := ""
		if m.Updates > 0 {
			note = fmt.Sprintf("(updated %d×)", m.Updates)
		}
		d.card(m, note)
	}
}

func (d *demo) printManagers() {
	msgs := d.slack.Messages(demoManagers)
	fmt.Fprintf(d.out, "═══ %s: what the managers received (%d messages) ═══\n\n", demoChannelNames[demoManagers], len(msgs))
	for _, m := range msgs {
		d.card(m, "")
	}
}

func (d *demo) printDirect() {
	var claims, reminders, erased, other int
	var reminderLines []string
	for _, ch := range d.slack.Channels() {
		if !strings.HasPrefix(ch, "D") {
			continue
		}
		for _, m := range d.slack.Messages(ch) {
			text := d.plain(m.Text)
			switch {
			case strings.Contains(text, "Reminder"):
				reminders++
				reminderLines = append(reminderLines, d.mention(strings.TrimPrefix(ch, "D"))+": "+text)
			case strings.HasPrefix(text, "You claimed"):
				claims++
			case strings.Contains(text, "personal data was erased"):
				erased++
			default:
				other++
			}
		}
	}
	fmt.Fprintf(d.out, "═══ Direct messages and private notices ═══\n\n")
	otherText := ""
	if other > 0 {
		otherText = fmt.Sprintf(", %d other", other)
	}
	erasedText := ""
	if erased > 0 {
		erasedText = fmt.Sprintf(", %d now saying the lead's personal data was erased", erased)
	}
	fmt.Fprintf(d.out, "  %d direct messages: %d claim confirmations with the lead's details, %d SLA reminders%s%s\n",
		claims+reminders+erased+other, claims, reminders, erasedText, otherText)
	for _, l := range reminderLines {
		fmt.Fprintf(d.out, "      ⏰ %s\n", l)
	}
	notices := d.slack.Ephemeral()
	fmt.Fprintf(d.out, "  %d private notices in %s:\n", len(notices), demoChannelNames[demoSales])
	for _, m := range notices {
		fmt.Fprintf(d.out, "      only %s sees: %s\n", d.mention(m.User), d.plain(m.Text))
	}
	fmt.Fprintln(d.out)
}

// printSummary counts the week from the database.
func (d *demo) printSummary(ctx context.Context) error {
	stages := map[handoff.Stage]int{}
	var wonMinor int64
	perRep := map[string]int{}
	for _, rep := range d.claimed {
		perRep[rep]++
	}
	for _, key := range d.order {
		l, err := d.app.store.Lead(ctx, d.leads[key].id)
		if err != nil {
			return err
		}
		stages[l.Stage]++
		if l.Stage == handoff.StageWon {
			wonMinor += l.AmountMinor
		}
	}
	escalations := 0
	for _, m := range d.slack.Messages(demoManagers) {
		if strings.Contains(m.Text, "SLA breach") {
			escalations++
		}
	}
	cur := d.policy.Targets.Currency
	claimed := 0
	var reps []string
	for _, r := range demoReps {
		claimed += perRep[r.Name]
		reps = append(reps, fmt.Sprintf("%s %d", r.Name, perRep[r.Name]))
	}
	fmt.Fprintf(d.out, "═══ Summary of the week ═══\n\n")
	again := ""
	if len(d.again) > 0 {
		again = fmt.Sprintf("; %d came back as an SQL after sales returned it (%s)", len(d.again), strings.Join(d.again, ", "))
	}
	fmt.Fprintf(d.out, "  SQLs posted:       %d (marketing's target: %d a month)%s\n", len(d.order), d.policy.Targets.SQLsPerMonth, again)
	fmt.Fprintf(d.out, "  Claimed:           %d leads (%s); still unclaimed: %d\n", claimed, strings.Join(reps, ", "), stages[handoff.StageSQL])
	fmt.Fprintf(d.out, "  Where they stand:  %d claimed, not contacted · %d contacted · %d opportunities\n",
		stages[handoff.StageClaimed], stages[handoff.StageContacted], stages[handoff.StageOpportunity])
	fmt.Fprintf(d.out, "  Won:               %d deals, %s in total (sales' target: %d customers a month)\n",
		stages[handoff.StageWon], bot.FormatAmount(wonMinor, cur), d.policy.Targets.CustomersPerMonth)
	fmt.Fprintf(d.out, "  Lost:              %d · back to marketing: %d\n", stages[handoff.StageLost], stages[handoff.StageRecycled])
	fmt.Fprintf(d.out, "  SLA escalations:   %d to %s\n", escalations, demoChannelNames[demoManagers])
	if d.race != "" {
		fmt.Fprintf(d.out, "  Claim race:        %s\n", d.race)
	}
	if erased := len(d.erased) + d.hubSpotErased; erased > 0 {
		fmt.Fprintf(d.out, "  Erased on request: %s (%d by DELETE /api/leads/…, %d by HubSpot's contact.privacyDeletion); the leads stay in the figures, anonymous\n",
			bot.Count(erased, "person", "people"), len(d.erased), d.hubSpotErased)
	}
	hooks, bad := d.crm.counts()
	fromHubSpot, fromSalesforce := 0, 0
	for _, key := range d.order {
		if d.leads[key].hubspot {
			fromHubSpot++
		}
		if d.leads[key].salesforce {
			fromSalesforce++
		}
	}
	merged := ""
	if d.merged > 0 {
		merged = fmt.Sprintf(", %s merged there folded into the lead sales took first", bot.Count(d.merged, "contact", "contacts"))
	}
	if d.hubSpotDeleted > 0 {
		merged += fmt.Sprintf(", %s deleted there closed as lost", bot.Count(d.hubSpotDeleted, "contact", "contacts"))
	}
	if d.hubSpotRestored > 0 {
		merged += fmt.Sprintf(", %d of them restored there and reopened", d.hubSpotRestored)
	}
	if fromSalesforce > 0 {
		merged += fmt.Sprintf("; %s from Salesforce (Outbound Messages), %s it delivered out of order acknowledged and kept from the lead (%s %d)",
			bot.Count(fromSalesforce, "lead", "leads"), bot.Count(d.salesforceStale, "older notification", "older notifications"), demoStaleMetric, d.salesforceStale)
	}
	fmt.Fprintf(d.out, "  CRM:               %s from HubSpot (signed webhook)%s; %d webhooks to the CRM, %d with a bad signature\n",
		bot.Count(fromHubSpot, "lead", "leads"), merged, hooks, bad)
	ob, err := d.app.store.OutboxStats(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(d.out, "  Chat delivery:     cards whose answer was lost %d (found in the channel, not posted twice) · refused while @Handoff was out of %s %d (posted once it was back) · messages dead now %d\n",
		d.lostFound, demoChannelNames[demoSales], d.retried, ob.Dead)
	fmt.Fprintln(d.out)
	return nil
}

func (d *demo) printFunnel(m slacktest.Message) {
	fmt.Fprintf(d.out, "═══ /funnel month, asked by %s from marketing in %s ═══\n\n", demoMarketer.Name, demoChannelNames[demoAskedIn])
	d.card(m, "")
}
