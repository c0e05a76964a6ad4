package main

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/handoff/handoff/bot/outbox"
	teamsbot "github.com/handoff/handoff/bot/teams"
	"github.com/handoff/handoff/config"
	"github.com/handoff/handoff/connector"
	"github.com/handoff/handoff/handlers"
	"github.com/handoff/handoff/hubspot"
	"github.com/handoff/handoff/internal/busy"
	"github.com/handoff/handoff/metrics"
	"github.com/handoff/handoff/salesforce"
	"github.com/handoff/handoff/scheduler"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/webhook"
)

// app is a wired Handoff: the store, the HTTP routes and the background
// workers. serve, the demo and the end-to-end tests all build it with newApp.
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
	guard   *handlers.Guard    // the API's tokens and rate limit
	hooks   *webhook.Sender    // nil without webhooks
	roster  *teamsbot.Roster   // the Teams sales team's members; nil without Teams
	// interactive counts the chat requests people are waiting on (clicks,
	// commands, Teams activities); the outbox and the scheduler step aside
	// while any is in flight.
	interactive busy.Gate
}

// worker is a background loop that runs until its context ends.
type worker struct {
	name string
	run  func(ctx context.Context) error
}

// addWorker adds a background worker, its panics exported at 0 from the
// start (metrics.WatchWorker).
func (a *app) addWorker(name string, run func(ctx context.Context) error) {
	a.metrics.WatchWorker(name)
	a.workers = append(a.workers, worker{name, run})
}

// newApp wires every part from the configuration; it is the table of
// contents of the service. now is the time it runs on (the wall clock; a
// test's clock), moved onto the database's clock; wall is this process's
// own clock, against which the database's is measured (time.Now when nil;
// a test sets it to play a replica whose clock is off).
func newApp(ctx context.Context, cfg config.Config, logger *slog.Logger, now, wall func() time.Time) (*app, error) {
	if err := cfg.CheckServe(); err != nil {
		return nil, err
	}
	a := &app{cfg: cfg, logger: logger, mux: http.NewServeMux()}
	a.wireMetrics()
	store, err := openStore(ctx, cfg, storage.Options{OnGroupCommit: a.groupCommitted, Clock: wall})
	if err != nil {
		return nil, err
	}
	a.store = store
	// Every part of serve keeps the database's time, the same on every
	// replica (storage.Store.Clock): on its own clock, a replica whose
	// clock was off stamped SQL times, deadlines and due times minutes
	// off, so another replica fired their reminders and escalations
	// minutes early or late, and left its messages undue.
	a.now = store.Clock(now)
	a.metrics.WatchClock(store.ClockOffset)
	a.metrics.WatchParkedLeads(store.ParkedLeads)
	warmStore(ctx, store, logger)
	for _, wire := range []func() error{
		a.wireScheduler,  // SLA timers, the digest, retention
		a.wireAPI,        // intake, leads, funnel, traffic
		a.wirePages,      // /about, /privacy, /terms
		a.wireConnectors, // HubSpot and Salesforce webhooks
		a.wireWebhooks,   // outgoing webhooks' delivery lane
		a.wireChat,       // the bot, the outbox worker, Slack and Teams
		a.wireStageTimes, // dating earlier leads' stage times, once, in the background
	} {
		if err := wire(); err != nil {
			store.Close()
			return nil, err
		}
	}
	store.OnQueued(a.queued)
	return a, nil
}

// queued is the store's one OnQueued hook: chat work was committed, so the
// outbox worker delivers it now and the SLA clock looks at the new deadlines.
func (a *app) queued() {
	a.wakeOutbox()
	a.sched.Wake()
	if a.hooks != nil {
		a.hooks.Wake()
	}
}

// wakeOutbox makes the outbox worker, if any, look at the outbox now.
func (a *app) wakeOutbox() {
	if a.outbox != nil {
		a.outbox.Wake()
	}
}

// Close releases the store.
func (a *app) Close() error { return a.store.Close() }

// wireMetrics creates the Prometheus metrics. On the public port they need
// the API token; serveMetrics serves them openly on HANDOFF_METRICS_ADDR.
func (a *app) wireMetrics() {
	a.metrics = metrics.New(func(ctx context.Context) (metrics.OutboxStats, error) {
		st, err := a.store.OutboxStats(ctx)
		return metrics.OutboxStats(st), err
	})
	a.metrics.SetBuildInfo(buildVersion())
	a.guard = newGuard(a.cfg, a.metrics.APIRateLimited)
	a.mux.Handle("GET /metrics", a.guard.Require(handlers.ScopeRead, a.metrics.Handler().ServeHTTP))
}

// groupCommitted is the store's OnGroupCommit: each group of writes that
// shared a commit is counted in the write metrics.
func (a *app) groupCommitted(g storage.GroupCommit) {
	a.metrics.WriteGroup(g.Committer, g.Size, g.Took, g.Failed)
}

// newGuard is the API's authentication: HANDOFF_API_TOKEN (a write token
// named "api") and the named tokens of HANDOFF_API_TOKENS, each limited to
// HANDOFF_API_RATE_LIMIT (0: no limit), and the failed attempts of each
// client address limited whatever that is.
func newGuard(cfg config.Config, onLimited func()) *handlers.Guard {
	named := make([]handlers.Token, len(cfg.APITokens))
	for i, t := range cfg.APITokens {
		named[i] = handlers.Token{Name: t.Name, Secret: t.Secret, Scope: handlers.Scope(t.Scope)}
	}
	return &handlers.Guard{Tokens: handlers.Tokens(cfg.APIToken, named),
		Limit: &handlers.RateLimit{Rate: cfg.APIRateLimit, Burst: int(2 * cfg.APIRateLimit), OnLimited: onLimited}}
}

// wirePages serves the public pages the Teams app package links to.
func (a *app) wirePages() error {
	(&handlers.Pages{Retention: a.cfg.Policy.Retention, Logger: a.logger}).Register(a.mux)
	return nil
}

// wireScheduler adds the scheduler, which keeps the SLA clock and the
// digest schedule under a lease.
func (a *app) wireScheduler() error {
	sched, err := scheduler.New(scheduler.Config{Store: a.store, Policy: a.cfg.Policy, Now: a.now, Logger: a.logger, Metrics: a.metrics,
		Routes: a.store, Route: a.routeLead, Interactive: &a.interactive, Unsent: a.unsent})
	if err != nil {
		return err
	}
	a.sched = sched
	a.metrics.WatchParked("scheduler")
	a.addWorker("scheduler", sched.Run)
	return nil
}

// wireAPI registers the intake, lead, funnel and traffic endpoints.
func (a *app) wireAPI() error {
	cfg := a.cfg
	if len(a.guard.Tokens) == 0 {
		a.logger.Warn("neither HANDOFF_API_TOKEN nor HANDOFF_API_TOKENS is set: the API refuses every request")
	}
	api := &handlers.API{Store: a.store, DB: a.store, Policy: cfg.Policy, Tokens: a.guard.Tokens, Now: a.now, Logger: a.logger,
		Metrics: a.metrics, Limit: a.guard.Limit}
	api.Register(a.mux)
	handlers.RegisterOpenAPI(a.mux)
	(&handlers.FunnelAPI{Store: a.store, Policy: cfg.Policy, Tokens: a.guard.Tokens, Now: a.now, Logger: a.logger, Limit: a.guard.Limit}).Register(a.mux)
	(&handlers.RoutingAPI{Store: routingView{a.store, a.repStates}, Policy: cfg.Policy, Guard: a.guard, Now: a.now, Logger: a.logger}).Register(a.mux)
	return nil
}

// wireConnectors registers the CRMs' inbound webhooks.
func (a *app) wireConnectors() error {
	cfg := a.cfg
	saves := countedSaves{store: a.store, metrics: a.metrics}
	// A sender's signed timestamp is checked against this machine's clock,
	// NTP-synced as HubSpot's is, never the database's (a.now), which is
	// off it by as much as the database server's clock is; Slack's
	// signatures (slack-go) and Bot Framework's tokens (teams.Validator)
	// are checked on it too.
	(&hubspot.Handler{Secret: cfg.CRM.HubSpotSecret, PublicURL: cfg.CRM.PublicURL, PortalID: cfg.CRM.HubSpotPortalID, Store: saves, Policy: cfg.Policy,
		Now: a.now, Wall: time.Now, Logger: a.logger, Refused: a.crmRefused("hubspot"),
		Ignored: func(reason string) { a.metrics.CRMIgnored("hubspot", reason) }}).Register(a.mux)
	(&salesforce.Handler{OrgID: cfg.CRM.SalesforceOrgID, Token: cfg.CRM.SalesforceToken, Status: cfg.CRM.SalesforceStatus,
		Store: saves, Policy: cfg.Policy, Now: a.now, Logger: a.logger, Refused: a.crmRefused("salesforce"),
		Ignored: func(reason string) { a.metrics.CRMIgnored("salesforce", reason) }}).Register(a.mux)
	return nil
}

// crmRefused counts crm's refused deliveries in
// handoff_crm_deliveries_refused_total, exported at 0 from the start for
// deploy/prometheus/alerts.yml's increase().
func (a *app) crmRefused(crm string) connector.RefusedFunc {
	a.metrics.WatchCRM(crm, connector.Refusals)
	return func(reason string) { a.metrics.CRMRefused(crm, reason) }
}

// wireWebhooks routes lead events to the agreement's webhook endpoints and
// adds their delivery lane, apart from chat's.
func (a *app) wireWebhooks() error {
	if len(a.cfg.Webhooks) == 0 {
		return nil
	}
	eps := webhookEndpoints(a.cfg)
	a.store.RouteWebhooks(webhook.Routes(eps))
	a.hooks = &webhook.Sender{Store: a.store, Endpoints: eps, Now: a.now, Wall: time.Now, Policy: a.cfg.Policy, Logger: a.logger, Lease: a.cfg.OutboxLease}
	a.addWorker("webhooks", a.hooks.Run)
	return nil
}

// webhookEndpoints converts the configured endpoints.
func webhookEndpoints(cfg config.Config) []webhook.Endpoint {
	eps := make([]webhook.Endpoint, len(cfg.Webhooks))
	for i, w := range cfg.Webhooks {
		eps[i] = webhook.Endpoint{URL: w.URL, Secret: w.Secret, Events: w.Events}
	}
	return eps
}
