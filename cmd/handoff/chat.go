package main

import (
	"context"
	"fmt"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/outbox"
	"github.com/handoff/handoff/bot/report"
	slackbot "github.com/handoff/handoff/bot/slack"
	teamsbot "github.com/handoff/handoff/bot/teams"
	"github.com/handoff/handoff/handlers"
	"github.com/handoff/handoff/storage"
)

// chat is what wireChat gathers from the enabled platforms before it
// builds the bot.
type chat struct {
	targets   []bot.Target
	managers  map[string]bot.Managers
	directory map[string]bot.Directory
	sales     map[string]bot.SalesMembers
	users     map[string]bot.UserIDs
	slackAPI  *slackapi.Client
	slack     *slackbot.Platform
	teams     *teamsbot.Platform
	// slackMembers and teamsMembers are the sales channels' members, also
	// in sales, and slackManagers Slack's managers, also in managers, kept
	// up to date by each platform's events.
	slackMembers  *slackbot.SalesMembers
	teamsMembers  *teamsbot.SalesMembers
	slackManagers *slackbot.Managers
}

// newChat returns an empty chat, ready for slackPlatform and teamsPlatform.
func newChat() *chat {
	return &chat{managers: map[string]bot.Managers{}, directory: map[string]bot.Directory{}, sales: map[string]bot.SalesMembers{}, users: map[string]bot.UserIDs{}}
}

// wireChat builds the bot, one outbox dispatcher for every enabled chat
// platform, and each platform's endpoints.
func (a *app) wireChat() error {
	c := newChat()
	a.slackPlatform(c)
	if err := a.teamsPlatform(c); err != nil {
		return err
	}
	if len(c.targets) == 0 {
		a.logger.Warn("no chat platform is configured (SLACK_BOT_TOKEN, TEAMS_APP_ID): leads are stored but not posted")
		return nil
	}
	if err := a.wireOutbox(c.targets, c.managers); err != nil {
		return err
	}
	b := bot.New(bot.Config{Store: a.store, Policy: a.cfg.Policy, Now: a.now, Logger: a.logger,
		Managers: c.managers, Directory: c.directory, SalesMembers: c.sales, Reps: a.store, Users: c.users, RouteRequest: a.routeRequest,
		RepBack: a.repBack})
	reports := bot.NewCommandLimit(b.RepCommands(b.Readers(&report.Reports{Store: routingView{a.store, a.repStates}, Policy: a.cfg.Policy, Now: a.now})))
	if err := a.wireSlackApp(*c, b, reports); err != nil {
		return err
	}
	a.wireTeamsApp(*c, b, reports)
	return nil
}

// slackPlatform adds Slack when it is configured.
func (a *app) slackPlatform(c *chat) {
	cfg := a.cfg.Slack
	if !cfg.Enabled() {
		return
	}
	c.slackAPI = slackbot.NewClient(cfg.BotToken, cfg.AppToken, cfg.APIURL, cfg.Timeout)
	c.slack = slackbot.NewPlatform(c.slackAPI)
	c.targets = append(c.targets, bot.Target{Platform: c.slack, SalesChannel: cfg.SalesChannel, ManagerChannel: cfg.ManagerChannel})
	c.slackManagers = slackbot.NewManagers(c.slackAPI, cfg.Managers, cfg.ManagerGroup, cfg.Timeout)
	c.slackManagers.Share(a.store)
	c.managers[slackbot.Name] = c.slackManagers
	c.directory[slackbot.Name] = c.slack
	c.slackMembers = slackbot.NewSalesMembers(c.slackAPI, cfg.SalesChannel, cfg.Timeout)
	c.slackMembers.Share(a.store)
	c.sales[slackbot.Name] = c.slackMembers
	if cfg.SalesChannel == "" {
		a.logger.Warn("SLACK_SALES_CHANNEL is not set: new SQLs cannot be posted to Slack")
	}
}

// teamsPlatform adds Microsoft Teams when it is configured.
func (a *app) teamsPlatform(c *chat) error {
	cfg := a.cfg.Teams
	if !cfg.Enabled() {
		return nil
	}
	conn := teamsbot.NewConnector(cfg.AppID, cfg.AppPassword, cfg.TokenURL, nil, cfg.Timeout)
	conn.Scope = cfg.TokenScope
	c.teams = teamsbot.NewPlatform(conn, a.store, cfg.TenantID)
	c.teams.Now = a.now // the users and pins it stores are dated on the database's time
	c.teams.Roster = teamsbot.NewRoster(c.teams, cfg.SalesChannel)
	a.roster = c.teams.Roster
	if err := c.teams.PinChannels(context.Background(), cfg.SalesChannel, cfg.ManagerChannel); err != nil {
		return fmt.Errorf("TEAMS_SALES_CHANNEL/TEAMS_MANAGER_CHANNEL: %w", err)
	}
	c.targets = append(c.targets, bot.Target{Platform: c.teams, SalesChannel: cfg.SalesChannel, ManagerChannel: cfg.ManagerChannel})
	c.managers[teamsbot.Name] = teamsbot.NewManagers(c.teams, cfg.Managers)
	c.directory[teamsbot.Name] = c.teams
	c.users[teamsbot.Name] = c.teams
	c.teamsMembers = teamsbot.NewSalesMembers(c.teams, cfg.SalesChannel)
	c.teamsMembers.Share(a.store)
	c.sales[teamsbot.Name] = c.teamsMembers
	if cfg.SalesChannel == "" {
		a.logger.Warn("TEAMS_SALES_CHANNEL is not set: new SQLs cannot be posted to Teams")
	}
	return nil
}

// wireOutbox adds the outbox worker that delivers chat work to targets and
// publishes homes (managers see the team's breaches in theirs).
func (a *app) wireOutbox(targets []bot.Target, managers map[string]bot.Managers) error {
	if a.store.Dialect() == storage.DialectSQLite {
		// One replica only on SQLite: any lease left is a crashed predecessor's.
		if n, err := a.store.ReleaseOutboxLeases(context.Background()); err != nil {
			return err
		} else if n > 0 {
			a.logger.Info("released outbox messages leased by a previous run", "messages", n)
		}
	}
	a.outbox = outbox.New(outbox.Config{Store: a.store, Targets: targets, Policy: a.cfg.Policy, Now: a.now, Logger: a.logger,
		Lease: a.cfg.OutboxLease, OnCall: a.metrics.ChatCall, OnParked: func(string) { a.metrics.Parked("outbox") },
		Interactive: &a.interactive, Route: a.routeLead,
		Homes: &report.Homes{Store: a.store, Policy: a.cfg.Policy, Managers: managers, Now: a.now}})
	a.metrics.WatchParked("outbox")
	for _, t := range targets {
		a.metrics.WatchChat(t.Platform.Name(), outbox.Methods)
	}
	a.addWorker("outbox", a.outbox.Run)
	return nil
}

// wireSlackApp connects Slack's clicks, forms and commands to the bot,
// over Socket Mode or signed HTTP requests.
func (a *app) wireSlackApp(c chat, b *bot.Bot, reports bot.CommandAnswerer) error {
	if c.slackAPI == nil {
		return nil
	}
	cfg := a.cfg.Slack
	workspace := slackbot.NewWorkspace(c.slackAPI, cfg.Timeout)
	workspace.Share(a.store)
	if _, err := workspace.TeamID(context.Background()); err != nil {
		a.logger.Warn("slack: cannot tell the bot token's workspace yet (auth.test); Slack requests are refused until it answers", "err", err)
	}
	slackApp := slackbot.NewApp(slackbot.AppConfig{Bot: b, Platform: c.slack, Workspace: workspace, Answerer: reports,
		Members: c.slackMembers, Managers: c.slackManagers, SalesChannel: cfg.SalesChannel, ManagerChannel: cfg.ManagerChannel,
		OnChannelLost: func() { a.metrics.ChannelLost(slackbot.Name) },
		OnChannelBack: func(ctx context.Context, channel string) { a.outbox.ChannelBack(ctx, slackbot.Name, channel) },
		Dedup:         a.store, Now: a.now, Logger: a.logger})
	if cfg.SocketMode() {
		socket := slackbot.NewSocketMode(c.slackAPI, slackApp, a.logger, cfg.Timeout)
		socket.OnClaimAck = func(d time.Duration) { a.metrics.ClaimAck(slackbot.Name, d) }
		socket.Interactive = &a.interactive
		a.addWorker("slack-socket-mode", socket.Run)
		return nil
	}
	(&handlers.Slack{SigningSecret: cfg.SigningSecret, App: slackApp, Logger: a.logger, Metrics: a.metrics,
		Interactive: &a.interactive}).Register(a.mux)
	return nil
}

// wireTeamsApp connects Bot Framework activities to the bot.
func (a *app) wireTeamsApp(c chat, b *bot.Bot, reports bot.CommandAnswerer) {
	if c.teams == nil {
		return
	}
	cfg := a.cfg.Teams
	teamsApp := teamsbot.NewApp(teamsbot.AppConfig{Bot: b, Leads: a.store, Store: a.store, Dedup: a.store, Platform: c.teams,
		Members: c.teamsMembers, SalesChannel: cfg.SalesChannel, ManagerChannel: cfg.ManagerChannel,
		OnChannelLost: func() { a.metrics.ChannelLost(teamsbot.Name) },
		OnChannelBack: func(ctx context.Context, place string) { a.outbox.ChannelBack(ctx, teamsbot.Name, place) },
		Policy:        a.cfg.Policy, Answerer: reports, Now: a.now, Logger: a.logger})
	v := teamsbot.NewValidator(cfg.AppID, cfg.OpenIDMetadataURL, nil, cfg.Timeout)
	v.Issuer = cfg.TokenIssuer
	th := handlers.NewTeams(v, teamsApp, cfg.Tenants(), a.logger)
	th.Metrics = a.metrics
	th.Interactive = &a.interactive
	th.Register(a.mux)
}
