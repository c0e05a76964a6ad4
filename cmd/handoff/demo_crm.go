package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/hubspot"
	"github.com/handoff/handoff/standardwebhooks"
)

// The demo's stand-in CRM: HubSpot sends the first lead through a signed
// workflow webhook, and Handoff's webhooks tell it who claimed what.
const (
	demoHubSpotSecret = "demo-hubspot-client-secret"
	demoWebhookSecret = "whsec_ZGVtby13ZWJob29rLXNlY3JldC0wMTIzNDU2Nzg5"
	demoFromHubSpot   = "hs-4101" // the lead that arrives through the HubSpot webhook
)

// demoCRM receives Handoff's webhooks and checks every signature.
type demoCRM struct {
	srv    *httptest.Server
	signer *standardwebhooks.Signer

	mu   sync.Mutex
	got  []demoHook
	bad  int
	seen int // deliveries already narrated
}

// demoHook is one delivered event; former is, for lead.erased, the
// external id the lead had (data.details.external_id).
type demoHook struct {
	typ, lead, actor, stage, former string
}

// newDemoCRM starts the stand-in CRM's webhook endpoint. It checks the
// signatures of Handoff's webhooks on this machine's clock, as a real
// receiver does, while the demo's week runs on its own.
func newDemoCRM() (*demoCRM, error) {
	signer, err := standardwebhooks.NewSigner(demoWebhookSecret)
	if err != nil {
		return nil, err
	}
	c := &demoCRM{signer: signer}
	c.srv = httptest.NewServer(http.HandlerFunc(c.serve))
	return c, nil
}

func (c *demoCRM) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.signer.Verify(r.Header, body, time.Now()); err != nil {
		c.bad++
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	var ev struct {
		Type string `json:"type"`
		Data struct {
			Lead struct {
				ExternalID string `json:"external_id"`
			} `json:"lead"`
			Actor   string `json:"actor"`
			Stage   string `json:"stage"`
			Details struct {
				ExternalID string `json:"external_id"`
			} `json:"details"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &ev); err != nil {
		http.Error(w, "not JSON", http.StatusBadRequest)
		return
	}
	c.got = append(c.got, demoHook{ev.Type, ev.Data.Lead.ExternalID, ev.Data.Actor, ev.Data.Stage, ev.Data.Details.ExternalID})
	w.WriteHeader(http.StatusNoContent)
}

// news returns the deliveries not returned before.
func (c *demoCRM) news() []demoHook {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := append([]demoHook(nil), c.got[c.seen:]...)
	c.seen = len(c.got)
	return out
}

// counts returns how many events arrived and how many signatures failed.
func (c *demoCRM) counts() (int, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.got), c.bad
}

func (c *demoCRM) Close() { c.srv.Close() }

// demoCRMAgreement is the agreement's webhooks section for the CRM at url.
func demoCRMAgreement(url string) string {
	return "webhooks:\n  - url: " + url + "/hooks/handoff\n    events: [lead.claimed, lead.stage_changed, lead.erased]\n"
}

// hubSpotContact is a lead as a HubSpot workflow's "Send a webhook" sends
// it: the chosen contact properties of an SQL. A stage HubSpot set before
// the delivery (sqlSince) is dated by its "Became a Sales Qualified Lead
// Date".
func (d *demo) hubSpotContact(l demoLead) map[string]any {
	first, last, _ := strings.Cut(l.name, " ")
	contact := map[string]any{
		"hs_object_id": l.key, "firstname": first, "lastname": last, "email": demoEmail(l), "phone": demoPhone(l),
		"company": l.company, "jobtitle": l.title, "hs_analytics_source": l.source, "hubspotscore": l.score,
		"lifecyclestage": "salesqualifiedlead",
	}
	if l.sqlSince != "" {
		contact["hs_lifecyclestage_salesqualifiedlead_date"] = d.at(l.day, l.sqlSince).UTC().Format(time.RFC3339)
	}
	return contact
}

// postFromHubSpot sends a lead as a HubSpot workflow's "Send a webhook"
// does and returns it as Handoff stored it.
func (d *demo) postFromHubSpot(ctx context.Context, l demoLead) (*handoff.Lead, error) {
	if _, err := d.sendHubSpot(ctx, l.key, d.hubSpotContact(l)); err != nil {
		return nil, err
	}
	return d.app.store.LeadByExternalID(ctx, l.key)
}

// sendHubSpot posts a contact (key), or events of HubSpot's webhooks API
// about it, to Handoff's HubSpot webhook, signed with signature v3 as
// HubSpot signs it, expecting 200, and returns the answer on one line.
func (d *demo) sendHubSpot(ctx context.Context, key string, contact any) ([]byte, error) {
	body, err := json.Marshal(contact)
	if err != nil {
		return nil, err
	}
	url := d.base + hubspot.Path
	// Signed on this machine's clock, as HubSpot signs on its own: the
	// signature's timestamp is the request's, not the demo week's.
	ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(hubspot.HeaderTimestamp, ts)
	req.Header.Set(hubspot.HeaderSignature, hubspot.SignV3(demoHubSpotSecret, http.MethodPost, url, body, ts))
	resp, err := d.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	answer = bytes.TrimSpace(answer)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("POST %s %s answered %s: %s", hubspot.Path, key, resp.Status, answer)
	}
	return answer, nil
}

// datedByHubSpot says how a lead HubSpot made an SQL before its webhook
// arrived (sqlSince) is dated: the SQL by HubSpot's time, for the funnel,
// with the time it was received in its history, and its deadlines from
// its arrival, when sales could first see it.
func (d *demo) datedByHubSpot(ctx context.Context, l demoLead, id int64) error {
	if l.sqlSince == "" {
		return nil
	}
	lead, err := d.app.store.Lead(ctx, id)
	if err != nil {
		return err
	}
	events, err := d.app.store.Events(ctx, id)
	if err != nil {
		return err
	}
	received := ""
	for _, ev := range events {
		if ev.Kind == handoff.EventStage && ev.Stage == handoff.StageSQL && ev.Details["received"] != "" {
			received = ev.Details["received"]
		}
	}
	since := d.at(l.day, l.sqlSince)
	if lead.SQLAt == nil || !lead.SQLAt.Equal(since) || received == "" || lead.ClaimDueAt == nil || lead.SLABreached {
		return fmt.Errorf("%s: SQL at %v (received %q), claim due %v; want HubSpot's %s, received noted", l.key, lead.SQLAt, received, lead.ClaimDueAt, since)
	}
	arrived, err := time.Parse(time.RFC3339, received)
	if err != nil {
		return fmt.Errorf("%s: received %q: %w", l.key, received, err)
	}
	d.printf("%18s→ dated by HubSpot: an SQL since %s (hs_lifecyclestage_salesqualifiedlead_date), %s before its webhook arrived; "+
		"the funnel counts it from then, and its history says it was received %s\n", "",
		d.when(since), bot.FormatDuration(arrived.Sub(since)), d.when(arrived))
	d.printf("%18s→ its deadlines count from its arrival, when sales could first see it: claim by %s, not breached on arrival\n", "",
		d.when(*lead.ClaimDueAt))
	return nil
}

// mergeInHubSpot has marketing merge the contact of merged into that of
// survivor: HubSpot sends the surviving contact with the merged one's id
// (hs_merged_object_ids), and the two leads fold into one, the one sales
// took first, while the other is closed and its card updated.
func (d *demo) mergeInHubSpot(ctx context.Context, merged, survivor *demoLeadState, reason string) error {
	d.printf("%s  🔀 %s\n", d.when(d.clock.Now()), reason)
	contact := d.hubSpotContact(survivor.demoLead)
	delete(contact, "hs_lifecyclestage_salesqualifiedlead_date")
	contact["hs_merged_object_ids"] = merged.key
	contact["hs_lastmodifieddate"] = strconv.FormatInt(d.clock.Now().UnixMilli(), 10)
	if _, err := d.sendHubSpot(ctx, survivor.key, contact); err != nil {
		return err
	}
	if err := d.settle(ctx); err != nil {
		return err
	}
	kept, err := d.app.store.LeadByExternalID(ctx, survivor.key)
	if err != nil {
		return err
	}
	closed, err := d.app.store.Lead(ctx, merged.id)
	if err != nil {
		return err
	}
	if kept.ID != survivor.id || closed.Stage != handoff.StageLost || closed.Reason != handoff.MergedReason {
		return fmt.Errorf("merge of %s into %s: kept lead %d (want %d), the other %s %q", merged.key, survivor.key, kept.ID, survivor.id, closed.Stage, closed.Reason)
	}
	d.merged++
	d.printf("%18s→ HubSpot sends the surviving contact %s with hs_merged_object_ids %s (signed workflow webhook)\n", "", survivor.key, merged.key)
	d.printf("%18s→ one person, one lead: %s stays %s's (%s), the lead sales took first\n", "", survivor.company, d.mention(kept.Owner.UserID), kept.Stage)
	d.printf("%18s→ the duplicate's card is updated: %s (%s); its SLA clock stopped, so its claim deadline is nobody's breach\n", "", d.cardHead(merged.ts), closed.Reason)
	return nil
}

// narrateCRM returns a line for each webhook about the lead from HubSpot
// and each lead.erased the CRM received since the last call (the others
// are only counted).
func (d *demo) narrateCRM() []string {
	var lines []string
	for _, h := range d.crm.news() {
		if h.typ == string(handoff.WebhookErased) {
			record := "the record it erases in turn (GDPR Art. 19)"
			if h.actor == hubspot.Actor {
				record = "the record HubSpot erased first"
			}
			lines = append(lines, fmt.Sprintf("→ the CRM learns by webhook: lead.erased %s by %s, with data.details.external_id %s, "+
				"%s, signature verified", shortErased(h.lead), h.actor, cmp.Or(h.former, "(none)"), record))
			continue
		}
		st, ok := d.leads[h.lead]
		if h.lead != demoFromHubSpot || !ok {
			continue
		}
		lines = append(lines, fmt.Sprintf("→ HubSpot learns by webhook: %s %s (%s) by %s, signature verified", h.typ, st.company, h.stage, d.actorName(h.actor)))
	}
	return lines
}
