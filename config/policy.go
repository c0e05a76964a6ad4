package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // time zones work even on hosts without a zoneinfo database

	cron "github.com/netresearch/go-cron"
	"go.yaml.in/yaml/v3"

	"github.com/handoff/handoff"
)

// agreementFile is the YAML agreement file. Leaves are yaml.Node so that a value of
// the wrong shape can be reported with its key path, and every problem in
// the file is collected rather than stopping at the first.
type agreementFile struct {
	Timezone yaml.Node   `yaml:"timezone"`
	SLA      *slaFile    `yaml:"sla"`
	Digest   *digestFile `yaml:"digest"`
	// Retention bounds how long personal data is kept.
	Retention *retentionFile `yaml:"retention"`
	// Channels name where leads and escalations go, per platform.
	Channels *channelsFile `yaml:"channels"`
	// Salesforce maps Lead Status values to stages.
	Salesforce *salesforceFile `yaml:"salesforce"`
	// Webhooks are the endpoints of outgoing webhooks.
	Webhooks yaml.Node `yaml:"webhooks"`
	// Scoring is the agreed lead scoring; Reasons the reasons to pick from.
	Scoring *scoringFile `yaml:"scoring"`
	Reasons yaml.Node    `yaml:"reasons"`
	// Routing says how a new SQL finds its owner (see routing.go).
	Routing *routingFile `yaml:"routing"`
}

type channelsFile struct {
	Slack *slackChannelsFile `yaml:"slack"`
	Teams *teamsChannelsFile `yaml:"teams"`
}

type slackChannelsFile struct {
	Sales    yaml.Node `yaml:"sales"`
	Managers yaml.Node `yaml:"managers"`
}

type teamsChannelsFile struct {
	Sales    yaml.Node `yaml:"sales"`
	Managers yaml.Node `yaml:"managers"`
}

// Channels are the chat channels the agreement file names. The
// environment's SLACK_SALES_CHANNEL, SLACK_MANAGER_CHANNEL,
// TEAMS_SALES_CHANNEL and TEAMS_MANAGER_CHANNEL take precedence.
type Channels struct {
	SlackSales, SlackManagers string
	TeamsSales, TeamsManagers string
}

type retentionFile struct {
	PersonalData yaml.Node `yaml:"personal_data"`
}

type digestFile struct {
	Schedule yaml.Node `yaml:"schedule"`
}

type slaFile struct {
	ClaimWithin     yaml.Node  `yaml:"claim_within"`
	ContactWithin   yaml.Node  `yaml:"contact_within"`
	BusinessHours   *hoursFile `yaml:"business_hours"`
	RemindBefore    yaml.Node  `yaml:"remind_before"`
	ReleaseOnBreach yaml.Node  `yaml:"release_on_breach"`
	// ExcuseSystemDelay moves claim deadlines by the time chat was late.
	ExcuseSystemDelay yaml.Node    `yaml:"excuse_system_delay"`
	Targets           *targetsFile `yaml:"targets"`
}

type hoursFile struct {
	Days     yaml.Node `yaml:"days"`
	Start    yaml.Node `yaml:"start"`
	End      yaml.Node `yaml:"end"`
	Holidays yaml.Node `yaml:"holidays"`
}

type targetsFile struct {
	SQLsPerMonth      yaml.Node `yaml:"sqls_per_month"`
	CustomersPerMonth yaml.Node `yaml:"customers_per_month"`
	AvgDealSize       yaml.Node `yaml:"avg_deal_size"`
	Currency          yaml.Node `yaml:"currency"`
}

// sectionPaths maps the Go types above to their key path, to turn yaml.v3's
// "field x not found in type config.slaFile" into "unknown key sla.x".
var sectionPaths = map[string]string{
	"config.agreementFile":     "",
	"config.slaFile":           "sla.",
	"config.hoursFile":         "sla.business_hours.",
	"config.targetsFile":       "sla.targets.",
	"config.digestFile":        "digest.",
	"config.retentionFile":     "retention.",
	"config.channelsFile":      "channels.",
	"config.slackChannelsFile": "channels.slack.",
	"config.teamsChannelsFile": "channels.teams.",
	"config.salesforceFile":    "salesforce.",
	"config.webhookFile":       "webhooks[].",
	"config.scoringFile":       "scoring.",
	"config.explicitFile":      "scoring.explicit[].",
	"config.implicitFile":      "scoring.implicit[].",
	"config.routingFile":       "routing.",
	"config.repFile":           "routing.reps[].",
	"config.repHoursFile":      "routing.reps[].hours.",
}

var (
	unknownFieldRE = regexp.MustCompile(`^line (\d+): field (\S+) not found in type (.+)$`)
	clockRE        = regexp.MustCompile(`^(\d\d):(\d\d)$`)
	currencyRE     = regexp.MustCompile(`^[A-Z]{3}$`)
)

// Default business hours used for keys left out of a business_hours section.
var (
	defaultDays  = []string{"mon", "tue", "wed", "thu", "fri"}
	defaultStart = 8 * time.Hour
	defaultEnd   = 17 * time.Hour
)

var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "sunday": time.Sunday,
	"mon": time.Monday, "monday": time.Monday,
	"tue": time.Tuesday, "tuesday": time.Tuesday,
	"wed": time.Wednesday, "wednesday": time.Wednesday,
	"thu": time.Thursday, "thursday": time.Thursday,
	"fri": time.Friday, "friday": time.Friday,
	"sat": time.Saturday, "saturday": time.Saturday,
}

// LoadAgreement reads, parses and validates one YAML agreement file (see
// ParseAgreement). It returns the error from reading the file, or every
// problem found, joined with errors.Join (one per line).
func LoadAgreement(path string) (Agreement, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Agreement{}, fmt.Errorf("config: read agreement: %w", err)
	}
	return ParseAgreement(data)
}

// ParseAgreement parses and validates a YAML agreement: the SLA policy and
// targets, and the channels, the Salesforce status table and webhooks.
// Policy keys left out take the values of handoff.DefaultPolicy; a
// business_hours section without days, start or end gets Mon-Fri, 08:00 and
// 17:00. On failure it returns the zero Agreement and every problem found,
// joined with errors.Join, each naming its key path and the offending value.
func ParseAgreement(data []byte) (Agreement, error) {
	var f agreementFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var errs []error
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return Agreement{}, fmt.Errorf("config: %w", err)
		}
		// Type errors leave the rest of the document decoded: report them
		// and keep validating.
		for _, msg := range te.Errors {
			errs = append(errs, decodeError(msg))
		}
	}
	errs = append(errs, secondDocument(dec)...)
	p, verrs := buildPolicy(&f)
	errs = append(errs, verrs...)
	b := &agreementBuilder{}
	ag := Agreement{Policy: p, Channels: b.channels(f.Channels), SalesforceStatus: b.salesforce(f.Salesforce), Webhooks: b.webhooks(&f.Webhooks)}
	errs = append(errs, b.errs...)
	if len(errs) == 0 {
		// Safety net: the checks above cover every rule of Validate.
		if err := p.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("config: %w", err))
		}
	}
	if len(errs) > 0 {
		return Agreement{}, errors.Join(errs...)
	}
	return ag, nil
}

// secondDocument reports a second YAML document in the file (after a
// "---"), which the decoder would leave unread: nothing in it would apply.
func secondDocument(dec *yaml.Decoder) []error {
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
		return nil
	case err != nil:
		return []error{fmt.Errorf("config: %w", err)}
	case len(next.Content) == 0 || absent(next.Content[0]):
		return nil // an empty document, such as a closing "---"
	}
	return []error{fmt.Errorf("config: line %d: a second YAML document (after \"---\"): the agreement is one document, "+
		"and nothing from this line on would apply", next.Content[0].Line)}
}

// channels reads the channels section.
func (b *agreementBuilder) channels(f *channelsFile) Channels {
	var ch Channels
	if f == nil {
		return ch
	}
	if f.Slack != nil {
		ch.SlackSales = b.slackChannel("channels.slack.sales", &f.Slack.Sales)
		ch.SlackManagers = b.slackChannel("channels.slack.managers", &f.Slack.Managers)
	}
	if f.Teams != nil {
		ch.TeamsSales = b.teamsChannel("channels.teams.sales", &f.Teams.Sales)
		ch.TeamsManagers = b.teamsChannel("channels.teams.managers", &f.Teams.Managers)
	}
	return ch
}

// teamsChannel reads a Teams channel at path; one longer than the store
// keeps is reported.
func (b *agreementBuilder) teamsChannel(path string, n *yaml.Node) string {
	v, _ := b.scalar(path, n)
	if p := teamsChannelProblem(v); p != "" {
		b.errorf(path, "line %d: %s", n.Line, p)
		return ""
	}
	return v
}

// slackChannel reads a Slack channel id at path; a name is reported.
func (b *agreementBuilder) slackChannel(path string, n *yaml.Node) string {
	v, _ := b.scalar(path, n)
	v = strings.TrimSpace(v)
	if p := slackIDProblem("channel", v); p != "" {
		b.errorf(path, "line %d: %s", n.Line, p)
		return ""
	}
	return v
}

// decodeError rewrites a yaml.v3 decode message so that it names the key.
func decodeError(msg string) error {
	if m := unknownFieldRE.FindStringSubmatch(msg); m != nil {
		if prefix, ok := sectionPaths[m[3]]; ok {
			return fmt.Errorf("config: line %s: unknown key %q", m[1], prefix+m[2])
		}
		return fmt.Errorf("config: line %s: unknown key %q", m[1], m[2])
	}
	msg = strings.ReplaceAll(msg, "config.slaFile", "the sla section")
	msg = strings.ReplaceAll(msg, "config.hoursFile", "the sla.business_hours section")
	msg = strings.ReplaceAll(msg, "config.targetsFile", "the sla.targets section")
	msg = strings.ReplaceAll(msg, "config.digestFile", "the digest section")
	msg = strings.ReplaceAll(msg, "config.agreementFile", "an agreement")
	return fmt.Errorf("config: %s", msg)
}

func buildPolicy(f *agreementFile) (handoff.Policy, []error) {
	p := handoff.DefaultPolicy()
	b := &agreementBuilder{}

	if s, ok := b.scalar("timezone", &f.Timezone); ok {
		if loc, err := loadLocation(s); err != nil {
			b.errorf("timezone", "unknown time zone %q", s)
		} else {
			p.Location = loc
		}
	}
	if f.SLA != nil {
		b.sla(&p, f.SLA)
	}
	if f.Digest != nil {
		if s, ok := b.scalar("digest.schedule", &f.Digest.Schedule); ok {
			if err := checkCron(s); err != nil {
				b.errorf("digest.schedule", "invalid cron %q: %v", s, err)
			} else {
				p.DigestSchedule = s
			}
		}
	}
	if f.Scoring != nil {
		p.Scoring = b.scoring(f.Scoring)
	}
	p.Reasons = b.reasons(&f.Reasons)
	if f.Routing != nil {
		p.Routing = b.routing(f.Routing)
	}
	if f.Retention != nil {
		if v, ok := b.scalar("retention.personal_data", &f.Retention.PersonalData); ok {
			if d, err := handoff.ParseRetention(v); err != nil {
				b.errorf("retention.personal_data", "invalid duration %q (use e.g. 730d or 17520h)", v)
			} else {
				p.Retention = d
			}
		}
	}
	return p, b.errs
}

func (b *agreementBuilder) sla(p *handoff.Policy, s *slaFile) {
	if d, ok := b.duration("sla.claim_within", &s.ClaimWithin); ok {
		p.ClaimWithin = d
	}
	contactOK := true
	if v, set := b.scalar("sla.contact_within", &s.ContactWithin); set {
		d, ok := b.parseDuration("sla.contact_within", v)
		if ok {
			p.ContactWithin = d
		}
		contactOK = ok
	}
	if p.ClaimWithin > p.ContactWithin && contactOK {
		b.errorf("sla.claim_within", "%s must not exceed sla.contact_within (%s)", p.ClaimWithin, p.ContactWithin)
	}
	if s.BusinessHours != nil {
		p.BusinessHours = b.hours("sla.business_hours", s.BusinessHours)
	}
	if items, ok := b.list("sla.remind_before", &s.RemindBefore); ok {
		var rs []time.Duration
		for i, v := range items {
			path := fmt.Sprintf("sla.remind_before[%d]", i)
			d, ok := b.parseDuration(path, v)
			if !ok {
				continue
			}
			if contactOK && d >= p.ContactWithin {
				b.errorf(path, "%q must be less than sla.contact_within (%s)", v, p.ContactWithin)
				continue
			}
			rs = append(rs, d)
		}
		slices.Sort(rs)
		slices.Reverse(rs)
		p.RemindBefore = slices.Compact(rs)
	}
	p.ReleaseOnBreach = b.boolean("sla.release_on_breach", &s.ReleaseOnBreach)
	p.ExcuseSystemDelay = b.boolean("sla.excuse_system_delay", &s.ExcuseSystemDelay)
	if s.Targets != nil {
		b.targets(&p.Targets, s.Targets)
	}
}

// hours reads a business_hours section at path; keys left out take Mon-Fri
// 08:00-17:00.
func (b *agreementBuilder) hours(path string, h *hoursFile) *handoff.BusinessHours {
	bh := &handoff.BusinessHours{Start: defaultStart, End: defaultEnd}
	days := defaultDays
	if items, ok := b.list(path+".days", &h.Days); ok {
		days = items
		if len(items) == 0 {
			b.errorf(path+".days", "no open days")
		}
	}
	for _, d := range days {
		wd, ok := weekdays[strings.ToLower(strings.TrimSpace(d))]
		if !ok {
			b.errorf(path+".days", "unknown day %q, want mon, tue, wed, thu, fri, sat or sun", d)
			continue
		}
		bh.Days[wd] = true
	}
	startOK, endOK := true, true
	if v, ok := b.scalar(path+".start", &h.Start); ok {
		bh.Start, startOK = b.clock(path+".start", v, false)
	}
	if v, ok := b.scalar(path+".end", &h.End); ok {
		bh.End, endOK = b.clock(path+".end", v, true)
	}
	if startOK && endOK && bh.Start >= bh.End {
		b.errorf(path, "start %q must be before end %q", hhmm(bh.Start), hhmm(bh.End))
	}
	if items, ok := b.list(path+".holidays", &h.Holidays); ok {
		bh.Holidays = make(map[string]bool, len(items))
		for i, v := range items {
			day, err := time.Parse("2006-01-02", v)
			if err != nil {
				b.errorf(fmt.Sprintf("%s.holidays[%d]", path, i), "invalid date %q, want YYYY-MM-DD", v)
				continue
			}
			bh.Holidays[day.Format("2006-01-02")] = true
		}
	}
	return bh
}

func (b *agreementBuilder) targets(t *handoff.Targets, f *targetsFile) {
	if n, ok := b.count("sla.targets.sqls_per_month", &f.SQLsPerMonth); ok {
		t.SQLsPerMonth = n
	}
	if n, ok := b.count("sla.targets.customers_per_month", &f.CustomersPerMonth); ok {
		t.CustomersPerMonth = n
	}
	if v, ok := b.scalar("sla.targets.avg_deal_size", &f.AvgDealSize); ok {
		x, err := strconv.ParseFloat(v, 64)
		switch {
		case err != nil || math.IsNaN(x) || math.IsInf(x, 0):
			b.errorf("sla.targets.avg_deal_size", "invalid number %q", v)
		case x < 0:
			b.errorf("sla.targets.avg_deal_size", "must not be negative, got %q", v)
		default:
			t.AvgDealSize = x
		}
	}
	if v, ok := b.scalar("sla.targets.currency", &f.Currency); ok {
		if !currencyRE.MatchString(v) {
			b.errorf("sla.targets.currency", "invalid currency %q, want 3 uppercase letters such as DKK", v)
		} else {
			t.Currency = v
		}
	}
}

// checkCron validates a digest schedule: standard five-field cron or a
// descriptor (@weekly). A TZ= or CRON_TZ= prefix is refused, since the
// agreement's timezone applies to every schedule (and the cron library
// panics on some of them); a panic in the parser becomes an error too, and
// so does a schedule no date matches (30 February), which never runs.
func checkCron(spec string) (err error) {
	upper := strings.ToUpper(strings.TrimSpace(spec))
	if strings.HasPrefix(upper, "TZ=") || strings.HasPrefix(upper, "CRON_TZ=") {
		return errors.New("no TZ= or CRON_TZ= prefix: the schedule runs in the agreement's timezone (set timezone: instead)")
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("cannot be parsed (%v)", p)
		}
	}()
	sched, err := cron.ParseStandard(spec)
	if err != nil {
		return err
	}
	if sched.Next(time.Now()).IsZero() {
		return errors.New("never runs: no date matches it (such as 30 February)")
	}
	return nil
}
