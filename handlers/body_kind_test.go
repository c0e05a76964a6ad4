package handlers_test

import (
	"testing"

	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestBodyOfTheWrongKindNamesBody posts bodies that are not what a JSON
// endpoint takes (valid JSON of another kind than an object, no JSON, or
// more after it) to every endpoint that takes an object: each is a 400
// whose fields name "body", as a bad field is named, and nothing is
// stored.
func TestBodyOfTheWrongKindNamesBody(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		api, funnel := bodyServers(t, s)
		endpoints := []struct{ name, url, bearer string }{
			{"leads", api.URL + "/api/leads", token},
			{"activities", api.URL + "/api/leads/b-1/activities", token},
			{"traffic", funnel.URL + "/api/traffic", funnelToken},
		}
		for _, body := range []struct{ name, text string }{
			{"EmptyArray", `[]`},
			{"String", `"x"`},
			{"Number", `42`},
			{"Null", `null`},
			{"True", `true`},
			{"NullWithSpace", " null \n"},
			{"NotJSON", `{"external_id":`},
			{"TwoObjects", `{} {}`},
		} {
			for _, ep := range endpoints {
				t.Run(ep.name+"/"+body.name, func(t *testing.T) {
					raw, ans := refusal(t, ep.url, ep.bearer, body.text)
					if ans.Fields["body"] == "" {
						t.Errorf("the 400 does not name the field body: %s", raw)
					}
				})
			}
		}
		noActivities(t, s)
	})
}
