package main

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/handoff/handoff/bot/slack/slacktest"
)

// visitSales has the marketer join the sales channel and ask /leads open,
// then leave it and ask again, each move told to Handoff by Slack's
// member_joined_channel and member_left_channel, as Slack would.
func (d *demo) visitSales(ctx context.Context, reason string) error {
	d.printf("%s  👀 %s\n", d.when(d.clock.Now()), reason)
	for i, joined := range []bool{true, false} {
		typ, members := "member_left_channel", []string{}
		for _, r := range demoReps {
			members = append(members, r.ID)
		}
		if joined {
			typ, members = "member_joined_channel", append(members, demoMarketer.ID)
		}
		d.slack.SetMembers(demoSales, members...)
		event := slacktest.ChannelEvent(fmt.Sprintf("EvDemoVisit%d-%d", d.clock.Now().Unix(), i), typ, demoMarketer.ID, demoSales)
		if _, err := d.send(ctx, "/slack/events", event); err != nil {
			return err
		}
		answer, err := d.ask(ctx, demoMarketer.ID, demoAskedIn, "/leads", "open")
		if err != nil {
			return err
		}
		text := d.terminal().Render(answer.Neutral())
		if !joined {
			first, _, _ := strings.Cut(strings.TrimSpace(text), "\n")
			d.printf("%18s→ she leaves; Slack tells Handoff at once, and /leads open answers: %s\n", "", first)
			continue
		}
		m := openLeadsCount.FindStringSubmatch(text)
		if m == nil {
			return fmt.Errorf("/leads open in the sales channel answered %q", text)
		}
		d.printf("%18s→ once she is in, /leads open lists her the %s open leads, their owners and deadlines\n", "", m[1])
		if err := d.nextPage(ctx, text); err != nil {
			return err
		}
	}
	return nil
}

// nextPage asks /leads open 2, which the first page's answer (text)
// names, and says what the two pages show.
func (d *demo) nextPage(ctx context.Context, text string) error {
	first := leadsShowing.FindStringSubmatch(text)
	if first == nil || !strings.Contains(text, "/leads open 2") {
		return fmt.Errorf("/leads open names no second page: %q", text)
	}
	answer, err := d.ask(ctx, demoMarketer.ID, demoAskedIn, "/leads", "open 2")
	if err != nil {
		return err
	}
	next := leadsShowing.FindStringSubmatch(d.terminal().Render(answer.Neutral()))
	if next == nil {
		return fmt.Errorf("/leads open 2 answered %q", d.terminal().Render(answer.Neutral()))
	}
	d.printf("%18s→ the first page shows %s–%s, most urgent first, and names the next; /leads open 2 shows her %s–%s of %s\n", "",
		first[1], first[2], next[1], next[2], next[3])
	return d.pageFrom(ctx, demoLeadsFrom)
}

// demoLeadsFrom is the place in the list of open leads that the demo's
// /leads open from asks for.
const demoLeadsFrom = 18

// pageFrom asks /leads open from n, the command a page that Slack or
// Teams cut short names to go on from the first lead it left out, and
// says what it shows: up to 20 leads from the nth on.
func (d *demo) pageFrom(ctx context.Context, n int) error {
	text := fmt.Sprintf("open from %d", n)
	answer, err := d.ask(ctx, demoMarketer.ID, demoAskedIn, "/leads", text)
	if err != nil {
		return err
	}
	shown := d.terminal().Render(answer.Neutral())
	m := leadsShowing.FindStringSubmatch(shown)
	if m == nil || m[1] != strconv.Itoa(n) {
		return fmt.Errorf("/leads %s answered %q", text, shown)
	}
	d.printf("%18s→ /leads open from %d, the command a page Slack or Teams cut short names to go on from the first lead it left out, "+
		"shows her up to 20 from lead %d on: %s–%s of %s\n", "", n, n, m[1], m[2], m[3])
	return nil
}

// openLeadsCount is the number of leads in the table of /leads open.
var openLeadsCount = regexp.MustCompile(`Open leads \((\d+)\)`)

// leadsShowing is the part of a page of /leads open that a list of more
// than a page shows: its first and last lead, and how many there are.
var leadsShowing = regexp.MustCompile(`Showing (\d+)–(\d+) of (\d+)`)
