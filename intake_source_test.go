package handoff_test

import (
	"testing"
	"time"

	"github.com/handoff/handoff"
)

// A known lead keeps the first source and the first campaign it was
// given (none, when it came without one, until it is sent one): its
// history counts under them, so another would move past periods' reports.
func TestApplyKeepsSource(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	fields := map[string]func(*handoff.Lead) string{
		"source":   func(l *handoff.Lead) string { return l.Source },
		"campaign": func(l *handoff.Lead) string { return l.Campaign },
	}
	for field, get := range fields {
		for _, c := range []struct {
			name            string
			created, update string
			want            string
			changed         bool
		}{
			{"another one", "web", "partner", "web", false},
			{"the same one", "web", "web", "web", false},
			{"created without one: the first it is sent", "", "partner", "partner", true},
			{"then kept", "", "", "", false},
			{"none sent", "web", "", "web", false},
		} {
			t.Run(field+"/"+c.name, func(t *testing.T) {
				lead := &handoff.Lead{}
				in, _ := handoff.ParseLeadInput(map[string]any{"external_id": "x", field: c.created}, t0)
				if _, _, err := in.Apply(lead, t0, handoff.ActorAPI, handoff.DefaultPolicy()); err != nil {
					t.Fatal(err)
				}
				if got := get(lead); got != c.created {
					t.Fatalf("created with %s %q, want %q", field, got, c.created)
				}
				up, _ := handoff.ParseLeadInput(map[string]any{"external_id": "x", field: c.update}, t0)
				changed, _, err := up.Apply(lead, t0.Add(time.Hour), handoff.ActorAPI, handoff.DefaultPolicy())
				if err != nil {
					t.Fatal(err)
				}
				if got := get(lead); got != c.want || changed != c.changed {
					t.Errorf("%s %q, changed %v; want %q, %v", field, got, changed, c.want, c.changed)
				}
			})
		}
	}
}
