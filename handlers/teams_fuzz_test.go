package handlers_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/handoff/handoff/storage/storagetest"
)

// postRaw sends body as an activity with a valid Bot Framework token.
func (e *teamsEnv) postRaw(body []byte) (int, []byte) {
	e.t.Helper()
	req, err := http.NewRequest("POST", e.srv.URL+"/api/messages", bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+e.token())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// teamsSeeds are real activities of the test team: the install, a channel
// created, a command, a claim click and a form, from both kinds of chat.
func teamsSeeds(e *teamsEnv) [][]byte {
	var out [][]byte
	add := func(a map[string]any) {
		b, err := json.Marshal(a)
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, b)
	}
	add(e.installActivity())
	add(e.channelCreated())
	msg := e.activity("message", ritaID, "Rita", salesID)
	msg["text"] = "<at>Handoff</at> funnel month"
	add(msg)
	dm := e.activity("message", ritaID, "Rita", "a:rita-dm")
	dm["text"] = "leads mine"
	add(dm)
	add(e.clickActivity(ritaID, "Rita", map[string]any{"action": "lead.claim", "lead": "1"}))
	add(e.clickActivity(ritaID, "Rita", map[string]any{"action": "lead.lost", "lead": "1", "reason": "no budget"}))
	renamed := e.channelCreated()
	renamed["channelData"].(map[string]any)["eventType"] = "channelRenamed"
	add(renamed)
	return out
}

// FuzzTeamsActivity sends arbitrary activities with a valid Bot Framework
// token to the endpoint on a real SQLite store: the answer is a 2xx or a
// 4xx (an invoke's own error is in its body), never a 5xx or a panic.
func FuzzTeamsActivity(f *testing.F) {
	s := storagetest.Open(f, storagetest.FuzzDialect())
	e := newTeamsEnv(f, s, nil)
	e.install()
	for _, seed := range teamsSeeds(e) {
		f.Add(seed)
	}
	f.Add([]byte(`{"type":"message","channelId":"msteams"}`))
	f.Add([]byte(`{"type":""}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		e.t = t
		status, out := e.postRaw(body)
		if status >= 500 {
			t.Fatalf("status %d for %q: %s", status, body, out)
		}
		if status >= 400 && !strings.Contains(string(out), "error") {
			t.Fatalf("%d without a reason: %s", status, out)
		}
	})
}
