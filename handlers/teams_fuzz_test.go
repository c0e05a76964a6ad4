package handlers_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff/bot/teams/teamstest"
	"github.com/handoff/handoff/storage/storagetest"
)

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
// token to the endpoint on a real store (SQLite, or PostgreSQL with
// HANDOFF_FUZZ_DIALECT): the answer is a 2xx or a 4xx (an invoke's own
// error is in its body), never a 5xx or a panic.
//
// The token is signed once and again only when it is half way to its
// expiry (fuzzToken): an RSA signature for every input made each one
// slow enough that the minimizing of a new input (60 s at most by default)
// outlasted CI's few seconds of fuzzing, which then ran 12–24 inputs.
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
	token := fuzzToken(e)
	f.Fuzz(func(t *testing.T, body []byte) {
		e.t = t
		status, out := teamstest.PostRaw(t, e.srv.URL, body, token())
		if status >= 500 {
			t.Fatalf("status %d for %q: %s", status, body, out)
		}
		if status >= 400 && !strings.Contains(string(out), "error") {
			t.Fatalf("%d without a reason: %s", status, out)
		}
	})
}

// fuzzToken returns a function giving a valid token for e, signed anew
// only once the last one has lived half of its hour (teamstest.Claims).
// Fuzz workers call it from one goroutine each.
func fuzzToken(e *teamsEnv) func() string {
	var token string
	var signed time.Time
	return func() string {
		if token == "" || time.Since(signed) > 30*time.Minute {
			token, signed = e.token(), time.Now()
		}
		return token
	}
}
