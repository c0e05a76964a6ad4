// The demo's script, as data: the agreement, the stand-in workspace and its
// people, and the week (demo_week.txt: 34 SQLs and what the reps do with
// them) with its reader. demo.go plays it against the real server.

package main

import (
	_ "embed"
	"fmt"
	"strconv"
	"strings"

	"github.com/handoff/handoff/salesforce"
)

// demoAgreement is the agreement of handoff.example.yml, less its holidays,
// so that every week the demo replays has five working days, with lead
// scoring: the marketing automation's own score (kept as source_score)
// counts as one of its rules, and at 60 or more makes an SQL by itself, as
// it did in HubSpot, which sends those leads as SQLs.
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
scoring:
  mql_at: 40
  sql_at: 70
  explicit:
    - {field: title, matches: "(?i)\\b(it-chef|cto|cio|it manager)\\b", points: 30}
    - {field: source_score, at_least: 60, points: 70}
  implicit:
    - {activity: page_view, url_matches: "/pricing", points: 20, max: 40}
    - {activity: demo_request, points: 40}
  decay: 30d
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
	demoReps     = []demoPerson{{"Mette", "UMETTE1"}, {"Jonas", "UJONAS1"}, {"Sofie", "USOFIE1"}, {"Anders", "UANDERS"}}
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
	// visits, when set, makes a website lead that arrives without a stage
	// or score and is scored into an SQL by these page views.
	visits []string
	// form makes a lead the website's demo-request form posts with its
	// own intake token: the lead without a stage or score, then its
	// demo_request, which the agreement's scoring makes an SQL.
	form bool
	// again is a lead the script posted before, sent again as an SQL
	// after sales returned it: a known lead, answered 200.
	again bool
	// hubspot makes a lead HubSpot sends as an SQL through its signed
	// workflow webhook, under its record id (key); sqlSince, when set
	// ("HH:MM" the same day), is when HubSpot made it an SQL, before its
	// delivery: a webhook HubSpot retried.
	hubspot  bool
	sqlSince string
	// salesforce makes a lead Salesforce sends through an Outbound
	// Message on Lead, under its record id (key, the 18-character form),
	// with the Lead Status demoSalesforceNew.
	salesforce bool
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
	// actLoseAnswer: Slack posts the next card but its answer is lost on
	// the way back; the demo shows the outbox's retry finding the card.
	actLoseAnswer = "lose-answer"
	// actRemoveBot: someone removes the bot from the sales channel, so the
	// next card is refused for good and given up (dead); actInviteBot: the
	// admin invites it back, and Handoff queues the dead card again itself.
	actRemoveBot = "remove-bot"
	actInviteBot = "invite-bot"
	// actVisitSales: the marketer joins the sales channel, asks /leads open
	// and leaves it again: lead details follow the channel's membership.
	actVisitSales = "visit-sales"
	// actErase: the person asks to be forgotten, and a GDPR tool erases
	// the lead through the API with its write token; reason is the
	// narration.
	actErase = "erase"
	// actMerge: marketing merges two HubSpot contacts of one person, the
	// step's lead into the contact into names, and HubSpot sends the
	// surviving contact with the merged one's id.
	actMerge = "merge"
	// The events of HubSpot's webhooks API about a contact HubSpot sent
	// before: actHubSpotDelete, marketing deletes it (contact.deletion);
	// actHubSpotRestore, marketing restores a contact it deleted from
	// HubSpot's recycling bin (contact.restore); actHubSpotErase,
	// marketing runs HubSpot's GDPR delete on it at the person's request
	// (contact.deletion and contact.privacyDeletion); actHubSpotStage, a
	// rep sets its lifecycle stage in HubSpot at since
	// (contact.propertyChange, delivered late). reason is the narration.
	actHubSpotDelete  = "hubspot-delete"
	actHubSpotRestore = "hubspot-restore"
	actHubSpotErase   = "hubspot-erase"
	actHubSpotStage   = "hubspot-stage"
	// Outbound Messages of Salesforce about a Lead it sent before:
	// actSalesforceStatus, a rep sets its Lead Status to status in
	// Salesforce, sent at once; actSalesforceRetry, Salesforce's retry of
	// an older notification (the Lead as it was at since, with status)
	// reaches Handoff after the newer ones. reason is the narration.
	actSalesforceStatus = "salesforce-status"
	actSalesforceRetry  = "salesforce-retry"
)

// demoActsWithoutLead are the actions that name no lead.
var demoActsWithoutLead = map[string]bool{actWait: true, actLoseAnswer: true, actRemoveBot: true, actInviteBot: true, actVisitSales: true}

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
	// code is the reason picked from the agreement's list (not a fit,
	// lost, recycle); reason is then the note typed under it.
	code string
	// into is, for actMerge, the HubSpot contact that survives the merge.
	into string
	// stage is, for actHubSpotStage, the lifecycle stage set in HubSpot
	// (its internal value), at since ("HH:MM" the same day); since is,
	// for actSalesforceRetry, the older notification's LastModifiedDate.
	stage, since string
	// status is, for the Salesforce actions, the Lead Status sent.
	status string
}

// demoWeek is the script of the week: 34 SQLs from Danish B2B companies
// and what four reps do with them. One lead is raced for, one is returned as
// not a fit, one is recycled after contact and comes back as an SQL, one is
// lost and its person erased, one is erased before anyone claimed it (a
// rep's Claim on it then refused, and Not a fit taking it off the list),
// five are won, one is never claimed and one is
// claimed but never contacted, so the SLA clock escalates both; Slack's
// answer to one card's post is lost; one lead comes from the website's
// form, posted with an intake token; seven come from HubSpot's webhook, two
// of them contacts of one person that marketing merges, one that HubSpot
// made an SQL three hours before its webhook arrived (its contact, just
// claimed, deleted there by mistake in a list clean-up and restored from
// HubSpot's recycling bin the same afternoon, which gives the lead back
// to its rep as it was), one whose contact is deleted in HubSpot and
// stays lost, one deleted there before anyone claimed it and restored the
// same afternoon (an SQL again, announced on a new card, which a rep then
// claims), and one erased there at the person's request, while a rep
// moves another's lifecycle stage in HubSpot. On the Monday after,
// one comes from Salesforce's Outbound Messages, is contacted there, and
// an older notification of it arrives last, out of order.
// demo_week.txt describes its format.
//
//go:embed demo_week.txt
var demoWeek string

// demoActs are the actions a script step may name.
var demoActs = map[string]bool{actClaim: true, actRace: true, actContact: true, actOpportunity: true,
	actWon: true, actLost: true, actRecycle: true, actNotAFit: true, actWait: true, actLoseAnswer: true,
	actRemoveBot: true, actInviteBot: true, actVisitSales: true, actErase: true, actMerge: true,
	actHubSpotDelete: true, actHubSpotRestore: true, actHubSpotErase: true, actHubSpotStage: true,
	actSalesforceStatus: true, actSalesforceRetry: true}

// demoHubSpotActs are the actions of HubSpot's webhooks API, about a
// contact it sent before.
var demoHubSpotActs = map[string]bool{actHubSpotDelete: true, actHubSpotRestore: true, actHubSpotErase: true, actHubSpotStage: true}

// demoSalesforceActs are the actions of Salesforce's Outbound Messages,
// about a Lead it sent before.
var demoSalesforceActs = map[string]bool{actSalesforceStatus: true, actSalesforceRetry: true}

// demoScript reads the demo's week.
func demoScript() ([]demoLead, []demoStep, error) {
	return parseDemoScript(demoWeek)
}

// parseDemoScript reads a script in the format of demo_week.txt: a lead or
// a step per line, # comments and blank lines ignored. A lead whose key
// was posted before comes back as an SQL (again). It returns an error
// naming the line of the first problem: a malformed line, an unknown action
// or rep, a step on a lead the script does not post, a lead posted again
// under another company or other than as marketing's SQL, a merge of
// contacts HubSpot did not send, a restore of a contact the script did not
// delete in HubSpot before, or a Salesforce action on a lead Salesforce
// did not send.
func parseDemoScript(text string) ([]demoLead, []demoStep, error) {
	var leads []demoLead
	var steps []demoStep
	known := map[string]string{} // key → company
	fromHubSpot := map[string]bool{}
	fromSalesforce := map[string]bool{}
	deleted := map[string]demoStep{} // key → its hubspot-delete
	reps := map[string]bool{}
	for _, r := range demoReps {
		reps[r.Name] = true
	}
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		bad := func(format string, args ...any) error {
			return fmt.Errorf("demo script line %d: %s: %q", n+1, fmt.Sprintf(format, args...), line)
		}
		if rest, ok := strings.CutPrefix(line, "lead "); ok {
			l, err := parseDemoLead(rest)
			if err != nil {
				return nil, nil, bad("%v", err)
			}
			if company, ok := known[l.key]; ok {
				if company != l.company || l.visits != nil || l.form || l.hubspot || l.salesforce {
					return nil, nil, bad("lead %s comes back as an SQL: want the company %q and marketing's score", l.key, company)
				}
				l.again = true
			}
			known[l.key] = l.company
			fromHubSpot[l.key] = fromHubSpot[l.key] || l.hubspot
			fromSalesforce[l.key] = fromSalesforce[l.key] || l.salesforce
			leads = append(leads, l)
			continue
		}
		s, err := parseDemoStep(line)
		_, posted := known[s.lead]
		switch {
		case err != nil:
			return nil, nil, bad("%v", err)
		case !demoActs[s.act]:
			return nil, nil, bad("unknown action %q", s.act)
		case demoActsWithoutLead[s.act] != (s.lead == ""):
			return nil, nil, bad("every action but wait, lose-answer, remove-bot, invite-bot and visit-sales names one lead")
		case s.lead != "" && !posted:
			return nil, nil, bad("lead %s is not posted before", s.lead)
		case (s.rep != "" && !reps[s.rep]) || (s.rival != "" && !reps[s.rival]):
			return nil, nil, bad("unknown rep")
		case (s.act == actMerge) != (s.into != ""):
			return nil, nil, bad("merge, and merge alone, names the surviving contact with into=")
		case s.act == actMerge && (!fromHubSpot[s.lead] || !fromHubSpot[s.into] || s.lead == s.into):
			return nil, nil, bad("merge takes two contacts HubSpot sent before")
		case demoHubSpotActs[s.act] && (!fromHubSpot[s.lead] || strings.Trim(s.lead, "0123456789") != ""):
			return nil, nil, bad("%s is about a contact HubSpot sent before, named by its record id (digits)", s.act)
		case s.act == actHubSpotRestore && !earlierStep(deleted[s.lead], s):
			return nil, nil, bad("hubspot-restore names a contact that a hubspot-delete on an earlier line deleted earlier in the week")
		case (s.act == actHubSpotStage) != (s.stage != ""), s.act == actHubSpotStage && !isHHMM(s.since):
			return nil, nil, bad("hubspot-stage, and it alone, names the stage= set in HubSpot and since=HH:MM")
		case (s.act == actHubSpotStage || s.act == actSalesforceRetry) != (s.since != ""), s.since != "" && !isHHMM(s.since):
			return nil, nil, bad("hubspot-stage and salesforce-retry, and they alone, name since=HH:MM")
		case demoSalesforceActs[s.act] != (s.status != ""):
			return nil, nil, bad("salesforce-status and salesforce-retry, and they alone, name the Lead Status= sent")
		case demoSalesforceActs[s.act] && !fromSalesforce[s.lead]:
			return nil, nil, bad("%s is about a Lead Salesforce sent before", s.act)
		}
		if s.act == actHubSpotDelete {
			deleted[s.lead] = s
		}
		steps = append(steps, s)
	}
	return leads, steps, nil
}

// earlierStep reports whether step a, when it has an action, comes before
// b in the week.
func earlierStep(a, b demoStep) bool {
	return a.act != "" && (a.day < b.day || a.day == b.day && a.at < b.at)
}

// parseDemoLead reads "DAY HH:MM KEY | COMPANY | NAME | TITLE | SOURCE |
// CAMPAIGN | SCORE", "… | visits URL …" for a website lead that the
// agreement's scoring makes an SQL, "… | form" for a lead of the
// website's demo-request form, "… | hubspot SCORE [sql-since HH:MM]"
// for an SQL HubSpot sends, whose CAMPAIGN is "-" (none: Handoff reads no
// HubSpot property as one), or "… | salesforce" for a Lead Salesforce
// sends, its KEY the record's 18-character id and its CAMPAIGN "-" too;
// "-" is no campaign for any lead.
func parseDemoLead(s string) (demoLead, error) {
	cols := strings.Split(s, "|")
	if len(cols) != 7 {
		return demoLead{}, fmt.Errorf("want 7 columns separated by |, got %d", len(cols))
	}
	for i := range cols {
		cols[i] = strings.TrimSpace(cols[i])
	}
	head := strings.Fields(cols[0])
	if len(head) != 3 {
		return demoLead{}, fmt.Errorf("want DAY HH:MM KEY before the first |")
	}
	day, err := strconv.Atoi(head[0])
	if err != nil {
		return demoLead{}, fmt.Errorf("day: %v", err)
	}
	l := demoLead{day: day, at: head[1], key: head[2], company: cols[1], name: cols[2], title: cols[3],
		source: cols[4], campaign: cols[5]}
	if l.campaign == "-" {
		l.campaign = ""
	}
	if urls, ok := strings.CutPrefix(cols[6], "visits "); ok {
		l.visits = strings.Fields(urls)
		return l, nil
	}
	if cols[6] == "form" {
		l.form = true
		return l, nil
	}
	if cols[6] == "salesforce" {
		// The connector stores the 18-character id; an Outbound Message
		// on Lead brings no campaign.
		id, err := salesforce.ID18(l.key)
		switch {
		case err != nil:
			return demoLead{}, fmt.Errorf("salesforce: %v", err)
		case id != l.key:
			return demoLead{}, fmt.Errorf("salesforce: name the Lead by its 18-character id, %s", id)
		case l.campaign != "":
			return demoLead{}, fmt.Errorf("Salesforce's Outbound Message brings no campaign: write - for it")
		}
		l.salesforce = true
		return l, nil
	}
	if rest, ok := strings.CutPrefix(cols[6], "hubspot "); ok {
		if l.campaign != "" {
			// Handoff reads no HubSpot property as a campaign: the
			// narration would claim one the lead does not have.
			return demoLead{}, fmt.Errorf("HubSpot's webhook brings no campaign: write - for it")
		}
		l.hubspot = true
		words := strings.Fields(rest)
		switch {
		case len(words) == 3 && words[1] == "sql-since" && isHHMM(words[2]):
			l.sqlSince = words[2]
		case len(words) != 1:
			return demoLead{}, fmt.Errorf("want hubspot SCORE [sql-since HH:MM]")
		}
		cols[6] = words[0]
	}
	if l.score, err = strconv.Atoi(cols[6]); err != nil {
		return demoLead{}, fmt.Errorf("score: %v", err)
	}
	return l, nil
}

// parseDemoStep reads "DAY HH:MM ACT [LEAD] [rep=NAME] [rival=NAME]
// [into=KEY] [stage=STAGE] [status=LEAD_STATUS] [since=HH:MM]
// [amount=DKK] [code=REASON_FROM_THE_LIST] [reason=TEXT to the end of the
// line]"; underscores in code and status stand for spaces.
func parseDemoStep(s string) (demoStep, error) {
	var st demoStep
	s, st.reason, _ = strings.Cut(s, "reason=")
	st.reason = strings.TrimSpace(st.reason)
	words := strings.Fields(s)
	if len(words) < 3 {
		return st, fmt.Errorf("want DAY HH:MM ACT")
	}
	var err error
	if st.day, err = strconv.Atoi(words[0]); err != nil {
		return st, fmt.Errorf("day: %v", err)
	}
	st.at, st.act = words[1], words[2]
	for _, w := range words[3:] {
		key, value, ok := strings.Cut(w, "=")
		switch {
		case !ok && st.lead == "":
			st.lead = w
		case key == "rep":
			st.rep = value
		case key == "rival":
			st.rival = value
		case key == "into":
			st.into = value
		case key == "stage":
			st.stage = value
		case key == "since":
			st.since = value
		case key == "status":
			st.status = strings.ReplaceAll(value, "_", " ")
		case key == "code":
			st.code = strings.ReplaceAll(value, "_", " ")
		case key == "amount":
			if st.amount, err = strconv.Atoi(value); err != nil {
				return st, fmt.Errorf("amount: %v", err)
			}
		default:
			return st, fmt.Errorf("unexpected %q", w)
		}
	}
	return st, nil
}

// isHHMM reports whether s is a time of day written HH:MM.
func isHHMM(s string) bool {
	h, m, ok := strings.Cut(s, ":")
	hh, herr := strconv.Atoi(h)
	mm, merr := strconv.Atoi(m)
	return ok && len(h) == 2 && len(m) == 2 && herr == nil && merr == nil && hh < 24 && mm < 60 && hh >= 0 && mm >= 0
}
