// Salesforce's Outbound Messages in the demo: SOAP notifications on Lead
// from the demo's org, sent to /hooks/salesforce with the endpoint's token
// as Salesforce sends them: a new Lead, its status changed there, and an
// older notification Salesforce retried, arriving after the newer ones.

package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/salesforce"
)

// The demo's Salesforce org and its Outbound Message on Lead, which the
// demo configures as HubSpot's secret (SALESFORCE_ORG_ID in the 15-character
// form; the messages carry the 18-character one, as Salesforce's do).
const (
	demoSalesforceOrg    = "00D5g000004DeMo"
	demoSalesforceToken  = "demo-salesforce-outbound-token"
	demoSalesforceAction = "04k5g000000DeMoAAK"
	// demoSalesforceNew is the Lead Status a new Lead arrives with: an
	// SQL by the default status table.
	demoSalesforceNew = "Open - Not Contacted"
	// demoStaleMetric is the series that counts Salesforce's stale
	// notifications, as GET /metrics shows it.
	demoStaleMetric = `handoff_crm_events_ignored_total{crm="salesforce",reason="stale"}`
)

// salesforceMessage is an Outbound Message of one notification about the
// Lead l as it was at modified, with status: the record's fields by API
// name in alphabetical order with the sf: prefix, as Salesforce writes
// them.
func (d *demo) salesforceMessage(l demoLead, status string, modified time.Time) ([]byte, error) {
	org, err := salesforce.ID18(demoSalesforceOrg)
	if err != nil {
		return nil, err
	}
	d.salesforceSent++
	first, last, _ := strings.Cut(l.name, " ")
	fields := map[string]string{
		"Id": l.key, "Company": l.company, "Email": demoEmail(l), "FirstName": first, "LastName": last,
		"LastModifiedDate": modified.UTC().Format("2006-01-02T15:04:05.000Z"), "LeadSource": l.source,
		"Phone": demoPhone(l), "Rating": "Hot", "Status": status, "Title": l.title,
	}
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>` +
		`<notifications xmlns="http://soap.sforce.com/2005/09/outbound">`)
	fmt.Fprintf(&b, `<OrganizationId>%s</OrganizationId><ActionId>%s</ActionId><SessionId xsi:nil="true"/>`, org, demoSalesforceAction)
	fmt.Fprintf(&b, `<Notification><Id>04l5g0000DeMo%02dAAB</Id><sObject xsi:type="sf:Lead" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">`, d.salesforceSent)
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		b.WriteString("<sf:" + name + ">")
		if err := xml.EscapeText(&b, []byte(fields[name])); err != nil {
			return nil, err
		}
		b.WriteString("</sf:" + name + ">")
	}
	b.WriteString(`</sObject></Notification></notifications></soapenv:Body></soapenv:Envelope>` + "\n")
	return b.Bytes(), nil
}

// sendSalesforce posts the Outbound Message of the Lead l as it was at
// modified, with status, to Handoff's endpoint with the demo's token in
// its URL, as Salesforce does, and fails unless Handoff acknowledges it.
func (d *demo) sendSalesforce(ctx context.Context, l demoLead, status string, modified time.Time) error {
	body, err := d.salesforceMessage(l, status, modified)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.base+salesforce.Path+"?token="+url.QueryEscape(demoSalesforceToken), bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.Header.Set("SOAPAction", `""`)
	resp, err := d.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || !bytes.Contains(answer, []byte("<Ack>true</Ack>")) {
		return fmt.Errorf("POST %s %s answered %s: %s", salesforce.Path, l.key, resp.Status, bytes.TrimSpace(answer))
	}
	return nil
}

// postFromSalesforce sends a new Lead of the script as Salesforce's
// Outbound Message does, with the status demoSalesforceNew, and records
// the SQL Handoff makes of it once its card is in the sales channel.
func (d *demo) postFromSalesforce(ctx context.Context, l demoLead) error {
	if err := d.sendSalesforce(ctx, l, demoSalesforceNew, d.clock.Now()); err != nil {
		return err
	}
	lead, err := d.app.store.LeadByExternalID(ctx, l.key)
	if err != nil {
		return err
	}
	if lead.Stage != handoff.StageSQL || lead.ExternalID != l.key {
		return fmt.Errorf("Lead %s from Salesforce is stored as %q, %s; want an SQL under its id", l.key, lead.ExternalID, lead.Stage)
	}
	line := fmt.Sprintf("📥 New SQL from Salesforce (Outbound Message, Lead Status %s): %s, %s (%s) · %s · scored %d by the agreement",
		demoSalesforceNew, l.company, l.name, l.title, l.source, lead.Score)
	if err := d.posted(ctx, l, lead.ID, line); err != nil {
		return err
	}
	d.printf("%18s→ SOAP to %s?token=… from org %s (SALESFORCE_ORG_ID) → 200 <Ack>true</Ack>; the lead is stored under external_id %s, "+
		"Salesforce's 18-character id, and its card with Claim reaches %s\n", "", salesforce.Path, demoSalesforceOrg, lead.ExternalID, demoChannelNames[demoSales])
	return nil
}

// statusInSalesforce has a rep set the Lead's status in Salesforce now:
// its Outbound Message moves the lead to the stage the status table
// names, dated by the record's LastModifiedDate.
func (d *demo) statusInSalesforce(ctx context.Context, l *demoLeadState, status, reason string) error {
	now := d.clock.Now()
	d.printf("%s  ☁️  %s\n", d.when(now), reason)
	if err := d.sendSalesforce(ctx, l.demoLead, status, now); err != nil {
		return err
	}
	lead, _, err := d.settledLead(ctx, l.id)
	if err != nil {
		return err
	}
	last, err := d.lastStageEvent(ctx, l.id)
	if err != nil {
		return err
	}
	want := d.app.cfg.CRM.SalesforceStatus[status]
	if lead.Stage != want || last.Stage != want || !last.At.Equal(now) || last.Actor != salesforce.Actor {
		return fmt.Errorf("Lead Status %q of %s: lead %s, last stage %s at %s by %s; want %s at %s by %s",
			status, l.key, lead.Stage, last.Stage, last.At, last.Actor, want, now, salesforce.Actor)
	}
	d.printf("%18s→ Salesforce's Outbound Message (Lead Status %s, LastModifiedDate %s) → 200 <Ack>true</Ack>\n", "", status, d.when(now))
	d.printf("%18s→ the status table makes it %s: %s moves to %s by %s, %s still its owner; its card is updated: %s\n", "",
		want, l.company, lead.Stage, salesforce.Actor, d.mention(lead.Owner.UserID), d.cardHead(l.ts))
	return nil
}

// retryInSalesforce has Salesforce retry an older notification of the
// Lead, as it was at since ("HH:MM" on day) with status, after the newer
// ones reached Handoff: it is acknowledged and counted as stale, the lead
// keeps its stage, times and history, and the stages the newer state only
// implied (lead, mql) are dated by the older one.
func (d *demo) retryInSalesforce(ctx context.Context, l *demoLeadState, day int, status, since, reason string) error {
	now, older := d.clock.Now(), d.at(day, since)
	d.printf("%s  🔁 %s\n", d.when(now), reason)
	before, was, err := d.settledLead(ctx, l.id)
	if err != nil {
		return err
	}
	if err := d.sendSalesforce(ctx, l.demoLead, status, older); err != nil {
		return err
	}
	after, is, err := d.settledLead(ctx, l.id)
	if err != nil {
		return err
	}
	if after.Stage != before.Stage || !sameInstant(after.SQLAt, before.SQLAt) || !sameInstant(after.ContactedAt, before.ContactedAt) || len(is) != len(was) {
		return fmt.Errorf("the older notification of %s changed the lead: %s → %s, SQL at %v → %v, contacted %v → %v, %d → %d events",
			l.key, before.Stage, after.Stage, before.SQLAt, after.SQLAt, before.ContactedAt, after.ContactedAt, len(was), len(is))
	}
	dated := map[int64]time.Time{} // event id → its date before
	for _, e := range was {
		dated[e.ID] = e.At
	}
	implied := map[handoff.Stage][2]time.Time{} // stage → its date before and after
	for _, e := range is {
		if e.Kind == handoff.EventStage && e.Details["implied"] == "true" && (e.Stage == handoff.StageLead || e.Stage == handoff.StageMQL) {
			implied[e.Stage] = [2]time.Time{dated[e.ID], e.At}
		}
	}
	lead, mql := implied[handoff.StageLead], implied[handoff.StageMQL]
	if len(implied) != 2 || !lead[1].Equal(older) || !mql[1].Equal(older) || !lead[0].After(older) {
		return fmt.Errorf("the older notification of %s dated the implied stages %v; want lead and mql moved to %s", l.key, implied, older)
	}
	stale, err := d.metric(ctx, demoStaleMetric)
	if err != nil {
		return err
	}
	if stale != d.salesforceStale+1 {
		return fmt.Errorf("%s is %d after the older notification of %s, want %d", demoStaleMetric, stale, l.key, d.salesforceStale+1)
	}
	d.salesforceStale = stale
	d.printf("%18s→ its Outbound Message (Lead Status %s, LastModifiedDate %s) → 200 <Ack>true</Ack>: acknowledged, so Salesforce stops sending it\n", "",
		status, d.when(older))
	d.printf("%18s→ older than what Handoff has: %s stays %s, its SQL and contact times and its history as they were\n", "", l.company, after.Stage)
	d.printf("%18s→ it says the lead was an SQL by %s: the lead and mql stages the newer state only implied move from %s to %s "+
		"(the funnel counts them from then), while the SQL keeps its date and its SLA cycle\n", "", d.when(older), d.when(lead[0]), d.when(older))
	d.printf("%18s→ GET /metrics: %s %d\n", "", demoStaleMetric, stale)
	return nil
}

// settledLead waits until the outbox has sent what is queued (settle) and
// returns the lead id and its history as they are then.
func (d *demo) settledLead(ctx context.Context, id int64) (*handoff.Lead, []handoff.Event, error) {
	if err := d.settle(ctx); err != nil {
		return nil, nil, err
	}
	lead, err := d.app.store.Lead(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	events, err := d.app.store.Events(ctx, id)
	return lead, events, err
}

// sameInstant reports whether two optional times are both unset or equal.
func sameInstant(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// metric reads the value of the series name (its name and labels, as the
// exposition writes them) from the server's GET /metrics, with the demo's
// API token; 0 when the series is not there yet.
func (d *demo) metric(ctx context.Context, name string) (int, error) {
	raw, err := d.request(ctx, http.MethodGet, "/metrics", demoAPIToken, nil, http.StatusOK)
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if value, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
			if err != nil {
				return 0, fmt.Errorf("%s: %w", name, err)
			}
			return int(f), nil
		}
	}
	return 0, nil
}
