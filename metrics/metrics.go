// Package metrics defines Handoff's Prometheus metrics on a registry of its
// own. Every method is safe on a nil *Metrics, so parts that are built
// without metrics (tests, tools) need no stand-in.
package metrics

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/handoff/handoff"
)

// OutboxStats is the outbox's state as the depth gauges report it.
type OutboxStats struct {
	Pending int64     // counted up to a cap, handoff.OutboxCountCap
	Dead    int64     // counted up to the same cap
	Oldest  time.Time // when the oldest pending message was queued (or requeued); zero when none
	// PendingCapped and DeadCapped say that the count reached its cap and
	// stopped there: at least that many messages, not exactly that many.
	PendingCapped bool
	DeadCapped    bool
}

// OutboxStatter reads the outbox's state at scrape time.
type OutboxStatter func(ctx context.Context) (OutboxStats, error)

// Metrics holds the collectors.
type Metrics struct {
	registry        *prometheus.Registry
	leadsReceived   *prometheus.CounterVec
	intakeSeconds   prometheus.Histogram
	chatCalls       *prometheus.CounterVec
	chatSeconds     *prometheus.HistogramVec
	rateLimited     *prometheus.CounterVec
	claimAckSeconds *prometheus.HistogramVec
	slaBreaches     *prometheus.CounterVec
	slaReminders    prometheus.Counter
	schedulerLag    prometheus.Histogram
	schedulerTicked prometheus.Gauge
	leaseHeld       prometheus.Gauge
	leaseTaken      prometheus.Counter
	apiRateLimited  prometheus.Counter
	http            httpMetrics
	writes          writeMetrics
	parked          *prometheus.CounterVec
	panics          *prometheus.CounterVec
	channelLost     *prometheus.CounterVec
	crmRefused      *prometheus.CounterVec
	crmIgnored      *prometheus.CounterVec

	mu      sync.Mutex
	sources map[string]bool
}

// maxSources bounds the distinct `source` label values; later ones count as "other".
const maxSources = 50

// New registers every collector, plus Go and process collectors and the
// outbox gauges read through stats (which may be nil).
func New(stats OutboxStatter) *Metrics {
	m := &Metrics{registry: prometheus.NewRegistry(), sources: map[string]bool{}, http: newHTTPMetrics(),
		writes: newWriteMetrics()}
	m.leadsReceived = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "handoff_leads_received_total", Help: "Stages entered by leads through intake (the API, activities, HubSpot and Salesforce), by stage and source.",
	}, []string{"stage", "source"})
	m.intakeSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "handoff_intake_duration_seconds", Help: "Time to validate and commit one intake request.",
		Buckets: []float64{.001, .0025, .005, .01, .02, .05, .1, .25, .5, 1, 2.5},
	})
	m.chatCalls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "handoff_chat_calls_total", Help: "Calls to chat platforms by platform, method and outcome (ok, retry, rate_limited, permanent).",
	}, []string{"platform", "method", "outcome"})
	m.chatSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "handoff_chat_call_duration_seconds", Help: "Duration of calls to chat platforms.",
	}, []string{"platform", "method"})
	m.rateLimited = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "handoff_chat_rate_limited_total", Help: "HTTP 429 answers from chat platforms.",
	}, []string{"platform", "method"})
	m.claimAckSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "handoff_claim_ack_duration_seconds", Help: "Time from receiving a claim click to acknowledging it.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 3},
	}, []string{"platform"})
	m.slaBreaches = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "handoff_sla_breaches_total", Help: "SLA deadlines missed, by deadline (claim, contact).",
	}, []string{"deadline"})
	m.slaReminders = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "handoff_sla_reminders_total", Help: "Reminders queued for lead owners.",
	})
	m.schedulerLag = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "handoff_scheduler_lag_seconds", Help: "Delay between an SLA timer falling due and firing; a timer already due when Handoff set its deadline (an SQL imported after it) fires at once and is left out.",
		Buckets: []float64{.01, .05, .1, .25, .5, 1, 2, 5, 10, 30, 60},
	})
	m.schedulerTicked = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "handoff_scheduler_last_tick_timestamp_seconds",
		Help: "Unix time of the last tick of the SLA clock that ended without error on this replica (0 until one has: only the replica holding the clock's lease ticks).",
	})
	m.leaseHeld = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "handoff_scheduler_lease_held",
		Help: "1 while this replica holds the SLA clock's lease (the holder alone runs the clock: timers, routing offers, the digest, the daily jobs), else 0.",
	})
	m.leaseTaken = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "handoff_scheduler_lease_taken_total",
		Help: "Times this replica took the SLA clock's lease when it did not hold it: at its start, or after the holder stopped, died or did not renew it in time.",
	})
	m.apiRateLimited = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "handoff_api_rate_limited_total", Help: "API requests refused with 429 by the per-token rate limit.",
	})
	m.parked = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "handoff_parked_total", Help: "Records set aside because they could not be processed (leads by the scheduler, messages by the outbox), by worker.",
	}, []string{"worker"})
	m.panics = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "handoff_worker_panics_total", Help: "Panics recovered in background workers, by worker.",
	}, []string{"worker"})
	m.channelLost = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "handoff_chat_channel_lost_total", Help: "Times Handoff lost a channel it posts to, by platform: the app removed from it (Slack) or from a team (Teams), or the channel archived (Slack) or deleted (Teams).",
	}, []string{"platform"})
	m.crmRefused = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "handoff_crm_deliveries_refused_total", Help: "Deliveries of a CRM's webhook refused for what they are, by crm (hubspot, salesforce) and reason (auth: a wrong signature, token or org; invalid: no delivery, or a record that cannot be a lead). The CRM does not bring them back.",
	}, []string{"crm", "reason"})
	m.crmIgnored = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "handoff_crm_events_ignored_total", Help: "Events of a CRM's webhook taken (2xx) and left alone, by crm and reason (creation: a record created, which carries no properties; property: a change of a property Handoff does not read; unknown: an event about a record Handoff has no lead of; stale: an older or repeated state of a record, acknowledged, the newer state kept).",
	}, []string{"crm", "reason"})
	m.registry.MustRegister(m.leadsReceived, m.intakeSeconds, m.chatCalls, m.chatSeconds, m.rateLimited,
		m.claimAckSeconds, m.slaBreaches, m.slaReminders, m.schedulerLag, m.schedulerTicked, m.leaseHeld, m.leaseTaken, m.apiRateLimited, m.parked, m.panics, m.channelLost,
		m.crmRefused, m.crmIgnored,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.registry.MustRegister(m.http.collectors()...)
	m.registry.MustRegister(m.writes.collectors()...)
	if stats != nil {
		m.registry.MustRegister(&outboxCollector{stats: stats})
	}
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// LeadStage counts a stage entered through intake. A label Prometheus
// refuses is not counted: metrics never change what a caller is answered.
func (m *Metrics) LeadStage(stage, source string) {
	if m == nil {
		return
	}
	if c, err := m.leadsReceived.GetMetricWithLabelValues(stage, m.sourceLabel(source)); err == nil {
		c.Inc()
	}
}

// maxSourceLabel bounds a source label, in bytes.
const maxSourceLabel = 40

// sourceLabel is the label for a lead's source: lower case, valid UTF-8,
// at most maxSourceLabel bytes cut on a character boundary, "unknown" when
// empty, "other" past maxSources distinct values.
func (m *Metrics) sourceLabel(source string) string {
	source = strings.ToValidUTF8(strings.ToLower(strings.TrimSpace(source)), "")
	if len(source) > maxSourceLabel {
		cut := maxSourceLabel
		for cut > 0 && !utf8.RuneStart(source[cut]) {
			cut--
		}
		source = source[:cut]
	}
	if source == "" {
		return "unknown"
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.sources[source] {
		return source
	}
	if len(m.sources) >= maxSources {
		return "other"
	}
	m.sources[source] = true
	return source
}

// Intake records how long one intake request took.
func (m *Metrics) Intake(d time.Duration) {
	if m != nil {
		m.intakeSeconds.Observe(d.Seconds())
	}
}

// ChatCall records one call to a chat platform.
func (m *Metrics) ChatCall(platform, method, outcome string, d time.Duration) {
	if m == nil {
		return
	}
	m.chatCalls.WithLabelValues(platform, method, outcome).Inc()
	m.chatSeconds.WithLabelValues(platform, method).Observe(d.Seconds())
	if outcome == "rate_limited" {
		m.rateLimited.WithLabelValues(platform, method).Inc()
	}
}

// ClaimAck records how long acknowledging a claim click took.
func (m *Metrics) ClaimAck(platform string, d time.Duration) {
	if m != nil {
		m.claimAckSeconds.WithLabelValues(platform).Observe(d.Seconds())
	}
}

// SLABreach counts a missed deadline ("claim" or "contact").
func (m *Metrics) SLABreach(deadline string) {
	if m != nil {
		m.slaBreaches.WithLabelValues(deadline).Inc()
	}
}

// SLAReminder counts a queued reminder.
func (m *Metrics) SLAReminder() {
	if m != nil {
		m.slaReminders.Inc()
	}
}

// SchedulerLag records how late a timer fired.
func (m *Metrics) SchedulerLag(d time.Duration) {
	if m != nil {
		m.schedulerLag.Observe(d.Seconds())
	}
}

// SchedulerTicked records that a tick of the SLA clock ended without error
// at at (wall-clock time, which alerts compare with their own).
func (m *Metrics) SchedulerTicked(at time.Time) {
	if m != nil {
		m.schedulerTicked.Set(float64(at.UnixMilli()) / 1000)
	}
}

// SchedulerLease records that this replica took (held) or lost the SLA
// clock's lease; taking it counts in handoff_scheduler_lease_taken_total.
func (m *Metrics) SchedulerLease(held bool) {
	if m == nil {
		return
	}
	if !held {
		m.leaseHeld.Set(0)
		return
	}
	m.leaseHeld.Set(1)
	m.leaseTaken.Inc()
}

// APIRateLimited counts a request refused by the API rate limit.
func (m *Metrics) APIRateLimited() {
	if m != nil {
		m.apiRateLimited.Inc()
	}
}

// Parked counts a record a worker ("scheduler", "outbox") set aside because
// it could not be processed.
func (m *Metrics) Parked(worker string) {
	if m != nil {
		m.parked.WithLabelValues(worker).Inc()
	}
}

// WorkerPanic counts a panic recovered in a background worker.
func (m *Metrics) WorkerPanic(worker string) {
	if m != nil {
		m.panics.WithLabelValues(worker).Inc()
	}
}

// ChannelLost counts a channel Handoff posts to lost: the app removed from
// it or from its team, or the channel archived or deleted.
func (m *Metrics) ChannelLost(platform string) {
	if m != nil {
		m.channelLost.WithLabelValues(platform).Inc()
	}
}

// CRMRefused counts a delivery of crm's webhook refused for reason.
func (m *Metrics) CRMRefused(crm, reason string) {
	if m != nil {
		m.crmRefused.WithLabelValues(crm, reason).Inc()
	}
}

// CRMIgnored counts an event of crm's webhook taken and left alone, by
// reason (connector.Ignored…).
func (m *Metrics) CRMIgnored(crm, reason string) {
	if m != nil {
		m.crmIgnored.WithLabelValues(crm, reason).Inc()
	}
}

// WatchCRM exports at 0 crm's deliveries refused for each of reasons,
// before any, as WatchChat does its calls.
func (m *Metrics) WatchCRM(crm string, reasons []string) {
	if m == nil {
		return
	}
	for _, r := range reasons {
		m.crmRefused.WithLabelValues(crm, r)
	}
}

// WatchClock exports handoff_db_clock_offset_seconds, offset read at each
// scrape: the database's clock minus this process's, as the store last
// measured it (0 before it has). It is called once.
func (m *Metrics) WatchClock(offset func() (time.Duration, bool)) {
	if m == nil {
		return
	}
	m.registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "handoff_db_clock_offset_seconds",
		Help: "The database server's clock minus this replica's, as last measured (once a minute; 0 within a second). Handoff keeps the database's time; an offset means NTP is broken on the replica or on the database server.",
	}, func() float64 {
		d, _ := offset()
		return d.Seconds()
	}))
}

// WatchParkedLeads exports handoff_parked_leads, the leads parked now as
// count reads them at each scrape (from the database, so every replica
// reports the same figure). When count fails the gauge is left out of that
// scrape: handoff_outbox_stats_up reports the database. It is called once.
func (m *Metrics) WatchParkedLeads(count func(ctx context.Context) (int64, error)) {
	if m != nil {
		m.registry.MustRegister(&parkedCollector{count: count})
	}
}

// parkedCollector reads the parked leads at scrape time.
type parkedCollector struct {
	count func(ctx context.Context) (int64, error)
}

var parkedLeadsDesc = prometheus.NewDesc("handoff_parked_leads",
	"Leads the SLA clock has parked, now: their timers are skipped until they change (erased leads, whose timers stopped, are not counted).", nil, nil)

func (c *parkedCollector) Describe(ch chan<- *prometheus.Desc) { ch <- parkedLeadsDesc }

func (c *parkedCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	if n, err := c.count(ctx); err == nil {
		ch <- prometheus.MustNewConstMetric(parkedLeadsDesc, prometheus.GaugeValue, float64(n))
	}
}

// scrapeTimeout bounds a database read made at scrape time.
const scrapeTimeout = 2 * time.Second

// chatOutcomes are the outcomes of a chat call, as ChatCall is told them.
var chatOutcomes = []string{"ok", "retry", "rate_limited", "permanent"}

// WatchChat exports at 0 platform's lost channels and its calls of each of
// methods by outcome, before any happens: deploy/prometheus/alerts.yml
// watches them with increase(), which sees nothing in a series that first
// appears at 1, so the first loss or refusal after a start would not fire.
func (m *Metrics) WatchChat(platform string, methods []string) {
	if m == nil {
		return
	}
	m.channelLost.WithLabelValues(platform)
	for _, method := range methods {
		for _, outcome := range chatOutcomes {
			m.chatCalls.WithLabelValues(platform, method, outcome)
		}
	}
}

// WatchWorker exports worker's panics at 0 before any, as WatchChat does
// its calls.
func (m *Metrics) WatchWorker(worker string) {
	if m != nil {
		m.panics.WithLabelValues(worker)
	}
}

// WatchParked exports at 0 the records worker parks, before any, as
// WatchChat does its calls.
func (m *Metrics) WatchParked(worker string) {
	if m != nil {
		m.parked.WithLabelValues(worker)
	}
}

// outboxCollector reads the outbox depth at scrape time.
type outboxCollector struct {
	stats OutboxStatter
}

var (
	outboxPendingDesc       = prometheus.NewDesc("handoff_outbox_pending", "Outbox messages waiting to be sent, counted up to a cap ("+thousands(handoff.OutboxCountCap)+"): at the cap, handoff_outbox_pending_capped says there are at least that many.", nil, nil)
	outboxPendingCappedDesc = prometheus.NewDesc("handoff_outbox_pending_capped", "1 when handoff_outbox_pending reached its cap and stopped counting there (at least that many messages wait), 0 when it is exact.", nil, nil)
	outboxDeadDesc          = prometheus.NewDesc("handoff_outbox_dead", "Outbox messages given up (a permanent error, or failing past the give-up deadline), counted up to a cap ("+thousands(handoff.OutboxCountCap)+"): at the cap, handoff_outbox_dead_capped says there are at least that many; see handoff outbox list.", nil, nil)
	outboxDeadCappedDesc    = prometheus.NewDesc("handoff_outbox_dead_capped", "1 when handoff_outbox_dead reached its cap and stopped counting there (at least that many messages were given up), 0 when it is exact.", nil, nil)
	outboxOldestDesc        = prometheus.NewDesc("handoff_outbox_oldest_age_seconds", "Age of the oldest pending outbox message (0 when none).", nil, nil)
	outboxUpDesc            = prometheus.NewDesc("handoff_outbox_stats_up", "1 when the outbox could be read at scrape time.", nil, nil)
)

func (c *outboxCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- outboxPendingDesc
	ch <- outboxPendingCappedDesc
	ch <- outboxDeadDesc
	ch <- outboxDeadCappedDesc
	ch <- outboxOldestDesc
	ch <- outboxUpDesc
}

func (c *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	st, err := c.stats(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(outboxUpDesc, prometheus.GaugeValue, 0)
		return
	}
	age := 0.0
	if !st.Oldest.IsZero() {
		age = time.Since(st.Oldest).Seconds()
	}
	ch <- prometheus.MustNewConstMetric(outboxUpDesc, prometheus.GaugeValue, 1)
	ch <- prometheus.MustNewConstMetric(outboxPendingDesc, prometheus.GaugeValue, float64(st.Pending))
	ch <- prometheus.MustNewConstMetric(outboxPendingCappedDesc, prometheus.GaugeValue, flag(st.PendingCapped))
	ch <- prometheus.MustNewConstMetric(outboxDeadDesc, prometheus.GaugeValue, float64(st.Dead))
	ch <- prometheus.MustNewConstMetric(outboxDeadCappedDesc, prometheus.GaugeValue, flag(st.DeadCapped))
	ch <- prometheus.MustNewConstMetric(outboxOldestDesc, prometheus.GaugeValue, age)
}

// thousands writes n as the README and the descriptions write numbers,
// with a comma between groups of three digits: 1,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// flag is a gauge's value for b: 1 when true, 0 when false.
func flag(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
