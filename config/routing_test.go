package config

import (
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
)

const issueRoutingYAML = `timezone: Europe/Copenhagen
routing:
  mode: round_robin
  offer_for: 10m
  offer_rounds: 3
  max_open_per_rep: 15
  account_owner_first: true
  reps:
    - slack: U0123ABC
      weight: 2
      hours: {days: [mon, tue, wed, thu], start: "09:00", end: "15:00", timezone: America/New_York}
    - slack: U0456DEF
    - teams: Ann@Berg.dk
      hours: {start: "10:00"}
`

func TestParseRouting(t *testing.T) {
	p, err := parsePolicy([]byte(issueRoutingYAML))
	if err != nil {
		t.Fatal(err)
	}
	r := p.Routing
	if r.Mode != handoff.RouteRoundRobin || r.OfferFor != 10*time.Minute || r.OfferRounds != 3 || r.MaxOpenPerRep != 15 || !r.AccountOwnerFirst {
		t.Fatalf("routing = %+v", r)
	}
	if len(r.Reps) != 3 {
		t.Fatalf("reps = %+v", r.Reps)
	}
	first := r.Reps[0]
	if first.Ref.Key() != "slack:U0123ABC" || first.Weight != 2 || first.Location == nil || first.Location.String() != "America/New_York" {
		t.Errorf("reps[0] = %+v", first)
	}
	wantDays := [7]bool{time.Monday: true, time.Tuesday: true, time.Wednesday: true, time.Thursday: true}
	if h := first.Hours; h == nil || h.Days != wantDays || h.Start != 9*time.Hour || h.End != 15*time.Hour {
		t.Errorf("reps[0].hours = %+v", first.Hours)
	}
	if second := r.Reps[1]; second.Ref.Key() != "slack:U0456DEF" || second.Weight != 1 || second.Hours != nil || second.Location != nil {
		t.Errorf("reps[1] = %+v, want weight 1 and no hours", second)
	}
	// Teams ids are kept in one spelling; hours keys left out take Mon-Fri until 17:00.
	third := r.Reps[2]
	if third.Ref.Key() != "teams:ann@berg.dk" || third.Hours == nil || third.Hours.Start != 10*time.Hour || third.Hours.End != 17*time.Hour || !third.Hours.Days[time.Friday] {
		t.Errorf("reps[2] = %+v hours %+v", third, third.Hours)
	}

	// A file without a routing section keeps today's behaviour.
	def, err := parsePolicy([]byte("timezone: UTC\n"))
	if err != nil {
		t.Fatal(err)
	}
	if def.Routing.WithDefaults().Mode != handoff.RouteByClaim || len(def.Routing.Reps) != 0 {
		t.Errorf("default routing = %+v", def.Routing)
	}
	// A section with only a mode gets the defaults.
	claim, err := parsePolicy([]byte("routing:\n  mode: claim\n"))
	if err != nil {
		t.Fatal(err)
	}
	if claim.Routing.OfferFor != handoff.DefaultOfferFor || claim.Routing.OfferRounds != handoff.DefaultOfferRounds {
		t.Errorf("claim routing = %+v, want the defaults", claim.Routing)
	}
}

// TestRoutingCheckNamesEveryProblem: `handoff config check` names every
// problem of the routing section, one line each.
func TestRoutingCheckNamesEveryProblem(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string
	}{
		{"every rep problem at once", `routing:
  mode: round_robin
  reps:
    - slack: bob
    - slack: U0123ABC
      weight: 0
    - slack: U0456DEF
      hours: {days: []}
    - slack: U0123ABC
      weight: -1
    - teams: not an id
    - weight: 1
    - {slack: U0789GHI, teams: ann@berg.dk}
    - slack: U0999XYZ
      hours: {start: "15:00", end: "09:00", timezone: Mars/Olympus}
`, []string{
			`routing.reps[0]: slack: "bob" is not a Slack user id`,
			`routing.reps[1].weight: 0 must be 1 or more`,
			`routing.reps[2].hours.days: no open days`,
			`routing.reps[3]: slack:U0123ABC is listed twice (also routing.reps[1])`,
			`routing.reps[3].weight: -1 must be 1 or more`,
			`routing.reps[4]: teams: "not an id" is neither an Entra object id nor an email`,
			`routing.reps[5]: name the rep with slack: or teams:`,
			`routing.reps[6]: name the rep with one of slack: and teams:, not both`,
			`routing.reps[7].hours: start "15:00" must be before end "09:00"`,
			`routing.reps[7].hours.timezone: unknown time zone "Mars/Olympus"`,
		}},
		{"settings", `routing:
  mode: lottery
  offer_for: soon
  offer_rounds: 0
  max_open_per_rep: -3
  account_owner_first: maybe
`, []string{
			`routing.mode: "lottery" is not claim or round_robin`,
			`routing.offer_for: invalid duration "soon"`,
			`routing.offer_rounds: must be 1 or more`,
			`routing.max_open_per_rep: must not be negative, got "-3"`,
			`routing.account_owner_first: invalid boolean "maybe"`,
		}},
		{"a rep key longer than the store keeps", "routing:\n  mode: round_robin\n  reps:\n    - teams: ann@" + strings.Repeat("b", handoff.MaxRepKeyLen-12) + ".dk\n", []string{
			`routing.reps[0]: teams: "ann@bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb…" makes a rep key (teams:<id>) longer than 300 characters`,
		}},
		{"round robin needs reps", "routing:\n  mode: round_robin\n", []string{
			`routing.reps: round_robin needs at least one rep`,
		}},
		{"misspelt keys", "routing:\n  mode: claim\n  offer: 5m\n  reps:\n    - slack: U0123ABC\n      wieght: 2\n      hours: {days: [mon], tz: UTC}\n", []string{
			`unknown key "routing.offer"`,
			`unknown key "routing.reps[].wieght"`,
			`unknown key "routing.reps[].hours.tz"`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseAgreement([]byte(tt.yaml))
			if err == nil {
				t.Fatal("ParseAgreement succeeded, want errors")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %q", w)
				}
			}
			if lines := strings.Split(err.Error(), "\n"); len(lines) != len(tt.want) {
				t.Errorf("got %d lines, want one per problem (%d):\n%v", len(lines), len(tt.want), err)
			}
		})
	}
}
