package handoff_test

import (
	"testing"
	"time"

	"github.com/handoff/handoff"
)

func TestSpeedBucket(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{-time.Minute, "<5m"}, {0, "<5m"}, {5*time.Minute - time.Second, "<5m"},
		{5 * time.Minute, "5m-1h"}, {59 * time.Minute, "5m-1h"},
		{time.Hour, "1h-4h"}, {4*time.Hour - 1, "1h-4h"},
		{4 * time.Hour, "4h-24h"}, {23 * time.Hour, "4h-24h"},
		{24 * time.Hour, ">24h"}, {30 * 24 * time.Hour, ">24h"},
	} {
		if got := handoff.SpeedBucket(tc.d); got != tc.want {
			t.Errorf("SpeedBucket(%s) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestNewSpeedToLead(t *testing.T) {
	rows := handoff.NewSpeedToLead(map[string]handoff.SpeedToLead{
		"<5m":  {Contacted: 10, Opportunities: 6, Won: 3},
		">24h": {Contacted: 11, Won: 1},
	})
	if len(rows) != 5 || rows[0].Bucket != "<5m" || rows[4].Bucket != ">24h" {
		t.Fatalf("rows = %+v", rows)
	}
	if rows[0].WinRate == nil || *rows[0].WinRate != 0.3 {
		t.Errorf("<5m win rate = %v, want 0.3", rows[0].WinRate)
	}
	if rows[1].WinRate != nil || rows[1].Contacted != 0 {
		t.Errorf("empty bucket = %+v, want zeros and a null rate", rows[1])
	}
	if *rows[4].WinRate != 0.0909 {
		t.Errorf(">24h win rate = %v", *rows[4].WinRate)
	}
}

// TestSLACompliance is the one definition of SLA compliance: a lead counts
// in the period in which it was settled.
func TestSLACompliance(t *testing.T) {
	loc := time.UTC
	// ISO week 2026-W47: Mon 16 Nov to Mon 23 Nov.
	week := handoff.Period{Label: "2026-W47", Start: time.Date(2026, 11, 16, 0, 0, 0, 0, loc), End: time.Date(2026, 11, 23, 0, 0, 0, 0, loc)}
	at := func(d, h int) *time.Time { t := time.Date(2026, 11, d, h, 0, 0, 0, loc); return &t }
	for _, tc := range []struct {
		name                   string
		sql, due, contacted    *time.Time
		now                    time.Time
		outcome                handoff.SLAOutcome
		met, breached, pending int64
	}{
		{name: "contacted in time this week, deadline next week: met this week",
			sql: at(20, 10), due: at(24, 10), contacted: at(20, 11), now: *at(23, 8), outcome: handoff.SLAMet, met: 1},
		{name: "contacted in time last week: not this week's",
			sql: at(12, 10), due: at(17, 10), contacted: at(13, 9), now: *at(23, 8), outcome: handoff.SLAMet},
		{name: "deadline passed this week without contact: breached this week",
			sql: at(17, 10), due: at(19, 10), now: *at(23, 8), outcome: handoff.SLABreached, breached: 1},
		{name: "contacted late this week, deadline last week: breached last week",
			sql: at(12, 10), due: at(14, 10), contacted: at(17, 9), now: *at(23, 8), outcome: handoff.SLABreached},
		{name: "contacted late, deadline this week: breached this week",
			sql: at(17, 10), due: at(19, 10), contacted: at(20, 9), now: *at(23, 8), outcome: handoff.SLABreached, breached: 1},
		{name: "contacted exactly at the deadline: met",
			sql: at(17, 10), due: at(19, 10), contacted: at(19, 10), now: *at(23, 8), outcome: handoff.SLAMet, met: 1},
		{name: "SQL this week, deadline ahead, not contacted: pending",
			sql: at(22, 10), due: at(24, 10), now: *at(23, 8), outcome: handoff.SLAPending, pending: 1},
		{name: "SQL last week, still pending: not this week's",
			sql: at(15, 10), due: at(24, 10), now: *at(23, 8), outcome: handoff.SLAPending},
		{name: "deadline passes at now exactly: breached",
			sql: at(20, 10), due: at(22, 10), now: *at(22, 10), outcome: handoff.SLABreached, breached: 1},
		{name: "never an SQL", now: *at(23, 8), outcome: handoff.SLANone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, _ := handoff.SettleSLA(tc.due, tc.contacted, tc.now); got != tc.outcome {
				t.Errorf("outcome = %v, want %v", got, tc.outcome)
			}
			var s handoff.SLAStats
			s.CountSLA(week, tc.sql, tc.due, tc.contacted, tc.now)
			if s.Met != tc.met || s.Breached != tc.breached || s.Pending != tc.pending || s.Due != tc.met+tc.breached+tc.pending {
				t.Errorf("stats = %+v, want met %d breached %d pending %d", s, tc.met, tc.breached, tc.pending)
			}
		})
	}
	// Compliance over a mix: 3 met, 1 breached → 0.75.
	var s handoff.SLAStats
	for _, c := range []*time.Time{at(17, 11), at(18, 11), at(19, 9), nil} {
		s.CountSLA(week, at(17, 10), at(19, 10), c, *at(23, 8))
	}
	if want := handoff.NewSLAStats(3, 1, 0); s.Compliance == nil || *s.Compliance != 0.75 || s.Due != want.Due || s.Met != want.Met {
		t.Errorf("compliance = %+v, want 0.75", s)
	}
}

func TestSplitClaimDelay(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	m := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Minute) }
	for _, tc := range []struct {
		name           string
		shown, claimed time.Time
		system, rep    time.Duration
	}{
		{"shown at once", m(0), m(30), 0, 30 * time.Minute},
		{"chat down for 50 minutes", m(50), m(55), 50 * time.Minute, 5 * time.Minute},
		{"shown after the claim elsewhere", m(20), m(10), 10 * time.Minute, 0},
		{"shown before the SQL (clock skew)", m(-3), m(7), 0, 7 * time.Minute},
	} {
		sys, rep := handoff.SplitClaimDelay(t0, tc.shown, tc.claimed)
		if sys != tc.system || rep != tc.rep {
			t.Errorf("%s: system %s rep %s, want %s and %s", tc.name, sys, rep, tc.system, tc.rep)
		}
	}
}

func TestExcusedClaimDue(t *testing.T) {
	sqlAt := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	p := handoff.DefaultPolicy()
	shown := sqlAt.Add(45 * time.Minute)
	if got, want := p.ExcusedClaimDue(sqlAt, shown), sqlAt.Add(2*time.Hour); !got.Equal(want) {
		t.Errorf("without excuse: %s, want %s", got, want)
	}
	p.ExcuseSystemDelay = true
	if got, want := p.ExcusedClaimDue(sqlAt, shown), sqlAt.Add(2*time.Hour+45*time.Minute); !got.Equal(want) {
		t.Errorf("with excuse: %s, want %s", got, want)
	}
	if got, want := p.ExcusedClaimDue(sqlAt, sqlAt.Add(-time.Minute)), sqlAt.Add(2*time.Hour); !got.Equal(want) {
		t.Errorf("shown before the SQL: %s, want %s", got, want)
	}
}

func TestReasonList(t *testing.T) {
	p := handoff.DefaultPolicy()
	if got := p.ReasonList(); len(got) != 8 || got[0] != "not reachable" || got[7] != "other" {
		t.Errorf("default reasons = %v", got)
	}
	p.Reasons = []string{"too small", "other"}
	if got := p.ReasonList(); len(got) != 2 || got[0] != "too small" {
		t.Errorf("agreement reasons = %v", got)
	}
}
