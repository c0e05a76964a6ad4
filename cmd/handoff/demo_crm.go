package main

import (
	"bytes"
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

// demoHook is one delivered event.
type demoHook struct {
	typ, lead, actor, stage string
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
			Actor string `json:"actor"`
			Stage string `json:"stage"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &ev); err != nil {
		http.Error(w, "not JSON", http.StatusBadRequest)
		return
	}
	c.got = append(c.got, demoHook{ev.Type, ev.Data.Lead.ExternalID, ev.Data.Actor, ev.Data.Stage})
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
	return "webhooks:\n  - url: " + url + "/hooks/handoff\n    events: [lead.claimed, lead.stage_changed]\n"
}

// postFromHubSpot sends a lead as a HubSpot workflow's "Send a webhook"
// does: the chosen contact properties, signed with signature v3.
func (d *demo) postFromHubSpot(ctx context.Context, l demoLead) (int64, error) {
	first, last := l.name, ""
	for i := range l.name {
		if l.name[i] == ' ' {
			first, last = l.name[:i], l.name[i+1:]
			break
		}
	}
	body, _ := json.Marshal(map[string]any{
		"hs_object_id": l.key, "firstname": first, "lastname": last, "email": demoEmail(l), "phone": demoPhone(l),
		"company": l.company, "jobtitle": l.title, "hs_analytics_source": l.source, "hubspotscore": l.score,
		"lifecyclestage": "salesqualifiedlead",
	})
	url := d.base + hubspot.Path
	// Signed on this machine's clock, as HubSpot signs on its own: the
	// signature's timestamp is the request's, not the demo week's.
	ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(hubspot.HeaderTimestamp, ts)
	req.Header.Set(hubspot.HeaderSignature, hubspot.SignV3(demoHubSpotSecret, http.MethodPost, url, body, ts))
	resp, err := d.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("POST %s %s answered %s", hubspot.Path, l.key, resp.Status)
	}
	lead, err := d.app.store.LeadByExternalID(ctx, l.key)
	if err != nil {
		return 0, err
	}
	return lead.ID, nil
}

// narrateCRM returns a line for each webhook about the lead from HubSpot
// the CRM received since the last call (the others are only counted).
func (d *demo) narrateCRM() []string {
	var lines []string
	for _, h := range d.crm.news() {
		st, ok := d.leads[h.lead]
		if h.lead != demoFromHubSpot || !ok {
			continue
		}
		actor := h.actor
		if i := strings.IndexByte(actor, ':'); i >= 0 {
			actor = actor[i+1:] // "slack:U…" names the platform too
		}
		lines = append(lines, fmt.Sprintf("→ HubSpot learns by webhook: %s %s (%s) by %s, signature verified", h.typ, st.company, h.stage, d.mention(actor)))
	}
	return lines
}
