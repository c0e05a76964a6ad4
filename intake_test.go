package handoff_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/handoff/handoff"
)

func TestParseLeadInputAmount(t *testing.T) {
	tests := []struct {
		raw     any
		want    int64
		wantErr bool
	}{
		{40000.0, 4000000, false},
		{"40000.50", 4000050, false},
		{"1 250", 125000, false},
		{0.1, 10, false},
		{12.345, 0, true},
		{-1.0, 0, true},
		{"abc", 0, true},
		{true, 0, true},
	}
	for _, tc := range tests {
		in, err := handoff.ParseLeadInput(map[string]any{"external_id": "x", "amount": tc.raw}, time.Now())
		if tc.wantErr {
			if handoff.ErrorFields(err)["amount"] == "" {
				t.Errorf("amount %v: err = %v, want a field error", tc.raw, err)
			}
			continue
		}
		if err != nil || in.AmountMinor == nil || *in.AmountMinor != tc.want {
			t.Errorf("amount %v = %v, %v; want %d", tc.raw, in.AmountMinor, err, tc.want)
		}
	}
}

func TestApplySetsDeadlinesAndBreach(t *testing.T) {
	policy := handoff.DefaultPolicy()
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	lead := &handoff.Lead{}
	in, _ := handoff.ParseLeadInput(map[string]any{"external_id": "x"}, t0)
	if _, _, err := in.Apply(lead, t0, handoff.ActorAPI, policy); err != nil {
		t.Fatal(err)
	}
	if !lead.ClaimDueAt.Equal(t0.Add(policy.ClaimWithin)) || !lead.ContactDueAt.Equal(t0.Add(policy.ContactWithin)) {
		t.Fatalf("deadlines = %v, %v", lead.ClaimDueAt, lead.ContactDueAt)
	}
	late, _ := handoff.ParseLeadInput(map[string]any{"external_id": "x", "stage": "contacted", "occurred_at": t0.Add(49 * time.Hour).Format(time.RFC3339)}, t0.Add(50*time.Hour))
	_, events, err := late.Apply(lead, t0.Add(50*time.Hour), handoff.ActorAPI, policy)
	if err != nil {
		t.Fatal(err)
	}
	if !lead.SLABreached || len(events) != 2 || !events[1].At.Equal(t0.Add(49*time.Hour)) {
		t.Fatalf("breached=%v events=%+v", lead.SLABreached, events)
	}
}

// FuzzParseLeadInput feeds arbitrary JSON objects to the intake decoder: it
// must never panic, and whatever it accepts must carry an external id and a
// known stage.
func FuzzParseLeadInput(f *testing.F) {
	f.Add(`{"external_id":"a","stage":"won","amount":12.5,"score":3}`)
	f.Add(`{"external_id":"","email":"x"}`)
	f.Add(`{"external_id":"b","occurred_at":"2026-01-02T03:04:05Z","reason":"r","stage":"recycled"}`)
	f.Add(`{"external_id":1,"score":1e300,"amount":"NaN"}`)
	f.Fuzz(func(t *testing.T, body string) {
		var raw map[string]any
		if json.Unmarshal([]byte(body), &raw) != nil {
			return
		}
		in, err := handoff.ParseLeadInput(raw, time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC))
		if err != nil {
			if handoff.ErrorCode(err) != handoff.EINVALID || len(handoff.ErrorFields(err)) == 0 {
				t.Fatalf("rejection without field errors: %v", err)
			}
			return
		}
		if in.ExternalID == "" {
			t.Fatal("accepted a lead without external_id")
		}
		if in.Stage != "" {
			if _, err := handoff.ParseStage(string(in.Stage)); err != nil {
				t.Fatalf("accepted unknown stage %q", in.Stage)
			}
		}
		lead := &handoff.Lead{}
		_, _, _ = in.Apply(lead, time.Unix(0, 0), handoff.ActorAPI, handoff.DefaultPolicy())
	})
}

// TestApplyBoundsAttributesAcrossUpdates checks that updates, each within
// MaxAttributes alone, cannot add up past it, while values of attributes a
// lead has can always be sent again.
func TestApplyBoundsAttributesAcrossUpdates(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	attrs := func(prefix string, n int) map[string]any {
		m := map[string]any{}
		for i := range n {
			m[fmt.Sprintf("%s%02d", prefix, i)] = "v"
		}
		return m
	}
	tests := []struct {
		name    string
		has     map[string]any
		send    map[string]any
		wantErr bool
	}{
		{"new ones up to the limit", attrs("a", 30), attrs("b", 20), false},
		{"one past the limit", attrs("a", 30), attrs("b", 21), true},
		{"full lead, values of its own again", attrs("a", 50), map[string]any{"a00": "w", "a49": "x"}, false},
		{"full lead, one new", attrs("a", 50), map[string]any{"a00": "w", "z": "x"}, true},
		{"the kept sender's score does not count", merge(attrs("a", 50), map[string]any{handoff.SourceScoreAttribute: 40.0}), map[string]any{"a01": "y"}, false},
		{"a lead over the limit from before may still be updated", attrs("a", 60), map[string]any{"a59": "y"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lead := &handoff.Lead{ID: 7, ExternalID: "x", Stage: handoff.StageSQL, Email: "old@x.dk", Attributes: merge(tt.has, nil)}
			in := handoff.LeadInput{ExternalID: "x", Email: "new@x.dk", Attributes: tt.send}
			_, _, err := in.Apply(lead, t0, handoff.ActorAPI, handoff.DefaultPolicy())
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if handoff.ErrorCode(err) != handoff.EINVALID || handoff.ErrorFields(err)["attributes"] == "" {
				t.Fatalf("err = %v, want EINVALID naming attributes", err)
			}
			if len(lead.Attributes) != len(tt.has) || lead.Email != "old@x.dk" {
				t.Fatalf("a refused update changed the lead: %d attributes, email %s", len(lead.Attributes), lead.Email)
			}
		})
	}
}

// A FillIn input (an intake-only token's) only adds to a known lead: its
// empty fields, the attributes it lacks up to MaxAttributes (in name
// order), a main-path stage it never reached; it is refused nothing for
// what the lead holds (a stage behind it, attributes past the limit), and
// what it may not send (a stage past sql, an owner, an amount, a reason)
// is refused by AsFillIn, naming each field.
func TestApplyFillInOnlyAdds(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	attrs := map[string]any{}
	for i := range handoff.MaxAttributes - 2 {
		attrs[fmt.Sprintf("a%02d", i)] = "v"
	}
	send := map[string]any{"a00": "changed", "z1": "x", "z2": "x", "z3": "x"}
	tests := []struct {
		name      string
		stage     handoff.Stage // the lead's
		reached   handoff.Stage
		send      handoff.Stage
		wantStage handoff.Stage
	}{
		{"a stage behind is left", handoff.StageClaimed, handoff.StageClaimed, handoff.StageMQL, handoff.StageClaimed},
		{"a stage reached before is left", handoff.StageLost, handoff.StageContacted, handoff.StageSQL, handoff.StageLost},
		{"a stage never reached is entered", handoff.StageMQL, handoff.StageMQL, handoff.StageSQL, handoff.StageSQL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lead := &handoff.Lead{ID: 7, ExternalID: "x", Stage: tt.stage, Reached: tt.reached.Rank(), Email: "old@x.dk", Score: 40,
				Owner: handoff.Owner{Email: "rep@acme.dk"}, Attributes: merge(attrs, nil)}
			score := 90
			in, err := handoff.LeadInput{ExternalID: "x", Email: "new@x.dk", Name: "Ann", Score: &score, Stage: tt.send, Attributes: send}.AsFillIn()
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := in.Apply(lead, t0, "forms", handoff.DefaultPolicy()); err != nil {
				t.Fatalf("refused: %v", err)
			}
			got := fmt.Sprintf("%s %s %s %d %s a00=%v z1=%v z2=%v z3=%v", lead.Stage, lead.Email, lead.Name, lead.Score, lead.Owner.Email,
				lead.Attributes["a00"], lead.Attributes["z1"], lead.Attributes["z2"], lead.Attributes["z3"])
			if want := fmt.Sprintf("%s old@x.dk Ann 40 rep@acme.dk a00=v z1=x z2=x z3=<nil>", tt.wantStage); got != want {
				t.Fatalf("lead after = %s, want %s", got, want)
			}
		})
	}
	_, err := handoff.LeadInput{ExternalID: "x", Stage: handoff.StageWon, OwnerEmail: "a@b.dk", Reason: "r", AmountMinor: new(int64)}.AsFillIn()
	if got := slices.Sorted(maps.Keys(handoff.ErrorFields(err))); !slices.Equal(got, []string{"amount", "owner_email", "reason", "stage"}) {
		t.Fatalf("AsFillIn refused %v (%v), want amount, owner_email, reason and stage", got, err)
	}
}

func merge(a, b map[string]any) map[string]any {
	out := map[string]any{}
	maps.Copy(out, a)
	maps.Copy(out, b)
	return out
}

// TestParseLeadInputScore checks that a score is bounded the same however
// it is sent: a JSON number, a json.Number (HubSpot's bodies) or a string
// (CSV files, Salesforce).
func TestParseLeadInputScore(t *testing.T) {
	tests := []struct {
		raw     any
		want    int
		wantErr bool
	}{
		{82.0, 82, false},
		{"82", 82, false},
		{json.Number("82"), 82, false},
		{1e15, 1e15, false},
		{"1000000000000000", 1e15, false},
		{"-1000000000000000", -1e15, false},
		{json.Number("1000000000000000"), 1e15, false},
		{2e15, 0, true},
		{"1000000000000001", 0, true},
		{json.Number("-1000000000000001"), 0, true},
		{"9223372036854775807", 0, true},
		{"12.5", 0, true},
	}
	for _, tc := range tests {
		in, err := handoff.ParseLeadInput(map[string]any{"external_id": "x", "score": tc.raw}, time.Now())
		if tc.wantErr {
			if handoff.ErrorFields(err)["score"] == "" {
				t.Errorf("score %v (%T): err = %v, want a field error", tc.raw, tc.raw, err)
			}
			continue
		}
		if err != nil || in.Score == nil || *in.Score != tc.want {
			t.Errorf("score %v (%T) = %v, %v; want %d", tc.raw, tc.raw, in.Score, err, tc.want)
		}
	}
}
