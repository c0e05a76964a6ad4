package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/report"
	slackbot "github.com/handoff/handoff/bot/slack"
	"github.com/handoff/handoff/bot/teams"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// hostile is a lead as a web form can send it: every field tries to become
// a mention, a link or formatting in chat.
var hostile = map[string]any{
	"external_id": "hostile-1",
	"name":        "<!channel> *Ann* _Berg_",
	"company":     "[Open in CRM](https://x)",
	"title":       "~CEO~ `rm -rf`",
	"email":       "ann_berg@acme.dk",
	"source":      "<@U0BOSS>",
	"campaign":    "<https://evil.example|Q4>",
}

// live lists what must never appear in text a platform parses (Slack
// mrkdwn, Teams markdown): the hostile data as markup it would act on.
// Teams markdown takes a backslash escape, so escaped pairs are removed
// before looking.
var live = map[string][]string{
	"slack": {"<!channel>", "<https://evil.example|", "<@U0BOSS>", "*Ann*", "_Berg_", "~CEO~", "`rm"},
	"teams": {"[Open in CRM](https://x)", "*Ann*", "_Berg_", "~CEO~", "`rm"},
}

// markupTexts returns the strings of a rendered message that its platform
// reads as markup: Slack's mrkdwn text objects, Teams' TextBlocks and facts.
func markupTexts(t *testing.T, v any) []string {
	t.Helper()
	var out []string
	for _, n := range jsonNodes(t, v) {
		n, ok := n.(map[string]any)
		if !ok {
			continue
		}
		if n["type"] == "mrkdwn" || n["type"] == "TextBlock" {
			out = append(out, fmt.Sprint(n["text"]))
		}
		if title, ok := n["title"].(string); ok {
			if value, ok := n["value"].(string); ok {
				out = append(out, title, value) // a Teams fact
			}
		}
	}
	return out
}

var backslashPair = regexp.MustCompile(`\\.`)

// storedLead stores the lead raw describes, as the API takes it, and returns
// its id and a function that reads it as it is now.
func storedLead(t *testing.T, s *storage.Store, raw map[string]any) (int64, func() *handoff.Lead) {
	t.Helper()
	ctx := context.Background()
	in, err := handoff.ParseLeadInput(raw, t0)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.SaveLead(ctx, in, handoff.DefaultPolicy(), t0, handoff.ActorAPI)
	if err != nil {
		t.Fatal(err)
	}
	return res.Lead.ID, func() *handoff.Lead {
		l, err := s.Lead(ctx, res.Lead.ID)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
}

// TestEveryMessageEscapesData builds every message that shows lead data
// (the cards of each stage, the owner's DM, reminder, escalation, history,
// lists, SLA report, digest and the forms' previews) for a lead whose
// every field is hostile, with a hostile reason, and renders each for Slack
// and Teams: no mention, link or formatting comes from the data, while the
// text is still there to read.
func TestEveryMessageEscapesData(t *testing.T) {
	s := storagetest.Open(t, storage.DialectSQLite)
	ctx := context.Background()
	b := newBot(s)
	p := handoff.DefaultPolicy()
	id, lead := storedLead(t, s, hostile)
	msgs := map[string]bot.Message{}
	forms := map[string]bot.Form{}
	now := t0.Add(3 * 24 * time.Hour)
	msgs["new"] = bot.LeadCard(lead(), now, p)
	for _, action := range []string{bot.ActionNotAFit} {
		r, err := b.Act(ctx, actor("UOWN"), action, fmt.Sprint(id))
		if err != nil || r.Form == nil {
			t.Fatalf("%s: form %+v, %v", action, r.Form, err)
		}
		forms[action] = *r.Form
	}
	if err := b.Claim(ctx, actor("UOWN"), id); err != nil {
		t.Fatal(err)
	}
	msgs["claimed"] = bot.LeadCard(lead(), now, p)
	msgs["owner_dm"] = bot.OwnerDM(lead(), now, p)
	msgs["reminder"] = bot.ReminderCard(lead(), now, p)
	msgs["escalation"] = bot.EscalationCard(lead(), handoff.SLANotice{Action: handoff.SLAEscalateContact, Due: t0, At: now}, now, p)
	for _, action := range []string{bot.ActionWon, bot.ActionLost, bot.ActionRecycle, bot.ActionReassign} {
		r, err := b.Act(ctx, actor("UBOSS"), action, fmt.Sprint(id))
		if err != nil || r.Form == nil {
			t.Fatalf("%s: form %+v, %v", action, r.Form, err)
		}
		forms[action] = *r.Form
	}
	if _, err := b.Recycle(ctx, actor("UOWN"), id, "<https://evil.example|Signed contract.pdf> *now*"); err != nil {
		t.Fatal(err)
	}
	l := lead()
	msgs["recycled"] = bot.LeadCard(l, now, p)
	events, err := s.Events(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	msgs["history"] = report.HistoryMessage(l, events, now, p)
	msgs["leads"] = report.LeadsMessage("Open leads", []*handoff.Lead{l}, true, now, p)
	open := handoff.OpenSQLs{Unclaimed: []*handoff.Lead{l}, Waiting: []*handoff.Lead{l}, Breached: []*handoff.Lead{l}}
	msgs["sla"] = report.SLAMessage(open, nil, handoff.Period{Label: "2026-11", Start: t0, End: now}, now, p)
	msgs["digest"] = report.DigestMessage(handoff.Funnel{}, nil, open, nil, nil, now, p)
	// A rep as the agreement may name them in Teams, and routing per rep.
	hostileRep := handoff.RepRef{Platform: "teams", ID: fmt.Sprint(hostile["company"])}
	routed := handoff.FunnelCounts{Routing: handoff.RoutingStats{PerRep: []handoff.RoutingRepStats{{Rep: hostileRep, Offered: 1, Passed: 1}}}}
	routedFunnel := handoff.NewFunnel(handoff.FunnelFilter{Period: handoff.Period{Label: "2026-11", Start: t0, End: now}, Now: now}, routed, p)
	msgs["funnel_routing"] = report.FunnelMessage(routedFunnel, now, p)
	rotation := handoff.Routing{Mode: handoff.RouteRoundRobin, Reps: []handoff.Rep{{Ref: hostileRep, Weight: 1}}}.
		Overview(nil, map[string]int{hostileRep.Key(): 1}, routedFunnel.Period, now, nil)
	msgs["digest_routing"] = report.DigestMessage(routedFunnel, nil, open, nil, &rotation, now, p)

	render := map[string]func(bot.Message) any{
		"slack": func(m bot.Message) any { return slackbot.RenderBlocks(m) },
		"teams": func(m bot.Message) any { return teams.RenderCard(m, nil) },
	}
	renderForm := map[string]func(bot.Form) any{
		"slack": func(f bot.Form) any { return slackbot.RenderModal(f) },
		"teams": func(f bot.Form) any { return teams.RenderForm(f, fmt.Sprint(id), "", nil) },
	}
	for platform, forbidden := range live {
		check := func(name string, v any) {
			texts := markupTexts(t, v)
			if len(texts) == 0 {
				t.Fatalf("%s %s: no markup text found", platform, name)
			}
			all := strings.Join(texts, "\n")
			if platform == "teams" {
				all = backslashPair.ReplaceAllString(all, "")
			}
			for _, f := range forbidden {
				if strings.Contains(all, f) {
					t.Errorf("%s %s shows %q live:\n%s", platform, name, f, all)
				}
			}
		}
		for name, m := range msgs {
			check(name, render[platform](m))
		}
		for name, f := range forms {
			check("form "+name, renderForm[platform](f))
		}
	}
	// The words are all still there to read, on the terminal too.
	plain := report.Render(msgs["recycled"])
	for _, want := range []string{"[Open in CRM](https://x)", "<https://evil.example|Signed contract.pdf> *now*"} {
		if !strings.Contains(plain, want) {
			t.Errorf("terminal rendering lacks %q:\n%s", want, plain)
		}
	}
}

// TestErrorNoticeIsPlainText shows refusals as plain text: a message in
// Message markup loses its markup without double escaping, and raw request
// data in a decoder's message cannot mention anyone.
func TestErrorNoticeIsPlainText(t *testing.T) {
	tests := []struct{ err, want string }{
		{"*" + bot.Escape("Smith & Sons <x>") + "* is already won.", "Smith &amp; Sons &lt;x&gt; is already won."},
		{"Too late: " + bot.MentionOn("teams", "29:x", "rita@acme.dk") + " already claimed *Acme*.", "Too late: rita@acme.dk already claimed Acme."},
		{`bad lead id "<!channel>"`, `bad lead id "&lt;!channel&gt;"`},
		{"I don't know `/frob`.", "I don't know /frob."},
	}
	for _, tc := range tests {
		m := bot.ErrorNotice(handoff.Errorf(handoff.EINVALID, "%s", tc.err))
		texts := markupTexts(t, slackbot.RenderBlocks(m))
		if len(texts) != 1 || texts[0] != tc.want {
			t.Errorf("ErrorNotice(%q) renders %q, want %q", tc.err, texts, tc.want)
		}
	}
}

// bidiControls are the embeddings, overrides and isolates that bot.DropBidi
// drops.
const bidiControls = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"

// TestNoMessageCarriesBidiControls renders the cards, the owner's DM, the
// reminder and a form's preview of a lead whose name, company, title and
// reason hold bidi overrides and isolates (which the intake takes: they
// are not control characters) for Slack and Teams: none reaches the
// platform, so none can reorder the card's own text after the data ("was
// claimed by", the deadline), while the letters are still there.
func TestNoMessageCarriesBidiControls(t *testing.T) {
	s := storagetest.Open(t, storage.DialectSQLite)
	ctx := context.Background()
	b := newBot(s)
	p := handoff.DefaultPolicy()
	id, lead := storedLead(t, s, map[string]any{
		"external_id": "bidi-1", "name": "Ann \u202eBerg", "company": "\u2067Acme\u202b A/S",
		"title": "CEO\u202d\u2066", "source": "web\u2069",
	})
	now := t0.Add(3 * 24 * time.Hour)
	msgs := map[string]bot.Message{"new": bot.LeadCard(lead(), now, p)}
	if err := b.Claim(ctx, actor("UOWN"), id); err != nil {
		t.Fatal(err)
	}
	msgs["claimed"] = bot.LeadCard(lead(), now, p)
	msgs["owner_dm"] = bot.OwnerDM(lead(), now, p)
	msgs["reminder"] = bot.ReminderCard(lead(), now, p)
	r, err := b.Act(ctx, actor("UBOSS"), bot.ActionRecycle, fmt.Sprint(id))
	if err != nil || r.Form == nil {
		t.Fatalf("recycle: form %+v, %v", r.Form, err)
	}
	form := *r.Form
	if _, err := b.Recycle(ctx, actor("UOWN"), id, "no \u202ebudget"); err != nil {
		t.Fatal(err)
	}
	msgs["recycled"] = bot.LeadCard(lead(), now, p)
	rendered := map[string]any{"slack form": slackbot.RenderModal(form), "teams form": teams.RenderForm(form, fmt.Sprint(id), "", nil)}
	for name, m := range msgs {
		rendered["slack "+name] = slackbot.RenderBlocks(m)
		rendered["teams "+name] = teams.RenderCard(m, nil)
	}
	for name, v := range rendered {
		raw, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if i := strings.IndexAny(string(raw), bidiControls); i >= 0 {
			t.Errorf("%s carries the bidi control %+q: …%s…", name, []rune(string(raw[i:]))[0], raw[max(0, i-60):min(len(raw), i+60)])
		}
		if !strings.Contains(string(raw), "Acme A/S") {
			t.Errorf("%s lost the lead's company: %s", name, raw)
		}
	}
}
