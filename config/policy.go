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

// channels reads the channels section.
func (b *agreementBuilder) channels(f *channelsFile) Channels {
	var ch Channels
	if f == nil {
		return ch
	}
	if f.Slack != nil {
		ch.SlackSales, _ = b.scalar("channels.slack.sales", &f.Slack.Sales)
		ch.SlackManagers, _ = b.scalar("channels.slack.managers", &f.Slack.Managers)
	}
	if f.Teams != nil {
		ch.TeamsSales, _ = b.scalar("channels.teams.sales", &f.Teams.Sales)
		ch.TeamsManagers, _ = b.scalar("channels.teams.managers", &f.Teams.Managers)
	}
	return ch
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

// agreementBuilder accumulates errors while reading the decoded file.
type agreementBuilder struct {
	errs []error
}

func (b *agreementBuilder) errorf(path, format string, args ...any) {
	b.errs = append(b.errs, fmt.Errorf("config: "+path+": "+format, args...))
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

// scalar returns the value of a scalar node, and false when the key is
// absent or null. A node of another shape is reported.
func (b *agreementBuilder) scalar(path string, n *yaml.Node) (string, bool) {
	if absent(n) {
		return "", false
	}
	if n.Kind != yaml.ScalarNode {
		b.errorf(path, "line %d: want a single value, got %s", n.Line, kindName(n))
		return "", false
	}
	return n.Value, true
}

// list returns the values of a sequence of scalars, and false when the key
// is absent or null. A node of another shape is reported.
func (b *agreementBuilder) list(path string, n *yaml.Node) ([]string, bool) {
	if absent(n) {
		return nil, false
	}
	if n.Kind != yaml.SequenceNode {
		b.errorf(path, "line %d: want a list such as [a, b], got %s %q", n.Line, kindName(n), n.Value)
		return nil, false
	}
	items := make([]string, 0, len(n.Content))
	ok := true
	for i, c := range n.Content {
		if c.Kind != yaml.ScalarNode {
			b.errorf(fmt.Sprintf("%s[%d]", path, i), "line %d: want a single value, got %s", c.Line, kindName(c))
			ok = false
			continue
		}
		items = append(items, c.Value)
	}
	return items, ok
}

// boolean reads true or false; false when absent or invalid (reported).
func (b *agreementBuilder) boolean(path string, n *yaml.Node) bool {
	v, ok := b.scalar(path, n)
	if !ok {
		return false
	}
	r, err := strconv.ParseBool(v)
	if err != nil {
		b.errorf(path, "invalid boolean %q, want true or false", v)
	}
	return r
}

// duration reads a positive Go duration.
func (b *agreementBuilder) duration(path string, n *yaml.Node) (time.Duration, bool) {
	v, ok := b.scalar(path, n)
	if !ok {
		return 0, false
	}
	return b.parseDuration(path, v)
}

func (b *agreementBuilder) parseDuration(path, v string) (time.Duration, bool) {
	d, err := time.ParseDuration(v)
	if err != nil {
		b.errorf(path, "invalid duration %q, want Go syntax such as 90m or 48h", v)
		return 0, false
	}
	if d <= 0 {
		b.errorf(path, "duration %q must be greater than zero", v)
		return 0, false
	}
	return d, true
}

// count reads a non-negative whole number.
func (b *agreementBuilder) count(path string, n *yaml.Node) (int, bool) {
	v, ok := b.scalar(path, n)
	if !ok {
		return 0, false
	}
	x, err := strconv.Atoi(v)
	if err != nil {
		b.errorf(path, "invalid whole number %q", v)
		return 0, false
	}
	if x < 0 {
		b.errorf(path, "must not be negative, got %q", v)
		return 0, false
	}
	return x, true
}

// clock reads "HH:MM" as a duration since midnight; "24:00" only when
// allow24 (for a closing time).
func (b *agreementBuilder) clock(path, v string, allow24 bool) (time.Duration, bool) {
	m := clockRE.FindStringSubmatch(v)
	if m == nil {
		b.errorf(path, "invalid time %q, want HH:MM", v)
		return 0, false
	}
	h, _ := strconv.Atoi(m[1])
	mi, _ := strconv.Atoi(m[2])
	if mi > 59 || h > 24 || (h == 24 && (mi != 0 || !allow24)) {
		b.errorf(path, "invalid time %q, want HH:MM between 00:00 and 23:59 (or 24:00 for end)", v)
		return 0, false
	}
	return time.Duration(h)*time.Hour + time.Duration(mi)*time.Minute, true
}

func hhmm(d time.Duration) string {
	return fmt.Sprintf("%02d:%02d", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

// loadLocation accepts IANA names only: "" and "Local" would silently depend
// on the host.
func loadLocation(name string) (*time.Location, error) {
	if name == "" || name == "Local" {
		return nil, fmt.Errorf("unknown time zone %q", name)
	}
	return time.LoadLocation(name)
}

func absent(n *yaml.Node) bool {
	return n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.AliasNode:
		return "an alias"
	default:
		return "a value"
	}
}

// checkCron validates a digest schedule: standard five-field cron or a
// descriptor (@weekly). A TZ= or CRON_TZ= prefix is refused, since the
// agreement's timezone applies to every schedule (and the cron library
// panics on some of them); a panic in the parser becomes an error too.
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
	_, err = cron.ParseStandard(spec)
	return err
}
