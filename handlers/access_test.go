package handlers_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/report"
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/bot/teams"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestSlackWhoSeesWhat: a full member of the workspace outside the sales
// channel (UMKT, marketing) gets /funnel and the /sla totals, but no lead
// list, no history and no claim; a manager outside the channel sees all.
func TestSlackWhoSeesWhat(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		r := newSlackRig(t, s, &report.Reports{Store: s, Policy: handoff.DefaultPolicy()})
		l := r.announced(t, "who")
		command := func(user, name, text string) string {
			t.Helper()
			status, ack := r.send(t, "/slack/commands", signingSecret, time.Now(), slacktest.CommandBody(user, "CMKT", name, text, r.slack.ResponseURL(user)))
			if status != http.StatusOK {
				t.Fatalf("%s %s by %s: %d %s", name, text, user, status, ack)
			}
			return ack
		}
		for _, text := range []string{"open", "", "who"} {
			if ack := command("UMKT", "/leads", text); !strings.Contains(ack, "only for members of the sales channel") || strings.Contains(ack, "Co who") {
				t.Errorf("/leads %s by marketing = %s, want a polite refusal", text, ack)
			}
		}
		if ack := command("UMKT", "/funnel", "month"); !strings.Contains(ack, "Funnel") {
			t.Errorf("/funnel month by marketing = %s", ack)
		}
		if ack := command("UMKT", "/sla", ""); !strings.Contains(ack, "Unclaimed") || strings.Contains(ack, "Co who") {
			t.Errorf("/sla by marketing = %s, want the totals without the lead", ack)
		}
		if ack := command("UREP", "/leads", "open"); !strings.Contains(ack, "Co who") {
			t.Errorf("/leads open by a rep = %s, want the lead", ack)
		}
		if ack := command("UBOSS", "/leads", "who"); !strings.Contains(ack, "Co who") {
			t.Errorf("/leads who by a manager outside the channel = %s, want the history", ack)
		}
		if status, body := r.click(t, "UMKT", bot.ActionClaim, l.ID); status != http.StatusOK {
			t.Fatalf("click: %d %s", status, body)
		}
		r.drain(t)
		if got := r.lead(t, l.ID); !got.Owner.IsZero() {
			t.Fatalf("marketing claimed the lead: %+v", got.Owner)
		}
		if told := ephemeralsTo(r.slack.Calls("chat.postEphemeral"), "UMKT"); len(told) != 1 || !strings.Contains(told[0], "only for members of the sales channel") {
			t.Fatalf("private answers to marketing = %q", told)
		}
		if dms := r.slack.Calls("conversations.open"); len(dms) != 0 {
			t.Fatalf("a DM (with contact details) was opened: %+v", dms)
		}
	})
}

// TestTeamsWhoSeesWhat: in Teams, a tenant user outside the sales
// channel's team cannot open a lead's card by its id or list leads, but
// gets the funnel; a member of the team can.
func TestTeamsWhoSeesWhat(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		e := newTeamsEnv(t, s, &report.Reports{Store: s, Policy: handoff.DefaultPolicy()})
		e.install()
		e.bf.SetMembers(teamID, ritaID)
		id := e.newSQL("who")
		show := map[string]any{"action": teams.VerbShowCard, "value": fmt.Sprint(id)}
		if res := e.invoke(bobID, "Bob", show); res.StatusCode != 403 || strings.Contains(res.raw, "Acme who") {
			t.Fatalf("card by id for an outsider = %s, want 403 without the lead", res.raw)
		}
		if res := e.invoke(ritaID, "Rita", show); res.StatusCode != 200 || !strings.Contains(res.raw, "Acme who") {
			t.Fatalf("card by id for a team member = %s", res.raw)
		}
		// A lead button clicked by an outsider (a card they should never
		// have seen, or data they wrote themselves) is refused without the
		// lead's card in the answer, whichever way Teams delivers it.
		clicks := []map[string]any{
			{"action": teams.VerbFormSubmit, "form": bot.ActionNotAFit, "state": fmt.Sprintf(`{"lead":%d}`, id), "value": fmt.Sprint(id), "in_reason": "spam"},
		}
		for _, action := range []string{bot.ActionClaim, bot.ActionLogContact, bot.ActionRelease, bot.ActionWon} {
			clicks = append(clicks, map[string]any{"action": action, "value": fmt.Sprint(id)})
		}
		for _, data := range clicks {
			if res := e.invoke(bobID, "Bob", data); res.StatusCode != 403 || strings.Contains(res.raw, "Acme who") {
				t.Errorf("%v by an outsider answered %s, want 403 without the lead", data, res.raw)
			}
		}
		if l := e.lead(id); !l.Owner.IsZero() {
			t.Fatalf("an outsider's click changed the lead: %+v", l.Owner)
		}
		say := func(user, text string) string { return e.say(user, "Someone", "a:"+user, text) }
		if got := say(bobID, "leads open"); !strings.Contains(got, "only for members of the sales channel") || strings.Contains(got, "Acme who") {
			t.Errorf("leads open by an outsider = %s", got)
		}
		if got := say(bobID, "funnel month"); !strings.Contains(got, "Funnel") {
			t.Errorf("funnel month by an outsider = %s", got)
		}
		if got := say(ritaID, "leads open"); !strings.Contains(got, "Acme who") {
			t.Errorf("leads open by a team member = %s", got)
		}
	})
}

// TestSlackCommandsLimitedPerUser: signed slash commands of one user beyond
// the burst are refused privately without running the report; another
// user is still answered.
func TestSlackCommandsLimitedPerUser(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		reports := &countingAnswerer{}
		r := newSlackRig(t, s, bot.NewCommandLimit(reports))
		ask := func(user string) string {
			t.Helper()
			status, ack := r.send(t, "/slack/commands", signingSecret, time.Now(), slacktest.CommandBody(user, salesChannel, "/funnel", "year", r.slack.ResponseURL(user)))
			if status != http.StatusOK {
				t.Fatalf("/funnel by %s: %d %s", user, status, ack)
			}
			return ack
		}
		for range bot.DefaultCommandBurst {
			if ack := ask("UREP"); !strings.Contains(ack, "the report") {
				t.Fatalf("within the burst: %s", ack)
			}
		}
		if ack := ask("UREP"); !strings.Contains(ack, "faster than I can answer") || !strings.Contains(ack, `"ephemeral"`) {
			t.Fatalf("over the burst: %s, want a private refusal", ack)
		}
		if ack := ask("UOWNER"); !strings.Contains(ack, "the report") {
			t.Fatalf("another user: %s", ack)
		}
		if reports.n != bot.DefaultCommandBurst+1 {
			t.Fatalf("reports run = %d, want %d", reports.n, bot.DefaultCommandBurst+1)
		}
	})
}
