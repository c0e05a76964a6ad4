// What the demo's people do: leads posted to the intake API, and clicks,
// forms and commands sent to the server as signed Slack requests.

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	slackbot "github.com/handoff/handoff/bot/slack"
	"github.com/handoff/handoff/bot/slack/slacktest"
)

// postLead sends a lead of the script as it arrives: from HubSpot's
// webhook, Salesforce's Outbound Message, the website's form, marketing
// automation (an SQL with its own score, or a lead scored by its page
// views), or again as an SQL.
func (d *demo) postLead(ctx context.Context, l demoLead) error {
	switch {
	case l.again:
		return d.postAgain(ctx, l)
	case l.form:
		return d.postFromForm(ctx, l)
	case l.salesforce:
		return d.postFromSalesforce(ctx, l)
	case l.hubspot:
		lead, err := d.postFromHubSpot(ctx, l)
		if err != nil {
			return err
		}
		// The line names the source as Handoff keeps it, HubSpot's label
		// for the internal value its webhook sent.
		shown := l
		shown.source = fmt.Sprintf("%s (sent as %s)", lead.Source, l.source)
		if err := d.posted(ctx, l, lead.ID, d.newSQLLine(shown, " from HubSpot (signed workflow webhook)")); err != nil {
			return err
		}
		return d.datedByHubSpot(ctx, l, lead.ID)
	}
	lead := map[string]any{
		"external_id": l.key, "company": l.company, "name": l.name, "title": l.title,
		"email": demoEmail(l), "phone": demoPhone(l), "source": l.source, "campaign": l.campaign,
	}
	if l.visits == nil { // marketing automation sends an SQL with its own score
		lead["stage"], lead["score"] = "sql", l.score
	}
	var got struct {
		ID    int64  `json:"id"`
		Stage string `json:"stage"`
		Score int    `json:"score"`
	}
	if err := d.api(ctx, "/api/leads", lead, http.StatusCreated, &got); err != nil {
		return err
	}
	if l.visits != nil {
		if err := d.scoreLead(ctx, l, got.Score); err != nil {
			return err
		}
		return d.posted(ctx, l, got.ID, "")
	}
	return d.posted(ctx, l, got.ID, d.newSQLLine(l, ""))
}

// newSQLLine is the line that tells an SQL from marketing with its score
// arrived (from where, when not the API), with its source and campaign as
// sent (a lead from HubSpot has none: its webhook brings no campaign).
func (d *demo) newSQLLine(l demoLead, from string) string {
	return fmt.Sprintf("📥 New SQL%s: %s, %s (%s) · %s · marketing's score %d", from, l.company, l.name, l.title, sourceCampaign(l), l.score)
}

// sourceCampaign is "source / campaign" as a lead was sent, or its source
// alone when it was sent without a campaign.
func sourceCampaign(l demoLead) string {
	if l.campaign == "" {
		return l.source
	}
	return l.source + " / " + l.campaign
}

// postAgain sends marketing's SQL for a lead the script posted before and
// sales returned: the API answers 200 (a known lead), a new card is posted,
// the first card says that the lead came back, and the lead's SLA clock
// starts again, while the cycle that ended stays in the SLA figures.
func (d *demo) postAgain(ctx context.Context, l demoLead) error {
	st := d.leads[l.key]
	if st == nil {
		return fmt.Errorf("%s comes back as an SQL before it arrived", l.key)
	}
	before, err := d.app.store.Lead(ctx, st.id)
	if err != nil {
		return err
	}
	var got struct {
		ID         int64      `json:"id"`
		Stage      string     `json:"stage"`
		ClaimDueAt *time.Time `json:"claim_due_at"`
	}
	lead := map[string]any{"external_id": l.key, "stage": "sql", "score": l.score, "campaign": l.campaign}
	if err := d.api(ctx, "/api/leads", lead, http.StatusOK, &got); err != nil {
		return fmt.Errorf("%s back as an SQL: %w", l.key, err)
	}
	if got.Stage != string(handoff.StageSQL) || got.ClaimDueAt == nil {
		return fmt.Errorf("%s back as an SQL is %s, claim due %v", l.key, got.Stage, got.ClaimDueAt)
	}
	first := st.ts // its card of the SQL that sales returned
	if err := d.posted(ctx, l, got.ID, fmt.Sprintf("🔁 SQL again: %s, %s (%s), %s by sales (%q), is sent back by marketing · %s · marketing's score %d",
		l.company, l.name, l.title, before.Stage, before.Reason, sourceCampaign(l), l.score)); err != nil {
		return err
	}
	d.printf("%18s→ POST /api/leads answers 200, not 201: a known lead, updated; a new card with Claim reaches %s\n", "", demoChannelNames[demoSales])
	if lines := strings.Join(d.cardLines(first), "\n"); !strings.Contains(lines, "Came back as an SQL") ||
		!strings.Contains(lines, "see its new card in the sales channel") || strings.Contains(lines, "✋ Claim") {
		return fmt.Errorf("%s back as an SQL: its first card reads %q; want it to say that the lead came back and to see its new card, without Claim", l.key, lines)
	}
	d.printf("%18s→ its first card now reads %s, saying to see its new card, with no Claim\n", "", d.cardHead(first))
	if before.ContactDueAt != nil {
		outcome, _ := handoff.SettleSLA(before.ContactDueAt, before.ContactedAt, d.clock.Now())
		cycle := "its first SQL cycle stays in the SLA figures (/sla, the digest)"
		if before.ClaimedAt != nil {
			cycle += fmt.Sprintf(": claimed by %s %s", d.mention(before.Owner.UserID), d.when(*before.ClaimedAt))
		}
		if before.ContactedAt != nil {
			cycle += ", contacted " + d.when(*before.ContactedAt)
		}
		switch outcome {
		case handoff.SLAMet:
			cycle += ", the deadline met"
		case handoff.SLABreached:
			cycle += ", the deadline missed"
		}
		d.printf("%18s→ %s\n", "", cycle)
	}
	d.printf("%18s→ the new cycle runs on a fresh SLA clock: claim by %s\n", "", d.when(*got.ClaimDueAt))
	d.again = append(d.again, l.company)
	return nil
}

// posted records a lead that arrived, printing line (when not empty) once
// its card is in the sales channel. A lead that comes back as an SQL keeps
// its place and takes its new card.
func (d *demo) posted(ctx context.Context, l demoLead, id int64, line string) error {
	var retried []string
	if d.lostFrom >= 0 {
		var err error
		if retried, err = d.retryLostAnswer(ctx, id); err != nil {
			return err
		}
	}
	if err := d.settle(ctx); err != nil {
		return err
	}
	posts, err := d.app.store.ChatPosts(ctx, id)
	if err != nil {
		return err
	}
	st := &demoLeadState{demoLead: l, id: id}
	if prev := d.leads[l.key]; prev != nil {
		st = prev
		st.ts = ""
	}
	for _, p := range posts {
		if p.Platform == slackbot.Name {
			st.ts = p.MessageID
		}
	}
	if st.ts == "" {
		refusal, err := d.cardGivenUp(ctx, id)
		if err != nil {
			return fmt.Errorf("lead %s was not posted to the sales channel: %w", l.key, err)
		}
		retried = append(retried, refusal...)
		d.refused = append(d.refused, st)
	}
	if d.leads[l.key] == nil {
		d.leads[l.key] = st
		d.order = append(d.order, l.key)
	}
	if line != "" {
		d.printf("%s  %s\n", d.when(d.clock.Now()), line)
	}
	for _, line := range retried {
		d.printf("%18s%s\n", "", line)
	}
	return nil
}

// scoreLead posts a website lead's page views; the agreement's scoring
// makes it an SQL, and the demo prints the score's explanation.
func (d *demo) scoreLead(ctx context.Context, l demoLead, arrived int) error {
	now := d.clock.Now()
	d.printf("%s  🌐 New lead from the website: %s, %s (%s) · score %d, below mql_at\n", d.when(now), l.company, l.name, l.title, arrived)
	var views []map[string]any
	for i, u := range l.visits {
		views = append(views, map[string]any{"id": fmt.Sprintf("%s-pv-%d", l.key, i), "type": "page_view", "url": u,
			"occurred_at": now.Add(time.Duration(i-len(l.visits)) * time.Minute).UTC().Format(time.RFC3339)})
	}
	var got struct {
		Lead struct {
			Stage          string                  `json:"stage"`
			ScoreExplained *handoff.ScoreExplained `json:"score_explained"`
		} `json:"lead"`
	}
	if err := d.api(ctx, "/api/leads/"+l.key+"/activities", views, http.StatusOK, &got); err != nil {
		return err
	}
	e := got.Lead.ScoreExplained
	if e == nil || got.Lead.Stage != string(handoff.StageSQL) {
		return fmt.Errorf("%s was not scored into an SQL: %+v", l.key, got.Lead)
	}
	d.printf("%s  📈 %d page views later the agreement's scoring makes it an SQL: score %d (sql_at %d)\n", d.when(now), len(l.visits), e.Score, d.policy.Scoring.SQLAt)
	for _, line := range e.Lines {
		d.printf("%18s%-52s %+4d  %s\n", "", line.Rule, line.Points, line.Matched)
	}
	return nil
}

// api posts body as JSON to the server's path with the demo's write token
// and decodes the answer into out, expecting status want.
func (d *demo) api(ctx context.Context, path string, body any, want int, out any) error {
	raw, err := d.request(ctx, http.MethodPost, path, demoAPIToken, body, want)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, out)
}

// request sends method to the server's path with token, body as JSON
// unless nil, and returns the answer's body (JSON on one line), expecting
// status want.
func (d *demo) request(ctx context.Context, method, path, token string, body any, want int) ([]byte, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, d.base+path, r)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := d.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var compact bytes.Buffer // one line, to print
	if json.Compact(&compact, raw) == nil {
		raw = compact.Bytes()
	}
	if resp.StatusCode != want {
		return nil, fmt.Errorf("%s %s answered %s: %s", method, path, resp.Status, bytes.TrimSpace(raw))
	}
	return bytes.TrimSpace(raw), nil
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

// demoPhone makes a Danish phone number of the digits ending a lead's key.
func demoPhone(l demoLead) string {
	n, _ := strconv.Atoi(l.key[strings.LastIndexByte(l.key, '-')+1:])
	return fmt.Sprintf("+45 %02d %02d %02d %02d", 20+n%70, n%97, (n*7)%100, (n*13)%100)
}

// do performs one step of the script.
func (d *demo) do(ctx context.Context, s demoStep) error {
	switch s.act {
	case actWait:
		d.printf("%s  ☕ %s\n", d.when(d.clock.Now()), s.reason)
		return nil
	case actLoseAnswer:
		d.slack.LoseNextAnswers("chat.postMessage", 1)
		d.lostFrom = len(d.slack.Calls(""))
		return nil
	case actRemoveBot:
		d.slack.RemoveBot(demoSales)
		d.printf("%s  🚪 %s\n", d.when(d.clock.Now()), s.reason)
		return d.botRemoved(ctx)
	case actInviteBot:
		return d.inviteBot(ctx, s.reason)
	case actVisitSales:
		return d.visitSales(ctx, s.reason)
	}
	l := d.leads[s.lead]
	if l == nil {
		return fmt.Errorf("step %s on %s before the lead arrived", s.act, s.lead)
	}
	switch s.act {
	case actErase:
		return d.erase(ctx, l, s.reason)
	case actMerge:
		return d.mergeInHubSpot(ctx, l, d.leads[s.into], s.reason)
	case actHubSpotDelete:
		return d.deleteInHubSpot(ctx, l, s.reason)
	case actHubSpotRestore:
		return d.restoreInHubSpot(ctx, l, s.reason)
	case actHubSpotErase:
		return d.eraseInHubSpot(ctx, l, s.reason)
	case actHubSpotStage:
		return d.stageInHubSpot(ctx, l, s.day, s.stage, s.since, s.reason)
	case actSalesforceStatus:
		return d.statusInSalesforce(ctx, l, s.status, s.reason)
	case actSalesforceRetry:
		return d.retryInSalesforce(ctx, l, s.day, s.status, s.since, s.reason)
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
	if lead.ErasedAt != nil {
		return d.doErased(ctx, s, l, lead, rep, user)
	}
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
		return d.form(ctx, user, bot.ActionLost, l, map[string]string{"select:reason": s.code, "note": s.reason})
	case actRecycle:
		d.printf("%s  ♻️  %s recycles %s back to marketing: %q\n", now, rep, l.company, s.reason)
		return d.form(ctx, user, bot.ActionRecycle, l, map[string]string{"select:reason": s.code, "note": s.reason})
	case actNotAFit:
		d.printf("%s  ↩️  %s returns %s to marketing as not a fit: %q\n", now, rep, l.company, s.reason)
		if err := d.form(ctx, user, bot.ActionNotAFit, l, map[string]string{"select:reason": s.code, "note": s.reason}); err != nil {
			return err
		}
		return d.noteReleased(ctx, l, lead)
	}
	return fmt.Errorf("unknown step %q", s.act)
}

// noteReleased says when a lead returned before contact (before is the
// lead as it was) is no longer held to its contact deadline.
func (d *demo) noteReleased(ctx context.Context, l *demoLeadState, before *handoff.Lead) error {
	after, err := d.app.store.Lead(ctx, l.id)
	if err != nil {
		return err
	}
	if before.ContactDueAt != nil && after.ContactDueAt == nil {
		d.printf("%18s→ returned before contact and before its deadline (%s): the SLA figures no longer count it\n", "",
			bot.Clock(*before.ContactDueAt, d.clock.Now(), d.policy))
	}
	return nil
}

// send posts a body to a Slack endpoint of the server, signed as Slack
// signs it (with the real time: the signature must be fresh), and returns
// the answer's body.
func (d *demo) send(ctx context.Context, path, body string) ([]byte, error) {
	req := slacktest.SignedRequest(d.base+path, demoSecret, time.Now(), body)
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
	body := slacktest.ClickPayload(user, demoSales, l.ts, action, strconv.FormatInt(l.id, 10), d.slack.ResponseURL(user))
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
	answer, err := d.send(ctx, "/slack/interactions", slacktest.SubmitPayload(user, callback, state, answers))
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
// and returns the answer.
func (d *demo) askFunnel(ctx context.Context) (slacktest.Message, error) {
	return d.ask(ctx, demoMarketer.ID, demoAskedIn, "/funnel", "month")
}

// ask sends a signed slash command from user in channel and returns the
// answer: the acknowledgement's, or the one that follows through
// response_url when the acknowledgement says it is working on it.
func (d *demo) ask(ctx context.Context, user, channel, command, text string) (slacktest.Message, error) {
	responseID := strings.TrimPrefix(command, "/") + " " + text
	body := slacktest.CommandBody(user, channel, command, text, d.slack.ResponseURL(responseID))
	raw, err := d.send(ctx, "/slack/commands", body)
	if err != nil {
		return slacktest.Message{}, err
	}
	var ack struct {
		Text   string          `json:"text"`
		Blocks json.RawMessage `json:"blocks"`
	}
	msg := slacktest.Message{Text: strings.TrimSpace(string(raw))}
	if json.Unmarshal(raw, &ack) == nil {
		msg = slacktest.Message{Text: ack.Text, Blocks: slacktest.DecodeBlocks(string(ack.Blocks))}
	}
	working := len(raw) == 0 || strings.Contains(msg.Text, "Working on")
	deadline := time.Now().Add(d.waits.answer)
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
