package slack_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	slackapi "github.com/slack-go/slack"

	"github.com/handoff/handoff/bot"
	slackbot "github.com/handoff/handoff/bot/slack"
	"github.com/handoff/handoff/bot/slack/slacktest"
)

// shareable answers public when asked to, else privately.
type shareable struct{}

func (shareable) Answer(ctx context.Context, cmd bot.Command) (bot.Message, error) {
	m := bot.Notice("the funnel")
	m.Private = !strings.Contains(cmd.Text, "public")
	return m, nil
}

func TestCommandPublicAnswerIsInChannel(t *testing.T) {
	fake := slacktest.New(token)
	t.Cleanup(fake.Close)
	ws := slackbot.NewWorkspace(slackbot.NewClient(token, "", fake.APIURL(), slacktest.ClientTimeout), slacktest.ClientTimeout)
	app := slackbot.NewApp(slackbot.AppConfig{Answerer: shareable{}, Workspace: ws})
	for text, want := range map[string]string{"month": `"response_type":"ephemeral"`, "month public": `"response_type":"in_channel"`} {
		ack, err := app.Command(context.Background(), slackapi.SlashCommand{Command: "/funnel", Text: text, TeamID: "T0001", UserID: "U1", ChannelID: "C1"})
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := json.Marshal(ack)
		if !strings.Contains(string(raw), want) {
			t.Errorf("/funnel %s: ack = %s, want %s", text, raw, want)
		}
	}
}

func TestReplyPublicIsInChannel(t *testing.T) {
	fake := slacktest.New(token)
	t.Cleanup(fake.Close)
	p := slackbot.NewPlatform(slackbot.NewClient(token, "", fake.APIURL(), slacktest.ClientTimeout))
	msg := bot.Notice("shared")
	msg.Private = false
	if err := p.Reply(context.Background(), fake.ResponseURL("r1"), msg); err != nil {
		t.Fatal(err)
	}
	if r := fake.Calls("response_url"); len(r) != 1 || r[0].Param("response_type") != "in_channel" {
		t.Fatalf("response_url calls = %+v, want one in_channel", r)
	}
}

// tabled answers every command with a table naming a Slack user and a
// chart, privately unless asked to share it.
type tabled struct{}

func (tabled) Answer(ctx context.Context, cmd bot.Command) (bot.Message, error) {
	return bot.Message{Summary: "Open leads", Header: "Open leads", Private: !strings.Contains(cmd.Text, "public"),
		Tables: []bot.Table{{Title: "Open leads (1)", Columns: []string{"Lead", "Owner"},
			Rows: [][]string{{"Acme ApS", bot.MentionOn("slack", "U0REP42", "")}}}},
		Charts: []bot.Chart{{Kind: bot.ChartBar, Title: "SQLs", Categories: []string{"Mon", "Tue"}, Series: []bot.Series{{Name: "SQLs", Values: []float64{2, 3}}}}},
	}, nil
}

// TestCommandAnswerInResponseHasTextTables answers slash commands in
// their HTTP response, private and shared. Slack promises no data_table
// or data_visualization block there, and a response it refuses comes back
// with no error Handoff could answer again with text (as every post,
// update and response_url answer does): the answer's tables and charts
// are text, its Slack users written by name.
func TestCommandAnswerInResponseHasTextTables(t *testing.T) {
	fake := slacktest.New(token)
	t.Cleanup(fake.Close)
	fake.SetUser("U0REP42", slacktest.User{Name: "Mette Hansen"})
	api := slackbot.NewClient(token, "", fake.APIURL(), slacktest.ClientTimeout)
	app := slackbot.NewApp(slackbot.AppConfig{Answerer: tabled{}, Workspace: slackbot.NewWorkspace(api, slacktest.ClientTimeout), Platform: slackbot.NewPlatform(api)})
	for _, tc := range []struct{ text, responseType string }{
		{"open", slackapi.ResponseTypeEphemeral},
		{"open public", slackapi.ResponseTypeInChannel},
	} {
		t.Run(tc.responseType, func(t *testing.T) {
			ack, err := app.Command(context.Background(), slackapi.SlashCommand{Command: "/leads", Text: tc.text, TeamID: slacktest.TeamID, UserID: "U1", ChannelID: "C1"})
			if err != nil {
				t.Fatal(err)
			}
			raw, err := json.Marshal(ack)
			if err != nil {
				t.Fatal(err)
			}
			var got struct {
				ResponseType string           `json:"response_type"`
				Blocks       []map[string]any `json:"blocks"`
			}
			if err := json.Unmarshal(raw, &got); err != nil {
				t.Fatal(err)
			}
			if got.ResponseType != tc.responseType {
				t.Errorf("response_type %q, want %q", got.ResponseType, tc.responseType)
			}
			for _, b := range got.Blocks {
				if b["type"] == "data_table" || b["type"] == "data_visualization" {
					t.Errorf("the answer in the HTTP response has a %s block, which Slack may refuse unseen:\n%s", b["type"], raw)
				}
			}
			if s := string(raw); !strings.Contains(s, "```") || !strings.Contains(s, "@Mette Hansen") || !strings.Contains(s, "Acme ApS") {
				t.Errorf("the answer in the HTTP response is\n%s\nwant its table as text, the rep by name", s)
			}
		})
	}
}
