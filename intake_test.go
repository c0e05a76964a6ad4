package handoff_test

import (
	"encoding/json"
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
