package teams_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot/teams"
	"github.com/handoff/handoff/bot/teams/teamstest"
	"github.com/handoff/handoff/internal/testkit"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// A message the bot posted in a channel is linked to in Microsoft's
// documented form for a channel's message, from what the store keeps of
// the channel and its team: the team's group id from the channel itself
// or from the team's General channel (kept when the app was added, as
// Teams names the group in that event); with any part unknown, or for a
// channel never stored, there is no link, and no error.
func TestMessageLink(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		bf := teamstest.New(t)
		ctx := context.Background()
		const (
			team, sales, leads = "19:general@thread.tacv2", "19:sales@thread.tacv2", "19:leads@thread.tacv2"
			other, otherSales  = "19:other@thread.tacv2", "19:othersales@thread.tacv2"
			group              = "6f1c2e7a-0b4d-4c55-9a4e-2d0f3b9e8c11"
		)
		for _, ref := range []handoff.TeamsConversation{
			{ConversationID: team, ChannelID: team, ChannelName: "General", TeamID: team, TeamName: "Sales & Marketing", GroupID: group},
			{ConversationID: sales, ChannelID: sales, ChannelName: "Sales leads", TeamID: team}, // from channelCreated: no group, no team name
			{ConversationID: leads, ChannelID: leads, ChannelName: "Leads", TeamID: team, TeamName: "Sales & Marketing", GroupID: group},
			{ConversationID: other, ChannelID: other, ChannelName: "General", TeamID: other, TeamName: "Other"}, // kept before group ids were
			{ConversationID: otherSales, ChannelID: otherSales, ChannelName: "Sales", TeamID: other, TeamName: "Other"},
		} {
			ref.ServiceURL, ref.TenantID, ref.BotID = bf.ServiceURL(), "t1", "28:"+teamstest.AppID
			if err := s.SaveTeamsConversation(ctx, ref, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		p := teams.NewPlatform(teams.NewConnector(teamstest.AppID, teamstest.AppSecret, bf.TokenURL(), nil, teamstest.ClientTimeout), s, "t1")
		const teamQuery = "&groupId=" + group
		for _, tt := range []struct {
			name, channel, message string
			want                   string
		}{
			{"channel knowing its team", leads, "1763897400000",
				"https://teams.microsoft.com/l/message/19:leads@thread.tacv2/1763897400000?tenantId=t1" + teamQuery + "&parentMessageId=1763897400000&teamName=Sales%20%26%20Marketing&channelName=Leads"},
			{"channel by name, its team's group from General", "Sales leads", "1001",
				"https://teams.microsoft.com/l/message/19:sales@thread.tacv2/1001?tenantId=t1" + teamQuery + "&parentMessageId=1001&teamName=Sales%20%26%20Marketing&channelName=Sales%20leads"},
			{"reply in a thread", leads + ";messageid=1700000000000", "1763897400000",
				"https://teams.microsoft.com/l/message/19:leads@thread.tacv2/1763897400000?tenantId=t1" + teamQuery + "&parentMessageId=1700000000000&teamName=Sales%20%26%20Marketing&channelName=Leads"},
			{"team Teams does not let the bot read", otherSales, "1001", ""},
			{"channel never stored", "19:unknown@thread.tacv2", "1001", ""},
			{"name never stored", "Nowhere", "1001", ""},
			{"direct chat", "29:rita", "1001", ""},
		} {
			t.Run(tt.name, func(t *testing.T) {
				got, err := p.MessageLink(ctx, tt.channel, tt.message)
				if err != nil || got != tt.want {
					t.Errorf("MessageLink(%q, %q) = %q, %v;\nwant %q", tt.channel, tt.message, got, err, tt.want)
				}
			})
		}
	})
}

// A team added before Handoff kept group ids is asked about once: the Bot
// Connector's team details give the group id and the team's name, the link
// is built from them, and they are kept on the channel's row and its
// team's General channel's, so that the next link asks Teams nothing.
// (What Teams' not saying or not answering does: the tests after this.)
func TestMessageLinkAsksTeamsOnceForATeamAddedBeforeGroupIDs(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		bf := teamstest.New(t)
		ctx := context.Background()
		tm, sales := saveOlderTeam(t, s, bf, "19:older@thread.tacv2")
		tm.Name = "Older team (renamed)"
		bf.SetTeam(tm)
		p := teams.NewPlatform(teams.NewConnector(teamstest.AppID, teamstest.AppSecret, bf.TokenURL(), nil, teamstest.ClientTimeout), s, "t1")
		want := olderTeamLink(tm, sales, "Older%20team%20%28renamed%29")
		for i := range 2 {
			if got, err := p.MessageLink(ctx, sales, "1001"); got != want || err != nil {
				t.Fatalf("link %d: MessageLink = %q, %v;\nwant %q", i+1, got, err, want)
			}
		}
		if n := bf.ConnectorRequests(); n != 1 {
			t.Errorf("Teams was asked for the team's details %d times for two links; want once", n)
		}
		for _, id := range []string{tm.ID, sales} {
			ref, err := s.TeamsConversation(ctx, id)
			if err != nil || ref.GroupID != tm.GroupID || ref.TeamName != tm.Name || ref.ServiceURL != bf.ServiceURL() {
				t.Errorf("stored %s = %+v, %v; want the team's group id and name kept", id, ref, err)
			}
		}
		// The General channel's own link needs no call either now.
		if got, err := p.MessageLink(ctx, tm.ID, "2002"); err != nil || !strings.Contains(got, "groupId="+tm.GroupID) {
			t.Errorf("General: MessageLink = %q, %v; want a link with the group id", got, err)
		}
		if n := bf.ConnectorRequests(); n != 1 {
			t.Errorf("Teams asked %d times after the General channel's link; want once in all", n)
		}
	})
}

// Links made at once to messages in a channel of a team added before
// Handoff kept group ids (the outbox updates many cards at once) share
// one ask of the Bot Connector for the team's details, whatever Teams
// answers: the details (every link made), 404 (the bot was removed from
// the team: no link) or 503 (Teams not answering: no link).
func TestMessageLinkAsksTeamsOnceAtATime(t *testing.T) {
	const links = 8
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		for i, tt := range []struct {
			name   string
			teams  func(bf *teamstest.Server, tm teamstest.Team)
			linked bool
		}{
			{"Teams gives the details", func(bf *teamstest.Server, tm teamstest.Team) { bf.SetTeam(tm) }, true},
			{"the bot was removed from the team", func(*teamstest.Server, teamstest.Team) {}, false},
			{"Teams does not answer", func(bf *teamstest.Server, _ teamstest.Team) { bf.Unavailable(links, "") }, false},
		} {
			t.Run(tt.name, func(t *testing.T) {
				bf := teamstest.New(t)
				tm, sales := saveOlderTeam(t, s, bf, fmt.Sprintf("19:older%d@thread.tacv2", i))
				tt.teams(bf, tm)
				p := teams.NewPlatform(teams.NewConnector(teamstest.AppID, teamstest.AppSecret, bf.TokenURL(), nil, teamstest.ClientTimeout), s, "t1")
				want := ""
				if tt.linked {
					want = olderTeamLink(tm, sales, "Older%20team")
				}
				got := make([]string, links)
				start := make(chan struct{})
				var wg sync.WaitGroup
				for j := range got {
					wg.Go(func() {
						<-start
						got[j], _ = p.MessageLink(context.Background(), sales, "1001")
					})
				}
				close(start)
				wg.Wait()
				for j, link := range got {
					if link != want {
						t.Errorf("link %d = %q; want %q", j+1, link, want)
					}
				}
				if n := bf.ConnectorRequests(); n != 1 {
					t.Errorf("Teams was asked for the team's details %d times for %d links made at once; want once", n, links)
				}
			})
		}
	})
}

// A link that stops waiting for its team's details (its request ended,
// its context cancelled) stops alone, though it started the look-up: the
// look-up goes on, not cancelled, for a link that joined it meanwhile,
// which is made from Teams' answer, and Teams is asked once.
func TestMessageLinkWaitsOnALookUpItsFirstCallerLeft(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		bf := teamstest.New(t)
		tm, sales := saveOlderTeam(t, s, bf, "19:left@thread.tacv2")
		bf.SetTeam(tm)
		p := teams.NewPlatform(teams.NewConnector(teamstest.AppID, teamstest.AppSecret, bf.TokenURL(), nil, teamstest.ClientTimeout), s, "t1")
		waiting := make(chan string, 2)
		p.OnTeamWait(func(team string) { waiting <- team })
		held := bf.HoldRequests(teamstest.ConnectorEndpoint)
		defer held.Release()
		type result struct {
			link string
			err  error
		}
		link := func(ctx context.Context, out chan<- result) {
			got, err := p.MessageLink(ctx, sales, "1001")
			out <- result{got, err}
		}
		first, second := make(chan result, 1), make(chan result, 1)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go link(ctx, first)
		<-held.Arrived // the first link's look-up asks Teams, which holds its answer
		<-waiting
		go link(context.Background(), second)
		<-waiting // the second link waits on the same look-up
		cancel()
		if r := <-first; r.link != "" || !errors.Is(r.err, context.Canceled) {
			t.Errorf("first link, its context cancelled: MessageLink = %q, %v; want no link and its context's error", r.link, r.err)
		}
		held.Release()
		if r, want := <-second, olderTeamLink(tm, sales, "Older%20team"); r.link != want || r.err != nil {
			t.Errorf("second link: MessageLink = %q, %v;\nwant %q", r.link, r.err, want)
		}
		select {
		case <-held.GaveUp:
			t.Error("the look-up's request to Teams was cancelled with the first link")
		default:
		}
		if n := bf.ConnectorRequests(); n != 1 {
			t.Errorf("Teams was asked for the team's details %d times; want once", n)
		}
	})
}

// After Teams gave no details of a team to link with (the team added
// before Handoff kept group ids), the next links do not ask again at
// once: they are left out, with no error. Teams refusing (404: the bot was
// removed from the team) is asked again an hour later, or not at all once
// the app is added back, whose event names the team's group, and so is an
// answer without the team's group id; Teams not answering (503, an error
// to the link that asked) is asked again a minute later, or when Teams
// throttles (429) or is unavailable (503) and asks for longer
// (Retry-After), then, up to the hour. An activity from the team (the bot
// is there: an admin allowed the app again, which sends no event) ends
// the hour, but not a wait Teams asked for. An answer without the team's
// name links with the name stored.
func TestMessageLinkAfterTeamsGaveNoDetails(t *testing.T) {
	type step struct {
		name    string
		advance time.Duration // the clock moved on first
		teams   func(t *testing.T, r linkRig)
		linked  bool
		err     bool
		asks    int // requests to the Bot Connector's team details
	}
	knows := func(_ *testing.T, r linkRig) { r.bf.Unavailable(0, ""); r.bf.SetTeam(r.team) }
	down := func(_ *testing.T, r linkRig) { r.bf.Unavailable(100, "") }
	throttled := func(retryAfter string) func(*testing.T, linkRig) {
		return func(_ *testing.T, r linkRig) { r.bf.RateLimit(1, retryAfter) }
	}
	unavailable := func(retryAfter string) func(*testing.T, linkRig) {
		return func(_ *testing.T, r linkRig) { r.bf.Unavailable(1, retryAfter) }
	}
	answers := func(change func(*teamstest.Team)) func(*testing.T, linkRig) {
		return func(_ *testing.T, r linkRig) {
			tm := r.team
			change(&tm)
			r.bf.SetTeam(tm)
		}
	}
	noGroup := answers(func(tm *teamstest.Team) { tm.GroupID = "" })
	noName := answers(func(tm *teamstest.Team) { tm.Name = "" })
	handled := func(activity func(teamstest.Team) map[string]any) func(*testing.T, linkRig) {
		return func(t *testing.T, r linkRig) {
			app := teams.NewApp(teams.AppConfig{Platform: r.p, Store: r.s, Leads: r.s, Dedup: r.s, Logger: testkit.Quiet()})
			if _, err := app.Handle(context.Background(), decoded(t, activity(r.team))); err != nil {
				t.Fatal(err)
			}
		}
	}
	addedBack := handled(teamstest.Team.Installed)
	// heard is the app allowed again in the team (Teams would answer),
	// which sends no event, then an activity from the team: a person
	// added, whose event here does not name the group (one that does
	// stores it: TestTeamsLinkKeepsTheGroupIDAnEventCarries).
	heard := func(t *testing.T, r linkRig) {
		knows(t, r)
		handled(func(tm teamstest.Team) map[string]any { tm.GroupID = ""; return tm.MemberAdded("29:newcomer") })(t, r)
	}
	// heldOff is Teams not answering as answer makes it (an error to
	// the link that asked), asking for more than the minute: Teams is not
	// asked again for wait, then is.
	heldOff := func(answer func(*testing.T, linkRig), wait time.Duration) []step {
		return []step{
			{name: "asked", teams: answer, err: true, asks: 1},
			{name: "not within the minute", advance: teams.TeamUnansweredFor},
			{name: "nor within the wait", advance: wait - teams.TeamUnansweredFor - time.Second},
			{name: "asked after it", advance: time.Second, teams: knows, linked: true, asks: 1},
		}
	}
	cases := []struct {
		name  string
		steps []step
	}{
		{"the bot was removed from the team", []step{
			{name: "asked", asks: 1},
			{name: "not asked again"},
			{name: "nor within the hour", advance: teams.TeamWontSayFor - time.Second},
			{name: "asked after it", advance: time.Second, teams: knows, linked: true, asks: 1},
			{name: "kept", linked: true},
		}},
		{"the app added back", []step{
			{name: "asked", asks: 1},
			{name: "not asked again"},
			{name: "its event names the group", teams: addedBack, linked: true},
		}},
		{"the bot was removed from the team, then heard from in it", []step{
			{name: "asked", asks: 1},
			{name: "not asked again"},
			{name: "asked after an activity from the team", teams: heard, linked: true, asks: 1},
		}},
		{"Teams does not answer", []step{
			{name: "asked", teams: down, err: true, asks: 1},
			{name: "not asked again"},
			{name: "nor within the minute", advance: teams.TeamUnansweredFor - time.Second},
			{name: "asked after it", advance: time.Second, teams: knows, linked: true, asks: 1},
		}},
		{"Teams throttles, asking for ten minutes", heldOff(throttled("600"), 10*time.Minute)},
		{"Teams throttles, not saying for how long", []step{
			{name: "asked", teams: throttled(""), err: true, asks: 1},
			{name: "not within the minute", advance: teams.TeamUnansweredFor - time.Second},
			{name: "asked after it", advance: time.Second, teams: knows, linked: true, asks: 1},
		}},
		{"Teams is unavailable, asking for ten minutes", heldOff(unavailable("600"), 10*time.Minute)},
		{"Teams is unavailable, asking for ten minutes, then an activity from the team", []step{
			{name: "asked", teams: unavailable("600"), err: true, asks: 1},
			{name: "not after the activity", teams: heard},
			{name: "nor within the wait", advance: 10*time.Minute - time.Second},
			{name: "asked after it", advance: time.Second, linked: true, asks: 1},
		}},
		{"Teams throttles, asking for a day: the hour", heldOff(throttled("86400"), teams.TeamWontSayFor)},
		{"Teams answers without the group id", []step{
			{name: "asked", teams: noGroup, asks: 1},
			{name: "not asked again"},
			{name: "nor within the hour", advance: teams.TeamWontSayFor - time.Second},
			{name: "asked after it", advance: time.Second, teams: knows, linked: true, asks: 1},
		}},
		{"Teams answers without the group id, the app added back", []step{
			{name: "asked", teams: noGroup, asks: 1},
			{name: "not asked again"},
			{name: "its event names the group", teams: addedBack, linked: true},
		}},
		{"Teams answers without the group id, then heard from in the team", []step{
			{name: "asked", teams: noGroup, asks: 1},
			{name: "not asked again"},
			{name: "asked after an activity from the team", teams: heard, linked: true, asks: 1},
		}},
		{"Teams answers without the team's name", []step{
			{name: "asked", teams: noName, linked: true, asks: 1},
			{name: "kept", linked: true},
		}},
	}
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		for i, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				bf := teamstest.New(t)
				tm, sales := saveOlderTeam(t, s, bf, fmt.Sprintf("19:gone%d@thread.tacv2", i))
				clock := testkit.NewClock(testkit.T0)
				p := teams.NewPlatform(teams.NewConnector(teamstest.AppID, teamstest.AppSecret, bf.TokenURL(), nil, teamstest.ClientTimeout), s, "t1")
				p.Now = clock.Now
				r := linkRig{bf: bf, s: s, p: p, team: tm}
				for _, st := range c.steps {
					clock.Advance(st.advance)
					if st.teams != nil {
						st.teams(t, r)
					}
					before := bf.ConnectorRequests()
					got, err := p.MessageLink(context.Background(), sales, "1001")
					want := ""
					if st.linked {
						want = olderTeamLink(tm, sales, "Older%20team")
					}
					if got != want || (err != nil) != st.err {
						t.Errorf("%s: MessageLink = %q, %v;\nwant %q, error %v", st.name, got, err, want, st.err)
					}
					if n := bf.ConnectorRequests() - before; n != st.asks {
						t.Errorf("%s: Teams was asked for the team's details %d times; want %d", st.name, n, st.asks)
					}
				}
			})
		}
	})
}

// linkRig is a platform linking to messages in a channel of team, on
// store s and the Bot Connector bf.
type linkRig struct {
	bf   *teamstest.Server
	s    *storage.Store
	p    *teams.Platform
	team teamstest.Team
}

// saveOlderTeam stores the team general (its General channel) and its
// channel "Sales" as Handoff kept them before it kept group ids: the
// team's name on General, no group id, the team's id alone on Sales. It
// returns the team as Teams knows it, with a group id, and Sales' id.
func saveOlderTeam(t *testing.T, s *storage.Store, bf *teamstest.Server, general string) (teamstest.Team, string) {
	t.Helper()
	sales := strings.Replace(general, "@", "sales@", 1)
	for _, ref := range []handoff.TeamsConversation{
		{ConversationID: general, ChannelID: general, ChannelName: "General", TeamID: general, TeamName: "Older team"},
		{ConversationID: sales, ChannelID: sales, ChannelName: "Sales", TeamID: general},
	} {
		ref.ServiceURL, ref.TenantID, ref.BotID = bf.ServiceURL(), "t1", "28:"+teamstest.AppID
		if err := s.SaveTeamsConversation(context.Background(), ref, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	return teamstest.Team{Tenant: "t1", ID: general, Name: "Older team", GroupID: "0c3d2b1a-9e8f-4a7b-8c6d-5e4f3a2b1c0d",
		BotID: "28:" + teamstest.AppID, ServiceURL: bf.ServiceURL()}, sales
}

// olderTeamLink is the link to message 1001 in channel Sales (sales) of
// team tm, named teamName in the link's query.
func olderTeamLink(tm teamstest.Team, sales, teamName string) string {
	return "https://teams.microsoft.com/l/message/" + sales + "/1001?tenantId=t1&groupId=" + tm.GroupID +
		"&parentMessageId=1001&teamName=" + teamName + "&channelName=Sales"
}

// A team whose General channel was stored with neither its name nor its
// group id has both kept from a team member event that names them, and
// its links are made from the store though Teams refuses the team's
// details.
func TestMessageLinkTeamNamedByAMemberEvent(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		bf := teamstest.New(t)
		ctx := context.Background()
		const general, sales = "19:unnamed@thread.tacv2", "19:unnamedsales@thread.tacv2"
		for _, ref := range []handoff.TeamsConversation{
			{ConversationID: general, ChannelID: general, ChannelName: "General", TeamID: general},
			{ConversationID: sales, ChannelID: sales, ChannelName: "Sales", TeamID: general},
		} {
			ref.ServiceURL, ref.TenantID, ref.BotID = bf.ServiceURL(), "t1", "28:"+teamstest.AppID
			if err := s.SaveTeamsConversation(ctx, ref, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		tm := teamstest.Team{Tenant: "t1", ID: general, Name: "Older team", GroupID: "0c3d2b1a-9e8f-4a7b-8c6d-5e4f3a2b1c0d",
			BotID: "28:" + teamstest.AppID, ServiceURL: bf.ServiceURL()}
		p := teams.NewPlatform(teams.NewConnector(teamstest.AppID, teamstest.AppSecret, bf.TokenURL(), nil, teamstest.ClientTimeout), s, "t1")
		app := teams.NewApp(teams.AppConfig{Platform: p, Store: s, Leads: s, Dedup: s, Logger: testkit.Quiet()})
		if _, err := app.Handle(ctx, decoded(t, tm.MemberAdded("29:newcomer"))); err != nil {
			t.Fatal(err)
		}
		if got, err := s.TeamsConversation(ctx, general); err != nil || got.GroupID != tm.GroupID || got.TeamName != tm.Name {
			t.Errorf("the team's General channel = %+v, %v; want its group id and name kept", got, err)
		}
		if got, err := p.MessageLink(ctx, sales, "1001"); err != nil || got != olderTeamLink(tm, sales, "Older%20team") {
			t.Errorf("MessageLink = %q, %v; want the link", got, err)
		}
		if n := bf.ConnectorRequests(); n != 0 {
			t.Errorf("Teams was asked for the team's details %d times; want none", n)
		}
	})
}
