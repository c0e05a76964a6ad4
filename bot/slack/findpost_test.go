package slack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/handoff/handoff/bot"
	slackbot "github.com/handoff/handoff/bot/slack"
	"github.com/handoff/handoff/bot/slack/slacktest"
)

// A keyed post carries its key as message metadata (event type
// handoff_post), and KeyedPosts finds it again in conversations.history
// with the metadata included, over several pages, skipping messages
// without the metadata and messages of another channel, each with the time
// its ts holds.
func TestKeyedPostsAreFoundAgain(t *testing.T) {
	fake := slacktest.New(token)
	defer fake.Close()
	since := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	fake.SetClock(func() time.Time { return since })
	p := slackbot.NewPlatform(slackbot.NewClient(token, "", fake.APIURL(), slacktest.ClientTimeout))
	ctx := context.Background()
	want := map[string]string{}
	for i := range 450 { // three pages of 200
		key := fmt.Sprintf("outbox-%d", i)
		ts, err := p.PostKeyed(ctx, "CSALES", key, bot.Notice(key))
		if err != nil {
			t.Fatal(err)
		}
		want[key] = ts
	}
	if _, err := p.Post(ctx, "CSALES", bot.Notice("not keyed")); err != nil {
		t.Fatal(err)
	}
	if _, err := p.PostKeyed(ctx, "CMGR", "outbox-mgr", bot.Notice("elsewhere")); err != nil {
		t.Fatal(err)
	}

	var meta struct {
		EventType    string         `json:"event_type"`
		EventPayload map[string]any `json:"event_payload"`
	}
	first := fake.Calls("chat.postMessage")[0]
	if err := json.Unmarshal([]byte(first.Param("metadata")), &meta); err != nil || meta.EventType != "handoff_post" || meta.EventPayload["key"] != "outbox-0" {
		t.Fatalf("metadata = %q (%v), want event handoff_post with key outbox-0", first.Param("metadata"), err)
	}

	got, err := p.KeyedPosts(ctx, "CSALES", since)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Errorf("found %d keyed posts, want %d", len(got), len(want))
	}
	for key, ts := range want {
		if got[key].ID != ts || !got[key].At.Truncate(time.Second).Equal(since) {
			t.Errorf("%s: found %+v, want %q posted at %v", key, got[key], ts, since)
		}
	}
	looks := fake.Calls("conversations.history")
	if len(looks) != 3 {
		t.Errorf("%d pages read, want 3", len(looks))
	}
	for _, c := range looks {
		if c.Param("include_all_metadata") != "1" || c.Param("channel") != "CSALES" || c.Param("oldest") == "" {
			t.Errorf("conversations.history with %v, want the channel, oldest and include_all_metadata=1", c.Form)
		}
	}

	// Messages older than since (less a minute for clocks) are not read.
	later, err := p.KeyedPosts(ctx, "CSALES", since.Add(2*time.Minute))
	if err != nil || len(later) != 0 {
		t.Errorf("keyed posts since two minutes from now = %d (%v), want none", len(later), err)
	}

	fake.DenyHistory()
	if _, err := p.KeyedPosts(ctx, "CSALES", since); !bot.IsPermanent(err) {
		t.Errorf("without the history scope: err = %v, want a permanent error", err)
	}
}
