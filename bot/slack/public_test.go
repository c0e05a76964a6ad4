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
	ws := slackbot.NewWorkspace(slackbot.NewClient(token, "", fake.APIURL()))
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
	p := slackbot.NewPlatform(slackbot.NewClient(token, "", fake.APIURL()))
	msg := bot.Notice("shared")
	msg.Private = false
	if err := p.Reply(context.Background(), fake.ResponseURL("r1"), msg); err != nil {
		t.Fatal(err)
	}
	if r := fake.Calls("response_url"); len(r) != 1 || r[0].Param("response_type") != "in_channel" {
		t.Fatalf("response_url calls = %+v, want one in_channel", r)
	}
}
