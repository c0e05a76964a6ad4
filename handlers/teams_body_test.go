package handlers_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff/bot/teams/teamstest"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestTeamsMalformedActivity: a body that is no activity, sent with a
// valid Bot Framework token, is answered 400 naming the field at fault
// ("body" for one that is not a JSON object at all), as the intake's 400s
// name theirs; sent without a valid token it is answered 401 or 403 as a
// well-formed activity is, word for word, so that a caller who cannot sign
// learns nothing of how its body is read; and a valid token whose
// serviceurl claim differs from the activity's serviceUrl is 403.
func TestTeamsMalformedActivity(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		e := newTeamsEnv(t, s, nil)
		now := time.Now()
		signed := func(mod func(c map[string]any)) string { return e.tokenWith(now, mod) }
		stranger := teamstest.NewKey(t, "stranger")
		forged := teamstest.Sign(t, stranger, teamstest.Claims(teamstest.AppID, e.bf.ServiceURL(), now))
		expired := signed(func(c map[string]any) { c["exp"] = now.Add(-10 * time.Minute).Unix() })
		otherBot := signed(func(c map[string]any) { c["aud"] = "someone-else" })
		otherService := signed(func(c map[string]any) { c["serviceurl"] = "https://smba.example/evil/" })
		wellFormed, err := json.Marshal(e.installActivity())
		if err != nil {
			t.Fatal(err)
		}

		t.Run("ValidToken", func(t *testing.T) {
			for _, tc := range []struct {
				name, body, field string
			}{
				{"NotJSON", `{"type":"message",`, "body"},
				{"Garbage", `not json at all`, "body"},
				{"TrailingData", `{"type":"message"} {}`, "body"},
				{"Array", `[]`, "body"},
				{"String", `"message"`, "body"},
				{"Null", `null`, "body"},
				{"NoType", `{"channelId":"msteams"}`, "type"},
				{"EmptyType", `{"type":""}`, "type"},
				{"TypeNotAString", `{"type":5}`, "type"},
				{"TextNotAString", `{"type":"message","text":{"a":1}}`, "text"},
				{"FromIDNotAString", `{"type":"message","from":{"id":7}}`, "from.id"},
				{"NotUTF8", "{\"type\":\"message\",\"text\":\"Ri\xfeta\"}", "body"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					status, out := teamstest.PostRaw(t, e.srv.URL, []byte(tc.body), e.token())
					if status != http.StatusBadRequest {
						t.Fatalf("status = %d (%s), want 400", status, out)
					}
					var got struct {
						Error  string            `json:"error"`
						Fields map[string]string `json:"fields"`
					}
					if err := json.Unmarshal(out, &got); err != nil {
						t.Fatalf("answer %s: %v", out, err)
					}
					if got.Fields[tc.field] == "" || !strings.Contains(got.Error, tc.field+": ") {
						t.Fatalf("answer %s names no %q", out, tc.field)
					}
				})
			}
		})

		t.Run("WithoutValidToken", func(t *testing.T) {
			for _, tc := range []struct {
				name, token string
				want        int
			}{
				{"Missing", "", 401},
				{"Garbage", "not-a-jwt", 401},
				{"Forged", forged, 401},
				{"Expired", expired, 401},
				{"OtherBot", otherBot, 403},
			} {
				t.Run(tc.name, func(t *testing.T) {
					wantStatus, wantBody := teamstest.PostRaw(t, e.srv.URL, wellFormed, tc.token)
					if wantStatus != tc.want {
						t.Fatalf("well-formed activity: status = %d (%s), want %d", wantStatus, wantBody, tc.want)
					}
					for _, body := range []string{`{"type":"message",`, `[]`, `{"type":5}`, `{"type":"message","serviceUrl":7}`} {
						status, out := teamstest.PostRaw(t, e.srv.URL, []byte(body), tc.token)
						if status != wantStatus || string(out) != string(wantBody) {
							t.Errorf("%.20q: %d %s, want the well-formed activity's %d %s", body, status, out, wantStatus, wantBody)
						}
					}
				})
			}
		})

		t.Run("ServiceURLDiffers", func(t *testing.T) {
			swapped := e.installActivity()
			swapped["serviceUrl"] = "https://evil.example/"
			for name, tc := range map[string]struct {
				activity map[string]any
				token    string
			}{
				"ActivityNamesAnother": {swapped, e.token()},
				"ClaimNamesAnother":    {e.installActivity(), otherService},
				"ActivityNamesNone":    {withoutKey(e.installActivity(), "serviceUrl"), e.token()},
			} {
				t.Run(name, func(t *testing.T) {
					if status, out := e.post(tc.activity, tc.token); status != http.StatusForbidden {
						t.Fatalf("status = %d (%s), want 403", status, out)
					}
				})
			}
		})
	})
}

// withoutKey returns m without key.
func withoutKey(m map[string]any, key string) map[string]any {
	delete(m, key)
	return m
}
