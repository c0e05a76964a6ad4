package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	slackbot "github.com/handoff/handoff/bot/slack"
	"github.com/handoff/handoff/config"
	"github.com/handoff/handoff/internal/fakeslack"
	"github.com/handoff/handoff/scheduler"
)

// demoAgreement is the agreement of handoff.example.yml, less its holidays,
// so that every week the demo replays has five working days.
const demoAgreement = `timezone: Europe/Copenhagen
sla:
  claim_within: 2h
  contact_within: 48h
  business_hours:
    days: [mon, tue, wed, thu, fri]
    start: "08:00"
    end: "17:00"
  remind_before: [12h, 1h]
  release_on_breach: false
  targets:
    sqls_per_month: 20
    customers_per_month: 5
    avg_deal_size: 40000
    currency: DKK
digest:
  schedule: "0 8 * * MON"
`

// The demo's stand-in workspace.
const (
	demoAPIToken = "demo-api-token"
	demoBotToken = "xoxb-demo"
	demoSecret   = "demo-signing-secret"
	demoSales    = "CSALES"
	demoManagers = "CMANAGERS"
	demoAskedIn  = "CMARKETING"
)

// demoChannelNames are the names the demo shows for its channel ids.
var demoChannelNames = map[string]string{demoSales: "#sales-leads", demoManagers: "#sales-managers", demoAskedIn: "#marketing"}

type demoPerson struct{ Name, ID string }

var (
	demoReps     = []demoPerson{{"Mette", "UMETTE"}, {"Jonas", "UJONAS"}, {"Sofie", "USOFIE"}, {"Anders", "UANDERS"}}
	demoManager  = demoPerson{"Louise", "ULOUISE"} // sales manager
	demoMarketer = demoPerson{"Ida", "UIDA"}       // marketing, asks /funnel
)

// demoLead is an SQL arriving from marketing automation on day (0 = the
// Monday of the week) at the local time at.
type demoLead struct {
	day                                         int
	at                                          string
	key, company, name, title, source, campaign string
	score                                       int
}

// Actions of the demo script.
const (
	actClaim       = "claim"
	actRace        = "race" // rep and rival click Claim at the same moment
	actContact     = "contact"
	actOpportunity = "opportunity"
	actWon         = "won"
	actLost        = "lost"
	actRecycle     = "recycle"
	actNotAFit     = "not-a-fit"
	actWait        = "wait" // only time passes; reason is the narration
)

// demoStep is one thing a person does at day/at. An empty rep is the
// lead's owner at that moment.
type demoStep struct {
	day    int
	at     string
	act    string
	lead   string
	rep    string
	rival  string
	amount int // actWon: the deal value in DKK
	reason string
}

// demoScript is the week: 25 SQLs from Danish B2B companies and what four
// reps do with them. One lead is raced for, one is returned as not a fit,
// one is recycled after contact, one is lost, five are won, one is never
// claimed and one is claimed but never contacted, so the SLA clock
// escalates both.
func demoScript() ([]demoLead, []demoStep) {
	leads := []demoLead{
		{0, "08:12", "hs-4101", "Nordlys Energi A/S", "Camilla Holm", "IT-chef", "web", "Pricing page", 86},
		{0, "09:15", "hs-4102", "Havnens Logistik A/S", "Line Mortensen", "Driftsdirektør", "webinar", "Webinar: Lager 4.0", 74},
		{0, "10:40", "hs-4103", "Fjordbyg ApS", "Rasmus Kjær", "CFO", "linkedin", "CFO-kampagne Q4", 78},
		{0, "11:55", "hs-4104", "Søndergaard Møbler A/S", "Peter Søndergaard", "Adm. direktør", "partner", "Partner: Dataløsninger", 81},
		{0, "14:20", "hs-4105", "Aarhus Revision P/S", "Hanne Lund", "Partner", "linkedin", "ABM: Revision", 69},
		{0, "16:05", "hs-4106", "Lyngby Software ApS", "Thomas Bang", "IT-chef", "web", "Demo request", 92},
		{1, "08:30", "hs-4107", "GreenTech Solutions ApS", "Jakob Friis", "CTO", "web", "Whitepaper: CO2-regnskab", 77},
		{1, "09:40", "hs-4108", "Dansk Fødevarehandel A/S", "Karina Bech", "Indkøbschef", "partner", "Partner: Dataløsninger", 71},
		{1, "10:25", "hs-4109", "Kolding Maskinfabrik A/S", "Henrik Thomsen", "Værkfører", "webinar", "Webinar: Lager 4.0", 58},
		{1, "13:05", "hs-4110", "Copenhagen Medtech ApS", "Sara Nielsen", "COO", "linkedin", "ABM: Life science", 84},
		{1, "15:30", "hs-4111", "Vejle Transport A/S", "Michael Juhl", "CFO", "web", "Pricing page", 79},
		{2, "08:20", "hs-4112", "Roskilde Klinikken ApS", "Dorthe Krogh", "Klinikchef", "web", "Demo request", 73},
		{2, "09:10", "hs-4113", "Nordic Solar Partners A/S", "Emil Dahl", "Salgsdirektør", "linkedin", "ABM: Energi", 88},
		{2, "11:45", "hs-4114", "Tønder Tekstil ApS", "Birgitte Hansen", "Økonomichef", "webinar", "Webinar: Fakturaflow", 64},
		{2, "13:30", "hs-4115", "Odense Robotics Hub A/S", "Frederik Lassen", "CTO", "partner", "Partner: Robotklyngen", 90},
		{2, "15:50", "hs-4116", "Hvidovre Ejendomme A/S", "Jens Poulsen", "Ejendomschef", "web", "Whitepaper: CO2-regnskab", 70},
		{3, "08:15", "hs-4117", "Skagen Fisk Export ApS", "Anne Skov", "Eksportchef", "linkedin", "ABM: Fødevarer", 75},
		{3, "09:30", "hs-4118", "Herning Byggemarked A/S", "Lars Iversen", "CIO", "web", "Pricing page", 83},
		{3, "11:20", "hs-4119", "Esbjerg Offshore Service A/S", "Morten Winther", "Indkøbschef", "partner", "Partner: Dataløsninger", 76},
		{3, "14:10", "hs-4120", "Silkeborg Data ApS", "Julie Mikkelsen", "IT-chef", "webinar", "Webinar: Fakturaflow", 80},
		{4, "08:45", "hs-4121", "Randers Regnskab ApS", "Ole Kristensen", "CFO", "linkedin", "CFO-kampagne Q4", 72},
		{4, "10:00", "hs-4122", "Bornholm Keramik ApS", "Signe Kofoed", "Indehaver", "web", "Nyhedsbrev", 61},
		{4, "11:10", "hs-4123", "Aalborg Akustik A/S", "Maria Brandt", "Marketingchef", "webinar", "Webinar: Fakturaflow", 68},
		{4, "13:40", "hs-4124", "Helsingør Hotel Group A/S", "Nikolaj Vinther", "Direktør", "partner", "Partner: HORESTA-netværk", 79},
		{4, "15:15", "hs-4125", "Horsens Plast A/S", "Kasper Holst", "Fabrikschef", "web", "Demo request", 85},
	}
	steps := []demoStep{
		{day: 0, at: "08:31", act: actClaim, lead: "hs-4101", rep: "Mette"},
		{day: 0, at: "09:48", act: actClaim, lead: "hs-4102", rep: "Anders"}, // and never contacted
		{day: 0, at: "10:05", act: actContact, lead: "hs-4101"},
		{day: 0, at: "11:02", act: actClaim, lead: "hs-4103", rep: "Jonas"},
		{day: 0, at: "12:20", act: actClaim, lead: "hs-4104", rep: "Sofie"},
		{day: 0, at: "13:30", act: actContact, lead: "hs-4103"},
		{day: 0, at: "14:41", act: actClaim, lead: "hs-4105", rep: "Mette"},
		{day: 0, at: "14:45", act: actContact, lead: "hs-4104"},
		{day: 0, at: "16:07", act: actRace, lead: "hs-4106", rep: "Mette", rival: "Jonas"},

		{day: 1, at: "08:45", act: actContact, lead: "hs-4106"},
		{day: 1, at: "08:52", act: actClaim, lead: "hs-4107", rep: "Sofie"},
		{day: 1, at: "09:10", act: actContact, lead: "hs-4105"},
		{day: 1, at: "10:00", act: actOpportunity, lead: "hs-4103"},
		{day: 1, at: "10:15", act: actClaim, lead: "hs-4108", rep: "Anders"},
		{day: 1, at: "11:00", act: actNotAFit, lead: "hs-4109", rep: "Jonas", reason: "Three-person workshop, far below our segment; no IT budget."},
		{day: 1, at: "11:15", act: actContact, lead: "hs-4107"},
		{day: 1, at: "13:00", act: actOpportunity, lead: "hs-4106"},
		{day: 1, at: "13:20", act: actClaim, lead: "hs-4110", rep: "Mette"},
		{day: 1, at: "13:40", act: actContact, lead: "hs-4108"},
		{day: 1, at: "15:10", act: actContact, lead: "hs-4110"},
		{day: 1, at: "15:44", act: actClaim, lead: "hs-4111", rep: "Jonas"},
		{day: 1, at: "15:50", act: actContact, lead: "hs-4111", rep: "Sofie"}, // not hers: refused privately

		{day: 2, at: "08:35", act: actClaim, lead: "hs-4112", rep: "Anders"},
		{day: 2, at: "09:00", act: actContact, lead: "hs-4111"},
		{day: 2, at: "09:14", act: actClaim, lead: "hs-4113", rep: "Sofie"},
		{day: 2, at: "10:00", act: actOpportunity, lead: "hs-4108"},
		{day: 2, at: "10:20", act: actContact, lead: "hs-4112"},
		{day: 2, at: "11:00", act: actOpportunity, lead: "hs-4101"},
		{day: 2, at: "11:30", act: actContact, lead: "hs-4113"},
		{day: 2, at: "12:30", act: actClaim, lead: "hs-4114", rep: "Mette"},
		{day: 2, at: "13:33", act: actClaim, lead: "hs-4115", rep: "Jonas"},
		{day: 2, at: "14:00", act: actContact, lead: "hs-4114"},
		{day: 2, at: "15:20", act: actContact, lead: "hs-4115"},
		{day: 2, at: "16:10", act: actClaim, lead: "hs-4116", rep: "Anders"},

		{day: 3, at: "08:40", act: actClaim, lead: "hs-4117", rep: "Sofie"},
		{day: 3, at: "09:00", act: actContact, lead: "hs-4116"},
		{day: 3, at: "09:30", act: actWon, lead: "hs-4106", amount: 62500},
		{day: 3, at: "09:50", act: actClaim, lead: "hs-4118", rep: "Mette"},
		{day: 3, at: "10:00", act: actLost, lead: "hs-4104", reason: "Chose a competitor on price."},
		{day: 3, at: "10:30", act: actContact, lead: "hs-4117"},
		{day: 3, at: "11:00", act: actOpportunity, lead: "hs-4115"},
		{day: 3, at: "11:10", act: actContact, lead: "hs-4118"},
		{day: 3, at: "11:35", act: actClaim, lead: "hs-4119", rep: "Jonas"},
		{day: 3, at: "13:00", act: actRecycle, lead: "hs-4112", reason: "No budget before Q3; nurture and hand back in May."},
		{day: 3, at: "14:15", act: actContact, lead: "hs-4119"},
		{day: 3, at: "14:25", act: actClaim, lead: "hs-4120", rep: "Anders"},
		{day: 3, at: "14:30", act: actWon, lead: "hs-4101", amount: 48000},
		{day: 3, at: "15:00", act: actOpportunity, lead: "hs-4113"},
		{day: 3, at: "16:00", act: actContact, lead: "hs-4120"},

		{day: 4, at: "09:05", act: actClaim, lead: "hs-4121", rep: "Sofie"},
		{day: 4, at: "10:00", act: actOpportunity, lead: "hs-4118"},
		{day: 4, at: "10:40", act: actContact, lead: "hs-4121"},
		{day: 4, at: "11:25", act: actClaim, lead: "hs-4123", rep: "Mette"},
		{day: 4, at: "11:30", act: actWon, lead: "hs-4103", amount: 125000},
		{day: 4, at: "13:20", act: actContact, lead: "hs-4123"},
		{day: 4, at: "13:55", act: actClaim, lead: "hs-4124", rep: "Jonas"},
		{day: 4, at: "14:00", act: actWon, lead: "hs-4110", amount: 39900},
		{day: 4, at: "15:30", act: actClaim, lead: "hs-4125", rep: "Anders"},
		{day: 4, at: "15:40", act: actWon, lead: "hs-4115", amount: 57000},
		{day: 4, at: "15:45", act: actContact, lead: "hs-4124"},
		{day: 4, at: "16:40", act: actContact, lead: "hs-4125"},

		{day: 4, at: "17:00", act: actWait, reason: "The office closes; the SLA clock stands still over the weekend."},
		{day: 7, at: "12:30", act: actWait, reason: "Monday lunchtime: the demo stops the clock."},
	}
	return leads, steps
}

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

func (b *lockedBuffer) tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	lines := strings.Split(strings.TrimSpace(b.buf.String()), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// demoLeadState is what the demo knows of a lead it posted.
type demoLeadState struct {
	demoLead
	id int64
	ts string // of its message in the sales channel
}

// demo is one run: the real server on a virtual clock, a fake Slack, and
// the script's people clicking through signed requests.
type demo struct {
	out    io.Writer
	quiet  bool
	clock  *virtualClock
	slack  *fakeslack.Server
	app    *app
	sched  *scheduler.Scheduler
	policy handoff.Policy
	base   string
	client *http.Client
	monday time.Time // 08:00 local on the demo week's Monday

	leads    map[string]*demoLeadState
	order    []string          // lead keys in arrival order
	names    map[string]string // Slack user id → name
	ids      map[string]string // name → Slack user id
	reported int               // calls of the fake already narrated
	claimed  map[string]string // lead key → the rep who got it
	race     string            // the race's outcome, for the summary
}

// demoFlags declares `handoff demo`'s flags.
func demoFlags(fs *flag.FlagSet, _ env) runFunc {
	keep := fs.Bool("keep", false, "keep the demo database and print its path")
	quiet := fs.Bool("quiet", false, "print only the summary and the /funnel answer")
	return func(ctx context.Context, e env) error { return runDemo(ctx, e, *keep, *quiet) }
}

// runDemo runs the scripted week; keep leaves the database behind, quiet
// prints only the summary.
func runDemo(ctx context.Context, e env, keep, quiet bool) error {
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
	d, stop, err := startDemo(ctx, dir, logs, time.Now(), e.stdout, quiet)
	if err != nil {
		return err
	}
	err = d.play(ctx)
	if serr := stop(); err == nil && serr != nil {
		err = serr
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
// database in dir. stop shuts both down.
func startDemo(ctx context.Context, dir string, logs io.Writer, now time.Time, out io.Writer, quiet bool) (*demo, func() error, error) {
	policyFile := filepath.Join(dir, "handoff.yml")
	if err := os.WriteFile(policyFile, []byte(demoAgreement), 0o644); err != nil {
		return nil, nil, err
	}
	slack := fakeslack.New(demoBotToken)
	vars := map[string]string{
		"DATABASE_URL":          filepath.Join(dir, "handoff.db"),
		"HANDOFF_API_TOKEN":     demoAPIToken,
		"HANDOFF_CONFIG":        policyFile,
		"SLACK_BOT_TOKEN":       demoBotToken,
		"SLACK_SIGNING_SECRET":  demoSecret,
		"SLACK_API_URL":         slack.APIURL(),
		"SLACK_SALES_CHANNEL":   demoSales,
		"SLACK_MANAGER_CHANNEL": demoManagers,
		"SLACK_MANAGERS":        demoManager.ID,
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
	clock := &virtualClock{t: monday}
	logger := slog.New(slog.NewTextHandler(logs, nil))

	srvCtx, cancel := context.WithCancel(ctx)
	a, err := newApp(srvCtx, cfg, logger, clock.Now)
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
		Holder: "handoff-demo", Metrics: a.metrics})
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
		return err
	}
	d := &demo{
		out: out, quiet: quiet, clock: clock, slack: slack, app: a, sched: sched, policy: cfg.Policy,
		base: "http://" + ln.Addr().String(), client: &http.Client{Timeout: 15 * time.Second}, monday: monday,
		leads: map[string]*demoLeadState{}, names: map[string]string{}, ids: map[string]string{}, claimed: map[string]string{},
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
	leads, steps := demoScript()
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

	d.intro(len(leads))
	if err := d.settle(ctx); err != nil {
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

func (d *demo) intro(n int) {
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
	d.printf("Replaying week %d (%s to %s): %d SQLs arrive through POST /api/leads, reps click in %s with signed requests.\n\n",
		week, d.monday.Format("Mon 2 Jan"), d.at(4, "17:00").Format("Mon 2 Jan 2006"), n, demoChannelNames[demoSales])
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
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := d.app.store.OutboxStats(ctx)
		if err != nil {
			return err
		}
		if st.Pending == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d chat messages still unsent after 10 s", st.Pending)
		}
		d.app.wakeOutbox()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
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

var (
	mentionRE = regexp.MustCompile(`<@([A-Z0-9]+)(?:\|[^>]*)?>`)
	linkRE    = regexp.MustCompile(`<([^<>|]+)\|([^<>]+)>`)
)

// plain turns Slack mrkdwn into plain text: mentions become @names, links
// their labels, bold marks go.
func (d *demo) plain(s string) string {
	s = mentionRE.ReplaceAllStringFunc(s, func(m string) string { return d.mention(mentionRE.FindStringSubmatch(m)[1]) })
	s = linkRE.ReplaceAllString(s, "$2")
	s = strings.ReplaceAll(s, "*", "")
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
}

func (d *demo) postLead(ctx context.Context, l demoLead) error {
	body, _ := json.Marshal(map[string]any{
		"external_id": l.key, "company": l.company, "name": l.name, "title": l.title,
		"email": demoEmail(l), "phone": demoPhone(l), "source": l.source, "campaign": l.campaign, "score": l.score,
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.base+"/api/leads", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+demoAPIToken)
	resp, err := d.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var got struct {
		ID int64 `json:"id"`
	}
	if resp.StatusCode != http.StatusCreated || json.NewDecoder(resp.Body).Decode(&got) != nil || got.ID == 0 {
		return fmt.Errorf("POST /api/leads %s answered %s", l.key, resp.Status)
	}
	if err := d.settle(ctx); err != nil {
		return err
	}
	posts, err := d.app.store.ChatPosts(ctx, got.ID)
	if err != nil {
		return err
	}
	st := &demoLeadState{demoLead: l, id: got.ID}
	for _, p := range posts {
		if p.Platform == slackbot.Name {
			st.ts = p.MessageID
		}
	}
	if st.ts == "" {
		return fmt.Errorf("lead %s was not posted to the sales channel", l.key)
	}
	d.leads[l.key] = st
	d.order = append(d.order, l.key)
	d.printf("%s  📥 New SQL: %s, %s (%s) · %s / %s · score %d\n", d.when(d.clock.Now()), l.company, l.name, l.title, l.source, l.campaign, l.score)
	return nil
}

// demoEmail makes "camilla.holm@nordlysenergi.dk" of a lead.
func demoEmail(l demoLead) string {
	fold := strings.NewReplacer("æ", "ae", "ø", "oe", "å", "aa", "Æ", "ae", "Ø", "oe", "Å", "aa")
	local := strings.ReplaceAll(strings.ToLower(fold.Replace(l.name)), " ", ".")
	var domain strings.Builder
	for _, w := range strings.Fields(fold.Replace(l.company)) {
		if w == "A/S" || w == "ApS" || w == "P/S" {
			continue
		}
		for _, r := range strings.ToLower(w) {
			if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
				domain.WriteRune(r)
			}
		}
	}
	return local + "@" + domain.String() + ".dk"
}

func demoPhone(l demoLead) string {
	n, _ := strconv.Atoi(strings.TrimPrefix(l.key, "hs-"))
	return fmt.Sprintf("+45 %02d %02d %02d %02d", 20+n%70, n%97, (n*7)%100, (n*13)%100)
}

// do performs one step of the script.
func (d *demo) do(ctx context.Context, s demoStep) error {
	if s.act == actWait {
		d.printf("%s  ☕ %s\n", d.when(d.clock.Now()), s.reason)
		return nil
	}
	l := d.leads[s.lead]
	if l == nil {
		return fmt.Errorf("step %s on %s before the lead arrived", s.act, s.lead)
	}
	lead, err := d.app.store.Lead(ctx, l.id)
	if err != nil {
		return err
	}
	rep := s.rep
	if rep == "" {
		rep = d.names[lead.Owner.UserID]
	}
	user := d.ids[rep]
	if user == "" {
		return fmt.Errorf("nobody called %q", rep)
	}
	now := d.when(d.clock.Now())
	switch s.act {
	case actClaim:
		d.printf("%s  ✋ %s claims %s\n", now, rep, l.company)
		if err := d.click(ctx, user, bot.ActionClaim, l); err != nil {
			return err
		}
		return d.noteOwner(ctx, l)
	case actRace:
		return d.raceClaim(ctx, rep, s.rival, l)
	case actContact:
		if lead.Owner.UserID != user {
			d.printf("%s  📞 %s clicks Log contact on %s, which %s owns\n", now, rep, l.company, d.mention(lead.Owner.UserID))
		} else {
			d.printf("%s  📞 %s logs first contact with %s (%s)\n", now, rep, l.name, l.company)
		}
		return d.click(ctx, user, bot.ActionLogContact, l)
	case actOpportunity:
		d.printf("%s  💡 %s marks %s as an opportunity\n", now, rep, l.company)
		return d.click(ctx, user, bot.ActionOpportunity, l)
	case actWon:
		d.printf("%s  🏆 %s wins %s and enters %s in the Won form\n", now, rep, l.company, bot.FormatAmount(int64(s.amount)*100, d.policy.Targets.Currency))
		return d.form(ctx, user, bot.ActionWon, l, map[string]string{"amount": strconv.Itoa(s.amount)})
	case actLost:
		d.printf("%s  ✖  %s closes %s as lost: %q\n", now, rep, l.company, s.reason)
		return d.form(ctx, user, bot.ActionLost, l, map[string]string{"reason": s.reason})
	case actRecycle:
		d.printf("%s  ♻️  %s recycles %s back to marketing: %q\n", now, rep, l.company, s.reason)
		return d.form(ctx, user, bot.ActionRecycle, l, map[string]string{"reason": s.reason})
	case actNotAFit:
		d.printf("%s  ↩️  %s returns %s to marketing as not a fit: %q\n", now, rep, l.company, s.reason)
		return d.form(ctx, user, bot.ActionNotAFit, l, map[string]string{"reason": s.reason})
	}
	return fmt.Errorf("unknown step %q", s.act)
}

// send posts a body to a Slack endpoint of the server, signed as Slack
// signs it (with the real time: the signature must be fresh), and returns
// the answer's body.
func (d *demo) send(ctx context.Context, path, body string) ([]byte, error) {
	req := fakeslack.SignedRequest(d.base+path, demoSecret, time.Now(), body)
	resp, err := d.client.Do(req.WithContext(ctx))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("POST %s answered %s: %s", path, resp.Status, bytes.TrimSpace(answer))
	}
	return answer, nil
}

// click is a signed button click by user on the lead's message.
func (d *demo) click(ctx context.Context, user, action string, l *demoLeadState) error {
	body := fakeslack.ClickPayload(user, demoSales, l.ts, action, strconv.FormatInt(l.id, 10), d.slack.ResponseURL(user))
	_, err := d.send(ctx, "/slack/interactions", body)
	return err
}

// form clicks the button that opens a modal, reads the modal the server
// opened with views.open, and submits it with the answers.
func (d *demo) form(ctx context.Context, user, action string, l *demoLeadState, answers map[string]string) error {
	if err := d.click(ctx, user, action, l); err != nil {
		return err
	}
	var view map[string]any
	for _, c := range d.slack.Calls("views.open") {
		if c.Param("trigger_id") == "trigger-"+user {
			view, _ = c.JSON["view"].(map[string]any)
		}
	}
	callback, _ := view["callback_id"].(string)
	state, _ := view["private_metadata"].(string)
	if callback != action {
		return fmt.Errorf("%s: no %s form was opened for %s", l.company, action, d.names[user])
	}
	answer, err := d.send(ctx, "/slack/interactions", fakeslack.SubmitPayload(user, callback, state, answers))
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(answer)) > 0 {
		return fmt.Errorf("%s: the %s form was refused: %s", l.company, action, answer)
	}
	return nil
}

// raceClaim has two reps click Claim on the same message at once.
func (d *demo) raceClaim(ctx context.Context, rep, rival string, l *demoLeadState) error {
	gate := make(chan struct{})
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, name := range []string{rep, rival} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			errs[i] = d.click(ctx, d.ids[name], bot.ActionClaim, l)
		}()
	}
	close(gate)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if err := d.settle(ctx); err != nil {
		return err
	}
	lead, err := d.app.store.Lead(ctx, l.id)
	if err != nil {
		return err
	}
	winner := d.names[lead.Owner.UserID]
	d.claimed[l.key] = winner
	loser := rep
	if loser == winner {
		loser = rival
	}
	d.race = fmt.Sprintf("%s and %s clicked Claim on %s at the same moment: %s got it, %s was told privately.", rep, rival, l.company, winner, loser)
	d.printf("%s  ⚡ %s and %s click Claim on %s at the same moment: %s wins\n", d.when(d.clock.Now()), rep, rival, l.company, winner)
	return nil
}

// noteOwner remembers who owns the lead now.
func (d *demo) noteOwner(ctx context.Context, l *demoLeadState) error {
	lead, err := d.app.store.Lead(ctx, l.id)
	if err != nil {
		return err
	}
	if !lead.Owner.IsZero() {
		d.claimed[l.key] = d.names[lead.Owner.UserID]
	}
	return nil
}

// askFunnel sends /funnel month as a signed slash command from marketing
// and returns the answer: the acknowledgement's, or the one that follows
// through response_url when the acknowledgement says it is working on it.
func (d *demo) askFunnel(ctx context.Context) (fakeslack.Message, error) {
	const responseID = "funnel"
	body := fakeslack.CommandBody(demoMarketer.ID, demoAskedIn, "/funnel", "month", d.slack.ResponseURL(responseID))
	raw, err := d.send(ctx, "/slack/commands", body)
	if err != nil {
		return fakeslack.Message{}, err
	}
	var ack struct {
		Text   string          `json:"text"`
		Blocks json.RawMessage `json:"blocks"`
	}
	msg := fakeslack.Message{Text: strings.TrimSpace(string(raw))}
	if json.Unmarshal(raw, &ack) == nil {
		msg = fakeslack.Message{Text: ack.Text, Blocks: fakeslack.DecodeBlocks(string(ack.Blocks))}
	}
	working := len(raw) == 0 || strings.Contains(msg.Text, "Working on")
	deadline := time.Now().Add(15 * time.Second)
	for {
		if err := d.settle(ctx); err != nil {
			return msg, err
		}
		if rs := d.slack.Responses(responseID); len(rs) > 0 {
			return rs[len(rs)-1], nil
		}
		if !working || time.Now().After(deadline) {
			return msg, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// card prints a message's lines: the first as a heading, the rest under it.
func (d *demo) card(m fakeslack.Message, note string) {
	lines := m.Lines()
	for i, l := range lines {
		l = d.plain(l)
		switch {
		case i == 0 && note != "":
			fmt.Fprintf(d.out, "  %s  %s\n", l, note)
		case i == 0:
			fmt.Fprintf(d.out, "  %s\n", l)
		default:
			fmt.Fprintf(d.out, "      %s\n", l)
		}
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
	var claims, reminders, other int
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
			default:
				other++
			}
		}
	}
	fmt.Fprintf(d.out, "═══ Direct messages and private notices ═══\n\n")
	fmt.Fprintf(d.out, "  %d direct messages: %d claim confirmations with the lead's details, %d SLA reminders, %d other\n",
		claims+reminders+other, claims, reminders, other)
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
	fmt.Fprintf(d.out, "  SQLs posted:       %d (marketing's target: %d a month)\n", len(d.order), d.policy.Targets.SQLsPerMonth)
	fmt.Fprintf(d.out, "  Claimed:           %d (%s); still unclaimed: %d\n", claimed, strings.Join(reps, ", "), stages[handoff.StageSQL])
	fmt.Fprintf(d.out, "  Where they stand:  %d claimed, not contacted · %d contacted · %d opportunities\n",
		stages[handoff.StageClaimed], stages[handoff.StageContacted], stages[handoff.StageOpportunity])
	fmt.Fprintf(d.out, "  Won:               %d deals, %s in total (sales' target: %d customers a month)\n",
		stages[handoff.StageWon], bot.FormatAmount(wonMinor, cur), d.policy.Targets.CustomersPerMonth)
	fmt.Fprintf(d.out, "  Lost:              %d · back to marketing: %d\n", stages[handoff.StageLost], stages[handoff.StageRecycled])
	fmt.Fprintf(d.out, "  SLA escalations:   %d to %s\n", escalations, demoChannelNames[demoManagers])
	if d.race != "" {
		fmt.Fprintf(d.out, "  Claim race:        %s\n", d.race)
	}
	fmt.Fprintln(d.out)
	return nil
}

func (d *demo) printFunnel(m fakeslack.Message) {
	fmt.Fprintf(d.out, "═══ /funnel month, asked by %s from marketing in %s ═══\n\n", demoMarketer.Name, demoChannelNames[demoAskedIn])
	d.card(m, "")
}
