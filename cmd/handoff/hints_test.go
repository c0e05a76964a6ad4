package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/bot/teams/teamstest"
	"github.com/handoff/handoff/storage/storagetest"
	"github.com/handoff/handoff/teamsapp"
)

// The words of a usage hint that stand for a value, and the values the hint
// test tries for each. Any other word in a hint is typed as it is.
var hintValues = map[string][]string{
	"period": {"week", "month", "quarter", "year", "last-week", "last-month", "last-quarter", "last-year",
		"2026-11", "2026-Q4", "2026-W47", "2026"},
	"source":    {"webinar"},
	"<lead id>": {"hint-acme"},
	// The routing of a lead: a word and an id within one alternative.
	"why <lead id>": {"why hint-acme"},
	// A page of the open leads: the test has two, all on the first page.
	"open <page>": {"open 1"},
	// A date a month ahead, so that the form stays in the future.
	"until YYYY-MM-DD": {"until " + time.Now().AddDate(0, 1, 0).Format("2006-01-02")},
	"reason":           {"parental leave"},
}

// expandHint turns a usage hint such as "[period] [source] [public]" into
// every argument text it promises: each [a|b] group is left out or filled
// with one of its choices, a placeholder with each of its values. It fails
// on a placeholder without values (<…>) and on unbalanced brackets.
func expandHint(t *testing.T, hint string) []string {
	t.Helper()
	forms := []string{""}
	for rest := strings.TrimSpace(hint); rest != ""; rest = strings.TrimSpace(rest) {
		var group string
		optional := strings.HasPrefix(rest, "[")
		if optional {
			end := strings.Index(rest, "]")
			if end < 0 {
				t.Fatalf("hint %q: unbalanced [", hint)
			}
			group, rest = rest[1:end], rest[end+1:]
		} else {
			group, rest, _ = strings.Cut(rest, " ")
		}
		var choices []string
		if optional {
			choices = append(choices, "")
		}
		for _, alt := range strings.Split(group, "|") {
			alt = strings.TrimSpace(alt)
			switch values, ok := hintValues[alt]; {
			case ok:
				choices = append(choices, values...)
			case strings.ContainsAny(alt, "<>[] "):
				t.Fatalf("hint %q: placeholder %q has no test values", hint, alt)
			default:
				choices = append(choices, alt)
			}
		}
		var next []string
		for _, f := range forms {
			for _, c := range choices {
				next = append(next, strings.TrimSpace(f+" "+c))
			}
		}
		forms = next
	}
	return forms
}

func TestExpandHint(t *testing.T) {
	for hint, want := range map[string][]string{
		"":                           {""},
		"[mine|open]":                {"", "mine", "open"},
		"[source] [public]":          {"", "public", "webinar", "webinar public"},
		"[mine|<lead id>]":           {"", "mine", "hint-acme"},
		"help":                       {"help"},
		"[period] [source] [public]": nil, // counted below
		"[mine|open|breached|<lead id>|why <lead id>]": {"", "mine", "open", "breached", "hint-acme", "why hint-acme"},
	} {
		got := expandHint(t, hint)
		if want == nil {
			if len(got) != 13*2*2 {
				t.Errorf("%q expands to %d forms, want 52", hint, len(got))
			}
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%q expands to %q, want %q", hint, got, want)
		}
	}
}

// slackHints reads the slash commands' usage hints from manifest.yml.
func slackHints(t *testing.T) map[string]string {
	t.Helper()
	raw, err := os.ReadFile("../../manifest.yml")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Features struct {
			SlashCommands []struct {
				Command   string `yaml:"command"`
				UsageHint string `yaml:"usage_hint"`
			} `yaml:"slash_commands"`
		} `yaml:"features"`
	}
	if err := yaml.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	hints := map[string]string{}
	for _, c := range m.Features.SlashCommands {
		hints[strings.TrimPrefix(c.Command, "/")] = c.UsageHint
	}
	return hints
}

// teamsHints reads the bot's commands from the Teams app manifest: the
// description starts with the command's form ("sla [period] — …").
func teamsHints(t *testing.T) map[string]string {
	t.Helper()
	raw, err := teamsapp.Manifest("00000000-1111-2222-3333-444444444444", "handoff.example.com")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Bots []struct {
			CommandLists []struct {
				Commands []struct{ Title, Description string } `json:"commands"`
			} `json:"commandLists"`
		} `json:"bots"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	hints := map[string]string{}
	for _, c := range m.Bots[0].CommandLists[0].Commands {
		form, _, _ := strings.Cut(c.Description, " — ")
		name, hint, _ := strings.Cut(form, " ")
		if name != c.Title {
			t.Errorf("Teams command %q is described as %q", c.Title, c.Description)
		}
		hints[name] = hint
	}
	return hints
}

// hintAnswer is what a hinted form must answer: a report whose heading
// contains want (never a correction or an error), shared with the channel
// exactly when the form says public.
func hintAnswer(command, args string) (want string, public bool) {
	public = slices.Contains(strings.Fields(args), "public")
	switch command {
	case "funnel":
		return "Funnel", public
	case "sla":
		return "SLA right now", public
	case "away":
		return "You are away", public
	case "back":
		return "leads are offered to you", public
	case "routing":
		return "Routing", public
	}
	switch args {
	case "", "mine":
		return "Your open leads", public
	case "open", "open 1":
		return "Open leads", public
	case "breached":
		return "Breached leads", public
	case "why hint-acme":
		return "Routing of Acme Hint A/S (hint-acme)", public
	}
	return "Acme Hint A/S (hint-acme)", public
}

// refusals are phrases of corrections and errors, never of a report.
var refusals = []string{"Use `", "I don't know", "Sorry", "takes no arguments", "I found no", "Working on", "faster than I can answer"}

func refused(text string) bool {
	return slices.ContainsFunc(refusals, func(r string) bool { return strings.Contains(text, r) })
}

// TestUsageHintsWork reads the usage hints of the Slack app manifest
// (manifest.yml) and the Teams app manifest, and runs every form they
// promise through the real server: as a signed Slack slash command, and as
// a signed Bot Framework message in a Teams channel. Each must answer with
// the report, not with a correction.
func TestUsageHintsWork(t *testing.T) {
	slackForms, teamsForms := slackHints(t), teamsHints(t)
	delete(teamsForms, "help")
	if !reflect.DeepEqual(slackForms, teamsForms) {
		t.Errorf("Slack's hints %q differ from Teams' commands %q", slackForms, teamsForms)
	}
	if len(slackForms) != len(bot.Commands) {
		t.Fatalf("manifest.yml has hints for %v, want %v", slackForms, bot.Commands)
	}
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			bf := teamstest.New(t)
			slack := slacktest.New(e2eToken)
			defer slack.Close()
			vars := slackAndTeamsVars(t, dialect, bf, slack)
			e := startTeams(t, bf, vars)
			e.install()
			// An SQL from three days ago nobody claimed (breached), and a
			// fresh one that a Slack rep claims.
			e.srv.postLead(t, fmt.Sprintf(`{"external_id":"hint-late","company":"Late Hint ApS","source":"webinar","occurred_at":%q}`,
				time.Now().Add(-72*time.Hour).UTC().Format(time.RFC3339)))
			e.srv.postLead(t, `{"external_id":"hint-acme","company":"Acme Hint A/S","source":"webinar"}`)
			// The askers are members of the sales channel, so they may see leads.
			askers := []string{"UREP"}
			for i := range 200 {
				askers = append(askers, fmt.Sprintf("UHINT%d", i))
			}
			slack.SetMembers(e2eSales, askers...)
			asker := 0
			e.srv.click(t, slack, "UREP", e.chatPost(2, "slack"), "lead.claim", "2")
			// Both leads' Teams cards are out before the first command, so
			// that a late announcement is never taken for an answer.
			e.chatPost(1, "teams")
			e.chatPost(2, "teams")

			for _, command := range bot.Commands {
				for _, args := range expandHint(t, slackForms[command]) {
					want, public := hintAnswer(command, args)
					t.Run("slack/"+command+" "+args, func(t *testing.T) {
						asker++
						text, shared := slackCommand(t, e.srv, slack, askers[asker], command, args)
						if refused(text) || !strings.Contains(text, want) || shared != public {
							t.Errorf("/%s %s answered (shared %v, want %v):\n%s\nwant a report with %q", command, args, shared, public, text, want)
						}
					})
					t.Run("teams/"+command+" "+args, func(t *testing.T) {
						text, shared := e.teamsCommand(strings.TrimSpace(command + " " + args))
						if refused(text) || !strings.Contains(text, want) || shared != public {
							t.Errorf("%s %s answered (shared %v, want %v):\n%s\nwant a report with %q", command, args, shared, public, text, want)
						}
					})
				}
			}
		})
	}
}

// slackCommand sends a signed slash command from a new user (each within
// the per-user command rate) to the server and returns the answer's text
// and blocks, and whether it is shown to the whole channel.
// A slow answer is acknowledged first and arrives through response_url.
func slackCommand(t *testing.T, srv *server, slack *slacktest.Server, user, command, args string) (string, bool) {
	t.Helper()
	body := slacktest.CommandBody(user, e2eSales, "/"+command, args, slack.ResponseURL(user))
	resp, err := http.DefaultClient.Do(slacktest.SignedRequest(srv.base+"/slack/commands", e2eSecret, time.Now(), body))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("/%s %s: HTTP %d %s", command, args, resp.StatusCode, raw)
	}
	var ack struct {
		ResponseType string `json:"response_type"`
		Text         string `json:"text"`
		Blocks       []any  `json:"blocks"`
	}
	if err := json.Unmarshal(raw, &ack); err != nil {
		t.Fatalf("/%s %s: %v in %s", command, args, err, raw)
	}
	if !strings.Contains(ack.Text, "Working on") {
		return ack.Text + "\n" + jsonText(ack.Blocks), ack.ResponseType == "in_channel"
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, c := range slack.Calls("response_url") {
			if c.Path == "/response/"+user {
				return c.Param("text") + "\n" + jsonText(c.JSON), c.JSON["response_type"] == "in_channel"
			}
		}
	}
	t.Fatalf("/%s %s: no late answer", command, args)
	return "", false
}

// teamsCommand sends text to the bot from a new user (each within the
// per-user command rate) in the sales channel and returns the bot's
// answer: a new post in the channel (shared) or a message in the user's
// chat with the bot.
func (e *teamsE2E) teamsCommand(text string) (string, bool) {
	e.t.Helper()
	before := len(e.bf.Calls())
	a := e.activity("message", fmt.Sprintf("29:hint-%d", time.Now().UnixNano()), "Hint User", teamsSalesID+";messageid=1")
	a["text"] = "<at>Handoff</at> " + text
	if status, body := e.post(a, e.token()); status != 200 {
		e.t.Fatalf("%s: HTTP %d %s", text, status, body)
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		for _, c := range e.bf.Calls()[before:] {
			switch {
			case postedTo(teamsSalesID)(c):
				return jsonText(c.Body), true
			case c.Op == "send":
				return jsonText(c.Body), false
			}
		}
	}
	e.t.Fatalf("%s: no answer from the bot", text)
	return "", false
}
