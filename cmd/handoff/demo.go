package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/config"
	"github.com/handoff/handoff/scheduler"
)

// virtualClock is the demo's time: it stands still until the demo moves it.
type virtualClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *virtualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *virtualClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// lockedBuffer collects the server's log for when something goes wrong.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines returns the log's lines so far.
func (b *lockedBuffer) lines() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Split(strings.TrimSpace(b.buf.String()), "\n")
}

func (b *lockedBuffer) tail(n int) string {
	lines := b.lines()
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// demoLeadState is what the demo knows of a lead it posted.
type demoLeadState struct {
	demoLead
	id int64
	ts string // of its message in the sales channel
	// deleted is the lead as it was before its contact was deleted in
	// HubSpot (deleteInHubSpot), which restoreInHubSpot brings back.
	deleted *handoff.Lead
}

// demo is one run: the real server on a virtual clock, a fake Slack, and
// the script's people clicking through signed requests.
type demo struct {
	out    io.Writer
	quiet  bool
	logs   *lockedBuffer // the server's log
	clock  *virtualClock
	slack  *slacktest.Server
	crm    *demoCRM
	app    *app
	sched  *scheduler.Scheduler
	policy handoff.Policy
	base   string
	client *http.Client
	waits  demoWaits
	monday time.Time // 08:00 local on the demo week's Monday

	leads     map[string]*demoLeadState
	order     []string          // lead keys in arrival order
	names     map[string]string // Slack user id → name
	ids       map[string]string // name → Slack user id
	reported  int               // calls of the fake already narrated
	lostFrom  int               // with lose-answer, the calls of the fake before it; else -1
	refused   []*demoLeadState  // leads whose card was given up while the bot was out of the channel
	retried   int               // cards given up and posted once the bot was back
	lostFound int               // cards whose post's answer was lost and that the outbox's retry found
	claimed   map[string]string // lead key → the rep who got it
	race      string            // the race's outcome, for the summary
	again     []string          // companies whose lead came back as an SQL
	erased    []string          // companies whose person was erased
	merged    int               // HubSpot contacts merged into another, their leads folded
	// The events of HubSpot's webhooks API sent, and the contacts deleted
	// in HubSpot, restored there from its recycling bin and erased there at
	// the person's request.
	hubSpotEvents, hubSpotDeleted, hubSpotRestored, hubSpotErased int
	// The notifications of Salesforce's Outbound Messages sent, and its
	// stale ones counted in GET /metrics.
	salesforceSent, salesforceStale int
}

// demoWaits bound how long the demo waits for the server's work: for the
// outbox to send what is queued (settle), for a command's late answer
// (answer), for one request (request). handoff demo gives up on a stuck
// server after cliDemoWaits; the tests wait longer, so that a loaded
// machine slows them down instead of failing them.
type demoWaits struct{ settle, answer, request time.Duration }

// cliDemoWaits are handoff demo's waits, read by its entry of commands();
// the demo's tests lengthen them to testDemoWaits while they run it.
var cliDemoWaits = demoWaits{settle: 10 * time.Second, answer: 15 * time.Second, request: 15 * time.Second}

// demoFlags declares `handoff demo`'s flags; the demo waits for the server
// as waits says.
func demoFlags(waits demoWaits) func(*flag.FlagSet, env) runFunc {
	return func(fs *flag.FlagSet, _ env) runFunc {
		keep := fs.Bool("keep", false, "keep the demo database and print its path")
		quiet := fs.Bool("quiet", false, "print only the summary and the /funnel answer")
		return func(ctx context.Context, e env) error { return runDemo(ctx, e, *keep, *quiet, waits) }
	}
}

// runDemo runs the scripted week; keep leaves the database behind, quiet
// prints only the summary.
func runDemo(ctx context.Context, e env, keep, quiet bool, waits demoWaits) error {
	if len(e.args) > 0 {
		return usageError("unexpected argument %q", e.args[0])
	}

	dir, err := os.MkdirTemp("", "handoff-demo-")
	if err != nil {
		return err
	}
	defer func() {
		if !keep {
			os.RemoveAll(dir)
		}
	}()
	logs := &lockedBuffer{}
	d, stop, err := startDemo(ctx, dir, logs, time.Now(), e.stdout, quiet, "", waits)
	if err != nil {
		return err
	}
	err = d.play(ctx)
	if serr := stop(); err == nil && serr != nil {
		err = serr
	}
	if err == nil && !quiet {
		err = runRoutingScene(ctx, filepath.Join(dir, "routing"), logs, e.stdout, waits)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "the server's last log lines:\n%s\n", logs.tail(15))
		return fmt.Errorf("demo: %w", err)
	}
	if keep {
		fmt.Fprintf(e.stdout, "\nThe demo's database is kept: %s\n(its clock is the demo week's; inspect it with sqlite3, or DATABASE_URL=%s handoff serve)\n",
			filepath.Join(dir, "handoff.db"), filepath.Join(dir, "handoff.db"))
	}
	return nil
}

// demoMonday returns 08:00 local time on the Monday of the ISO week before
// the one now falls in.
func demoMonday(now time.Time, loc *time.Location) time.Time {
	local := now.In(loc)
	sinceMonday := (int(local.Weekday()) + 6) % 7
	y, m, day := local.Date()
	return time.Date(y, m, day-sinceMonday-7, 8, 0, 0, 0, loc)
}

// startDemo starts the fake Slack and the real server on 127.0.0.1:0 over a
// database in dir, with extra appended to the demo agreement, waiting for
// the server as waits says. stop shuts both down.
func startDemo(ctx context.Context, dir string, logs *lockedBuffer, now time.Time, out io.Writer, quiet bool, extra string, waits demoWaits) (*demo, func() error, error) {
	clock := &virtualClock{}
	crm, err := newDemoCRM()
	if err != nil {
		return nil, nil, err
	}
	policyFile := filepath.Join(dir, "handoff.yml")
	if err := os.WriteFile(policyFile, []byte(demoAgreement+demoCRMAgreement(crm.srv.URL)+extra), 0o644); err != nil {
		crm.Close()
		return nil, nil, err
	}
	slack := slacktest.New(demoBotToken)
	var sales []string // the reps are in the sales channel; the marketer is not
	for _, r := range demoReps {
		sales = append(sales, r.ID)
	}
	slack.SetMembers(demoSales, sales...)
	vars := map[string]string{
		"DATABASE_URL":           filepath.Join(dir, "handoff.db"),
		"HANDOFF_API_TOKEN":      demoAPIToken,
		"HANDOFF_API_TOKENS":     demoFormTokenName + "=" + demoFormToken + ":intake," + demoGDPRTokenName + "=" + demoGDPRToken + ":write",
		"HANDOFF_CONFIG":         policyFile,
		"SLACK_BOT_TOKEN":        demoBotToken,
		"SLACK_SIGNING_SECRET":   demoSecret,
		"SLACK_API_URL":          slack.APIURL(),
		"SLACK_SALES_CHANNEL":    demoSales,
		"SLACK_MANAGER_CHANNEL":  demoManagers,
		"SLACK_MANAGERS":         demoManager.ID,
		"HUBSPOT_CLIENT_SECRET":  demoHubSpotSecret,
		"HANDOFF_WEBHOOK_SECRET": demoWebhookSecret,
		// Salesforce's Outbound Messages: the demo's org and its token.
		"SALESFORCE_ORG_ID":         demoSalesforceOrg,
		"SALESFORCE_OUTBOUND_TOKEN": demoSalesforceToken,
	}
	cfg, err := config.Load(func(k string) string { return vars[k] })
	if err != nil {
		slack.Close()
		return nil, nil, err
	}
	loc := cfg.Policy.Location
	if loc == nil {
		loc = time.UTC
	}
	monday := demoMonday(now, loc)
	clock.Set(monday)
	logger := slog.New(slog.NewTextHandler(logs, nil))

	srvCtx, cancel := context.WithCancel(ctx)
	a, err := newApp(srvCtx, cfg, logger, clock.Now, nil)
	if err != nil {
		cancel()
		slack.Close()
		return nil, nil, err
	}
	// The server's own scheduler sleeps in real time towards deadlines on
	// the virtual clock, so the demo ticks the SLA clock itself, as a
	// second replica would: FireSLA fires each action exactly once whoever
	// ticks.
	sched, err := scheduler.New(scheduler.Config{Store: a.store, Policy: cfg.Policy, Now: clock.Now, Logger: logger,
		Holder: "handoff-demo", Metrics: a.metrics, Routes: a.store, Route: a.routeLead, Unsent: a.unsent})
	if err != nil {
		cancel()
		a.Close()
		slack.Close()
		return nil, nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		cancel()
		a.Close()
		slack.Close()
		return nil, nil, err
	}
	done := make(chan error, 1)
	go func() { done <- a.listenAndServe(srvCtx, ln) }()
	stop := func() error {
		cancel()
		err := <-done
		a.Close()
		slack.Close()
		crm.Close()
		return err
	}
	d := &demo{
		out: out, quiet: quiet, clock: clock, slack: slack, crm: crm, app: a, sched: sched, policy: cfg.Policy, logs: logs,
		base: "http://" + ln.Addr().String(), client: &http.Client{Timeout: waits.request}, waits: waits, monday: monday,
		leads: map[string]*demoLeadState{}, names: map[string]string{}, ids: map[string]string{}, claimed: map[string]string{},
		lostFrom: -1,
	}
	for _, p := range append([]demoPerson{demoManager, demoMarketer}, demoReps...) {
		d.names[p.ID], d.ids[p.Name] = p.Name, p.ID
	}
	return d, stop, nil
}

// at is the demo time of day (0 = Monday) at "HH:MM" local.
func (d *demo) at(day int, hhmm string) time.Time {
	h, _ := strconv.Atoi(hhmm[:2])
	m, _ := strconv.Atoi(hhmm[3:])
	y, mo, dd := d.monday.Date()
	return time.Date(y, mo, dd+day, h, m, 0, 0, d.monday.Location())
}

func (d *demo) when(t time.Time) string { return t.In(d.monday.Location()).Format("Mon 2 Jan 15:04") }

func (d *demo) printf(format string, args ...any) {
	if !d.quiet {
		fmt.Fprintf(d.out, format, args...)
	}
}

// play runs the script and prints what Slack shows.
func (d *demo) play(ctx context.Context) error {
	leads, steps, err := demoScript()
	if err != nil {
		return err
	}
	type timed struct {
		t    time.Time
		lead *demoLead
		step *demoStep
	}
	var plan []timed
	for i := range leads {
		plan = append(plan, timed{t: d.at(leads[i].day, leads[i].at), lead: &leads[i]})
	}
	for i := range steps {
		plan = append(plan, timed{t: d.at(steps[i].day, steps[i].at), step: &steps[i]})
	}
	sort.SliceStable(plan, func(i, j int) bool { return plan[i].t.Before(plan[j].t) })

	d.intro(leads)
	if err := d.settle(ctx); err != nil {
		return err
	}
	if err := d.chatTestScene(ctx); err != nil {
		return err
	}
	if err := d.historyScene(ctx); err != nil {
		return err
	}
	if err := d.removedPlatformScene(ctx); err != nil {
		return err
	}
	for _, p := range plan {
		if err := d.advanceTo(ctx, p.t); err != nil {
			return err
		}
		var err error
		if p.lead != nil {
			err = d.postLead(ctx, *p.lead)
		} else {
			err = d.do(ctx, *p.step)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", d.when(p.t), err)
		}
		if err := d.settle(ctx); err != nil {
			return err
		}
		d.narrate("")
	}
	funnel, err := d.askFunnel(ctx)
	if err != nil {
		return err
	}
	if !d.quiet {
		d.printChannel()
		d.printManagers()
		d.printDirect()
	}
	if err := d.printSummary(ctx); err != nil {
		return err
	}
	d.printFunnel(funnel)
	return nil
}

// advanceTo moves the clock to t, stopping at every moment the SLA clock
// has something due on the way, as the scheduler would.
func (d *demo) advanceTo(ctx context.Context, t time.Time) error {
	for {
		next, err := d.sched.Tick(ctx)
		if err != nil {
			return err
		}
		if err := d.settle(ctx); err != nil {
			return err
		}
		d.narrate("⏱  SLA clock")
		now := d.clock.Now()
		if !now.Before(t) {
			return nil
		}
		if next.IsZero() || next.After(t) || !next.After(now) {
			next = t
		}
		d.clock.Set(next)
	}
}

// settle waits until the outbox worker has sent everything queued.
func (d *demo) settle(ctx context.Context) error {
	deadline := time.Now().Add(d.waits.settle)
	for {
		st, err := d.app.store.OutboxStats(ctx)
		if err != nil {
			return err
		}
		if st.Pending == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d chat messages still unsent after %s", st.Pending, d.waits.settle)
		}
		d.app.wakeOutbox()
		if d.app.hooks != nil {
			d.app.hooks.Wake()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}
