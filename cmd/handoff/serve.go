package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/outbox"
	"github.com/handoff/handoff/bot/report"
	slackbot "github.com/handoff/handoff/bot/slack"
	teamsbot "github.com/handoff/handoff/bot/teams"
	"github.com/handoff/handoff/config"
	"github.com/handoff/handoff/handlers"
	"github.com/handoff/handoff/hubspot"
	"github.com/handoff/handoff/metrics"
	"github.com/handoff/handoff/salesforce"
	"github.com/handoff/handoff/scheduler"
	"github.com/handoff/handoff/storage"
)

// app is a wired Handoff: the store, the HTTP routes and the background
// workers that serve needs.
type app struct {
	cfg     config.Config
	store   *storage.Store
	logger  *slog.Logger
	mux     *http.ServeMux
	workers []worker
	metrics *metrics.Metrics
	now     func() time.Time
	sched   *scheduler.Scheduler
	outbox  *outbox.Dispatcher // nil without a chat platform
}

// worker is a background loop that runs until its context ends.
type worker struct {
	name string
	run  func(ctx context.Context) error
}

// newApp wires every part from the configuration; it is the table of
// contents of the service.
func newApp(ctx context.Context, cfg config.Config, logger *slog.Logger, now func() time.Time) (*app, error) {
	store, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	a := &app{cfg: cfg, store: store, logger: logger, mux: http.NewServeMux(), now: now}
	a.metrics = metrics.New(func(ctx context.Context) (metrics.OutboxStats, error) {
		st, err := store.OutboxStats(ctx)
		return metrics.OutboxStats(st), err
	})
	a.metrics.SetBuildInfo(buildVersion())
	// On the public port the metrics need the API token; serveMetrics
	// serves them openly on HANDOFF_METRICS_ADDR.
	a.mux.Handle("GET /metrics", handlers.RequireToken(cfg.APIToken, a.metrics.Handler().ServeHTTP))

	sched, err := scheduler.New(scheduler.Config{Store: store, Policy: cfg.Policy, Now: now, Logger: logger, Metrics: a.metrics})
	if err != nil {
		store.Close()
		return nil, err
	}
	a.sched = sched
	a.workers = append(a.workers, worker{"scheduler", sched.Run})

	if cfg.APIToken == "" {
		logger.Warn("HANDOFF_API_TOKEN is not set: the intake API refuses every request")
	}
	api := &handlers.API{Store: store, DB: store, Policy: cfg.Policy, Token: cfg.APIToken, Now: now, Logger: logger,
		Metrics: a.metrics}
	if cfg.APIRateLimit > 0 {
		api.Limit = &handlers.RateLimit{Rate: cfg.APIRateLimit, Burst: int(2 * cfg.APIRateLimit), OnLimited: a.metrics.APIRateLimited}
	}
	api.Register(a.mux)
	(&handlers.FunnelAPI{Store: store, Policy: cfg.Policy, Token: cfg.APIToken, Now: now, Logger: logger, Limit: api.Limit}).Register(a.mux)
	(&hubspot.Handler{Secret: cfg.CRM.HubSpotSecret, PublicURL: cfg.CRM.PublicURL, Store: store, Policy: cfg.Policy,
		Now: now, Logger: logger}).Register(a.mux)
	(&salesforce.Handler{OrgID: cfg.CRM.SalesforceOrgID, Token: cfg.CRM.SalesforceToken, Status: cfg.CRM.SalesforceStatus,
		Store: store, Policy: cfg.Policy, Now: now, Logger: logger}).Register(a.mux)

	if err := a.wireChat(); err != nil {
		store.Close()
		return nil, err
	}
	store.OnQueued(a.queued)
	return a, nil
}

// queued is the store's one OnQueued hook: chat work was committed, so the
// outbox worker delivers it now and the SLA clock looks at the new deadlines.
func (a *app) queued() {
	a.wakeOutbox()
	a.sched.Wake()
}

// wakeOutbox makes the outbox worker, if any, look at the outbox now.
func (a *app) wakeOutbox() {
	if a.outbox != nil {
		a.outbox.Wake()
	}
}

// wireChat builds the bot, one outbox dispatcher for every enabled chat
// platform, and each platform's endpoints.
func (a *app) wireChat() error {
	cfg, store := a.cfg, a.store
	var targets []bot.Target
	managers := map[string]bot.Managers{}
	directory := map[string]bot.Directory{}
	var slackAPI *slackapi.Client
	var slackPlatform *slackbot.Platform
	if cfg.Slack.Enabled() {
		slackAPI = slackbot.NewClient(cfg.Slack.BotToken, cfg.Slack.AppToken, cfg.Slack.APIURL)
		slackPlatform = slackbot.NewPlatform(slackAPI)
		targets = append(targets, bot.Target{Platform: slackPlatform, SalesChannel: cfg.Slack.SalesChannel, ManagerChannel: cfg.Slack.ManagerChannel})
		managers[slackbot.Name] = slackbot.NewManagers(slackAPI, cfg.Slack.Managers, cfg.Slack.ManagerGroup)
		directory[slackbot.Name] = slackPlatform
		if cfg.Slack.SalesChannel == "" {
			a.logger.Warn("SLACK_SALES_CHANNEL is not set: new SQLs cannot be posted to Slack")
		}
	}
	var teamsPlatform *teamsbot.Platform
	if cfg.Teams.Enabled() {
		if cfg.Teams.AppPassword == "" {
			return fmt.Errorf("TEAMS_APP_PASSWORD is required when TEAMS_APP_ID is set")
		}
		conn := teamsbot.NewConnector(cfg.Teams.AppID, cfg.Teams.AppPassword, cfg.Teams.TokenURL, nil)
		teamsPlatform = teamsbot.NewPlatform(conn, store, cfg.Teams.TenantID)
		if err := teamsPlatform.PinChannels(context.Background(), cfg.Teams.SalesChannel, cfg.Teams.ManagerChannel); err != nil {
			return fmt.Errorf("TEAMS_SALES_CHANNEL/TEAMS_MANAGER_CHANNEL: %w", err)
		}
		targets = append(targets, bot.Target{Platform: teamsPlatform, SalesChannel: cfg.Teams.SalesChannel, ManagerChannel: cfg.Teams.ManagerChannel})
		managers[teamsbot.Name] = teamsbot.NewManagers(teamsPlatform, cfg.Teams.Managers)
		directory[teamsbot.Name] = teamsPlatform
		if cfg.Teams.SalesChannel == "" {
			a.logger.Warn("TEAMS_SALES_CHANNEL is not set: new SQLs cannot be posted to Teams")
		}
	}
	if len(targets) == 0 {
		a.logger.Warn("no chat platform is configured (SLACK_BOT_TOKEN, TEAMS_APP_ID): leads are stored but not posted")
		return nil
	}
	if store.Dialect() == storage.DialectSQLite {
		// One replica only on SQLite: any lease left is a crashed predecessor's.
		if n, err := store.ReleaseOutboxLeases(context.Background()); err != nil {
			return err
		} else if n > 0 {
			a.logger.Info("released outbox messages leased by a previous run", "messages", n)
		}
	}
	disp := outbox.New(outbox.Config{Store: store, Targets: targets, Policy: cfg.Policy, Now: a.now, Logger: a.logger,
		Lease: cfg.OutboxLease, OnCall: a.metrics.ChatCall, OnParked: func(string) { a.metrics.Parked("outbox") }})
	a.outbox = disp
	a.workers = append(a.workers, worker{"outbox", disp.Run})
	b := bot.New(bot.Config{Store: store, Policy: cfg.Policy, Now: a.now, Logger: a.logger,
		Managers: managers, Directory: directory})

	reports := bot.NewCommandLimit(&report.Reports{Store: store, Policy: cfg.Policy, Now: a.now})
	if slackAPI != nil {
		workspace := slackbot.NewWorkspace(slackAPI)
		if _, err := workspace.TeamID(context.Background()); err != nil {
			a.logger.Warn("slack: cannot tell the bot token's workspace yet (auth.test); Slack requests are refused until it answers", "err", err)
		}
		slackApp := slackbot.NewApp(slackbot.AppConfig{Bot: b, Platform: slackPlatform, Workspace: workspace, Answerer: reports,
			Dedup: store, Now: a.now, Logger: a.logger})
		if cfg.Slack.SocketMode() {
			a.workers = append(a.workers, worker{"slack-socket-mode", slackbot.NewSocketMode(slackAPI, slackApp, a.logger).Run})
		} else {
			if cfg.Slack.SigningSecret == "" {
				return fmt.Errorf("SLACK_SIGNING_SECRET is required for Slack over HTTP (or set SLACK_APP_TOKEN for Socket Mode)")
			}
			(&handlers.Slack{SigningSecret: cfg.Slack.SigningSecret, App: slackApp, Logger: a.logger, Metrics: a.metrics}).Register(a.mux)
		}
	}
	if teamsPlatform != nil {
		teamsApp := teamsbot.NewApp(teamsbot.AppConfig{Bot: b, Leads: store, Store: store, Platform: teamsPlatform,
			Policy: cfg.Policy, Answerer: reports, Now: a.now, Logger: a.logger})
		v := teamsbot.NewValidator(cfg.Teams.AppID, cfg.Teams.OpenIDMetadataURL, nil)
		th := handlers.NewTeams(v, teamsApp, cfg.Teams.Tenants(), a.logger)
		th.Metrics = a.metrics
		th.Register(a.mux)
	}
	return nil
}

func (a *app) Close() error { return a.store.Close() }

// serveMetrics adds a worker serving /metrics without a token on ln (the
// HANDOFF_METRICS_ADDR listener, off the public port).
func (a *app) serveMetrics(ln net.Listener) {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", a.metrics.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, WriteTimeout: 30 * time.Second,
		ErrorLog: slog.NewLogLogger(a.logger.Handler(), slog.LevelWarn)}
	a.workers = append(a.workers, worker{"metrics", func(ctx context.Context) error {
		go func() {
			<-ctx.Done()
			_ = srv.Close()
		}()
		a.logger.Info("metrics serving", "addr", ln.Addr().String())
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}})
}

// requestTimeout bounds the work of one request; the server's write
// timeout is longer so the timeout answer still reaches the client.
const requestTimeout = 20 * time.Second

// listenAndServe serves HTTP on ln and runs the workers until ctx ends, then
// shuts down gracefully: in-flight requests finish (up to 25 s) and the
// workers stop.
func (a *app) listenAndServe(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler: handlers.Instrument(a.mux, a.metrics,
			handlers.Middleware(a.logger, http.TimeoutHandler(a.mux, requestTimeout, `{"error": "request timed out"}`))),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(a.logger.Handler(), slog.LevelWarn),
	}
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	var wg sync.WaitGroup
	for _, w := range a.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.runWorker(workCtx, w)
		}()
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	a.logger.Info("handoff serving", "addr", ln.Addr().String(), "database", a.store.Dialect())

	var err error
	select {
	case err = <-served:
	case <-ctx.Done():
		a.logger.Info("shutting down")
		shutCtx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
		defer cancel()
		err = srv.Shutdown(shutCtx)
	}
	stopWork()
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// runWorker runs w until ctx ends. A panic that escapes the worker's own
// per-record recovery is logged with its stack and counted, and the worker
// starts again after a pause, so no background goroutine can take the
// process (and with it every replica that reads the same data) down.
func (a *app) runWorker(ctx context.Context, w worker) {
	for {
		err, panicked, stack := runRecovered(ctx, w.run)
		if panicked == nil {
			if err != nil && !errors.Is(err, context.Canceled) {
				a.logger.Error("worker stopped", "worker", w.name, "err", err)
			}
			return
		}
		a.metrics.WorkerPanic(w.name)
		a.logger.Error("worker panicked; restarting it", "worker", w.name, "panic", panicked, "stack", stack)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

// runRecovered calls run and returns its error, or the value and stack of
// its panic.
func runRecovered(ctx context.Context, run func(context.Context) error) (err error, panicked any, stack string) {
	defer func() {
		if panicked = recover(); panicked != nil {
			stack = string(debug.Stack())
		}
	}()
	return run(ctx), nil, ""
}

func runServe(ctx context.Context, e env) error {
	cfg, err := loadConfig(e)
	if err != nil {
		return err
	}
	logger := newLogger(e.stderr, cfg.LogLevel)
	logger.Info("configuration", "config", cfg)
	a, err := newApp(ctx, cfg, logger, func() time.Time { return time.Now().UTC() })
	if err != nil {
		return err
	}
	defer a.Close()
	if cfg.MetricsAddr != config.MetricsOff {
		mln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			return fmt.Errorf("listen on %s (HANDOFF_METRICS_ADDR): %w", cfg.MetricsAddr, err)
		}
		a.serveMetrics(mln)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	return a.listenAndServe(ctx, ln)
}
