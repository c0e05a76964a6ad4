package handoff_test

import (
	"testing"
	"time"

	"github.com/handoff/handoff"
)

// VersionOf tells two states of one time apart by what they would save,
// and gives a repeat of a state the same version.
func TestVersionOf(t *testing.T) {
	at := time.Date(2026, 11, 20, 8, 55, 7, 0, time.UTC)
	base := map[string]any{"external_id": "00Q5g00000ABCDeEAP", "phone": "+45 11 11 11 11", "stage": "sql", "rating": "Hot"}
	parse := func(change map[string]any) handoff.LeadInput {
		t.Helper()
		raw := map[string]any{}
		for k, v := range base {
			raw[k] = v
		}
		for k, v := range change {
			raw[k] = v
		}
		in, err := handoff.ParseLeadInput(raw, at)
		if err != nil {
			t.Fatal(err)
		}
		return in
	}
	first := handoff.VersionOf(parse(nil), at)
	for _, c := range []struct {
		name   string
		change map[string]any
		same   bool
	}{
		{"repeat", nil, true},
		{"other phone", map[string]any{"phone": "+45 22 22 22 22"}, false},
		{"other stage", map[string]any{"stage": "contacted"}, false},
		{"other attribute", map[string]any{"rating": "Cold"}, false},
	} {
		v := handoff.VersionOf(parse(c.change), at)
		if v.Digest == "" || !v.Modified.Equal(at) {
			t.Errorf("%s: version %+v, want a digest at %s", c.name, v, at)
		}
		if same := v == first; same != c.same {
			t.Errorf("%s: same version as the first %v, want %v", c.name, same, c.same)
		}
	}
}
