package handoff_test

import (
	"testing"
	"time"

	"github.com/handoff/handoff"
)

// A known lead keeps the source it was created with (none, when it came
// without one): its history counts under it, so another would move past
// periods' reports.
func TestApplyKeepsSource(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name            string
		created, update string
		want            string
		changed         bool
	}{
		{"another source", "web", "partner", "web", false},
		{"the same source", "web", "web", "web", false},
		{"created without one: the first it is sent", "", "partner", "partner", true},
		{"then kept", "", "", "", false},
		{"none sent", "web", "", "web", false},
	} {
		lead := &handoff.Lead{}
		in, _ := handoff.ParseLeadInput(map[string]any{"external_id": "x", "source": c.created}, t0)
		if _, _, err := in.Apply(lead, t0, handoff.ActorAPI, handoff.DefaultPolicy()); err != nil {
			t.Fatal(err)
		}
		if lead.Source != c.created {
			t.Fatalf("%s: created with source %q, want %q", c.name, lead.Source, c.created)
		}
		up, _ := handoff.ParseLeadInput(map[string]any{"external_id": "x", "source": c.update}, t0)
		changed, _, err := up.Apply(lead, t0.Add(time.Hour), handoff.ActorAPI, handoff.DefaultPolicy())
		if err != nil {
			t.Fatal(err)
		}
		if lead.Source != c.want || changed != c.changed {
			t.Errorf("%s: source %q, changed %v; want %q, %v", c.name, lead.Source, changed, c.want, c.changed)
		}
	}
}
