// The demo's API tokens of narrow scope and its erasure: the website's
// form posts a lead with an intake token, which is answered a receipt and
// refused a read; a GDPR tool erases a person with its write token, and
// every chat message that showed them is updated. An SQL nobody had claimed
// when its person was erased cannot be claimed: a rep's click on Claim is
// refused, and Not a fit takes it off the list.

package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
)

// The demo's named tokens (HANDOFF_API_TOKENS): the website form's, which
// may only post leads and activities, and the GDPR tool's, which erases.
const (
	demoFormTokenName = "webform"
	demoFormToken     = "demo-webform-token"
	demoGDPRTokenName = "gdpr"
	demoGDPRToken     = "demo-gdpr-token"
)

// postFromForm sends a lead as the website's demo-request form does, with
// its intake token: the lead without a stage or score, then its
// demo_request, which the agreement's scoring makes an SQL. It prints the
// receipts the token is answered, and the 403 of its read of the lead.
func (d *demo) postFromForm(ctx context.Context, l demoLead) error {
	now := d.clock.Now()
	d.printf("%s  📝 New lead from the website's demo-request form: %s, %s (%s) · %s\n", d.when(now), l.company, l.name, l.title, sourceCampaign(l))
	d.printf("%18sthe form posts with its own token, %s (scope intake: it may post leads, and read none)\n", "", demoFormTokenName)
	lead := map[string]any{
		"external_id": l.key, "company": l.company, "name": l.name, "title": l.title,
		"email": demoEmail(l), "phone": demoPhone(l), "source": l.source, "campaign": l.campaign,
	}
	receipt, err := d.request(ctx, http.MethodPost, "/api/leads", demoFormToken, lead, http.StatusAccepted)
	if err != nil {
		return err
	}
	d.printf("%18sPOST /api/leads → 202 %s (the same receipt for a lead Handoff knows: the form learns nothing)\n", "", receipt)
	path := "/api/leads/" + l.key + "/activities"
	activity := map[string]any{"id": l.key + "-demo-request", "type": "demo_request", "occurred_at": now.UTC().Format(time.RFC3339)}
	receipt, err = d.request(ctx, http.MethodPost, path, demoFormToken, activity, http.StatusAccepted)
	if err != nil {
		return err
	}
	d.printf("%18sPOST %s {\"type\":\"demo_request\"} → 202 %s\n", "", path, receipt)
	stored, err := d.app.store.LeadByExternalID(ctx, l.key)
	if err != nil {
		return err
	}
	if stored.Stage != handoff.StageSQL {
		return fmt.Errorf("%s from the form was not scored into an SQL: %s, score %d", l.key, stored.Stage, stored.Score)
	}
	d.printf("%18s→ the agreement's scoring makes it an SQL: score %d (sql_at %d)\n", "", stored.Score, d.policy.Scoring.SQLAt)
	refusal, err := d.request(ctx, http.MethodGet, "/api/leads/"+l.key, demoFormToken, nil, http.StatusForbidden)
	if err != nil {
		return err
	}
	d.printf("%18sGET /api/leads/%s → 403 %s\n", "", l.key, refusal)
	return d.posted(ctx, l, stored.ID, "")
}

// erase is the person's erasure through the API, with the GDPR tool's
// write token: it narrates the access log's line, the chat messages that
// are updated, and the lead's anonymous view, asked by its old id.
func (d *demo) erase(ctx context.Context, l *demoLeadState, reason string) error {
	d.printf("%s  🔒 %s\n", d.when(d.clock.Now()), reason)
	d.printf("%18sthe admin's GDPR tool erases him with its token %s (scope write: only a write token erases)\n", "", demoGDPRTokenName)
	calls, logged := len(d.slack.Calls("")), len(d.logs.lines())
	path := "/api/leads/" + l.key
	if _, err := d.request(ctx, http.MethodDelete, path, demoGDPRToken, nil, http.StatusNoContent); err != nil {
		return err
	}
	d.printf("%18sDELETE %s → 204\n", "", path)
	if err := d.settle(ctx); err != nil {
		return err
	}
	access, err := d.accessLine(logged, http.MethodDelete)
	if err != nil {
		return err
	}
	d.printf("%18s→ the server's access log names the route, not him: %s\n", "", access)
	var updated []string
	for _, c := range d.slack.Calls("")[calls:] {
		if c.Method != "chat.update" || c.TS == "" {
			continue
		}
		switch ch := c.Param("channel"); {
		case ch == demoSales:
			updated = append(updated, "the card in "+demoChannelNames[ch]+" shows the anonymous lead")
		case strings.HasPrefix(ch, "D"):
			updated = append(updated, d.mention(strings.TrimPrefix(ch, "D"))+"'s direct message says "+d.plain(c.Param("text")))
		default:
			updated = append(updated, "a message in "+cmp.Or(demoChannelNames[ch], ch))
		}
	}
	if len(updated) == 0 {
		return fmt.Errorf("erase %s: no chat message was updated", l.key)
	}
	d.printf("%18s→ every chat message that showed him is updated: %s\n", "", strings.Join(updated, "; "))
	if err := d.erasedSQLCard(ctx, l); err != nil {
		return err
	}
	raw, err := d.request(ctx, http.MethodGet, path, demoGDPRToken, nil, http.StatusOK)
	if err != nil {
		return err
	}
	var view struct {
		ExternalID string        `json:"external_id"`
		Name       string        `json:"name"`
		Email      string        `json:"email"`
		Company    string        `json:"company"`
		Stage      handoff.Stage `json:"stage"`
		Source     string        `json:"source"`
		History    []struct {
			Kind  handoff.EventKind `json:"kind"`
			Actor string            `json:"actor"`
		} `json:"events"`
	}
	if err := json.Unmarshal(raw, &view); err != nil {
		return err
	}
	if view.Name != "" || view.Email != "" || view.Company != "" || len(view.History) == 0 {
		return fmt.Errorf("GET %s after the erasure answered %s", path, raw)
	}
	last := view.History[len(view.History)-1]
	d.printf("%18sGET %s → 200, the anonymous view: external_id %s, no name, email, phone or company; still %s from %s for the funnel; its history ends %s by %s\n",
		"", path, shortErased(view.ExternalID), view.Stage, view.Source, last.Kind, last.Actor)
	d.erased = append(d.erased, l.company)
	return nil
}

// erasedSQLCard says, of a lead erased while it was an SQL nobody had
// claimed, what its card in the sales channel reads now: that it cannot
// be claimed, with Not a fit alone to take it off the list. It says
// nothing of any other lead.
func (d *demo) erasedSQLCard(ctx context.Context, l *demoLeadState) error {
	lead, err := d.app.store.Lead(ctx, l.id)
	if err != nil {
		return err
	}
	if lead.Stage != handoff.StageSQL || !lead.Owner.IsZero() {
		return nil
	}
	lines := strings.Join(d.cardLines(l.ts), "\n")
	noClaim := d.plain(bot.ErasedNoClaim)
	if !strings.Contains(lines, noClaim) || !strings.Contains(lines, "[Not a fit]") || strings.Contains(lines, "Claim]") {
		return fmt.Errorf("erase %s: the card of the erased SQL reads %q; want it to say it cannot be claimed, with Not a fit alone", l.key, lines)
	}
	d.printf("%18s→ nobody had claimed him: the card reads %s, %q, with Not a fit alone and no Claim\n", "", d.cardHead(l.ts), noClaim)
	return nil
}

// doErased plays a rep's step on lead l after its person was erased (lead
// as the store has it now), naming the lead as Handoff does (bot.LeadTitle),
// never by its company or person: a click on Claim, made on the card as it
// was before the erasure reached Slack, which Handoff refuses privately
// (the notice is narrated after the step), and Not a fit, which takes the
// erased SQL off sales' list. Any other step is an error.
func (d *demo) doErased(ctx context.Context, s demoStep, l *demoLeadState, lead *handoff.Lead, rep, user string) error {
	now, name := d.when(d.clock.Now()), bot.LeadTitle(lead)
	switch s.act {
	case actClaim:
		d.printf("%s  ✋ %s clicks Claim on %s, on its card as Slack showed it before the update\n", now, rep, name)
		if err := d.click(ctx, user, bot.ActionClaim, l); err != nil {
			return err
		}
		after, err := d.app.store.Lead(ctx, l.id)
		if err != nil {
			return err
		}
		if !after.Owner.IsZero() || after.Stage != lead.Stage {
			return fmt.Errorf("the claim of %s, erased, was taken: %s, owner %q", l.key, after.Stage, after.Owner.UserID)
		}
		return nil
	case actNotAFit:
		d.printf("%s  ↩️  %s returns %s to marketing as not a fit: %q\n", now, rep, name, s.reason)
		if err := d.form(ctx, user, bot.ActionNotAFit, l, map[string]string{"select:reason": s.code, "note": s.reason}); err != nil {
			return err
		}
		if err := d.settle(ctx); err != nil {
			return err
		}
		for _, line := range d.cardLines(l.ts) {
			if strings.HasPrefix(line, "[") {
				return fmt.Errorf("not a fit of %s, erased: its card still has buttons: %q", l.key, line)
			}
		}
		d.printf("%18s→ off sales' list: its card reads %s, with no button left\n", "", d.cardHead(l.ts))
		// Its anonymous external id is on no list: the history is asked
		// for by Handoff's id, as the card names it.
		ref := fmt.Sprintf("lead %d", lead.ID)
		history, err := d.ask(ctx, user, demoSales, "/leads", ref)
		if err != nil {
			return err
		}
		d.printf("%s  ❓ %s asks /leads %s (only %s sees the answer):\n", d.when(d.clock.Now()), rep, ref, rep)
		d.card(history, "")
		return nil
	}
	return fmt.Errorf("%s of %s after its erasure: the demo does not play that", s.act, l.key)
}

// shortErased shortens an erased lead's external id (erased- and a hash)
// for printing.
func shortErased(id string) string {
	if len(id) > len("erased-")+8 {
		return id[:len("erased-")+8] + "…"
	}
	return id
}

// accessLine is the server's access log line, after its first seen lines,
// of a request with method, as "METHOD PATH STATUS".
func (d *demo) accessLine(seen int, method string) (string, error) {
	lines := d.logs.lines()
	for _, line := range lines[min(seen, len(lines)):] {
		if !strings.Contains(line, "msg=http ") || !strings.Contains(line, " method="+method+" ") {
			continue
		}
		path, status := logValue(line, "path"), logValue(line, "status")
		return method + " " + path + " " + status, nil
	}
	return "", errors.New("no access log line for the " + method)
}

// logValue is the value of key in a log line of slog's text handler.
func logValue(line, key string) string {
	_, rest, ok := strings.Cut(line, " "+key+"=")
	if !ok {
		return ""
	}
	value, _, _ := strings.Cut(rest, " ")
	return strings.Trim(value, `"`)
}
