package teams_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/report"
	"github.com/handoff/handoff/bot/teams"
	"github.com/handoff/handoff/bot/teams/teamstest"
	"github.com/handoff/handoff/internal/fixtures"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestLargestMessagesReachTeams posts to the stand-in Bot Framework, which
// refuses a message over about 28 KB as Teams does (413
// MessageSizeTooBig), the largest messages lead data can make: a lead whose
// every field is as long as intake takes and made of the characters that
// grow most once escaped for markdown and JSON, on its card at each stage,
// in the owner's DM, its history and the lists, and 500 of them in the
// note on a deactivated rep; and a digest of 200 reps.
// Every one must reach the channel. A card the fake refuses shows that the
// fake still checks.
func TestLargestMessagesReachTeams(t *testing.T) {
	s := storagetest.Open(t, storage.DialectSQLite)
	bf := teamstest.New(t)
	ctx := context.Background()
	const sales = "19:sales@thread.tacv2"
	ref := handoff.TeamsConversation{ConversationID: sales, ChannelID: sales, ChannelName: "Sales", TeamID: sales, TeamName: "Sales Team",
		ServiceURL: bf.ServiceURL(), TenantID: "t1", BotID: "28:" + teamstest.AppID}
	if err := s.SaveTeamsConversation(ctx, ref, time.Now()); err != nil {
		t.Fatal(err)
	}
	pl := teams.NewPlatform(teams.NewConnector(teamstest.AppID, teamstest.AppSecret, bf.TokenURL(), nil, teamstest.ClientTimeout), s, "t1")

	p := fixtures.Policy(t)
	long := strings.Repeat("<&*_\"", handoff.MaxFieldLen/5)
	big := func(st handoff.Stage) *handoff.Lead {
		l := fixtures.OwnedLead(p, st, handoff.Owner{Platform: "teams", UserID: repID, Email: long})
		l.Name, l.Company, l.Title, l.Phone, l.Source, l.Campaign, l.ScoreReasons = long, long, long, long, long, long, long
		l.Email, l.ExternalID = long, long
		if l.Reason != "" {
			l.Reason = long
		}
		return l
	}
	now := fixtures.Now
	msgs := map[string]bot.Message{}
	for _, st := range []handoff.Stage{handoff.StageSQL, handoff.StageClaimed, handoff.StageContacted, handoff.StageWon, handoff.StageLost, handoff.StageRecycled} {
		msgs["card "+string(st)] = bot.LeadCard(big(st), now, p)
	}
	l := big(handoff.StageClaimed)
	msgs["owner dm"] = bot.OwnerDM(l, now, p)
	msgs["reminder"] = bot.ReminderCard(l, now, p)
	var events []handoff.Event
	for i := range 100 {
		events = append(events, handoff.Event{Kind: handoff.EventRelease, At: now.Add(time.Duration(i) * time.Minute), Actor: "teams:" + repID,
			Details: map[string]string{"reason": long}})
	}
	msgs["history"] = report.HistoryMessage(l, events, now, p)
	var leads []*handoff.Lead
	for range 20 {
		leads = append(leads, big(handoff.StageClaimed))
	}
	msgs["open leads"] = report.LeadsMessage("Open leads", leads, true, now, p)
	open := handoff.OpenSQLs{Unclaimed: leads, Waiting: leads, Breached: leads, UnclaimedTotal: 20, WaitingTotal: 20, BreachedTotal: 20}
	msgs["sla"] = report.SLAMessage(open, nil, handoff.Period{Label: "2026-11", Start: now.Add(-time.Hour), End: now}, now, p)
	var many []*handoff.Lead
	for range 500 {
		many = append(many, big(handoff.StageClaimed))
	}
	msgs["deactivated rep"] = bot.DeactivatedNote(handoff.RepRef{Platform: "teams", ID: repID}, true, many, many, nil, nil)
	var reps []handoff.RepActivity
	for i := range 200 {
		reps = append(reps, handoff.RepActivity{Owner: handoff.Owner{Platform: "teams", UserID: fmt.Sprintf("29:rep-%03d", i), Email: long},
			Claimed: 3, Contacted: 2, SLAStats: handoff.SLAStats{Due: 3, Met: 2, Breached: 1}})
	}
	week, err := handoff.ParsePeriod("2026-W47", now, p.Location)
	if err != nil {
		t.Fatal(err)
	}
	msgs["digest"] = report.DigestMessage(handoff.NewFunnel(handoff.FunnelFilter{Period: week, Now: now}, handoff.FunnelCounts{}, p), reps, open, nil, nil, now, p)

	for name, m := range msgs {
		t.Run(name, func(t *testing.T) {
			if _, err := pl.Post(ctx, sales, m); err != nil {
				t.Errorf("Teams refused the %s: %v", name, err)
			}
		})
	}

	// The fake refuses what Teams would: a message past the limit.
	bf.SetMaxMessage(2048)
	_, err = pl.Post(ctx, sales, bot.Notice(strings.Repeat("x", 3000)))
	if err == nil || !bot.IsPermanent(err) || !strings.Contains(err.Error(), "MessageSizeTooBig") {
		t.Errorf("a message past the fake's limit: %v, want Teams' 413 MessageSizeTooBig, permanent", err)
	}
}
