package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/storage"
)

// demoSection returns the text under the "═══ " heading containing title,
// up to the next heading.
func demoSection(t *testing.T, out, title string) string {
	t.Helper()
	for _, part := range strings.Split(out, "═══ ")[1:] {
		if heading, body, _ := strings.Cut(part, "\n"); strings.Contains(heading, title) {
			return body
		}
	}
	t.Fatalf("no section %q in the output:\n%s", title, out)
	return ""
}

// demoCards splits a section into its cards, keyed by company (the end of
// the card's first line, after the ": ").
func demoCards(section string) map[string]string {
	cards := map[string]string{}
	for _, c := range strings.Split(strings.TrimSpace(section), "\n\n") {
		head, _, _ := strings.Cut(strings.TrimSpace(c), "\n")
		head, _, _ = strings.Cut(head, "  (updated")
		if _, company, ok := strings.Cut(head, ": "); ok {
			cards[company] = c
		}
	}
	return cards
}

var repMention = regexp.MustCompile(`@(Mette|Jonas|Sofie|Anders)\b`)

func mentioned(card string) map[string]bool {
	reps := map[string]bool{}
	for _, m := range repMention.FindAllStringSubmatch(card, -1) {
		reps[m[1]] = true
	}
	return reps
}

// testDemoWaits are the demo's waits in the tests: a bound on a test that
// is already failing (a stuck server), never reached by a slow one.
var testDemoWaits = demoWaits{settle: e2ePatience, answer: e2ePatience, request: e2ePatience}

// runTestDemo runs `handoff demo` with e's arguments through run, as main
// does, so through the demo's entry of commands() (its flags, defaults and
// wiring), with cliDemoWaits lengthened to testDemoWaits for the test, and
// returns the exit code.
func runTestDemo(t *testing.T, e env) int {
	t.Helper()
	saved := cliDemoWaits
	cliDemoWaits = testDemoWaits
	defer func() { cliDemoWaits = saved }()
	e.args = append([]string{"demo"}, e.args...)
	return run(context.Background(), e)
}

func TestDemo(t *testing.T) {
	leads, steps, err := demoScript()
	if err != nil {
		t.Fatal(err)
	}
	// The leads once each (a lead that comes back as an SQL is posted
	// twice), and those that come back.
	var distinct []demoLead
	cameBack := map[string]bool{}
	for _, l := range leads {
		if l.again {
			cameBack[l.company] = true
		} else {
			distinct = append(distinct, l)
		}
	}
	// What the script does, lead by lead.
	acts := map[string][]string{}
	erased := map[string]bool{} // lead keys
	var wonTotal int64
	wins, hubSpotDeleted, hubSpotRestored := 0, 0, 0
	for _, s := range steps {
		acts[s.lead] = append(acts[s.lead], s.act)
		if s.act == actWon {
			wonTotal += int64(s.amount)
			wins++
		}
		if s.act == actErase || s.act == actHubSpotErase {
			erased[s.lead] = true
		}
		switch s.act {
		case actHubSpotDelete:
			hubSpotDeleted++
		case actHubSpotRestore:
			hubSpotRestored++
		}
	}
	// A restore in HubSpot of an SQL nobody had claimed announces it again
	// on a new card.
	restoredUnclaimed := 0
	for _, r := range steps {
		if r.act != actHubSpotRestore {
			continue
		}
		claimed := false
		for _, s := range steps {
			claimed = claimed || s.lead == r.lead && (s.act == actClaim || s.act == actRace) && earlierStep(s, r)
		}
		if !claimed {
			restoredUnclaimed++
		}
	}
	if len(cameBack) != 1 || len(erased) != 3 || restoredUnclaimed != 1 {
		t.Fatalf("the script brings back %d leads as SQLs, erases %d and restores %d unclaimed in HubSpot, want 1, 3 (two through the API, one of them an SQL nobody had claimed, and one in HubSpot) and 1",
			len(cameBack), len(erased), restoredUnclaimed)
	}

	e, stdout, stderr := testEnv(nil)
	if code := runTestDemo(t, e); code != 0 {
		t.Fatalf("handoff demo exited %d: %s\n%s", code, stderr, stdout)
	}
	out := stdout.String()
	// The introduction says where the week's leads come from.
	if want := "34 SQLs arrive (24 from marketing automation through POST /api/leads, 7 from HubSpot's webhook, " +
		"1 from Salesforce's Outbound Messages, 1 scored by its page views on the website, 1 from the website's form), 1 of them comes back as an SQL"; !strings.Contains(out, want) {
		t.Errorf("the introduction does not say %q:\n%s", want, out[:min(len(out), 1000)])
	}
	// A lead arrives from HubSpot through a signed webhook, and its claim
	// reaches the stand-in CRM's webhook receiver, signed.
	// Its line names the source as Handoff keeps it, HubSpot's label for
	// the internal value the webhook sent, and no campaign: Handoff reads
	// none of HubSpot's properties as one.
	for _, want := range []string{"New SQL from HubSpot (signed workflow webhook): Nordlys Energi A/S, Camilla Holm (IT-chef) · Organic Search (sent as ORGANIC_SEARCH) · marketing's score 86\n",
		"HubSpot learns by webhook: lead.claimed Nordlys Energi A/S (claimed) by @Mette, signature verified",
		", 0 with a bad signature"} {
		if !strings.Contains(out, want) {
			t.Errorf("the demo does not show %q", want)
		}
	}

	// Before the week, the admin's handoff chat test posts to both
	// channels; then last month's export: a dry run stops at its old SQL,
	// then the import records the rows as history, counted in last month's
	// funnel and held to no deadline.
	rest := out
	for _, want := range []string{"the admin checks that Handoff can post to both channels", "$ handoff chat test",
		"slack sales channel CSALES: posted\n", "slack managers' channel CMANAGERS: posted\n",
		"Before the week, the admin loads HubSpot's export of",
		"$ handoff import --dry-run hubspot-", "Dry run, nothing saved: stopped at line 2; before line 2, 0 rows in", "0 new", "handoff: line 2 is an SQL dated", "no row from line 2 on was saved",
		"$ handoff import --old history hubspot-", "3 rows in", "3 new", "2 SQLs recorded as history: not announced, no SLA deadlines",
		"/funnel last-month counts them by their dates: 3 leads, 3 MQLs, 2 SQLs, 1 won, 0 held to the SLA"} {
		i := strings.Index(rest, want)
		if i < 0 {
			t.Fatalf("the import before the week lacks %q (in this order):\n%s", want, out[:min(len(out), 3000)])
		}
		rest = rest[i+len(want):]
	}

	// Teams, tried on a replica that is gone, left messages no replica
	// sends: outbox list counts them and names the command that deletes
	// them, and drop --pending does, before the week.
	wantInOrder(t, out, "the clean-up of what a removed platform left",
		"🧹 The admin had tried Teams on a second replica before settling on Slack alone",
		"$ handoff outbox list", "no dead messages",
		"2 pending messages wait for teams, which this configuration does not enable: sent once a replica is configured with teams; "+
			"if teams was removed for good, handoff outbox drop --platform teams --pending deletes them",
		"$ handoff outbox drop --platform teams --pending", "2 pending messages for teams dropped",
		"→ nothing waits for Teams any more",
		"✋ Mette claims Nordlys Energi A/S")

	// Slack's answer to one card's post is lost; the outbox's retry looks
	// in the channel first and finds the card, so no lead has two. The
	// lead returned as not a fit leaves the SLA figures.
	for _, want := range []string{"→ Slack posted the card, but its answer was lost on the way back (HTTP 504)",
		"found the card by its key and did not post it again",
		"→ returned before contact and before its deadline (",
		fmt.Sprintf("what the channel shows now (%d messages,", len(distinct)+len(cameBack)+restoredUnclaimed+1), // and chat test's
		"  👋 Handoff can post here\n      ════════════════════════\n      This is Handoff's sales channel:"} {
		if !strings.Contains(out, want) {
			t.Errorf("the demo does not show %q", want)
		}
	}

	// The bot removed from the channel is warned of at once (Slack's
	// member_left_channel); with the bot out of the channel a card is
	// refused for good and given up, and the managers are told; the admin's `handoff outbox list` shows
	// it, and once the bot is invited back Slack says so (member_joined_channel) and Handoff
	// queues the card again by itself: it is posted once, and nothing is left dead.
	wantInOrder(t, out, "the refused card's recovery",
		"someone removes @Handoff from the channel",
		"→ Slack tells Handoff at once, and its log warns: the app was removed from the sales channel: Handoff cannot post there until someone invites it back (/invite @Handoff in the channel)",
		"→ Slack refused the card: not_in_channel (the app is not a member of the channel: invite it there with /invite @Handoff)",
		"→ retrying alone cannot mend that: the outbox gave it up at once",
		"→ handoff_outbox_dead is now 1: the alert HandoffMessagesGivenUp",
		"→ #sales-managers: Not in the sales channel: Esbjerg Offshore Service A/S",
		"$ handoff outbox list", "lead.announce", "slack chat.postMessage: not_in_channel",
		"→ Slack tells Handoff (member_joined_channel), and its log says: the app is back where messages were refused; they are queued again (messages=1)",
		"→ the card of Esbjerg Offshore Service A/S reaches #sales-leads, 10 min after the lead arrived",
		"→ the managers' note is updated: In the sales channel now: Esbjerg Offshore Service A/S",
		"Jonas claims Esbjerg Offshore Service A/S",
		"refused while @Handoff was out of #sales-leads 1 (posted once it was back) · messages dead now 0")

	// Lead details follow the sales channel's membership: Ida (marketing)
	// sees the open leads while she is in it, a page at a time and from a
	// place in the list (/leads open from 18), and is refused as soon as
	// Slack says she left.
	wantInOrder(t, out, "the visit to the sales channel",
		"Ida (marketing) joins #sales-leads",
		"→ once she is in, /leads open lists her the 22 open leads, their owners and deadlines",
		"→ the first page shows 1–20, most urgent first, and names the next; /leads open 2 shows her 21–22 of 22",
		"→ /leads open from 18, the command a page Slack or Teams cut short names to go on from the first lead it left out, "+
			"shows her up to 20 from lead 18 on: 18–22 of 22",
		"→ she leaves; Slack tells Handoff at once, and /leads open answers: Sorry, lead details are only for members of the sales channel")

	// A lead recycled to marketing comes back as an SQL: the API answers
	// 200 for the known lead, a new card is posted, the first card says
	// that the lead came back and to see its new card, the first cycle
	// stays in the SLA figures and the new one runs on a fresh clock.
	wantInOrder(t, out, "the lead that comes back as an SQL",
		"♻️  Anders recycles Roskilde Klinikken ApS back to marketing",
		"🔁 SQL again: Roskilde Klinikken ApS, Dorthe Krogh (Klinikchef), recycled by sales (\"bad timing: The clinic's board sets the budget tomorrow; nurture until then.\"), is sent back by marketing",
		"→ POST /api/leads answers 200, not 201: a known lead, updated; a new card with Claim reaches #sales-leads",
		"→ its first card now reads ↩️ Came back: Roskilde Klinikken ApS, saying to see its new card, with no Claim\n",
		"→ its first SQL cycle stays in the SLA figures (/sla, the digest): claimed by @Anders Wed ", ", the deadline met",
		"→ the new cycle runs on a fresh SLA clock: claim by Fri ", " 11:20\n",
		"✋ Anders claims Roskilde Klinikken ApS",
		"↩️ Came back: Roskilde Klinikken ApS", "📞 Contacted: Roskilde Klinikken ApS",
		"1 came back as an SQL after sales returned it (Roskilde Klinikken ApS)")

	// Two HubSpot contacts of one person are two SQLs until marketing
	// merges them: HubSpot sends the survivor with the merged contact's
	// id, the lead sales took first stays, and the duplicate's card is
	// updated, its SLA clock stopped (no escalation, checked below).
	wantInOrder(t, out, "the HubSpot merge",
		"📥 New SQL from HubSpot (signed workflow webhook): Viborg Varme A/S, Lene Dam (Driftschef)",
		"📥 New SQL from HubSpot (signed workflow webhook): Viborg Varme, Lene Dam (Driftschef)",
		"✋ Jonas claims Viborg Varme A/S", "📞 Jonas logs first contact with Lene Dam (Viborg Varme A/S)",
		"🔀 Marketing finds Lene Dam twice in HubSpot and merges the two contacts",
		"→ HubSpot sends the surviving contact 4131 with hs_merged_object_ids 4132 (signed workflow webhook)",
		"→ one person, one lead: Viborg Varme A/S stays @Jonas's (contacted), the lead sales took first",
		"→ the duplicate's card is updated: ", "Viborg Varme (merged in the CRM into another contact); its SLA clock stopped",
		fmt.Sprintf("7 leads from HubSpot (signed webhook), 1 contact merged there folded into the lead sales took first, %s deleted there closed as lost, "+
			"%d of them restored there and reopened; ", bot.Count(hubSpotDeleted, "contact", "contacts"), hubSpotRestored))
	if card := demoCards(demoSection(t, out, "#sales-leads: what the channel shows"))["Viborg Varme"]; !strings.Contains(card, "merged in the CRM into another contact") {
		t.Errorf("the duplicate's card does not say it was merged:\n%s", card)
	}

	// An SQL whose webhook HubSpot retried for three hours is dated by
	// HubSpot, while its deadlines count from its arrival.
	wantInOrder(t, out, "the SQL HubSpot dated",
		"📥 New SQL from HubSpot (signed workflow webhook): Vejen El-service ApS, Mads Lund (IT-chef)",
		"→ dated by HubSpot: an SQL since Fri ", " 11:50 (hs_lifecyclestage_salesqualifiedlead_date), ", " before its webhook arrived; "+
			"the funnel counts it from then, and its history says it was received Fri ", " 14:50\n",
		"→ its deadlines count from its arrival, when sales could first see it: claim by Fri ", " 16:50, not breached on arrival",
		"✋ Sofie claims Vejen El-service ApS")

	// HubSpot's webhooks API: a contact deleted in HubSpot closes its
	// lead, lost and dated by the event's occurredAt, its card updated and
	// its SLA clock stopped (no escalation: checked below); a GDPR delete
	// there (contact.deletion and contact.privacyDeletion) erases the
	// lead, whose card then says so, and the CRM's lead.erased names the
	// record; a lifecycle stage set in HubSpot and delivered late is dated
	// when HubSpot changed it.
	wantInOrder(t, out, "the contact deleted in HubSpot",
		"📥 New SQL from HubSpot (signed workflow webhook): Nyborg Værft ApS, Søren Kragh (Indkøbschef) · Referrals (sent as REFERRALS) · marketing's score 71\n",
		"🗑  Søren Kragh's emails bounce: he has left Nyborg Værft, and marketing deletes his contact in HubSpot",
		`→ HubSpot's app sends contact.deletion of 4134 (webhooks API, signed) → 200 {"stored":1,"leads":[{"external_id":"4134","stage":"lost","created":false}]}`,
		"→ the lead is closed, lost: deleted in HubSpot, dated Thu ", " 10:20 by the event's occurredAt; its data stays (a deletion is no erasure), "+
			"and its SLA clock stopped, so its claim deadline is nobody's breach",
		"→ its card is updated: ", "Nyborg Værft ApS\n")
	if card := demoCards(demoSection(t, out, "#sales-leads: what the channel shows"))["Nyborg Værft ApS"]; !strings.Contains(card, "deleted in HubSpot") {
		t.Errorf("the deleted contact's card does not say it was deleted in HubSpot:\n%s", card)
	}
	// A contact deleted in HubSpot by mistake and restored there from the
	// recycling bin the same afternoon: the lead, claimed when deleted, is
	// back with its rep, dated by the restore's occurredAt, its history
	// the deletion and the restore by hubspot, its claim kept and its
	// contact deadline the one it had; its rep then contacts it.
	wantInOrder(t, out, "the contact deleted in HubSpot by mistake and restored",
		"✋ Sofie claims Vejen El-service ApS",
		"🗑  Cleaning up the Paid Search list, marketing deletes Mads Lund's contact in HubSpot by mistake",
		`→ HubSpot's app sends contact.deletion of 4133 (webhooks API, signed) → 200 {"stored":1,"leads":[{"external_id":"4133","stage":"lost","created":false}]}`,
		"→ the lead is closed, lost: deleted in HubSpot, dated Fri ", " 15:20 by the event's occurredAt; its data stays (a deletion is no erasure), "+
			"and its SLA clock stopped, so its contact deadline is nobody's breach",
		"→ its card is updated: Lost: Vejen El-service ApS\n",
		"🔄 Sofie asks marketing why Vejen El-service's card says deleted in HubSpot; marketing restores Mads Lund's contact from HubSpot's recycling bin",
		`→ HubSpot's app sends contact.restore of 4133 (webhooks API, signed) → 200 `+
			`{"stored":1,"leads":[{"external_id":"4133","stage":"claimed","created":false,"restored":true,"reopened":true}]}`,
		"→ the lead is back as it was before the deletion: claimed, @Sofie's, dated Fri ", " 16:05 by the event's occurredAt\n",
		"→ its history: claimed by @Sofie Fri ", " 15:05 · lost (deleted in HubSpot) by hubspot Fri ", " 15:20 · claimed again by hubspot Fri ", " 16:05\n",
		"→ its SLA clock runs again: the claim of Fri ", " 15:05 still the one measured, contact by Mon ", " 08:50, the deadline it had, counted from its arrival\n",
		"→ its card is updated: ✋ Claimed: Vejen El-service ApS\n",
		"📞 Sofie logs first contact with Mads Lund (Vejen El-service ApS)")
	// One deleted there before anyone claimed it and restored the same
	// day: an SQL again, nobody's, dated by the restore, its claim
	// deadline counted afresh from the restore's arrival, its card posted
	// again with Claim and no reason on it; a rep then claims it from that
	// card and contacts it.
	wantInOrder(t, out, "the unclaimed SQL deleted in HubSpot and restored",
		"📥 New SQL from HubSpot (signed workflow webhook): Brædstrup Biogas ApS, Karen Juul (IT-chef) · Organic Search (sent as ORGANIC_SEARCH) · marketing's score 79\n",
		"🗑  Clearing the webinar's sign-ups of duplicates, marketing takes Karen Juul's new contact for one and deletes it in HubSpot before anyone has claimed her",
		`→ HubSpot's app sends contact.deletion of 4136 (webhooks API, signed) → 200 {"stored":1,"leads":[{"external_id":"4136","stage":"lost","created":false}]}`,
		"→ the lead is closed, lost: deleted in HubSpot, dated Tue ", " 11:05 by the event's occurredAt; its data stays (a deletion is no erasure), "+
			"and its SLA clock stopped, so its claim deadline is nobody's breach",
		"→ its card is updated: Lost: Brædstrup Biogas ApS\n",
		"🔄 Finding no other contact of Karen Juul's, marketing restores hers from HubSpot's recycling bin",
		`→ HubSpot's app sends contact.restore of 4136 (webhooks API, signed) → 200 `+
			`{"stored":1,"leads":[{"external_id":"4136","stage":"sql","created":false,"restored":true,"reopened":true}]}`,
		"→ the lead is back as it was before the deletion: an SQL nobody has claimed, dated Tue ", " 14:20 by the event's occurredAt, no reason on it\n",
		"→ its history: sql by hubspot Tue ", " 10:50 · lost (deleted in HubSpot) by hubspot Tue ", " 11:05 · sql again by hubspot Tue ", " 14:20\n",
		"→ its SLA clock starts again from the restore's arrival: claim by Tue ", " 16:20, not the Tue ", " 12:50 it had before the deletion\n",
		"→ its card is posted again, with Claim: ", "Brædstrup Biogas ApS; the card of its deletion now reads ↩️ Came back: Brædstrup Biogas ApS, "+
			"still saying deleted in HubSpot, and to see its new card\n",
		"✋ Mette claims Brædstrup Biogas ApS",
		"📞 Mette logs first contact with Karen Juul (Brædstrup Biogas ApS)")
	salesLeads := demoSection(t, out, "#sales-leads: what the channel shows")
	if card := demoCards(salesLeads)["Brædstrup Biogas ApS"]; !mentioned(card)["Mette"] ||
		strings.Contains(card, "deleted in HubSpot") {
		t.Errorf("the restored SQL's new card does not show Mette's lead, or shows the deletion's reason:\n%s", card)
	}
	// The first cards of the leads that came back say in the channel, at
	// the week's end, that each came back, and when, still saying how it
	// had left as its closed card did, and send the reader to its new
	// card, in words its claim there since (Anders', Mette's) left true:
	// no Claim, nor a word telling anyone to claim it.
	for _, tt := range []struct{ company, back, at, left string }{
		{"Brædstrup Biogas ApS", "Came back as an SQL Tue ", " 14:20", "deleted in HubSpot"},
		{"Roskilde Klinikken ApS", "Came back as an SQL Fri ", " 09:20", "♻️ Back to marketing"},
	} {
		var earlier string
		for _, c := range strings.Split(strings.TrimSpace(salesLeads), "\n\n") {
			if strings.Contains(c, "Came back: "+tt.company) {
				earlier = c
			}
		}
		if !strings.Contains(earlier, tt.back) || !strings.Contains(earlier, tt.at) || !strings.Contains(earlier, tt.left) || !strings.Contains(earlier, "see its new card in the sales channel") ||
			strings.Contains(earlier, "✋ Claim") || strings.Contains(strings.ToLower(earlier), "claim it") {
			t.Errorf("the first card of %s does not say %q…%q, %q and to see its new card, without Claim:\n%s", tt.company, tt.back, tt.at, tt.left, earlier)
		}
	}
	wantInOrder(t, out, "the GDPR delete in HubSpot",
		"✋ Mette claims Give Elementer A/S", "📞 Mette logs first contact with Nanna Overgaard (Give Elementer A/S)",
		"🔒 Nanna Overgaard wants no more contact and asks to have her data deleted; marketing runs HubSpot's GDPR delete on her contact",
		`→ HubSpot sends contact.deletion and contact.privacyDeletion of 4135 in one delivery (webhooks API, signed) → 200 `+
			`{"stored":2,"leads":[{"external_id":"4135","stage":"lost","created":false},{"external_id":"4135","created":false,"erased":true}]}`,
		"→ Handoff erases her lead as DELETE /api/leads/{external_id} does, with hubspot recorded as who asked; its card in #sales-leads now reads ",
		`Lost: lead `, ` (personal data erased) over "🔒 Personal data erased (GDPR)"`,
		"→ the CRM learns by webhook: lead.erased erased-", " by hubspot, with data.details.external_id 4135, the record HubSpot erased first, signature verified",
		"Erased on request: 3 people (2 by DELETE /api/leads/…, 1 by HubSpot's contact.privacyDeletion)")
	if after := out[strings.Index(out, "contact.privacyDeletion of 4135 in one delivery"):]; strings.Contains(after, "Overgaard") || strings.Contains(after, "Give Elementer") {
		t.Errorf("the output names the person erased in HubSpot after her erasure:\n%s", after)
	}
	wantInOrder(t, out, "the lifecycle stage set in HubSpot",
		"📞 Jonas logs first contact with Lene Dam (Viborg Varme A/S)",
		"📈 Jonas books a pilot with Lene Dam and sets her lifecycle stage to Opportunity in HubSpot at 13:10",
		`→ HubSpot's retry sends contact.propertyChange of 4131: lifecyclestage opportunity, occurredAt Fri `, ` 13:10 (webhooks API, signed) → 200 `+
			`{"stored":1,"leads":[{"external_id":"4131","stage":"opportunity","created":false}]}`,
		"→ Viborg Varme A/S entered opportunity at Fri ", " 13:10, when HubSpot changed it (occurredAt), not when the retry arrived 35 min later; "+
			"its history says it was received Fri ", " 13:45\n",
		"→ its card is updated: ", "Viborg Varme A/S\n")

	// Salesforce's Outbound Messages (SOAP, the demo's org and token): a
	// new Lead is stored under its 18-character id as an SQL with a card;
	// its status set to Working - Contacted there moves it to contacted;
	// and an older notification Salesforce retried, arriving last, is
	// acknowledged, leaves the lead as it was and dates the stages the
	// newer state only implied earlier, counted as stale in /metrics.
	wantInOrder(t, out, "the Lead from Salesforce",
		"📥 New SQL from Salesforce (Outbound Message, Lead Status Open - Not Contacted): Struer Akustik A/S, Pia Vestergaard (CTO) · Partner Referral · scored ",
		"→ SOAP to /hooks/salesforce?token=… from org 00D5g000004DeMo (SALESFORCE_ORG_ID) → 200 <Ack>true</Ack>; "+
			"the lead is stored under external_id 00Q5g00000DeMo1EAF, Salesforce's 18-character id, and its card with Claim reaches #sales-leads",
		"✋ Mette claims Struer Akustik A/S",
		"☁️  Mette calls Pia Vestergaard and sets her Lead Status to Working - Contacted in Salesforce",
		"→ Salesforce's Outbound Message (Lead Status Working - Contacted, LastModifiedDate Mon ", " 09:40) → 200 <Ack>true</Ack>",
		"→ the status table makes it contacted: Struer Akustik A/S moves to contacted by salesforce, @Mette still its owner; "+
			"its card is updated: 📞 Contacted: Struer Akustik A/S",
		"🔁 Salesforce retries the notification of the Lead as marketing created it at 08:40",
		"→ its Outbound Message (Lead Status Open - Not Contacted, LastModifiedDate Mon ", " 08:40) → 200 <Ack>true</Ack>: acknowledged, so Salesforce stops sending it",
		"→ older than what Handoff has: Struer Akustik A/S stays contacted, its SQL and contact times and its history as they were",
		"→ it says the lead was an SQL by Mon ", " 08:40: the lead and mql stages the newer state only implied move from Mon ", " 08:55 to Mon ", " 08:40",
		`→ GET /metrics: handoff_crm_events_ignored_total{crm="salesforce",reason="stale"} 1`+"\n",
		`; 1 lead from Salesforce (Outbound Messages), 1 older notification it delivered out of order acknowledged and kept from the lead `+
			`(handoff_crm_events_ignored_total{crm="salesforce",reason="stale"} 1); `)
	if card := demoCards(demoSection(t, out, "#sales-leads: what the channel shows"))["Struer Akustik A/S"]; !strings.Contains(card, "Contacted") || !mentioned(card)["Mette"] {
		t.Errorf("the Salesforce Lead's card does not show it contacted and Mette's:\n%s", card)
	}

	// The website's form posts with an intake token: it is answered
	// receipts, refused a read naming the scope, and its lead is an SQL.
	wantInOrder(t, out, "the web form's lead",
		"📝 New lead from the website's demo-request form: Horsens Plast A/S, Kasper Holst (IT-chef)",
		"the form posts with its own token, webform (scope intake",
		`POST /api/leads → 202 {"external_id":"form-4125"} (the same receipt for a lead Handoff knows: the form learns nothing)`,
		`POST /api/leads/form-4125/activities {"type":"demo_request"} → 202 {"external_id":"form-4125"}`,
		"→ the agreement's scoring makes it an SQL: score 70 (sql_at 70)",
		`GET /api/leads/form-4125 → 403 {"error":"token webform has scope intake; this endpoint needs scope read (or write)"}`,
		"✋ Anders claims Horsens Plast A/S")

	// The erasure: a write token erases the person, the access log names
	// the route, every chat message that showed him is updated, the old id
	// answers the anonymous view, and the CRM's lead.erased names the
	// record it had, so that the CRM can erase him too. Nothing printed
	// after it names him.
	wantInOrder(t, out, "the erasure",
		"🔒 Peter Søndergaard, who chose a competitor, asks to have his personal data erased (GDPR)",
		"the admin's GDPR tool erases him with its token gdpr (scope write",
		"DELETE /api/leads/hs-4104 → 204",
		"→ the server's access log names the route, not him: DELETE /api/leads/{external_id} 204",
		"→ every chat message that showed him is updated: ", "the card in #sales-leads shows the anonymous lead",
		"GET /api/leads/hs-4104 → 200, the anonymous view: external_id erased-",
		"no name, email, phone or company; still lost from partner for the funnel; its history ends erased by gdpr",
		"→ the CRM learns by webhook: lead.erased erased-", " by gdpr, with data.details.external_id hs-4104, "+
			"the record it erases in turn (GDPR Art. 19), signature verified")
	if after := out[strings.Index(out, "its history ends erased by gdpr"):]; strings.Contains(after, "Søndergaard") {
		t.Errorf("the output names the erased person after the erasure:\n%s", after)
	}
	if !regexp.MustCompile(`(?m)^  Lost: lead \d+ \(personal data erased\)`).MatchString(demoSection(t, out, "#sales-leads: what the channel shows")) {
		t.Errorf("the channel shows no anonymous card of the erased lead:\n%s", demoSection(t, out, "#sales-leads: what the channel shows"))
	}
	// An SQL nobody had claimed is erased: its card says that it cannot be
	// claimed, with Not a fit alone; a rep's click on Claim from the card
	// as it was is refused privately, and Not a fit takes it off the list.
	// Everything names it by Handoff's id, and nothing printed after the
	// erasure names the person or the company.
	erasedSQL := regexp.MustCompile(`✋ Sofie clicks Claim on lead (\d+) \(personal data erased\)`).FindStringSubmatch(out)
	if erasedSQL == nil {
		t.Fatalf("no click on Claim of the erased SQL in the output")
	}
	named := "lead " + erasedSQL[1] + " (personal data erased)"
	wantInOrder(t, out, "the erasure of an SQL nobody had claimed",
		"📥 New SQL: Middelfart Marine ApS, Niels Bruun (Indkøbschef) · web / Demo request · marketing's score 74\n",
		"🔒 Niels Bruun writes that he has bought elsewhere and asks to have his personal data erased (GDPR) before anyone has called him",
		"DELETE /api/leads/hs-4126 → 204",
		"→ every chat message that showed him is updated: the card in #sales-leads shows the anonymous lead\n",
		"→ nobody had claimed him: the card reads 🆕 New SQL: "+named+`, "🔒 It cannot be claimed: there is no one to contact any more. Not a fit takes it off the list.", with Not a fit alone and no Claim`,
		"GET /api/leads/hs-4126 → 200, the anonymous view: external_id erased-",
		"✋ Sofie clicks Claim on "+named+", on its card as Slack showed it before the update\n",
		"→ only @Sofie sees: L"+named[1:]+" cannot be claimed: there is no one to contact any more.\n",
		"↩️  Sofie returns "+named+` to marketing as not a fit: "The person asked to be forgotten: there is no one to contact."`,
		"→ off sales' list: its card reads ♻️ Back to marketing: "+named+", with no button left\n",
		"❓ Sofie asks /leads lead "+erasedSQL[1]+" (only Sofie sees the answer):\n",
		"📜 "+named+"\n",
		"Erased on request: 3 people")
	if strings.Contains(out, "Score 0 (MQL") {
		t.Errorf("the erased SQL's history explains its score by rules its erased data no longer matches:\n%s", out)
	}
	if after := out[strings.Index(out, "🔒 Niels Bruun writes"):]; strings.Contains(after[strings.Index(after, "\n"):], "Bruun") || strings.Contains(after, "Middelfart") {
		t.Errorf("the output names the person of the erased SQL after the erasure:\n%s", after)
	}
	if card := demoCards(demoSection(t, out, "#sales-leads: what the channel shows"))[named]; !strings.Contains(card, "♻️ Back to marketing: "+named) ||
		strings.Contains(card, "[") {
		t.Errorf("the erased SQL's card is not back to marketing, or has buttons:\n%s", card)
	}
	if notices := demoSection(t, out, "private notices"); !strings.Contains(notices, "only @Sofie sees: L"+named[1:]+" cannot be claimed") {
		t.Errorf("the private notices lack the refused claim of %s:\n%s", named, notices)
	}
	if !strings.Contains(demoSection(t, out, "Direct messages"), ", 2 now saying the lead's personal data was erased") {
		t.Errorf("the owner's claim confirmation was not replaced:\n%s", demoSection(t, out, "Direct messages"))
	}

	channel := demoCards(demoSection(t, out, "#sales-leads: what the channel shows"))
	for _, h := range demoHistory {
		if _, ok := channel[h.company]; ok {
			t.Errorf("%s, imported as history, has a card in the channel", h.company)
		}
	}
	if len(channel) != len(distinct) {
		t.Errorf("the channel shows the cards of %d leads, want one per lead (%d)", len(channel), len(distinct))
	}
	owned := 0
	for _, l := range distinct {
		if erased[l.key] {
			continue // its anonymous card is checked above
		}
		card, ok := channel[l.company]
		if !ok {
			t.Errorf("%s is not in the channel", l.company)
			continue
		}
		claimed, recycled := false, false
		for _, a := range acts[l.key] {
			claimed = claimed || a == actClaim || a == actRace
			recycled = recycled || a == actRecycle
		}
		if claimed && !recycled {
			owned++
			if reps := mentioned(card); len(reps) != 1 {
				t.Errorf("the card of %s names %d reps, want exactly one owner:\n%s", l.company, len(reps), card)
			}
		}
	}
	if owned == 0 {
		t.Fatal("the script claims no lead")
	}

	// The race: one winner on the card, one private "too late" for the other.
	race := regexp.MustCompile(`⚡ (\w+) and (\w+) click Claim on (.+) at the same moment: (\w+) wins`).FindStringSubmatch(out)
	if race == nil {
		t.Fatal("no claim race in the output")
	}
	winner, loser := race[4], race[1]
	if loser == winner {
		loser = race[2]
	}
	if winner != race[1] && winner != race[2] {
		t.Fatalf("race winner %q clicked nowhere", winner)
	}
	if reps := mentioned(channel[race[3]]); len(reps) != 1 || !reps[winner] {
		t.Errorf("raced card names %v, want only %s:\n%s", reps, winner, channel[race[3]])
	}
	notices := demoSection(t, out, "private notices")
	if n := strings.Count(notices, "Too late"); n != 1 {
		t.Errorf("%d 'too late' notices, want 1:\n%s", n, notices)
	}
	if want := "only @" + loser + " sees: Too late: @" + winner + " already claimed " + race[3]; !strings.Contains(notices, want) {
		t.Errorf("notices lack %q:\n%s", want, notices)
	}

	// The website lead scored into an SQL, with its explanation, and the
	// digest's marketing section with every rep named.
	for _, want := range []string{"makes it an SQL: score 70 (sql_at 70)", "page_view /pricing (max 40)", "+40  2×"} {
		if !strings.Contains(out, want) {
			t.Errorf("the demo does not show %q", want)
		}
	}
	digest := demoSection(t, out, "#sales-managers")
	for _, want := range []string{"Marketing: SQLs by source and campaign", "Won by speed of first contact", "Wait for a claim (median)",
		"Showing the 10 of 19 sources and campaigns with the most SQLs."} {
		if !strings.Contains(digest, want) {
			t.Errorf("the digest lacks %q", want)
		}
	}
	perRep := digest[strings.Index(digest, "Per rep\n"):]
	perRep = perRep[:strings.Index(perRep, "Breached")]
	for _, r := range demoReps {
		if !strings.Contains(perRep, "@"+r.Name) {
			t.Errorf("the digest's per-rep table does not name %s:\n%s", r.Name, perRep)
		}
	}
	// Anders claimed six leads and contacted five in time, Roskilde
	// Klinikken among them before he recycled it, and claimed and contacted
	// it again once it came back as an SQL: both cycles are his, the first
	// kept when the second began, none nobody's.
	if !regexp.MustCompile(`@Anders +7 +6 +6 of 6 `).MatchString(perRep) || strings.Contains(perRep, "nobody") {
		t.Errorf("the digest's per-rep table does not credit Anders with both cycles of Roskilde Klinikken:\n%s", perRep)
	}
	// Every SQL's card shows a score the agreement gave it, none of 0.
	if zero := regexp.MustCompile(`(?m)^ +Score +0$`).FindAllString(demoSection(t, out, "#sales-leads: what the channel shows"), -1); len(zero) > 0 {
		t.Errorf("%d cards show a score of 0", len(zero))
	}

	// The escalations: the lead nobody touched and the one only claimed.
	managers := demoSection(t, out, "#sales-managers")
	escalated := 0
	for _, l := range leads {
		a := acts[l.key]
		if len(a) == 0 || (len(a) == 1 && a[0] == actClaim) {
			escalated++
			if !strings.Contains(managers, "SLA breach: "+l.company) {
				t.Errorf("no escalation of %s in the managers' channel:\n%s", l.company, managers)
			}
		}
	}
	if escalated != 2 || strings.Count(managers, "SLA breach") != escalated {
		t.Errorf("%d escalations in the managers' channel, want %d:\n%s", strings.Count(managers, "SLA breach"), escalated, managers)
	}
	if !strings.Contains(demoSection(t, out, "Direct messages"), "2 SLA reminders") {
		t.Error("the claimed-but-not-contacted lead's owner did not get the 12 h and 1 h reminders")
	}

	// The won amounts on the cards add up to what the script won.
	var total int64
	amounts := regexp.MustCompile(`Amount +DKK ([\d,]+)`).FindAllStringSubmatch(strings.Join(mapValues(channel), "\n"), -1)
	for _, m := range amounts {
		n, _ := strconv.ParseInt(strings.ReplaceAll(m[1], ",", ""), 10, 64)
		total += n
	}
	if len(amounts) != wins || total != wonTotal {
		t.Errorf("cards show %d wins worth DKK %d, the script won %d worth DKK %d", len(amounts), total, wins, wonTotal)
	}
	if want := fmt.Sprintf("%d deals, %s in total", wins, bot.FormatAmount(wonTotal*100, "DKK")); !strings.Contains(out, want) {
		t.Errorf("summary lacks the won total:\n%s", demoSection(t, out, "Summary"))
	}

	funnel := demoSection(t, out, "/funnel month")
	if strings.TrimSpace(funnel) == "" || !strings.Contains(funnel, "funnel") && !strings.Contains(funnel, "Funnel") {
		t.Errorf("the /funnel answer is empty or off topic: %q", funnel)
	}

	// The routing scene, in order: offered to Mette (DM and card), a pass
	// with a reason, offered to Jonas, his offer runs out, the lead opens
	// to the channel naming both, Sofie claims it and asks /leads why; a
	// second lead is offered to Mette, who accepts it from her DM.
	routing := demoSection(t, out, "Routing: ")
	rest = routing
	for _, want := range []string{
		"📨 Offered to Mette", "🎯 Offered to you: " + demoRoutedLead.company, "[✅ Accept] [Pass]",
		"🎯 Offered to @Mette until Mon 09:15",
		`🙅 Mette clicks Pass: "I'm in Aarhus with a customer all day"`,
		"📨 Offered to Jonas", "🎯 Offered to you: " + demoRoutedLead.company, "🎯 Offered to @Jonas until Mon 09:19",
		"09:20  📣 After two offers the lead is open to the whole channel",
		"📣 Open to everyone: @Mette passed (I'm in Aarhus with a customer all day); @Jonas did not answer in time.", "[✋ Claim] [Not a fit]",
		"✋ Sofie claims it", "Claimed by @Sofie",
		"❓ Sofie asks /leads why " + demoRoutedLead.key, "🧭 Routing of " + demoRoutedLead.company,
		"offered to @Mette until 09:15", "@Mette passed (I'm in Aarhus with a customer all day); offered to @Jonas until 09:19",
		"@Jonas did not answer in time; opened to the whole channel", "claimed by @Sofie",
		"📨 Offered to Mette", "🎯 Offered to you: " + demoAcceptedLead.company, "🎯 Offered to @Mette until Mon 09:55",
		"✅ Mette clicks Accept in the DM", "Mette's offer DM becomes:", "✅ Accepted: " + demoAcceptedLead.company,
		"Claimed by @Mette · Mon 09:42",
	} {
		i := strings.Index(rest, want)
		if i < 0 {
			t.Fatalf("the routing scene lacks %q (in this order):\n%s", want, routing)
		}
		rest = rest[i+len(want):]
	}
	if open := routing[strings.Index(routing, "📣"):strings.Index(routing, "✋ Sofie")]; strings.Contains(open, "Offered to") {
		t.Errorf("the lead open to the channel still shows an offer:\n%s", open)
	}
}

// wantInOrder fails the test unless text holds each of wants, in this
// order; what names the part of the demo they show.
func wantInOrder(t *testing.T, text, what string, wants ...string) {
	t.Helper()
	rest := text
	for _, want := range wants {
		i := strings.Index(rest, want)
		if i < 0 {
			t.Fatalf("%s lacks %q (in this order)", what, want)
		}
		rest = rest[i+len(want):]
	}
}

func mapValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

func TestDemoQuietKeep(t *testing.T) {
	e, stdout, stderr := testEnv(nil, "--quiet", "--keep")
	if code := runTestDemo(t, e); code != 0 {
		t.Fatalf("handoff demo --quiet --keep exited %d: %s", code, stderr)
	}
	out := stdout.String()
	for _, want := range []string{"Summary of the week", "/funnel month", "The demo's database is kept: "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, unwanted := range []string{"📥 New SQL", "what the channel shows"} {
		if strings.Contains(out, unwanted) {
			t.Errorf("--quiet output has %q", unwanted)
		}
	}
	db := regexp.MustCompile(`kept: (\S+handoff\.db)`).FindStringSubmatch(out)
	if db == nil {
		t.Fatalf("no database path in %q", out)
	}
	defer os.RemoveAll(filepath.Dir(db[1]))
	if _, err := os.Stat(db[1]); err != nil {
		t.Fatalf("--keep did not keep the database: %v", err)
	}

	// The Lead Salesforce sent is in the database under its id, contacted,
	// and the older notification that arrived last dated its implied lead
	// and mql stages by its LastModifiedDate, 15 minutes before its SQL;
	// the summary says /metrics counted it as stale.
	if want := `(handoff_crm_events_ignored_total{crm="salesforce",reason="stale"} 1)`; !strings.Contains(out, want) {
		t.Errorf("the summary does not say %s:\n%s", want, out)
	}
	ctx := context.Background()
	s, err := storage.Open(ctx, db[1], storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	lead, err := s.LeadByExternalID(ctx, "00Q5g00000DeMo1EAF")
	if err != nil {
		t.Fatalf("the Lead from Salesforce: %v", err)
	}
	if lead.Stage != handoff.StageContacted || lead.ContactedAt == nil || lead.SQLAt == nil {
		t.Errorf("the Lead from Salesforce is %s, contacted %v, SQL at %v; want contacted", lead.Stage, lead.ContactedAt, lead.SQLAt)
	}
	events, err := s.Events(ctx, lead.ID)
	if err != nil {
		t.Fatal(err)
	}
	dated := map[handoff.Stage]time.Time{}
	for _, e := range events {
		if e.Kind == handoff.EventStage {
			dated[e.Stage] = e.At
		}
	}
	if lead.SQLAt != nil {
		earlier := lead.SQLAt.Add(-15 * time.Minute)
		if !dated[handoff.StageLead].Equal(earlier) || !dated[handoff.StageMQL].Equal(earlier) || !dated[handoff.StageSQL].Equal(*lead.SQLAt) {
			t.Errorf("the Lead from Salesforce's stages are dated %v; want lead and mql at %s, 15 min before its SQL", dated, earlier)
		}
	}

	restoredInHubSpot(ctx, t, s)
}

// restoredInHubSpot checks, in the database the demo kept, each lead whose
// contact the script deletes in HubSpot and restores there: its last
// stage events are the script's steps on it, the deletion lost "deleted in HubSpot" and the restore back at the
// stage it had (an SQL when nobody had claimed it), both by hubspot and
// dated when the script has them, and it ends as the script leaves it,
// without a reason, its first claim the one measured; an SQL restored
// before anyone claimed it is an SQL since its restore.
func restoredInHubSpot(ctx context.Context, t *testing.T, s *storage.Store) {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Copenhagen")
	if err != nil {
		t.Fatal(err)
	}
	_, steps, err := demoScript()
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, st := range steps {
		if st.act == actHubSpotRestore {
			keys = append(keys, st.lead)
		}
	}
	if len(keys) < 2 {
		t.Fatalf("the script restores %d contacts in HubSpot, want one sales had claimed and one nobody had", len(keys))
	}
	ids := map[string]string{}
	for _, r := range demoReps {
		ids[r.Name] = "slack:" + r.ID
	}
	for _, key := range keys {
		var mine []demoStep
		for _, st := range steps {
			if st.lead == key {
				mine = append(mine, st)
			}
		}
		sort.SliceStable(mine, func(i, j int) bool { return earlierStep(mine[i], mine[j]) })
		var want []string
		owner, stage := "", handoff.StageSQL // a contact HubSpot sends arrives as an SQL
		firstClaim, sqlAgain := "", ""
		for _, st := range mine {
			at := time.Weekday((st.day + 1) % 7).String()[:3] + " " + st.at
			switch st.act {
			case actClaim:
				owner, stage = ids[st.rep], handoff.StageClaimed
				if firstClaim == "" {
					firstClaim = at
				}
				want = append(want, fmt.Sprintf("claimed by %s at %s", owner, at))
			case actContact:
				stage = handoff.StageContacted
				want = append(want, fmt.Sprintf("contacted by %s at %s", owner, at))
			case actHubSpotDelete:
				want = append(want, fmt.Sprintf("lost (%s) by hubspot at %s", handoff.HubSpotDeletedReason, at))
			case actHubSpotRestore:
				if stage == handoff.StageSQL {
					sqlAgain = at
				}
				want = append(want, fmt.Sprintf("%s by hubspot at %s", stage, at))
			default:
				t.Fatalf("the restored lead's step %s: the check does not know it", st.act)
			}
		}
		lead, err := s.LeadByExternalID(ctx, key)
		if err != nil {
			t.Fatalf("the lead of the contact restored in HubSpot: %v", err)
		}
		events, err := s.Events(ctx, lead.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got []string // its stage events, the last as many as the script's steps on it
		for _, e := range events {
			if e.Kind != handoff.EventStage || e.Details["implied"] != "" {
				continue
			}
			what := string(e.Stage)
			if e.Stage == handoff.StageLost {
				what += " (" + e.Details["reason"] + ")"
			}
			got = append(got, fmt.Sprintf("%s by %s at %s", what, e.Actor, e.At.In(loc).Format("Mon 15:04")))
		}
		got = got[max(0, len(got)-len(want)):]
		if !reflect.DeepEqual(got, want) {
			t.Errorf("the history of %s from its first step on:\n%s\nwant:\n%s", key, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if lead.Stage != stage || "slack:"+lead.Owner.UserID != owner || lead.ClaimedAt == nil || firstClaim == "" ||
			lead.ClaimedAt.In(loc).Format("Mon 15:04") != firstClaim || lead.SLABreached || lead.Reason != "" {
			t.Errorf("the lead of %s is %s, %s's, claimed %v, breached %v, reason %q; want %s, %s's, its first claim (%s) kept, not breached, no reason",
				key, lead.Stage, lead.Owner.UserID, lead.ClaimedAt, lead.SLABreached, lead.Reason, stage, owner, firstClaim)
		}
		if sqlAgain != "" && (lead.SQLAt == nil || lead.SQLAt.In(loc).Format("Mon 15:04") != sqlAgain) {
			t.Errorf("the lead of %s, restored before anyone claimed it, is an SQL since %v; want since its restore, %s", key, lead.SQLAt, sqlAgain)
		}
	}
}

func TestDemoUsage(t *testing.T) {
	e, _, stderr := testEnv(nil, "demo", "--frobnicate")
	if code := run(context.Background(), e); code != 2 {
		t.Fatalf("exit %d, want 2: %s", code, stderr)
	}
}

func TestDemoMonday(t *testing.T) {
	loc, err := time.LoadLocation("Europe/Copenhagen")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ now, want string }{
		{"2026-11-23T19:50:00Z", "2026-11-16T08:00:00+01:00"}, // a Monday evening
		{"2026-11-22T23:30:00Z", "2026-11-16T08:00:00+01:00"}, // Monday 00:30 in Copenhagen, Sunday in UTC
		{"2026-04-01T10:00:00Z", "2026-03-23T08:00:00+01:00"}, // the week before the DST change
	} {
		now, _ := time.Parse(time.RFC3339, tc.now)
		if got := demoMonday(now, loc).Format(time.RFC3339); got != tc.want {
			t.Errorf("demoMonday(%s) = %s, want %s", tc.now, got, tc.want)
		}
	}
}

func TestParseDemoScript(t *testing.T) {
	const lead = "lead 0 08:12 hs-1 | Nordlys Energi A/S | Camilla Holm | IT-chef | web | Pricing page | 86\n"
	leads, steps, err := parseDemoScript("# a comment\n\n" + lead +
		"0 08:31 race hs-1 rep=Mette rival=Jonas\n3 09:30 won hs-1 amount=62500\n4 10:00 lost hs-1 code=chose_a_competitor reason=On price; sorry.\n4 17:00 wait reason=The office closes.\n4 17:05 lose-answer\n4 17:10 remove-bot reason=Gone.\n4 17:20 invite-bot reason=Back.\n")
	if err != nil {
		t.Fatal(err)
	}
	wantLead := demoLead{day: 0, at: "08:12", key: "hs-1", company: "Nordlys Energi A/S", name: "Camilla Holm", title: "IT-chef",
		source: "web", campaign: "Pricing page", score: 86}
	if len(leads) != 1 || !reflect.DeepEqual(leads[0], wantLead) {
		t.Fatalf("leads = %+v, want %+v", leads, wantLead)
	}
	want := []demoStep{
		{day: 0, at: "08:31", act: actRace, lead: "hs-1", rep: "Mette", rival: "Jonas"},
		{day: 3, at: "09:30", act: actWon, lead: "hs-1", amount: 62500},
		{day: 4, at: "10:00", act: actLost, lead: "hs-1", code: "chose a competitor", reason: "On price; sorry."},
		{day: 4, at: "17:00", act: actWait, reason: "The office closes."},
		{day: 4, at: "17:05", act: actLoseAnswer},
		{day: 4, at: "17:10", act: actRemoveBot, reason: "Gone."},
		{day: 4, at: "17:20", act: actInviteBot, reason: "Back."},
	}
	if len(steps) != len(want) {
		t.Fatalf("steps = %+v, want %+v", steps, want)
	}
	for i := range want {
		if steps[i] != want[i] {
			t.Errorf("step %d = %+v, want %+v", i, steps[i], want[i])
		}
	}
	// A lead of the website's form; a lead posted again comes back as an
	// SQL; an erasure names its lead.
	leads, steps, err = parseDemoScript(lead + "lead 1 09:00 form-2 | Horsens Plast A/S | Kasper Holst | IT-chef | web | Demo request | form\n" +
		"lead 2 10:00 hs-1 | Nordlys Energi A/S | Camilla Holm | IT-chef | web | Webinar | 90\n" +
		"3 09:00 erase hs-1 reason=She asks to be forgotten.\n")
	if err != nil {
		t.Fatal(err)
	}
	wantLeads := []demoLead{wantLead,
		{day: 1, at: "09:00", key: "form-2", company: "Horsens Plast A/S", name: "Kasper Holst", title: "IT-chef", source: "web", campaign: "Demo request", form: true},
		{day: 2, at: "10:00", key: "hs-1", company: "Nordlys Energi A/S", name: "Camilla Holm", title: "IT-chef", source: "web", campaign: "Webinar", score: 90, again: true}}
	if !reflect.DeepEqual(leads, wantLeads) {
		t.Errorf("leads = %+v, want %+v", leads, wantLeads)
	}
	if want := (demoStep{day: 3, at: "09:00", act: actErase, lead: "hs-1", reason: "She asks to be forgotten."}); len(steps) != 1 || steps[0] != want {
		t.Errorf("steps = %+v, want %+v", steps, want)
	}
	// Contacts HubSpot sends, one dated before its delivery, and their
	// merge.
	const hubspotLeads = "lead 1 09:00 4131 | Viborg Varme A/S | Lene Dam | Driftschef | webinar | - | hubspot 76\n" +
		"lead 1 10:00 4132 | Viborg Varme | Lene Dam | Driftschef | web | - | hubspot 83 sql-since 08:30\n"
	leads, steps, err = parseDemoScript(hubspotLeads + "1 11:00 merge 4132 into=4131 reason=Marketing merges them.\n")
	if err != nil {
		t.Fatal(err)
	}
	wantLeads = []demoLead{
		{day: 1, at: "09:00", key: "4131", company: "Viborg Varme A/S", name: "Lene Dam", title: "Driftschef", source: "webinar", score: 76, hubspot: true},
		{day: 1, at: "10:00", key: "4132", company: "Viborg Varme", name: "Lene Dam", title: "Driftschef", source: "web", score: 83, hubspot: true, sqlSince: "08:30"}}
	if !reflect.DeepEqual(leads, wantLeads) {
		t.Errorf("leads = %+v, want %+v", leads, wantLeads)
	}
	if want := (demoStep{day: 1, at: "11:00", act: actMerge, lead: "4132", into: "4131", reason: "Marketing merges them."}); len(steps) != 1 || steps[0] != want {
		t.Errorf("steps = %+v, want %+v", steps, want)
	}
	// The events of HubSpot's webhooks API about contacts it sent.
	_, steps, err = parseDemoScript(hubspotLeads + "1 11:00 hubspot-stage 4131 stage=opportunity since=10:30 reason=Set in HubSpot.\n" +
		"1 12:00 hubspot-delete 4132 reason=Deleted there.\n1 12:10 hubspot-restore 4132 reason=Restored there.\n1 12:30 hubspot-erase 4131 reason=Erased there.\n")
	if err != nil {
		t.Fatal(err)
	}
	if want := []demoStep{
		{day: 1, at: "11:00", act: actHubSpotStage, lead: "4131", stage: "opportunity", since: "10:30", reason: "Set in HubSpot."},
		{day: 1, at: "12:00", act: actHubSpotDelete, lead: "4132", reason: "Deleted there."},
		{day: 1, at: "12:10", act: actHubSpotRestore, lead: "4132", reason: "Restored there."},
		{day: 1, at: "12:30", act: actHubSpotErase, lead: "4131", reason: "Erased there."},
	}; !reflect.DeepEqual(steps, want) {
		t.Errorf("steps = %+v, want %+v", steps, want)
	}

	// A Lead Salesforce sends, its status set there, and an older
	// notification of it retried.
	const salesforceLead = "lead 7 08:55 00Q5g00000DeMo1EAF | Struer Akustik A/S | Pia Vestergaard | CTO | Partner Referral | - | salesforce\n"
	leads, steps, err = parseDemoScript(salesforceLead +
		"7 09:40 salesforce-status 00Q5g00000DeMo1EAF status=Working_-_Contacted reason=Set there.\n" +
		"7 10:10 salesforce-retry 00Q5g00000DeMo1EAF status=Open_-_Not_Contacted since=08:40 reason=Retried.\n")
	if err != nil {
		t.Fatal(err)
	}
	if want := []demoLead{{day: 7, at: "08:55", key: "00Q5g00000DeMo1EAF", company: "Struer Akustik A/S", name: "Pia Vestergaard", title: "CTO",
		source: "Partner Referral", salesforce: true}}; !reflect.DeepEqual(leads, want) {
		t.Errorf("leads = %+v, want %+v", leads, want)
	}
	if want := []demoStep{
		{day: 7, at: "09:40", act: actSalesforceStatus, lead: "00Q5g00000DeMo1EAF", status: "Working - Contacted", reason: "Set there."},
		{day: 7, at: "10:10", act: actSalesforceRetry, lead: "00Q5g00000DeMo1EAF", status: "Open - Not Contacted", since: "08:40", reason: "Retried."},
	}; !reflect.DeepEqual(steps, want) {
		t.Errorf("steps = %+v, want %+v", steps, want)
	}

	for _, bad := range []string{
		"lead 7 08:55 00Q5g00000DeMo1 | A | B | C | Web | - | salesforce\n",              // the 15-character id: stored as the 18
		"lead 7 08:55 00Q5g00000DeMo1EAA | A | B | C | Web | - | salesforce\n",           // a suffix of another id
		"lead 7 08:55 00Q5g00000DeMo1EAF | A | B | C | Web | Partner day | salesforce\n", // a campaign the Lead does not bring
		salesforceLead + "7 09:40 salesforce-status 00Q5g00000DeMo1EAF\n",
		salesforceLead + "7 09:40 salesforce-status 00Q5g00000DeMo1EAF status=Working_-_Contacted since=09:30\n",
		salesforceLead + "7 09:40 salesforce-retry 00Q5g00000DeMo1EAF status=Open_-_Not_Contacted\n",
		salesforceLead + "7 09:40 salesforce-retry 00Q5g00000DeMo1EAF status=Open_-_Not_Contacted since=noon\n",
		salesforceLead + "7 09:40 claim 00Q5g00000DeMo1EAF rep=Mette status=Working_-_Contacted\n",
		salesforceLead + "7 09:40 hubspot-stage 00Q5g00000DeMo1EAF stage=opportunity since=09:30\n",
		lead + "0 09:00 salesforce-status hs-1 status=Working_-_Contacted\n", // not from Salesforce
		"lead 0 08:12 hs-2 | too | few\n",
		lead + "lead 1 09:00 hs-1 | Another Company ApS | Camilla Holm | IT-chef | web | Webinar | 90\n",
		lead + "lead 1 09:00 hs-1 | Nordlys Energi A/S | Camilla Holm | IT-chef | web | Demo request | form\n",
		lead + "0 09:00 erase reason=Nobody in particular.\n",
		lead + "0 09:00 erase hs-9 reason=A lead never posted.\n",
		"lead 0 08:12 hs-2 | A | B | C | D | E | many\n",
		lead + "0 09:00 dance hs-1\n",
		lead + "0 09:00 claim hs-9 rep=Mette\n",
		lead + "0 09:00 claim hs-1 rep=Nobody\n",
		lead + "0 09:00 claim\n",
		lead + "0 09:00 won hs-1 amount=lots\n",
		lead + "0 09:00 wait hs-1\n",
		lead + "0 09:00 lose-answer hs-1\n",
		lead + "0 09:00 invite-bot hs-1\n",
		"lead 0 08:12 4131 | A | B | C | D | - | hubspot many\n",
		"lead 0 08:12 4131 | A | B | C | D | - | hubspot 70 sql-since noon\n",
		"lead 0 08:12 4131 | A | B | C | D | Pricing page | hubspot 70\n", // a campaign HubSpot's webhook does not bring
		hubspotLeads + "1 11:00 merge 4132\n",
		hubspotLeads + "1 11:00 claim 4132 into=4131\n",
		lead + hubspotLeads + "1 11:00 merge hs-1 into=4131\n",
		hubspotLeads + "1 11:00 merge 4132 into=4132\n",
		hubspotLeads + "1 11:00 merge 4132 into=4199\n",
		lead + "0 09:00 hubspot-delete hs-1\n", // not from HubSpot, nor a record id
		hubspotLeads + "1 11:00 hubspot-stage 4131 stage=opportunity\n",
		hubspotLeads + "1 11:00 hubspot-stage 4131 since=10:30\n",
		hubspotLeads + "1 11:00 hubspot-stage 4131 stage=opportunity since=noon\n",
		hubspotLeads + "1 11:00 hubspot-delete 4131 stage=lost since=10:30\n",
		hubspotLeads + "1 11:00 claim 4131 rep=Mette since=10:30\n",
		hubspotLeads + "1 11:00 hubspot-restore 4131\n",                                        // never deleted
		hubspotLeads + "1 11:00 hubspot-delete 4132\n1 11:10 hubspot-restore 4131\n",           // another contact deleted
		hubspotLeads + "1 11:00 hubspot-delete 4131\n1 10:50 hubspot-restore 4131\n",           // restored before its deletion
		hubspotLeads + "2 09:00 hubspot-restore 4131\n1 11:00 hubspot-delete 4131\n",           // the deletion on a later line
		hubspotLeads + "1 11:00 hubspot-erase 4131\n1 11:10 hubspot-restore 4131\n",            // erased, not deleted
		lead + "0 09:00 hubspot-delete hs-1\n0 09:10 hubspot-restore hs-1\n",                   // not from HubSpot
		hubspotLeads + "1 11:00 hubspot-delete 4131\n1 11:10 hubspot-restore 4131 stage=sql\n", // a stage the restore does not name
	} {
		if _, _, err := parseDemoScript(bad); err == nil || !strings.Contains(err.Error(), "demo script line") {
			t.Errorf("%q: error %v, want one naming the line", bad, err)
		}
	}
}
