package report

import (
	"context"
	"fmt"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
)

// HomeStore is what a user's home reads; *storage.Store implements it.
type HomeStore interface {
	OpenLeadsPage(ctx context.Context, owner string, offset, limit int) ([]*handoff.Lead, int, error)
	RepActivity(ctx context.Context, period handoff.Period, now time.Time) ([]handoff.RepActivity, error)
	OpenSQLs(ctx context.Context, now time.Time, p handoff.Policy, limit int) (handoff.OpenSQLs, error)
}

// homeLeadLimit caps the leads a home lists, the most urgent (Slack allows
// 100 blocks in a view; each lead takes two).
const homeLeadLimit = 15

// homeBreachLimit caps the breaches a manager's home lists.
const homeBreachLimit = 10

// Homes builds users' homes from the store. Store is required; Managers
// (keyed by platform) says who sees the team's breaches; Now defaults to
// time.Now.
type Homes struct {
	Store    HomeStore
	Policy   handoff.Policy
	Managers map[string]bot.Managers
	Now      func() time.Time
}

// Home builds the home of userID on platform as of now. It returns a
// wrapped error when the store or the manager lookup fails.
func (h *Homes) Home(ctx context.Context, platform, userID string) (bot.Home, error) {
	now := time.Now()
	if h.Now != nil {
		now = h.Now()
	}
	manager := false
	if m := h.Managers[platform]; m != nil {
		ok, err := m.IsManager(ctx, userID)
		if err != nil {
			return bot.Home{}, fmt.Errorf("bot: home of %s:%s: is a manager: %w", platform, userID, err)
		}
		manager = ok
	}
	week, err := handoff.ParsePeriod("week", now, h.Policy.Location)
	if err != nil {
		return bot.Home{}, fmt.Errorf("bot: home of %s:%s: %w", platform, userID, err)
	}
	reps, err := h.Store.RepActivity(ctx, week, now)
	if err != nil {
		return bot.Home{}, fmt.Errorf("bot: home of %s:%s: %w", platform, userID, err)
	}
	leads, total, err := h.Store.OpenLeadsPage(ctx, userID, 0, homeLeadLimit)
	if err != nil {
		return bot.Home{}, fmt.Errorf("bot: home of %s:%s: %w", platform, userID, err)
	}
	var open *handoff.OpenSQLs
	if manager {
		o, err := h.Store.OpenSQLs(ctx, now, h.Policy, homeBreachLimit)
		if err != nil {
			return bot.Home{}, fmt.Errorf("bot: home of %s:%s: %w", platform, userID, err)
		}
		open = &o
	}
	var mine *handoff.RepActivity
	for i, r := range reps {
		if r.Owner.Platform == platform && r.Owner.UserID == userID {
			mine = &reps[i]
		}
	}
	return HomeOf(userID, week, mine, LeadList{Leads: leads, Total: total}, open, now, h.Policy), nil
}

// HomeOf is the home of userID: their week (activity nil when they did
// nothing yet), their open leads (the most urgent, and how many they have
// in all), and, when open is not nil (a manager), the team's open
// breaches.
func HomeOf(userID string, week handoff.Period, activity *handoff.RepActivity, list LeadList, open *handoff.OpenSQLs, now time.Time, p handoff.Policy) bot.Home {
	leads := list.Leads
	total := max(list.Total, len(leads))
	var a handoff.RepActivity
	if activity != nil {
		a = *activity
	}
	var median *float64
	if a.MedianContactMs != nil {
		s := *a.MedianContactMs / 1000
		median = &s
	}
	h := bot.Home{Week: bot.Message{
		Summary: "Your leads in Handoff",
		Header:  "📋 Your leads",
		Sections: []bot.Section{
			{Text: fmt.Sprintf("*Your week* (%s, %s)", week.Label, periodSpan(week, p)), Fields: []bot.Field{
				{Key: "Claimed", Value: count(a.Claimed)},
				{Key: "Contacted in time", Value: slaText(a.SLAStats)},
				{Key: "Median time to contact", Value: secondsOrDash(median)},
			}},
			{Text: fmt.Sprintf("*Your open leads (%d)*", total)},
		},
	}, LeadsTotal: total, LeadsMore: fmt.Sprintf("`/leads mine` lists them all, %d a page.", reportListLimit)}
	if len(leads) == 0 {
		h.Week.Sections[1].Text += "\nNone right now: claim new SQLs on their cards in the sales channel."
	}
	for _, l := range leads {
		line := fmt.Sprintf("*%s* · %s · %s", leadRef(l), l.Stage, nextDeadline(l, now, p))
		if person := bot.PersonLine(l); person != "" {
			line += "\n" + person
		}
		h.Leads = append(h.Leads, bot.Message{Summary: bot.TitleFirst(l), Sections: []bot.Section{{Text: line}}, Buttons: bot.LeadCard(l, now, p).Buttons})
	}
	h.Week.Context = append(h.Week.Context, "Times are "+zoneName(p)+". Updated when your leads change.")
	if open != nil {
		b := BreachedMessage(*open, now, p)
		b.Header = "🚨 Team: open breaches"
		h.Breaches = &b
	}
	return h
}
