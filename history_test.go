package handoff

import (
	"regexp"
	"testing"
	"time"
)

func TestImportAsHistory(t *testing.T) {
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	monthAgo := now.AddDate(0, -1, 0)
	hourAgo := now.Add(-time.Hour)
	routed := DefaultPolicy()
	routed.Routing = Routing{Mode: RouteRoundRobin, OfferFor: 10 * time.Minute, OfferRounds: 2,
		Reps: []Rep{slackRep("U0ANN0001", 1)}}
	cases := []struct {
		name    string
		policy  Policy
		stage   Stage
		at      *time.Time
		history bool
		// what the lead and its change come to
		wantStage     Stage
		wantDeadlines bool
		wantOutbox    string // the outbox message's kind, "" for none
		wantHistory   bool   // BecameSQLAsHistory
		wantLate      bool   // BecameSQLPastClaimDeadline
	}{
		{"old SQL as history", DefaultPolicy(), StageSQL, &monthAgo, true, StageSQL, false, "", true, false},
		{"old SQL live: announced and past its deadline", DefaultPolicy(), StageSQL, &monthAgo, false, StageSQL, true, OutboxAnnounceLead, false, true},
		{"new SQL as history", DefaultPolicy(), StageSQL, &hourAgo, true, StageSQL, false, "", true, false},
		{"new SQL live, within its deadline", DefaultPolicy(), StageSQL, &hourAgo, false, StageSQL, true, OutboxAnnounceLead, false, false},
		{"old routed SQL as history: no offer", routed, StageSQL, &monthAgo, true, StageSQL, false, "", true, false},
		{"old routed SQL live: offered", routed, StageSQL, &monthAgo, false, StageSQL, true, OutboxRouteLead, false, true},
		{"old claimed lead as history: not breached", DefaultPolicy(), StageClaimed, &monthAgo, true, StageClaimed, false, "", true, false},
		{"old MQL as history: never an SQL", DefaultPolicy(), StageMQL, &monthAgo, true, StageMQL, false, "", false, false},
		{"old won deal as history", DefaultPolicy(), StageWon, &monthAgo, true, StageWon, false, "", true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := LeadInput{ExternalID: "hs-1", Email: "ann@example.com", Stage: c.stage, OccurredAt: c.at, History: c.history}
			var l Lead
			changed, events, err := in.Apply(&l, now, ActorImport, c.policy)
			if err != nil || !changed {
				t.Fatalf("Apply: changed %v, %v", changed, err)
			}
			if l.Stage != c.wantStage {
				t.Errorf("stage %s, want %s", l.Stage, c.wantStage)
			}
			hasDeadlines := l.ClaimDueAt != nil || l.ContactDueAt != nil || l.NextReminderAt != nil || l.Offer != nil
			if hasDeadlines != c.wantDeadlines {
				t.Errorf("deadlines %v (claim %v, contact %v, reminder %v, offer %v), want %v",
					hasDeadlines, l.ClaimDueAt, l.ContactDueAt, l.NextReminderAt, l.Offer, c.wantDeadlines)
			}
			if c.history && l.SLABreached {
				t.Error("a lead from history is breached")
			}
			if _, due := l.NextSLADue(); due && !c.wantDeadlines {
				t.Error("the SLA clock has something due for a lead from history")
			}
			if acts := l.TickSLA(now.AddDate(0, 1, 0), c.policy); len(acts) > 0 && c.history {
				t.Errorf("the SLA clock acts on a lead from history: %v", acts)
			}
			if c.at != nil && len(events) > 0 && !events[len(events)-1].At.Equal(*c.at) {
				t.Errorf("events dated %v, want %v", events[len(events)-1].At, *c.at)
			}
			var kind string
			if out := NewChange(&l, events).Outbox; len(out) > 0 {
				kind = out[0].Kind
			}
			if kind != c.wantOutbox {
				t.Errorf("outbox %q, want %q", kind, c.wantOutbox)
			}
			if got := BecameSQLAsHistory(&l, events); got != c.wantHistory {
				t.Errorf("BecameSQLAsHistory %v, want %v", got, c.wantHistory)
			}
			if got := BecameSQLPastClaimDeadline(&l, events, now); got != c.wantLate {
				t.Errorf("BecameSQLPastClaimDeadline %v, want %v", got, c.wantLate)
			}
			// For sales exactly when announced or offered.
			if got := BecameSQLForSales(&l, events); got != (c.wantOutbox != "") {
				t.Errorf("BecameSQLForSales %v, want %v", got, c.wantOutbox != "")
			}
		})
	}
}

// A lead already live keeps its deadlines when a history import touches it
// without making it an SQL again.
func TestHistoryLeavesALiveLeadAlone(t *testing.T) {
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	var l Lead
	if _, _, err := (LeadInput{ExternalID: "hs-1", Email: "ann@example.com"}).Apply(&l, now, ActorAPI, DefaultPolicy()); err != nil {
		t.Fatal(err)
	}
	l.ID = 1
	due := *l.ClaimDueAt
	changed, events, err := (LeadInput{ExternalID: "hs-1", Name: "Ann Berg", Stage: StageSQL, History: true}).Apply(&l, now.Add(time.Minute), ActorImport, DefaultPolicy())
	if err != nil || !changed || len(events) != 0 {
		t.Fatalf("Apply: changed %v, events %v, %v", changed, events, err)
	}
	if l.ClaimDueAt == nil || !l.ClaimDueAt.Equal(due) || l.ContactDueAt == nil {
		t.Errorf("deadlines claim %v contact %v, want the live lead's (claim %v)", l.ClaimDueAt, l.ContactDueAt, due)
	}
}

func TestOldRecord(t *testing.T) {
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC) // a Wednesday
	at := func(d time.Duration) *time.Time { t := now.Add(-d); return &t }
	hours := DefaultPolicy()
	hours.BusinessHours = &BusinessHours{Days: [7]bool{time.Monday: true, time.Tuesday: true, time.Wednesday: true,
		time.Thursday: true, time.Friday: true}, Start: 9 * time.Hour, End: 17 * time.Hour}
	cases := []struct {
		name   string
		policy Policy
		in     LeadInput
		want   bool
	}{
		{"no date: received now", DefaultPolicy(), LeadInput{Stage: StageSQL}, false},
		{"an hour ago, claim within 2h", DefaultPolicy(), LeadInput{Stage: StageSQL, OccurredAt: at(time.Hour)}, false},
		{"exactly at its deadline", DefaultPolicy(), LeadInput{Stage: StageSQL, OccurredAt: at(DefaultClaimWithin)}, true},
		{"a month ago", DefaultPolicy(), LeadInput{Stage: StageSQL, OccurredAt: at(30 * 24 * time.Hour)}, true},
		{"a month ago, no stage: an SQL by default", DefaultPolicy(), LeadInput{OccurredAt: at(30 * 24 * time.Hour)}, true},
		{"a month ago, won", DefaultPolicy(), LeadInput{Stage: StageWon, OccurredAt: at(30 * 24 * time.Hour)}, true},
		{"a month ago, an MQL: never announced anyway", DefaultPolicy(), LeadInput{Stage: StageMQL, OccurredAt: at(30 * 24 * time.Hour)}, false},
		{"a month ago, lost", DefaultPolicy(), LeadInput{Stage: StageLost, OccurredAt: at(30 * 24 * time.Hour)}, false},
		// Tuesday 17:30 is after hours: the two business hours run from
		// Wednesday 09:00 to 11:00, so at Wednesday 10:00 it is not old.
		{"last evening, business hours", hours, LeadInput{Stage: StageSQL, OccurredAt: at(16*time.Hour + 30*time.Minute)}, false},
		{"last evening, around the clock", DefaultPolicy(), LeadInput{Stage: StageSQL, OccurredAt: at(16*time.Hour + 30*time.Minute)}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.in.OldRecord(c.policy, now); got != c.want {
				t.Errorf("OldRecord = %v, want %v", got, c.want)
			}
		})
	}
}

// The agreement's scoring can make an imported lead an SQL after Apply
// (Lead.Rescore, as the store does): a lead from history stays one.
func TestKeepAsHistoryAfterRescoring(t *testing.T) {
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	monthAgo := now.AddDate(0, -1, 0)
	policy := DefaultPolicy()
	policy.Scoring = &Scoring{MQLAt: 5, SQLAt: 10, Explicit: []ExplicitRule{{Field: "title", Matches: regexp.MustCompile(`CTO`), Points: 30}}}
	for _, history := range []bool{false, true} {
		in := LeadInput{ExternalID: "hs-1", Email: "ann@example.com", Title: "CTO", OccurredAt: &monthAgo, History: history}
		var l Lead
		_, events, err := in.Apply(&l, now, ActorImport, policy)
		if err != nil || l.Stage != StageLead {
			t.Fatalf("Apply: stage %s, %v", l.Stage, err)
		}
		_, more := in.Rescore(&l, nil, now, policy)
		events = append(events, more...)
		if l.Stage != StageSQL {
			t.Fatalf("history %v: stage %s after rescoring, want sql", history, l.Stage)
		}
		// From history or live, the SQL counts when the record says, as
		// one whose stage the record gives does.
		want := monthAgo
		if !l.SQLAt.Equal(want) || !events[len(events)-1].At.Equal(want) {
			t.Errorf("history %v: an SQL since %v (event %v), want %v", history, l.SQLAt, events[len(events)-1].At, want)
		}
		announced := len(NewChange(&l, events).Outbox) > 0
		if announced == history || (l.ClaimDueAt == nil) != history || BecameSQLAsHistory(&l, events) != history {
			t.Errorf("history %v: announced %v, claim deadline %v", history, announced, l.ClaimDueAt)
		}
		// Live, it is held to its deadlines from then: past its claim deadline.
		if late := BecameSQLPastClaimDeadline(&l, events, now); late == history {
			t.Errorf("history %v: past its claim deadline %v (claim due %v)", history, late, l.ClaimDueAt)
		}
	}
}

// The stages the agreement's scoring moves a lead to after an input are
// dated at the input's occurred_at, but never before the lead entered the
// stage it is promoted from (Lead.StageAt), so that its history reads in
// order: a lead lost before it was ever an SQL, sent back as an MQL dated
// before its loss (which Apply dates at the loss), or an open MQL updated
// with a date before it became one. Without a known stage time the
// input's date stands.
func TestScoringPromotionNotBeforeItsStage(t *testing.T) {
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	policy := DefaultPolicy()
	policy.Scoring = &Scoring{MQLAt: 5, SQLAt: 10, Explicit: []ExplicitRule{{Field: "title", Matches: regexp.MustCompile(`CTO`), Points: 30}}}
	lostAt := now.Add(-3 * time.Hour)
	mqlAt := now.Add(-2 * time.Hour)
	lead := func(stage Stage, reached Stage, since *time.Time) Lead {
		return Lead{ID: 1, ExternalID: "hs-1", Email: "ann@example.com", Stage: stage, Reached: reached.Rank(), StageAt: since,
			CreatedAt: now.Add(-48 * time.Hour), UpdatedAt: now.Add(-time.Hour)}
	}
	for _, c := range []struct {
		name     string
		lead     Lead
		stage    Stage
		occurred time.Time
		want     time.Time
	}{
		{"new, dated a month ago", Lead{}, "", now.AddDate(0, -1, 0), now.AddDate(0, -1, 0)},
		{"lost before SQL, back as an MQL dated before the loss", lead(StageLost, StageMQL, &lostAt), StageMQL, lostAt.Add(-time.Hour), lostAt},
		{"lost before SQL, back as an MQL dated after the loss", lead(StageLost, StageMQL, &lostAt), StageMQL, lostAt.Add(time.Hour), lostAt.Add(time.Hour)},
		{"an MQL, updated with a date before it became one", lead(StageMQL, StageMQL, &mqlAt), "", mqlAt.Add(-time.Hour), mqlAt},
		{"an MQL whose stage time is not known", lead(StageMQL, StageMQL, nil), "", mqlAt.Add(-time.Hour), mqlAt.Add(-time.Hour)},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := c.lead
			in := LeadInput{ExternalID: "hs-1", Email: "ann@example.com", Title: "CTO", Stage: c.stage, OccurredAt: &c.occurred}
			if _, _, err := in.Apply(&l, now, ActorAPI, policy); err != nil {
				t.Fatal(err)
			}
			_, events := in.Rescore(&l, nil, now, policy)
			if l.Stage != StageSQL || len(events) == 0 {
				t.Fatalf("stage %s after rescoring (events %+v), want sql", l.Stage, events)
			}
			if last := events[len(events)-1]; !last.At.Equal(c.want) || l.SQLAt == nil || !l.SQLAt.Equal(c.want) {
				t.Errorf("an SQL since %v (event %v), want %v", l.SQLAt, last.At, c.want)
			}
		})
	}
}
