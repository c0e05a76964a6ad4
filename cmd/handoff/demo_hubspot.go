// HubSpot's webhooks API in the demo: the events an app's subscriptions
// send about contacts Handoff knows (a deletion, a restore from HubSpot's
// recycling bin, an erasure at the person's request, a lifecycle stage
// changed in HubSpot), signed as the workflow's webhook is.

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/hubspot"
)

// The demo's HubSpot account and app, as their events name them.
const (
	demoHubSpotPortal = 24681357
	demoHubSpotApp    = 424242
)

// demoHubSpotSubscriptions are the ids of the app's subscriptions, by the
// events they send.
var demoHubSpotSubscriptions = map[string]int{"contact.deletion": 5101, "contact.privacyDeletion": 5102, "contact.propertyChange": 5103,
	"contact.restore": 5104}

// hubSpotEvent is one event of HubSpot's webhooks API, of subscription
// kind, about the contact key (its record id), made in HubSpot at
// occurred; attempt counts HubSpot's earlier tries to deliver it, and
// more adds a property change's propertyName and propertyValue.
func (d *demo) hubSpotEvent(kind, key string, occurred time.Time, attempt int, more map[string]any) map[string]any {
	d.hubSpotEvents++
	ev := map[string]any{
		"eventId": 9000 + d.hubSpotEvents, "subscriptionId": demoHubSpotSubscriptions[kind], "portalId": demoHubSpotPortal, "appId": demoHubSpotApp,
		"occurredAt": occurred.UnixMilli(), "subscriptionType": kind, "attemptNumber": attempt,
		"objectId": json.Number(key), "changeSource": "CRM_UI",
	}
	for k, v := range more {
		ev[k] = v
	}
	return ev
}

// deleteInHubSpot has marketing delete the lead's contact in HubSpot:
// the app's subscription sends contact.deletion, and the lead is closed,
// lost with the reason "deleted in HubSpot", dated by the event's
// occurredAt, its data kept and its SLA clock stopped. The lead as it was
// is kept for restoreInHubSpot.
func (d *demo) deleteInHubSpot(ctx context.Context, l *demoLeadState, reason string) error {
	now := d.clock.Now()
	before, err := d.app.store.Lead(ctx, l.id)
	if err != nil {
		return err
	}
	d.printf("%s  🗑  %s\n", d.when(now), reason)
	answer, err := d.sendHubSpot(ctx, l.key, []any{d.hubSpotEvent("contact.deletion", l.key, now, 0, nil)})
	if err != nil {
		return err
	}
	d.printf("%18s→ HubSpot's app sends contact.deletion of %s (webhooks API, signed) → 200 %s\n", "", l.key, answer)
	if err := d.settle(ctx); err != nil {
		return err
	}
	lead, err := d.app.store.Lead(ctx, l.id)
	if err != nil {
		return err
	}
	ev, err := d.lastStageEvent(ctx, l.id)
	if err != nil {
		return err
	}
	if lead.Stage != handoff.StageLost || lead.Reason != hubspot.DeletedReason || lead.ErasedAt != nil || !ev.At.Equal(now) || ev.Actor != hubspot.Actor {
		return fmt.Errorf("contact.deletion of %s: lead %s %q (erased %v), last stage %s at %s by %s; want lost %q at %s by %s, not erased",
			l.key, lead.Stage, lead.Reason, lead.ErasedAt, ev.Stage, ev.At, ev.Actor, hubspot.DeletedReason, now, hubspot.Actor)
	}
	d.hubSpotDeleted++
	l.deleted = before
	deadline := "claim"
	if before.ClaimedAt != nil {
		deadline = "contact"
	}
	d.printf("%18s→ the lead is closed, lost: %s, dated %s by the event's occurredAt; its data stays (a deletion is no erasure), "+
		"and its SLA clock stopped, so its %s deadline is nobody's breach\n", "", lead.Reason, d.when(ev.At), deadline)
	d.printf("%18s→ its card is updated: %s\n", "", d.cardHead(l.ts))
	return nil
}

// restoreInHubSpot has marketing restore the lead's contact from HubSpot's
// recycling bin after deleteInHubSpot deleted it: the app's subscription
// sends contact.restore, and the lead goes back to the stage it had
// before the deletion (handoff.StageBeforeDeletion), dated by the event's
// occurredAt, by hubspot, without the deletion's reason. A lead sales had
// taken is back with its owner, its claim kept, and its contact deadline
// is the one it had, counted from its arrival (handoff.Lead.EnterStages);
// an unclaimed SQL is announced again (restoredUnclaimed).
func (d *demo) restoreInHubSpot(ctx context.Context, l *demoLeadState, reason string) error {
	before := l.deleted
	if before == nil {
		return fmt.Errorf("contact.restore of %s: the demo did not delete it in HubSpot", l.key)
	}
	now, card := d.clock.Now(), l.ts
	d.printf("%s  🔄 %s\n", d.when(now), reason)
	raw, err := d.sendHubSpot(ctx, l.key, []any{d.hubSpotEvent("contact.restore", l.key, now, 0, nil)})
	if err != nil {
		return err
	}
	d.printf("%18s→ HubSpot's app sends contact.restore of %s (webhooks API, signed) → 200 %s\n", "", l.key, raw)
	var answer struct {
		Leads []struct {
			Stage              handoff.Stage
			Restored, Reopened bool
		}
	}
	if err := json.Unmarshal(raw, &answer); err != nil || len(answer.Leads) != 1 || !answer.Leads[0].Restored || !answer.Leads[0].Reopened ||
		answer.Leads[0].Stage != before.Stage {
		return fmt.Errorf("contact.restore of %s answered %s; want it restored and reopened at %s", l.key, raw, before.Stage)
	}
	if err := d.settle(ctx); err != nil {
		return err
	}
	lead, err := d.app.store.Lead(ctx, l.id)
	if err != nil {
		return err
	}
	events, err := d.app.store.Events(ctx, l.id)
	if err != nil {
		return err
	}
	var stages []handoff.Event
	for _, e := range events {
		if e.Kind == handoff.EventStage && e.Details["implied"] == "" {
			stages = append(stages, e)
		}
	}
	if len(stages) < 3 {
		return fmt.Errorf("contact.restore of %s: %d stage events, want its stage, the deletion and the restore", l.key, len(stages))
	}
	taken, deleted, restored := stages[len(stages)-3], stages[len(stages)-2], stages[len(stages)-1]
	if lead.Stage != before.Stage || lead.ErasedAt != nil ||
		deleted.Stage != handoff.StageLost || deleted.Details["reason"] != hubspot.DeletedReason || deleted.Actor != hubspot.Actor ||
		restored.Stage != before.Stage || !restored.At.Equal(now) || restored.Actor != hubspot.Actor || taken.Stage != before.Stage {
		return fmt.Errorf("contact.restore of %s: lead %s; history ends %s by %s, %s %q by %s, %s at %s by %s; "+
			"want it %s, its history %s, lost %q by %s, %s at %s by %s",
			l.key, lead.Stage, taken.Stage, taken.Actor, deleted.Stage, deleted.Details["reason"], deleted.Actor, restored.Stage, restored.At, restored.Actor,
			before.Stage, before.Stage, hubspot.DeletedReason, hubspot.Actor, before.Stage, now, hubspot.Actor)
	}
	if lead.Reason != "" {
		return fmt.Errorf("contact.restore of %s: the reopened lead keeps the reason %q; want none, the loss's reason in its history only", l.key, lead.Reason)
	}
	var then []string // what follows its history
	if before.ClaimedAt == nil {
		then, err = d.restoredUnclaimed(ctx, l, before, lead, card)
	} else {
		then, err = d.restoredClaimed(l, before, lead)
	}
	if err != nil {
		return err
	}
	d.hubSpotRestored++
	d.printf("%18s→ its history: %s by %s %s · lost (%s) by %s %s · %s again by %s %s\n", "",
		taken.Stage, d.actorName(taken.Actor), d.when(taken.At), deleted.Details["reason"], d.actorName(deleted.Actor), d.when(deleted.At),
		restored.Stage, d.actorName(restored.Actor), d.when(restored.At))
	for _, line := range then {
		d.printf("%18s→ %s\n", "", line)
	}
	return nil
}

// restoredClaimed checks a lead sales had taken, restored in HubSpot
// (before is the lead as it was before the deletion): back with its owner,
// its claim kept and its contact deadline the one it had. It prints that,
// and returns the lines to print after the lead's history.
func (d *demo) restoredClaimed(l *demoLeadState, before, lead *handoff.Lead) ([]string, error) {
	if lead.Owner != before.Owner || lead.ClaimedAt == nil || !lead.ClaimedAt.Equal(*before.ClaimedAt) || !sameTime(lead.ContactDueAt, before.ContactDueAt) {
		return nil, fmt.Errorf("contact.restore of %s: lead %s's, claimed %v, contact due %v; want it %s's since %s, contact due %v",
			l.key, lead.Owner.UserID, lead.ClaimedAt, lead.ContactDueAt, before.Owner.UserID, before.ClaimedAt, before.ContactDueAt)
	}
	d.printf("%18s→ the lead is back as it was before the deletion: %s, %s's, dated %s by the event's occurredAt\n", "",
		lead.Stage, d.mention(lead.Owner.UserID), d.when(d.clock.Now()))
	var then []string
	if lead.ContactDueAt != nil {
		then = append(then, fmt.Sprintf("its SLA clock runs again: the claim of %s still the one measured, contact by %s, the deadline it had, counted from its arrival",
			d.when(*lead.ClaimedAt), d.when(*lead.ContactDueAt)))
	}
	return append(then, "its card is updated: "+d.cardHead(l.ts)), nil
}

// restoredUnclaimed checks an SQL nobody had claimed, restored in HubSpot
// (before is the lead as it was before the deletion, card its card then):
// an SQL again, owned by nobody, dated by the restore's occurredAt, its
// claim deadline counted afresh from the restore's arrival (the rule of a
// lead that becomes an SQL again, handoff.Lead.EnterStages: the
// agreement's ClaimDue of when Handoff heard), and announced again on a
// new card with Claim in the sales channel, which the demo's later steps
// click, while the card of its deletion is updated to say that it came
// back (bot.EarlierCard). It prints that, and returns the lines to print
// after the lead's history.
func (d *demo) restoredUnclaimed(ctx context.Context, l *demoLeadState, before, lead *handoff.Lead, card string) ([]string, error) {
	now := d.clock.Now()
	due := d.policy.ClaimDue(now) // the restore arrived when HubSpot made it
	if lead.Stage != handoff.StageSQL || !lead.Owner.IsZero() || lead.ClaimedAt != nil || lead.SQLAt == nil || !lead.SQLAt.Equal(now) ||
		!sameTime(lead.ClaimDueAt, &due) || lead.SLABreached || before.ClaimDueAt == nil {
		return nil, fmt.Errorf("contact.restore of %s: lead %s, owner %q, claimed %v, SQL since %v, claim due %v, breached %v; "+
			"want an unclaimed SQL since %s, claim due %s, not breached", l.key, lead.Stage, lead.Owner.UserID, lead.ClaimedAt, lead.SQLAt,
			lead.ClaimDueAt, lead.SLABreached, d.when(now), d.when(due))
	}
	if err := d.posted(ctx, l.demoLead, l.id, ""); err != nil {
		return nil, err
	}
	if l.ts == "" || l.ts == card || !strings.Contains(strings.Join(d.cardLines(l.ts), "\n"), "Claim") {
		return nil, fmt.Errorf("contact.restore of %s: the sales channel's card %q (%q), the deletion's %q; want a new card with Claim",
			l.key, l.ts, d.cardLines(l.ts), card)
	}
	if old := strings.Join(d.cardLines(card), "\n"); !strings.Contains(old, "Came back as an SQL "+bot.Clock(now, now, d.policy)) ||
		!strings.Contains(old, "see its new card in the sales channel") || !strings.Contains(old, hubspot.DeletedReason) || strings.Contains(old, "✋ Claim") {
		return nil, fmt.Errorf("contact.restore of %s: the card of its deletion reads %q; want it to say that the lead came back at %s "+
			"and to see its new card, still saying %q, without Claim", l.key, old, d.when(now), hubspot.DeletedReason)
	}
	d.printf("%18s→ the lead is back as it was before the deletion: an SQL nobody has claimed, dated %s by the event's occurredAt, no reason on it\n", "",
		d.when(now))
	return []string{
		fmt.Sprintf("its SLA clock starts again from the restore's arrival: claim by %s, not the %s it had before the deletion",
			d.when(*lead.ClaimDueAt), d.when(*before.ClaimDueAt)),
		fmt.Sprintf("its card is posted again, with Claim: %s; the card of its deletion now reads %s, still saying %s, and to see its new card",
			d.cardHead(l.ts), d.cardHead(card), hubspot.DeletedReason),
	}, nil
}

// actorName is an event's actor as the demo shows it: a person's @name
// ("slack:U…" names the platform too), else the actor as recorded
// (hubspot, gdpr, …).
func (d *demo) actorName(actor string) string {
	if _, id, ok := strings.Cut(actor, ":"); ok {
		if n, ok := d.names[id]; ok {
			return "@" + n
		}
	}
	return actor
}

// sameTime reports whether a and b are both nil or the same instant.
func sameTime(a, b *time.Time) bool {
	return a == nil && b == nil || a != nil && b != nil && a.Equal(*b)
}

// eraseInHubSpot has marketing run HubSpot's GDPR delete on the lead's
// contact at the person's request: HubSpot sends contact.deletion and
// contact.privacyDeletion in one delivery, and Handoff closes the lead and
// erases it as DELETE /api/leads/{external_id} does, with hubspot
// recorded as who asked; its card says the personal data was erased.
func (d *demo) eraseInHubSpot(ctx context.Context, l *demoLeadState, reason string) error {
	now := d.clock.Now()
	d.printf("%s  🔒 %s\n", d.when(now), reason)
	events := []any{d.hubSpotEvent("contact.deletion", l.key, now, 0, nil), d.hubSpotEvent("contact.privacyDeletion", l.key, now, 0, nil)}
	answer, err := d.sendHubSpot(ctx, l.key, events)
	if err != nil {
		return err
	}
	d.printf("%18s→ HubSpot sends contact.deletion and contact.privacyDeletion of %s in one delivery (webhooks API, signed) → 200 %s\n", "", l.key, answer)
	if err := d.settle(ctx); err != nil {
		return err
	}
	lead, err := d.app.store.Lead(ctx, l.id)
	if err != nil {
		return err
	}
	if lead.ErasedAt == nil || lead.Name != "" || lead.Email != "" || lead.Company != "" || lead.Stage != handoff.StageLost {
		return fmt.Errorf("contact.privacyDeletion of %s: lead %s, erased %v, name %q; want it lost and erased", l.key, lead.Stage, lead.ErasedAt, lead.Name)
	}
	person := ""
	for _, line := range d.cardLines(l.ts) {
		if strings.Contains(line, "Personal data erased") {
			person = line
		}
	}
	if person == "" {
		return fmt.Errorf("contact.privacyDeletion of %s: the card does not say its data was erased: %q", l.key, d.cardLines(l.ts))
	}
	d.hubSpotErased++
	d.printf("%18s→ Handoff erases her lead as DELETE /api/leads/{external_id} does, with %s recorded as who asked; "+
		"its card in %s now reads %s over %q\n", "", hubspot.Actor, demoChannelNames[demoSales], d.cardHead(l.ts), person)
	return nil
}

// stageInHubSpot has a rep set the lead's lifecycle stage in HubSpot at
// since ("HH:MM" on day) to stage (an internal value): the app's
// subscription sends contact.propertyChange, whose first delivery fails,
// and HubSpot's retry reaches Handoff now. The lead enters the stage
// dated by the event's occurredAt, its history noting when it arrived.
func (d *demo) stageInHubSpot(ctx context.Context, l *demoLeadState, day int, stage, since, reason string) error {
	now := d.clock.Now()
	changed := d.at(day, since)
	d.printf("%s  📈 %s\n", d.when(now), reason)
	ev := d.hubSpotEvent("contact.propertyChange", l.key, changed, 1, map[string]any{"propertyName": "lifecyclestage", "propertyValue": stage})
	answer, err := d.sendHubSpot(ctx, l.key, []any{ev})
	if err != nil {
		return err
	}
	d.printf("%18s→ HubSpot's retry sends contact.propertyChange of %s: lifecyclestage %s, occurredAt %s (webhooks API, signed) → 200 %s\n", "",
		l.key, stage, d.when(changed), answer)
	if err := d.settle(ctx); err != nil {
		return err
	}
	last, err := d.lastStageEvent(ctx, l.id)
	if err != nil {
		return err
	}
	received, err := time.Parse(time.RFC3339, last.Details["received"])
	if err != nil || !last.At.Equal(changed) || last.Actor != hubspot.Actor {
		return fmt.Errorf("contact.propertyChange of %s: last stage %s at %s by %s, received %q; want it at %s (occurredAt) by %s, received noted",
			l.key, last.Stage, last.At, last.Actor, last.Details["received"], changed, hubspot.Actor)
	}
	d.printf("%18s→ %s entered %s at %s, when HubSpot changed it (occurredAt), not when the retry arrived %s later; its history says it was received %s\n", "",
		l.company, last.Stage, d.when(last.At), bot.FormatDuration(received.Sub(last.At)), d.when(received))
	d.printf("%18s→ its card is updated: %s\n", "", d.cardHead(l.ts))
	return nil
}

// lastStageEvent is the lead's latest stage event.
func (d *demo) lastStageEvent(ctx context.Context, id int64) (handoff.Event, error) {
	events, err := d.app.store.Events(ctx, id)
	if err != nil {
		return handoff.Event{}, err
	}
	for i := len(events) - 1; i >= 0; i-- {
		if events[i].Kind == handoff.EventStage {
			return events[i], nil
		}
	}
	return handoff.Event{}, fmt.Errorf("lead %d has no stage event", id)
}

// cardLines are the lines of the sales channel's message ts as the
// terminal shows them, without blank ones; none when there is no such
// message.
func (d *demo) cardLines(ts string) []string {
	var lines []string
	for _, m := range d.slack.Messages(demoSales) {
		if m.TS != ts {
			continue
		}
		for _, line := range strings.Split(d.terminal().Render(m.Neutral()), "\n") {
			if line = strings.TrimSpace(line); line != "" {
				lines = append(lines, line)
			}
		}
	}
	return lines
}

// cardHead is the first line of the sales channel's message ts as the
// terminal shows it, "" when there is none.
func (d *demo) cardHead(ts string) string {
	if lines := d.cardLines(ts); len(lines) > 0 {
		return lines[0]
	}
	return ""
}
