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

func (d *demo) postLead(ctx context.Context, l demoLead) error {
	if l.key == demoFromHubSpot && l.visits == nil {
		id, err := d.postFromHubSpot(ctx, l)
		if err != nil {
			return err
		}
		return d.posted(ctx, l, id, " from HubSpot (signed workflow webhook)")
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
	}
	return d.posted(ctx, l, got.ID, "")
}

// posted records a lead that arrived (from where, when not the API) once
// its card is in the sales channel.
func (d *demo) posted(ctx context.Context, l demoLead, id int64, from string) error {
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
	d.leads[l.key] = st
	d.order = append(d.order, l.key)
	if l.visits == nil {
		d.printf("%s  📥 New SQL%s: %s, %s (%s) · %s / %s · marketing's score %d\n", d.when(d.clock.Now()), from, l.company, l.name, l.title, l.source, l.campaign, l.score)
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

// api posts body as JSON to the server's path and decodes the answer into
// out, expecting status want.
func (d *demo) api(ctx context.Context, path string, body any, want int, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.base+path, bytes.NewReader(b))
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
	if resp.StatusCode != want {
		return fmt.Errorf("POST %s answered %s", path, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(out)
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
