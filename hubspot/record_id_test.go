package hubspot_test

import (
	"testing"

	"github.com/handoff/handoff"

	"github.com/handoff/handoff/hubspot"
)

func TestLargeNumericRecordIDKeptExactly(t *testing.T) {
	body := `[{"hs_object_id": 9007199254740993, "email": "a@x.dk"},
	          {"hs_object_id": 9007199254740992, "email": "b@x.dk"},
	          {"hs_object_id": "9007199254740993", "email": "a@x.dk"}]`
	ins, err := hubspot.ParseBody([]byte(body), now)
	if err != nil || len(ins) != 3 {
		t.Fatalf("ParseBody: %d inputs, %v", len(ins), err)
	}
	if ins[0].ExternalID != "9007199254740993" {
		t.Errorf("numeric hs_object_id 9007199254740993 became external id %q", ins[0].ExternalID)
	}
	if ins[0].ExternalID == ins[1].ExternalID {
		t.Errorf("two different contacts share external id %q", ins[0].ExternalID)
	}
	if ins[0].ExternalID != ins[2].ExternalID {
		t.Errorf("one contact, as number and as string, gives two external ids: %q and %q", ins[0].ExternalID, ins[2].ExternalID)
	}
}

// TestNumericScoresStillRead checks that numbers other than record ids are
// read as before: 82, 82.0 and 1e2 are whole scores, 82.5 is refused.
func TestNumericScoresStillRead(t *testing.T) {
	for score, want := range map[string]int{"82": 82, "82.0": 82, "1e2": 100} {
		body := `{"hs_object_id": 7, "email": "a@x.dk", "hubspotscore": ` + score + `}`
		ins, err := hubspot.ParseBody([]byte(body), now)
		if err != nil || len(ins) != 1 || ins[0].Score == nil {
			t.Errorf("score %s: %d inputs, %v", score, len(ins), err)
			continue
		}
		if *ins[0].Score != want {
			t.Errorf("score %s read as %d, want %d", score, *ins[0].Score, want)
		}
	}
	_, err := hubspot.ParseBody([]byte(`{"hs_object_id": 7, "email": "a@x.dk", "hubspotscore": 82.5}`), now)
	if handoff.ErrorFields(err)["hubspotscore"] == "" {
		t.Errorf("score 82.5: %v, want an error on hubspotscore", err)
	}
}
