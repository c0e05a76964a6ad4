package scheduler_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/internal/testkit"
	"github.com/handoff/handoff/scheduler"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

var t0 = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC) // a Friday

type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

// quiet writes nothing.
var quiet = testkit.Quiet

func policy() handoff.Policy {
	p := handoff.DefaultPolicy()
	p.RemindBefore = []time.Duration{12 * time.Hour, time.Hour}
	p.Location, _ = time.LoadLocation("Europe/Copenhagen")
	return p
}

func newScheduler(t *testing.T, s *storage.Store, c *clock, holder string) *scheduler.Scheduler {
	t.Helper()
	sch, err := scheduler.New(scheduler.Config{Store: s, Policy: policy(), Now: c.Now, Logger: quiet(), Holder: holder})
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

func saveSQL(t *testing.T, s *storage.Store, ext string, at time.Time) *handoff.Lead {
	t.Helper()
	in, err := handoff.ParseLeadInput(map[string]any{"external_id": ext}, at)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.SaveLead(context.Background(), in, policy(), at, handoff.ActorAPI)
	if err != nil {
		t.Fatal(err)
	}
	return res.Lead
}

// slaOutbox lists the lead's reminders and escalations queued, as
// kind:action.
var slaOutbox = storagetest.SLAMessages

func TestSLATimersFireOnceAcrossRestarts(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		c := &clock{now: t0}
		lead := saveSQL(t, s, "sla-1", t0)

		sch := newScheduler(t, s, c, "a")
		next, err := sch.Tick(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !next.Equal(t0.Add(2 * time.Hour)) {
			t.Fatalf("next due = %v, want the claim deadline %v", next, t0.Add(2*time.Hour))
		}

		c.now = t0.Add(2*time.Hour + time.Second)
		if _, err := sch.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		// A restarted scheduler (a new instance on the same database) fires nothing again.
		if _, err := newScheduler(t, s, c, "b").Tick(ctx); err != nil {
			t.Fatal(err)
		}
		if got := slaOutbox(t, s, lead.ID); len(got) != 1 || got[0] != "sla.escalate:escalate_claim" {
			t.Fatalf("after claim deadline: %v", got)
		}
		l, _ := s.Lead(ctx, lead.ID)
		if !l.SLABreached {
			t.Fatal("claim breach not recorded on the lead")
		}

		if _, won, err := s.ClaimLead(ctx, lead.ID, handoff.Owner{Platform: "slack", UserID: "U1"}, c.now, handoff.Policy{}, "slack:U1"); err != nil || !won {
			t.Fatalf("claim: %v %v", won, err)
		}
		for _, at := range []time.Duration{36 * time.Hour, 47 * time.Hour, 48 * time.Hour, 49 * time.Hour} {
			c.now = t0.Add(at)
			if _, err := sch.Tick(ctx); err != nil {
				t.Fatal(err)
			}
		}
		want := []string{"sla.escalate:escalate_claim", "sla.remind:remind", "sla.remind:remind", "sla.escalate:escalate_contact"}
		got := slaOutbox(t, s, lead.ID)
		if len(got) != len(want) {
			t.Fatalf("outbox = %v, want %v", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("outbox = %v, want %v", got, want)
			}
		}
		events, _ := s.Events(ctx, lead.ID)
		count := map[handoff.EventKind]int{}
		for _, e := range events {
			count[e.Kind]++
		}
		if count[handoff.EventBreach] != 2 || count[handoff.EventReminder] != 2 {
			t.Fatalf("event counts = %v", count)
		}
		if _, pending, err := s.NextSLADue(ctx); err != nil || pending {
			t.Fatalf("SLA timers still pending after the contact escalation (%v)", err)
		}
		// With no SLA timer left, the scheduler sleeps until its daily
		// housekeeping (a day after the last, at +36 h) or the digest, whichever is first.
		if next, err := sch.Tick(ctx); err != nil || !next.Equal(t0.Add(60*time.Hour)) {
			t.Fatalf("with nothing pending, next = %v (%v), want the next daily run %v", next, err, t0.Add(60*time.Hour))
		}
	})
}

// nextDigest is the first Monday 08:00 Copenhagen after t0.
func nextDigest() time.Time {
	loc, _ := time.LoadLocation("Europe/Copenhagen")
	return time.Date(2026, 11, 23, 8, 0, 0, 0, loc)
}

func TestLeaseOneHolder(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		ttl := 15 * time.Second
		a, err := s.AcquireLease(ctx, "scheduler", "a", t0, ttl)
		if err != nil || !a {
			t.Fatalf("a: %v %v", a, err)
		}
		if b, _ := s.AcquireLease(ctx, "scheduler", "b", t0.Add(5*time.Second), ttl); b {
			t.Fatal("b took a live lease")
		}
		if a, _ := s.AcquireLease(ctx, "scheduler", "a", t0.Add(5*time.Second), ttl); !a {
			t.Fatal("a could not renew its lease")
		}
		if b, _ := s.AcquireLease(ctx, "scheduler", "b", t0.Add(21*time.Second), ttl); !b {
			t.Fatal("b did not take over the expired lease")
		}
		if a, _ := s.AcquireLease(ctx, "scheduler", "a", t0.Add(22*time.Second), ttl); a {
			t.Fatal("a took back b's live lease")
		}
	})
}

func TestDigestQueuedWeeklyOnce(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		c := &clock{now: t0}
		sch := newScheduler(t, s, c, "a")
		if _, err := sch.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		digests := func() []handoff.DigestRequest {
			msgs, err := s.OutboxMessages(ctx, 0)
			if err != nil {
				t.Fatal(err)
			}
			var out []handoff.DigestRequest
			for _, m := range msgs {
				if m.Kind == handoff.OutboxDigest {
					var d handoff.DigestRequest
					json.Unmarshal([]byte(m.Payload), &d)
					out = append(out, d)
				}
			}
			return out
		}
		c.now = nextDigest().Add(-time.Second)
		sch.Tick(ctx)
		if n := len(digests()); n != 0 {
			t.Fatalf("%d digests before the schedule", n)
		}
		c.now = nextDigest().Add(time.Second)
		sch.Tick(ctx)
		newScheduler(t, s, c, "b").Tick(ctx)
		got := digests()
		if len(got) != 1 || got[0].Week != "2026-W47" {
			t.Fatalf("digests = %+v, want one for 2026-W47", got)
		}
		// Three weeks of downtime: one digest for the latest week, not three.
		c.now = nextDigest().AddDate(0, 0, 21).Add(time.Hour)
		sch.Tick(ctx)
		got = digests()
		if len(got) != 2 || got[1].Week != "2026-W50" {
			t.Fatalf("after downtime digests = %+v, want a second for 2026-W50", got)
		}
	})
}

func TestDigestFor(t *testing.T) {
	loc, _ := time.LoadLocation("Europe/Copenhagen")
	tests := []struct {
		at   time.Time
		week string
	}{
		{time.Date(2026, 11, 23, 8, 0, 0, 0, loc), "2026-W47"},
		{time.Date(2026, 11, 29, 23, 0, 0, 0, loc), "2026-W47"},
		{time.Date(2027, 1, 4, 8, 0, 0, 0, loc), "2026-W53"},
		{time.Date(2026, 3, 30, 8, 0, 0, 0, loc), "2026-W13"}, // the Monday after the spring DST change
	}
	for _, tc := range tests {
		d := scheduler.DigestFor(tc.at, loc)
		if d.Week != tc.week || d.End.Sub(d.Start) < 167*time.Hour || d.End.Sub(d.Start) > 169*time.Hour {
			t.Errorf("DigestFor(%v) = %s %v–%v, want %s spanning a week", tc.at, d.Week, d.Start, d.End, tc.week)
		}
	}
}

// TestDigestWeekIsSLAsWeek: the digest reports on the week /sla calls by
// its name, to the instant, also where a Monday's midnight does not exist
// (São Paulo, 6 October 1997: clocks went from 00:00 to 01:00), where
// time.Date's midnight is 23:00 of the Sunday before.
func TestDigestWeekIsSLAsWeek(t *testing.T) {
	for _, tc := range []struct {
		zone string
		at   time.Time
	}{
		{"America/Sao_Paulo", time.Date(1997, 10, 8, 8, 0, 0, 0, time.UTC)},  // reports on 1997-W40, ending that Monday
		{"America/Sao_Paulo", time.Date(1997, 10, 15, 8, 0, 0, 0, time.UTC)}, // 1997-W41, starting it
		{"Europe/Copenhagen", time.Date(2026, 3, 30, 8, 0, 0, 0, time.UTC)},
	} {
		loc, err := time.LoadLocation(tc.zone)
		if err != nil {
			t.Fatal(err)
		}
		d := scheduler.DigestFor(tc.at, loc)
		p, err := handoff.ParsePeriod(d.Week, tc.at, loc)
		if err != nil {
			t.Fatal(err)
		}
		if !d.Start.Equal(p.Start) || !d.End.Equal(p.End) {
			t.Errorf("%s at %v: digest's %s is %v–%v, /sla's %v–%v", tc.zone, tc.at, d.Week, d.Start, d.End, p.Start, p.End)
		}
	}
}

func TestRetentionPurgeDaily(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		c := &clock{now: t0}
		p := policy()
		p.Retention = 30 * 24 * time.Hour
		sch, err := scheduler.New(scheduler.Config{Store: s, Policy: p, Now: c.Now, Logger: quiet(), Holder: "a"})
		if err != nil {
			t.Fatal(err)
		}
		// An MQL has no SLA timers, so nothing but the purge touches it.
		in, _ := handoff.ParseLeadInput(map[string]any{"external_id": "old", "stage": "mql", "name": "Ann"}, t0)
		res, err := s.SaveLead(ctx, in, p, t0, handoff.ActorAPI)
		if err != nil {
			t.Fatal(err)
		}
		lead := res.Lead
		c.now = t0.AddDate(0, 0, 29).Add(12 * time.Hour)
		if _, err := sch.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		if l, _ := s.Lead(ctx, lead.ID); l.ExternalID != "old" {
			t.Fatalf("erased before its retention ended: %+v", l)
		}
		saveSQL(t, s, "fresh", t0.AddDate(0, 0, 29))
		c.now = t0.AddDate(0, 0, 30).Add(time.Hour) // within a day of the last purge: no purge yet
		sch.Tick(ctx)
		if l, _ := s.Lead(ctx, lead.ID); l.ExternalID != "old" {
			t.Fatal("purged twice within a day")
		}
		c.now = t0.AddDate(0, 0, 30).Add(13 * time.Hour)
		sch.Tick(ctx)
		if l, _ := s.Lead(ctx, lead.ID); l.ExternalID == "old" {
			t.Fatal("not erased after its retention ended")
		}
		if _, err := s.LeadByExternalID(ctx, "fresh"); err != nil {
			t.Fatalf("a fresh lead was erased: %v", err)
		}
	})
}

// The daily maintenance forgets command answers whose response_url has
// expired (erase can no longer replace them) and keeps those still valid.
func TestMaintenancePrunesExpiredReplies(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		c := &clock{now: t0}
		lead := saveSQL(t, s, "answered", t0)
		reply := func(url string, expires time.Time) handoff.ChatPost {
			return handoff.ChatPost{LeadID: lead.ID, Kind: handoff.PostReply, Platform: "slack", MessageID: url, ExpiresAt: &expires}
		}
		if err := s.SaveLeadMessages(ctx, t0, t0, reply("https://hooks.slack.test/a", t0.Add(30*time.Minute)), reply("https://hooks.slack.test/b", t0.Add(2*time.Hour))); err != nil {
			t.Fatal(err)
		}
		c.now = t0.Add(time.Hour)
		if _, err := newScheduler(t, s, c, "a").Tick(ctx); err != nil {
			t.Fatal(err)
		}
		left, err := s.LeadMessages(ctx, lead.ID)
		if err != nil {
			t.Fatal(err)
		}
		var urls []string
		for _, m := range left {
			if m.Kind == handoff.PostReply {
				urls = append(urls, m.MessageID)
			}
		}
		if len(urls) != 1 || urls[0] != "https://hooks.slack.test/b" {
			t.Fatalf("stored answers after maintenance = %v, want only the unexpired one", urls)
		}
	})
}

// TestDigestAcrossDST checks that the digest goes out exactly once, at the
// expected instant, in the weeks clocks change in Copenhagen: a schedule in
// the hour that spring-forward skips runs at the same wall-clock offset
// after the jump (robfig/cron skipped it for a week), and one in the hour
// that fall-back repeats runs once.
func TestDigestAcrossDST(t *testing.T) {
	cph, err := time.LoadLocation("Europe/Copenhagen")
	if err != nil {
		t.Fatal(err)
	}
	utc := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, time.UTC) }
	tests := []struct {
		name     string
		schedule string
		start    time.Time // the scheduler first runs here
		due      time.Time // the digest must go out exactly then
		repeat   time.Time // no second digest by then
		next     time.Time // the following one goes out then
	}{
		{"normal Monday", "0 8 * * MON", utc(2026, 11, 20, 9, 0), utc(2026, 11, 23, 7, 0), utc(2026, 11, 29, 7, 0), utc(2026, 11, 30, 7, 0)},
		{"Monday after spring-forward", "0 8 * * MON", utc(2027, 3, 26, 9, 0), utc(2027, 3, 29, 6, 0), utc(2027, 4, 4, 6, 0), utc(2027, 4, 5, 6, 0)},
		{"Monday after fall-back", "0 8 * * MON", utc(2026, 10, 23, 9, 0), utc(2026, 10, 26, 7, 0), utc(2026, 11, 1, 7, 0), utc(2026, 11, 2, 7, 0)},
		// 02:30 does not exist on 28 March 2027; it runs at 03:30 CEST.
		{"02:30 on the spring-forward day", "30 2 * * SUN", utc(2027, 3, 26, 9, 0), utc(2027, 3, 28, 1, 30), utc(2027, 4, 3, 1, 30), utc(2027, 4, 4, 0, 30)},
		// 02:30 happens twice on 25 October 2026: once is enough.
		{"02:30 on the fall-back day", "30 2 * * SUN", utc(2026, 10, 23, 9, 0), utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 31), utc(2026, 11, 1, 1, 30)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			storagetest.Each(t, func(t *testing.T, s *storage.Store) {
				ctx := context.Background()
				p := policy()
				p.Location = cph
				p.DigestSchedule = tc.schedule
				c := &clock{now: tc.start}
				sch, err := scheduler.New(scheduler.Config{Store: s, Policy: p, Now: c.Now, Logger: quiet(), Holder: "a"})
				if err != nil {
					t.Fatal(err)
				}
				count := func(at time.Time) int {
					t.Helper()
					c.now = at
					if _, err := sch.Tick(ctx); err != nil {
						t.Fatal(err)
					}
					msgs, err := s.OutboxMessages(ctx, 0)
					if err != nil {
						t.Fatal(err)
					}
					n := 0
					for _, m := range msgs {
						if m.Kind == handoff.OutboxDigest {
							n++
						}
					}
					return n
				}
				steps := []struct {
					at   time.Time
					want int
				}{
					{tc.start, 0},
					{tc.due.Add(-time.Second), 0},
					{tc.due, 1},
					{tc.repeat, 1},
					{tc.next.Add(-time.Second), 1},
					{tc.next, 2},
				}
				for _, st := range steps {
					if got := count(st.at); got != st.want {
						t.Fatalf("at %v (%v): %d digests queued, want %d", st.at.In(cph), st.at, got, st.want)
					}
				}
			})
		})
	}
}

// A digest schedule that no date matches is refused: digestTick would look
// for its next run forever, and the SLA clock with it.
func TestNewRefusesScheduleThatNeverRuns(t *testing.T) {
	s := storagetest.Open(t, storage.DialectSQLite)
	tests := []struct {
		spec string
		ok   bool
	}{
		{"0 8 * * MON", true},
		{"0 8 29 2 *", true}, // once every four years still runs
		{"0 8 30 2 *", false},
		{"0 8 31 11 *", false},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			p := policy()
			p.DigestSchedule = tt.spec
			_, err := scheduler.New(scheduler.Config{Store: s, Policy: p, Now: (&clock{now: t0}).Now, Logger: quiet()})
			if tt.ok && err != nil {
				t.Fatalf("New: %v", err)
			}
			if !tt.ok && (err == nil || !strings.Contains(err.Error(), "never runs")) {
				t.Fatalf("New = %v, want an error saying the schedule never runs", err)
			}
		})
	}
}
