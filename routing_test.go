package handoff

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func slackRep(id string, weight int) Rep {
	return Rep{Ref: RepRef{Platform: "slack", ID: id}, Weight: weight}
}

func TestRoutingValidate(t *testing.T) {
	never := &BusinessHours{Start: 9 * time.Hour, End: 15 * time.Hour} // no open day
	tests := []struct {
		name    string
		routing Routing
		want    []string // substrings of the error; none means valid
	}{
		{"OK zero", Routing{}, nil},
		{"OK round robin", Routing{Mode: RouteRoundRobin, Reps: []Rep{slackRep("U0123ABC", 2),
			{Ref: RepRef{Platform: "teams", ID: "ann@berg.dk"}, Weight: 1},
			{Ref: RepRef{Platform: "teams", ID: "0f3a6e1c-8d2b-4c55-9a11-2b3c4d5e6f70"}, Weight: 1}}}, nil},
		{"unknown mode", Routing{Mode: "lottery"}, []string{`routing.mode: "lottery"`}},
		{"round robin without reps", Routing{Mode: RouteRoundRobin}, []string{"at least one rep"}},
		{"every problem at once", Routing{Mode: RouteRoundRobin, Reps: []Rep{
			slackRep("bob", 1),
			slackRep("U0123ABC", 0),
			{Ref: RepRef{Platform: "slack", ID: "U0456DEF"}, Weight: 1, Hours: never},
			slackRep("U0123ABC", 1),
			{Ref: RepRef{Platform: "teams", ID: "not an id"}, Weight: 1},
			{Ref: RepRef{ID: "U0999XYZ"}, Weight: 1},
		}}, []string{
			`routing.reps[0]: slack: "bob" is not a Slack user id`,
			"routing.reps[1].weight: 0 must be 1 or more",
			"routing.reps[2].hours never open",
			"routing.reps[3]: slack:U0123ABC is listed twice (also routing.reps[1])",
			`routing.reps[4]: teams: "not an id" is neither`,
			"routing.reps[5]: name the rep with slack: or teams:",
		}},
		// The store keeps the offered rep's key (slack:<id>, teams:<id>)
		// in a column of 300: PostgreSQL refused a longer one, SQLite kept it.
		{"OK keys at the limit", Routing{Mode: RouteRoundRobin, Reps: []Rep{slackRep("U"+strings.Repeat("A", MaxRepKeyLen-7), 1),
			{Ref: RepRef{Platform: "teams", ID: "ann@" + strings.Repeat("b", MaxRepKeyLen-13) + ".dk"}, Weight: 1}}}, nil},
		{"keys over the limit", Routing{Mode: RouteRoundRobin, Reps: []Rep{slackRep("U"+strings.Repeat("A", MaxRepKeyLen-6), 1),
			{Ref: RepRef{Platform: "teams", ID: "ann@" + strings.Repeat("b", MaxRepKeyLen-12) + ".dk"}, Weight: 1}}}, []string{
			`routing.reps[0]: slack: "UAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA…" makes a rep key (slack:<id>) longer than 300 characters`,
			`routing.reps[1]: teams: "ann@bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb…" makes a rep key (teams:<id>) longer than 300 characters`,
		}},
		{"negative settings", Routing{OfferFor: -time.Minute, OfferRounds: -1, MaxOpenPerRep: -2},
			[]string{"offer_for", "offer_rounds", "max_open_per_rep"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.routing.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %v\nwant it to contain %q", err, w)
				}
			}
		})
	}
}

func TestRoutingAvailability(t *testing.T) {
	cph, err := time.LoadLocation("Europe/Copenhagen")
	if err != nil {
		t.Fatal(err)
	}
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	hours := &BusinessHours{Start: 9 * time.Hour, End: 15 * time.Hour}
	for _, d := range []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday} {
		hours.Days[d] = true
	}
	r := Routing{MaxOpenPerRep: 3}
	rep := Rep{Ref: RepRef{Platform: "slack", ID: "U0123ABC"}, Weight: 1, Hours: hours}
	nyRep := rep
	nyRep.Location = ny
	utc := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	tests := []struct {
		name      string
		rep       Rep
		state     RepState
		now       string
		wantSkip  SkipReason
		wantUntil string
	}{
		// Monday 30 March 2026, the day after Copenhagen moved to CEST (UTC+2).
		{"inside hours after spring forward", rep, RepState{}, "2026-03-30T07:00:00Z", "", ""},
		{"before opening after spring forward", rep, RepState{}, "2026-03-30T06:59:00Z", SkipOutsideHours, "2026-03-30T07:00:00Z"},
		// Thursday 26 March 2026, still CET (UTC+1): 09:00 local is 08:00Z.
		{"before opening in winter time", rep, RepState{}, "2026-03-26T07:30:00Z", SkipOutsideHours, "2026-03-26T08:00:00Z"},
		{"closing minute is outside", rep, RepState{}, "2026-03-26T14:00:00Z", SkipOutsideHours, "2026-03-30T07:00:00Z"},
		{"Friday is not a working day", rep, RepState{}, "2026-03-27T10:00:00Z", SkipOutsideHours, "2026-03-30T07:00:00Z"},
		// New York moved on 8 March: 09:00 EDT is 13:00Z.
		{"own time zone", nyRep, RepState{}, "2026-03-30T12:59:00Z", SkipOutsideHours, "2026-03-30T13:00:00Z"},
		{"own time zone open", nyRep, RepState{}, "2026-03-30T13:00:00Z", "", ""},
		{"away until", rep, RepState{Away: &Away{Until: utc("2026-04-06T00:00:00Z"), Reason: "Easter"}}, "2026-03-30T08:00:00Z", SkipAway, "2026-04-06T00:00:00Z"},
		{"away expired", rep, RepState{Away: &Away{Until: utc("2026-03-30T00:00:00Z")}}, "2026-03-30T08:00:00Z", "", ""},
		{"away until back", rep, RepState{Away: &Away{}}, "2026-03-30T08:00:00Z", SkipAway, ""},
		{"at capacity", rep, RepState{OpenLeads: 3}, "2026-03-30T08:00:00Z", SkipAtCapacity, ""},
		{"under capacity", rep, RepState{OpenLeads: 2}, "2026-03-30T08:00:00Z", "", ""},
		{"deactivated wins", rep, RepState{Deactivated: true, OpenLeads: 9}, "2026-03-30T08:00:00Z", SkipDeactivated, ""},
		{"unreachable before away", rep, RepState{Unreachable: "no such email", Away: &Away{}}, "2026-03-30T08:00:00Z", SkipUnreachable, ""},
		{"guest before unreachable and away", rep, RepState{Guest: "a guest", Unreachable: "no such email", Away: &Away{}}, "2026-03-30T08:00:00Z", SkipGuest, ""},
		{"deactivated before guest", rep, RepState{Deactivated: true, Guest: "a guest"}, "2026-03-30T08:00:00Z", SkipDeactivated, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := r.Availability(tt.rep, tt.state, utc(tt.now), cph)
			if got.Skip != tt.wantSkip {
				t.Fatalf("Skip = %q, want %q", got.Skip, tt.wantSkip)
			}
			var wantUntil time.Time
			if tt.wantUntil != "" {
				wantUntil = utc(tt.wantUntil)
			}
			if !got.Until.Equal(wantUntil) {
				t.Errorf("Until = %s, want %s", got.Until.UTC(), wantUntil)
			}
		})
	}
}

func TestAwayFromSlackStatus(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	later := now.Add(48 * time.Hour)
	tests := []struct {
		name        string
		emoji, text string
		expiration  time.Time
		wantAway    bool
	}{
		{"palm tree", ":palm_tree:", "", later, true},
		{"out of office text", ":calendar:", "Out of office", later, true},
		{"OOO", "", "OOO till Monday", time.Time{}, true},
		{"vacation", "", "On vacation", later, true},
		{"expired", ":palm_tree:", "", now, false},
		{"in a meeting", ":spiral_calendar_pad:", "In a meeting", later, false},
		{"a word containing ooo is not OOO", "", "Snooooze", later, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := AwayFromSlackStatus(tt.emoji, tt.text, tt.expiration, now)
			if (got != nil) != tt.wantAway {
				t.Fatalf("AwayFromSlackStatus = %+v, want away %v", got, tt.wantAway)
			}
			if got != nil && !got.Until.Equal(tt.expiration) {
				t.Errorf("Until = %s, want %s", got.Until, tt.expiration)
			}
		})
	}
}

func TestRoutingDecide(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	ann, bob, cat := slackRep("U0000ANN", 2), slackRep("U0000BOB", 1), slackRep("U0000CAT", 1)
	r := Routing{Mode: RouteRoundRobin, OfferRounds: 2, Reps: []Rep{ann, bob, cat}}
	tests := []struct {
		name        string
		in          RouteInput
		wantOffered string
		wantChannel bool
		wantWaiting bool
		wantSame    bool
		wantSkips   map[string]SkipReason
	}{
		{"highest balance plus weight first", RouteInput{}, "slack:U0000ANN", false, false, false, nil},
		{"balances decide", RouteInput{States: map[string]RepState{"slack:U0000ANN": {Credit: -3}}}, "slack:U0000BOB", false, false, false, nil},
		{"tie goes to the first listed", RouteInput{States: map[string]RepState{"slack:U0000ANN": {Credit: -1}}}, "slack:U0000ANN", false, false, false, nil},
		{"a rep who passed is not offered again", RouteInput{Tried: []TriedOffer{{Rep: ann.Ref, Ending: SkipPassed}}}, "slack:U0000BOB", false, false, false,
			map[string]SkipReason{"slack:U0000ANN": SkipPassed}},
		{"rounds used up open to the channel", RouteInput{Tried: []TriedOffer{{Rep: ann.Ref, Ending: SkipPassed}, {Rep: bob.Ref, Ending: SkipTimedOut}}}, "", true, false, false, nil},
		{"account owner first", RouteInput{AccountOwner: "slack:U0000CAT"}, "slack:U0000CAT", false, false, true, nil},
		{"unavailable account owner falls back to the rotation", RouteInput{AccountOwner: "slack:U0000CAT",
			States: map[string]RepState{"slack:U0000CAT": {Away: &Away{}}}}, "slack:U0000ANN", false, false, false,
			map[string]SkipReason{"slack:U0000CAT": SkipAway}},
		{"nobody available waits", RouteInput{States: map[string]RepState{
			"slack:U0000ANN": {Away: &Away{}}, "slack:U0000BOB": {Deactivated: true}, "slack:U0000CAT": {Away: &Away{}}}},
			"", false, true, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.Now = now
			d := r.Decide(tt.in)
			if got := d.Offered.Key(); d.Offered.IsZero() && tt.wantOffered != "" || !d.Offered.IsZero() && got != tt.wantOffered {
				t.Errorf("Offered = %q, want %q", got, tt.wantOffered)
			}
			if d.OpenToChannel != tt.wantChannel || d.Waiting != tt.wantWaiting || d.SameAccount != tt.wantSame {
				t.Errorf("OpenToChannel, Waiting, SameAccount = %v, %v, %v; want %v, %v, %v",
					d.OpenToChannel, d.Waiting, d.SameAccount, tt.wantChannel, tt.wantWaiting, tt.wantSame)
			}
			for key, want := range tt.wantSkips {
				found := false
				for _, c := range d.Candidates {
					if c.Rep.Key() == key {
						found = true
						if c.Skip != want {
							t.Errorf("%s skipped as %q, want %q", key, c.Skip, want)
						}
					}
				}
				if !found {
					t.Errorf("%s is not among the candidates", key)
				}
			}
			var sum int64
			for _, c := range d.Credits {
				sum += c
			}
			if sum != 0 {
				t.Errorf("credits %v sum to %d, want 0", d.Credits, sum)
			}
			if !d.Offered.IsZero() && !d.OfferUntil.Equal(now.Add(DefaultOfferFor)) {
				t.Errorf("OfferUntil = %s, want now + %s", d.OfferUntil, DefaultOfferFor)
			}
		})
	}
}

// TestRoutingRestart shows that the balances are the whole state: a router
// rebuilt from stored balances (a restart, another replica) picks exactly
// what one long-lived router picks.
func TestRoutingRestart(t *testing.T) {
	r := Routing{Mode: RouteRoundRobin, Reps: []Rep{slackRep("U0000ANN", 3), slackRep("U0000BOB", 2), slackRep("U0000CAT", 1)}}
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	live := map[string]RepState{}
	var liveOrder, restartedOrder []string
	stored := map[string]int64{}
	for i := range 30 {
		d := r.Decide(RouteInput{Now: now, States: live})
		apply(live, d.Credits)
		liveOrder = append(liveOrder, d.Offered.ID)

		// A fresh router each time, from nothing but the stored balances.
		states := map[string]RepState{}
		for k, c := range stored {
			states[k] = RepState{Credit: c}
		}
		d2 := Routing{Mode: r.Mode, Reps: append([]Rep(nil), r.Reps...)}.Decide(RouteInput{Now: now, States: states})
		for k, c := range d2.Credits {
			stored[k] += c
		}
		restartedOrder = append(restartedOrder, d2.Offered.ID)
		now = now.Add(time.Duration(i) * time.Minute)
	}
	if strings.Join(liveOrder, ",") != strings.Join(restartedOrder, ",") {
		t.Fatalf("restarted router picked\n%v\nlive router picked\n%v", restartedOrder, liveOrder)
	}
	counts := map[string]int{}
	for _, id := range liveOrder {
		counts[id]++
	}
	if counts["U0000ANN"] != 15 || counts["U0000BOB"] != 10 || counts["U0000CAT"] != 5 {
		t.Errorf("30 leads at weights 3:2:1 gave %v, want 15/10/5", counts)
	}
}

func TestRouteDecisionRefund(t *testing.T) {
	r := Routing{Mode: RouteRoundRobin, Reps: []Rep{slackRep("U0000ANN", 2), slackRep("U0000BOB", 1)}}
	states := map[string]RepState{}
	d := r.Decide(RouteInput{Now: time.Now(), States: states})
	apply(states, d.Credits)
	apply(states, d.Refund())
	for k, st := range states {
		if st.Credit != 0 {
			t.Errorf("%s balance after refund = %d, want 0", k, st.Credit)
		}
	}
}

func TestRouteDecisionExplain(t *testing.T) {
	cph, _ := time.LoadLocation("Europe/Copenhagen")
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC) // Tue 10:00 in Copenhagen
	hours := &BusinessHours{Start: 12 * time.Hour, End: 16 * time.Hour}
	hours.Days[time.Tuesday] = true
	r := Routing{Mode: RouteRoundRobin, MaxOpenPerRep: 1, Reps: []Rep{
		slackRep("U0000ANN", 1),
		{Ref: RepRef{Platform: "slack", ID: "U0000BOB"}, Weight: 1, Hours: hours},
		slackRep("U0000CAT", 1), slackRep("U0000DAN", 1), slackRep("U0000EVE", 1), slackRep("U0000GIA", 1)}}
	d := r.Decide(RouteInput{Now: now, Location: cph, AccountOwner: "slack:U0000EVE",
		Tried: []TriedOffer{{Rep: RepRef{Platform: "slack", ID: "U0000DAN"}, Ending: SkipPassed}},
		States: map[string]RepState{
			"slack:U0000ANN": {Away: &Away{Until: time.Date(2026, 12, 24, 0, 0, 0, 0, cph), Reason: "parental leave"}},
			"slack:U0000CAT": {OpenLeads: 1},
			"slack:U0000GIA": {Guest: "a guest of the organization"},
		}})
	got := d.Explain(func(r RepRef) string { return "@" + strings.ToLower(r.ID[5:]) }, cph)
	want := "Tue 1 Dec 10:00: offered to @eve until 10:15 (same account). Skipped: " +
		"@ann away until Thu 24 Dec (parental leave); @bob outside hours (back Tue 12:00); @cat at capacity; @dan passed; @gia not a full member (a guest of the organization)"
	if got != want {
		t.Errorf("Explain =\n%s\nwant\n%s", got, want)
	}
}

func apply(states map[string]RepState, credits map[string]int64) {
	for k, c := range credits {
		st := states[k]
		st.Credit += c
		states[k] = st
	}
}

// TestRoutingSimulatedMonth routes 400 leads over December 2026 to five reps
// with weights, working hours, a two-week holiday and a rep who returns, and
// some passes and timeouts. Each rep's received leads must be within 5% of
// their fair share: their weight's share among the reps available at each
// decision. Smooth weighted round robin keeps every rep within about one
// lead of that share, so 5% holds for any rep with a fair share of 20 or
// more. It prints the table (go test -run SimulatedMonth -v).
func TestRoutingSimulatedMonth(t *testing.T) {
	cph, err := time.LoadLocation("Europe/Copenhagen")
	if err != nil {
		t.Fatal(err)
	}
	weekdays := &BusinessHours{Start: 8 * time.Hour, End: 17 * time.Hour}
	for d := time.Monday; d <= time.Friday; d++ {
		weekdays.Days[d] = true
	}
	short := &BusinessHours{Start: 9 * time.Hour, End: 15 * time.Hour}
	for _, d := range []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday} {
		short.Days[d] = true
	}
	reps := []Rep{
		{Ref: RepRef{"slack", "U0000ANN"}, Weight: 2, Hours: weekdays},
		{Ref: RepRef{"slack", "U0000BOB"}, Weight: 1, Hours: weekdays},
		{Ref: RepRef{"slack", "U0000CAT"}, Weight: 1, Hours: short},
		{Ref: RepRef{"slack", "U0000DAN"}, Weight: 3, Hours: weekdays},
		{Ref: RepRef{"teams", "eve@example.com"}, Weight: 1, Hours: weekdays},
	}
	r := Routing{Mode: RouteRoundRobin, OfferRounds: 2, Reps: reps}
	start := time.Date(2026, 12, 1, 0, 0, 0, 0, cph)
	holidayFrom, holidayTo := time.Date(2026, 12, 7, 0, 0, 0, 0, cph), time.Date(2026, 12, 21, 0, 0, 0, 0, cph)
	rnd := rand.New(rand.NewPCG(2026, 12))

	states := map[string]RepState{}
	received := map[string]float64{}
	fair := map[string]float64{}
	var afterReturn []string
	danFairAfter := 0.0
	routed := 0
	for i := range 400 {
		// Leads arrive in time order, mostly in the working day (07-19),
		// some at night and at weekends, when they wait for the next opening.
		day := start.AddDate(0, 0, i*31/400)
		now := day.Add(7*time.Hour + time.Duration(rnd.Int64N(int64(12*time.Hour))))
		if rnd.IntN(10) == 0 {
			now = day.Add(time.Duration(rnd.Int64N(int64(24 * time.Hour))))
		}
		dan := states["slack:U0000DAN"]
		if !now.Before(holidayFrom) && now.Before(holidayTo) {
			dan.Away = &Away{Until: holidayTo, Reason: "holiday"}
		} else {
			dan.Away = nil
		}
		states["slack:U0000DAN"] = dan

		var tried []TriedOffer
		for {
			d := r.Decide(RouteInput{Now: now, Location: cph, States: states, Tried: tried})
			if d.Waiting {
				// Nobody in hours: the lead waits for the next opening.
				now = now.Add(15 * time.Minute)
				continue
			}
			if d.OpenToChannel {
				break
			}
			apply(states, d.Credits)
			if ending := []SkipReason{"", "", "", "", "", "", "", "", SkipPassed, SkipTimedOut}[rnd.IntN(10)]; ending != "" {
				apply(states, d.Refund())
				tried = append(tried, TriedOffer{Rep: d.Offered, Ending: ending})
				now = now.Add(time.Minute)
				continue
			}
			received[d.Offered.Key()]++
			var total float64
			for _, rep := range reps {
				if d.Credits[rep.Ref.Key()] != 0 {
					total += float64(rep.Weight)
				}
			}
			for _, rep := range reps {
				if d.Credits[rep.Ref.Key()] != 0 {
					fair[rep.Ref.Key()] += float64(rep.Weight) / total
				}
			}
			if !now.Before(holidayTo) && len(afterReturn) < 14 {
				afterReturn = append(afterReturn, d.Offered.Key())
				danFairAfter += 3 / total
			}
			routed++
			break
		}
	}
	t.Logf("%d of 400 leads accepted by the offered rep (the rest opened to the channel)", routed)
	t.Logf("%-22s %6s %9s %9s %7s", "rep", "weight", "received", "fair", "diff")
	for _, rep := range reps {
		k := rep.Ref.Key()
		diff := (received[k] - fair[k]) / fair[k]
		t.Logf("%-22s %6d %9.0f %9.1f %+6.1f%%", k, rep.Weight, received[k], fair[k], 100*diff)
		if math.Abs(diff) > 0.05 {
			t.Errorf("%s received %.0f leads, fair share %.1f: off by %.1f%%, more than 5%%", k, received[k], fair[k], 100*diff)
		}
	}
	// No burst of catch-up leads: in the 14 leads after the holiday, Dan
	// gets his fair share within a lead or two, not all of them.
	dans := strings.Count(strings.Join(afterReturn, ","), "U0000DAN")
	if float64(dans) > danFairAfter+2 {
		t.Errorf("Dan got %d of the 14 leads after his holiday, fair share %.1f: a catch-up burst (%v)", dans, danFairAfter, afterReturn)
	}
	t.Logf("leads to Dan among the first 14 after his return: %d (fair share %.1f)", dans, danFairAfter)
}
