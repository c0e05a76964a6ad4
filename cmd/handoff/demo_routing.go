package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/slack/slacktest"
)

// demoRouting is the agreement section of the routing scene: each new SQL
// is offered to Mette, then Jonas, before it opens to the channel.
const demoRouting = `routing:
  mode: round_robin
  offer_for: 15m
  offer_rounds: 2
  reps:
    - slack: UMETTE1
    - slack: UJONAS1
`

// demoRoutedLead is the one lead of the routing scene.
var demoRoutedLead = demoLead{key: "hs-4201", company: "Kalundborg Kemi A/S", name: "Tine Vestergaard", title: "Produktionschef",
	source: "web", campaign: "Demo request", score: 87, day: 0, at: "09:00"}

// runRoutingScene plays the routing scene on a fresh server whose
// agreement routes by round robin: an offer, a pass with a reason, an offer
// that runs out, the lead open to the channel, a claim, /leads why, and a
// second lead whose offer is accepted.
func runRoutingScene(ctx context.Context, dir string, logs *lockedBuffer, out io.Writer, waits demoWaits) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	d, stop, err := startDemo(ctx, dir, logs, time.Now(), out, false, demoRouting, waits)
	if err != nil {
		return err
	}
	err = d.routingScene(ctx)
	if serr := stop(); err == nil && serr != nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("routing scene: %w", err)
	}
	return nil
}

func (d *demo) routingScene(ctx context.Context) error {
	fmt.Fprintf(d.out, "\n═══ Routing: the same Monday with routing: {mode: round_robin, offer_for: 15m, offer_rounds: 2, reps: [Mette, Jonas]} ═══\n\n")
	l := demoRoutedLead
	if err := d.advanceTo(ctx, d.at(l.day, l.at)); err != nil {
		return err
	}
	if err := d.postLead(ctx, l); err != nil {
		return err
	}
	st := d.leads[l.key]
	if err := d.showOffer(st, "Mette"); err != nil {
		return err
	}

	if err := d.advanceTo(ctx, d.at(0, "09:04")); err != nil {
		return err
	}
	const reason = "I'm in Aarhus with a customer all day"
	d.printf("%s  🙅 Mette clicks Pass: %q\n", d.when(d.clock.Now()), reason)
	if err := d.form(ctx, d.ids["Mette"], bot.ActionPass, st, map[string]string{"reason": reason}); err != nil {
		return err
	}
	if err := d.settle(ctx); err != nil {
		return err
	}
	if err := d.showOffer(st, "Jonas"); err != nil {
		return err
	}

	d.printf("%s  ⌛ Jonas does not answer; the demo's clock moves on 16 minutes\n", d.when(d.clock.Now()))
	if err := d.advanceTo(ctx, d.clock.Now().Add(16*time.Minute)); err != nil {
		return err
	}
	d.printf("%s  📣 After two offers the lead is open to the whole channel:\n", d.when(d.clock.Now()))
	d.card(d.channelCard(st), "")

	if err := d.advanceTo(ctx, d.clock.Now().Add(3*time.Minute)); err != nil {
		return err
	}
	d.printf("%s  ✋ Sofie claims it\n", d.when(d.clock.Now()))
	if err := d.click(ctx, d.ids["Sofie"], bot.ActionClaim, st); err != nil {
		return err
	}
	if err := d.settle(ctx); err != nil {
		return err
	}
	d.card(d.channelCard(st), "")

	why, err := d.ask(ctx, d.ids["Sofie"], demoSales, "/leads", "why "+l.key)
	if err != nil {
		return err
	}
	d.printf("%s  ❓ Sofie asks /leads why %s (only she sees the answer):\n", d.when(d.clock.Now()), l.key)
	d.card(why, "")
	return d.acceptScene(ctx)
}

// demoAcceptedLead is the routing scene's second lead, which the offered
// rep accepts.
var demoAcceptedLead = demoLead{key: "hs-4202", company: "Vejle Værktøj ApS", name: "Kasper Holm", title: "Indkøbschef",
	source: "web", campaign: "Demo request", score: 91, day: 0, at: "09:40"}

// acceptScene plays a second lead of the routing scene: offered to a rep,
// who clicks Accept in the DM; the DM and the channel card then show whose
// it is.
func (d *demo) acceptScene(ctx context.Context) error {
	l := demoAcceptedLead
	if err := d.advanceTo(ctx, d.at(l.day, l.at)); err != nil {
		return err
	}
	if err := d.postLead(ctx, l); err != nil {
		return err
	}
	st := d.leads[l.key]
	lead, err := d.app.store.Lead(ctx, st.id)
	if err != nil {
		return err
	}
	if !lead.Offer.Offered() {
		return fmt.Errorf("%s: not offered to a rep (%+v)", l.company, lead.Offer)
	}
	rep := d.names[lead.Offer.Rep.ID]
	if err := d.showOffer(st, rep); err != nil {
		return err
	}

	if err := d.advanceTo(ctx, d.clock.Now().Add(2*time.Minute)); err != nil {
		return err
	}
	dm := "D" + d.ids[rep]
	offer := d.slack.Messages(dm)
	offerTS := offer[len(offer)-1].TS
	d.printf("%s  ✅ %s clicks Accept in the DM\n", d.when(d.clock.Now()), rep)
	body := slacktest.ClickPayload(d.ids[rep], dm, offerTS, bot.ActionAccept, strconv.FormatInt(st.id, 10), d.slack.ResponseURL(d.ids[rep]))
	if _, err := d.send(ctx, "/slack/interactions", body); err != nil {
		return err
	}
	if err := d.settle(ctx); err != nil {
		return err
	}
	for _, m := range d.slack.Messages(dm) {
		if m.TS == offerTS {
			d.printf("   %s's offer DM becomes:\n", rep)
			d.card(m, "")
		}
	}
	d.printf("   and the card in %s:\n", demoChannelNames[demoSales])
	d.card(d.channelCard(st), "")
	return nil
}

// showOffer prints the offer DM rep got and the channel card.
func (d *demo) showOffer(st *demoLeadState, rep string) error {
	dms := d.slack.Messages("D" + d.ids[rep])
	if len(dms) == 0 {
		return fmt.Errorf("%s: no offer DM reached %s", st.company, rep)
	}
	d.printf("%s  📨 Offered to %s: the DM %s gets\n", d.when(d.clock.Now()), rep, rep)
	d.card(dms[len(dms)-1], "")
	d.printf("   and the card in %s:\n", demoChannelNames[demoSales])
	d.card(d.channelCard(st), "")
	return nil
}

// channelCard is the sales channel's message for the lead.
func (d *demo) channelCard(st *demoLeadState) slacktest.Message {
	for _, m := range d.slack.Messages(demoSales) {
		if m.TS == st.ts {
			return m
		}
	}
	return slacktest.Message{Text: "(no card for " + strings.TrimSpace(st.company) + ")"}
}
