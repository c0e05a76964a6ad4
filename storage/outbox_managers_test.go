package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestTakeLeavesManagersWorkToAReplicaWithAManagersChannel: replica "a"
// takes (or, by NextOutboxDueFor, waits for) a message while replica "b"
// serves some platforms. A managers' message for a platform on which "a"
// has no managers' channel is left to "b" while "b" serves that platform
// now with one there; one for every platform is left only when "a" has
// none on any platform. Anything else "a" takes, as before: other kinds,
// a "b" that serves another platform, has none, or whose record ended, and
// an "a" that has one or never said.
func TestTakeLeavesManagersWorkToAReplicaWithAManagersChannel(t *testing.T) {
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	type replica struct {
		platforms []string
		managers  []string // where it has a managers' channel
		silent    bool     // never said (ManagersChannels not called)
		ended     bool     // its record ended before now
	}
	slack, teams := []string{"slack"}, []string{"teams"}
	both := []string{"slack", "teams"}
	cases := []struct {
		name     string
		a, b     replica
		kind     string
		platform string
		taken    bool
	}{
		{"an escalation for every platform", replica{platforms: slack}, replica{platforms: slack, managers: slack}, handoff.OutboxEscalate, "", false},
		{"an escalation for slack", replica{platforms: slack}, replica{platforms: slack, managers: slack}, handoff.OutboxEscalate, "slack", false},
		{"a digest", replica{platforms: slack}, replica{platforms: slack, managers: slack}, handoff.OutboxDigest, "slack", false},
		{"a managers' note", replica{platforms: slack}, replica{platforms: slack, managers: slack}, handoff.OutboxManagersNote, "", false},
		{"a deactivated rep's note", replica{platforms: slack}, replica{platforms: slack, managers: slack}, handoff.OutboxRepDeactivated, "slack", false},
		{"a given-up card's note", replica{platforms: slack}, replica{platforms: slack, managers: slack}, handoff.OutboxCardGivenUp, "", false},
		{"a card", replica{platforms: slack}, replica{platforms: slack, managers: slack}, handoff.OutboxAnnounceLead, "", true},
		{"a reminder", replica{platforms: slack}, replica{platforms: slack, managers: slack}, handoff.OutboxRemind, "slack", true},
		{"b's record ended", replica{platforms: slack}, replica{platforms: slack, managers: slack, ended: true}, handoff.OutboxEscalate, "slack", true},
		{"b has none", replica{platforms: slack}, replica{platforms: slack}, handoff.OutboxEscalate, "slack", true},
		{"b has one on teams alone", replica{platforms: slack}, replica{platforms: both, managers: teams}, handoff.OutboxEscalate, "slack", true},
		{"b serves teams alone, for every platform", replica{platforms: slack}, replica{platforms: teams, managers: teams}, handoff.OutboxEscalate, "", true},
		{"b did not say", replica{platforms: slack}, replica{platforms: slack, silent: true}, handoff.OutboxEscalate, "slack", false},
		{"a has one", replica{platforms: slack, managers: slack}, replica{platforms: slack, managers: slack}, handoff.OutboxEscalate, "slack", true},
		{"a did not say", replica{platforms: slack, silent: true}, replica{platforms: slack, managers: slack}, handoff.OutboxEscalate, "slack", true},
		{"a has one on teams, for every platform", replica{platforms: both, managers: teams}, replica{platforms: slack, managers: slack}, handoff.OutboxEscalate, "", true},
		{"a has one on teams, for slack", replica{platforms: both, managers: teams}, replica{platforms: slack, managers: slack}, handoff.OutboxEscalate, "slack", false},
	}
	for _, d := range storagetest.Dialects {
		t.Run(d, func(t *testing.T) {
			for _, c := range cases {
				ctx := context.Background()
				s := storagetest.Open(t, d)
				serve := func(worker string, r replica, at time.Time) {
					if !r.silent {
						s.ManagersChannels(worker, r.managers...)
					}
					if err := s.ServeOutbox(ctx, worker, at, time.Minute, r.platforms...); err != nil {
						t.Fatal(err)
					}
				}
				bAt := now
				if c.b.ended {
					bAt = now.Add(-2 * time.Minute)
				}
				serve("b", c.b, bAt)
				serve("a", c.a, now)
				if err := s.Enqueue(ctx, now.Add(-time.Second), handoff.OutboxMessage{Kind: c.kind, Platform: c.platform, Payload: "{}"}); err != nil {
					t.Fatal(err)
				}
				at, due, err := s.NextOutboxDueFor(ctx, "a", now, c.a.platforms...)
				if err != nil {
					t.Fatal(err)
				}
				msgs, err := s.TakeOutbox(ctx, now, 10, time.Minute, "a", c.a.platforms...)
				if err != nil {
					t.Fatal(err)
				}
				// Left, a waits until b's record ends, when it would take it.
				want := now.Add(time.Minute)
				if c.taken {
					want = now.Add(-time.Second)
				}
				if taken := len(msgs) == 1; taken != c.taken || !due || !at.Equal(want) {
					t.Errorf("%s: a took it %v, waits until %v (%v); want %v, until %v", c.name, taken, at.Sub(now), due, c.taken, want.Sub(now))
				}
			}
		})
	}
}

// A Slack replica without a managers' channel ("a") does not wait for an
// escalation it leaves to "b", which serves Slack with one: while b's
// record runs, NextOutboxDueFor tells a of the card due after the
// escalation, not of the escalation (so its dispatcher does not wake for
// it, at once and again, to take nothing), and tells b of the escalation.
// Once b's record has run out (b stopped or died), it tells a of the
// escalation, which a's take then takes, to skip.
func TestNextOutboxDueForLeavesWhatTheTakeLeaves(t *testing.T) {
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	escalated, carded := now.Add(10*time.Second), now.Add(20*time.Second)
	ranOut := now.Add(time.Minute) // b's record: until now plus its lease
	steps := []struct {
		worker string
		at     time.Time
		want   time.Time
	}{
		{"a", now, carded},
		{"b", now, escalated},
		{"a", ranOut.Add(-time.Millisecond), carded},
		{"a", ranOut, escalated},
	}
	for name, platform := range map[string]string{"for every platform": "", "for slack": "slack"} {
		t.Run(name, func(t *testing.T) {
			storagetest.Each(t, func(t *testing.T, s *storage.Store) {
				ctx := context.Background()
				s.ManagersChannels("a")
				s.ManagersChannels("b", "slack")
				for _, w := range []string{"a", "b"} {
					if err := s.ServeOutbox(ctx, w, now, time.Minute, "slack"); err != nil {
						t.Fatal(err)
					}
				}
				err := s.Enqueue(ctx, now,
					handoff.OutboxMessage{Kind: handoff.OutboxEscalate, Platform: platform, Payload: "{}", Due: escalated},
					handoff.OutboxMessage{Kind: handoff.OutboxAnnounceLead, Payload: "{}", Due: carded})
				if err != nil {
					t.Fatal(err)
				}
				for _, st := range steps {
					due, ok, err := s.NextOutboxDueFor(ctx, st.worker, st.at, "slack")
					if err != nil {
						t.Fatal(err)
					}
					if !ok || !due.Equal(st.want) {
						t.Errorf("escalation for %q: %s at %s finds the next message due at %v (%v), want %v",
							platform, st.worker, st.at.Sub(now), due.Sub(now), ok, st.want.Sub(now))
					}
				}
				msgs, err := s.TakeOutbox(ctx, ranOut, 10, time.Minute, "a", "slack")
				if err != nil {
					t.Fatal(err)
				}
				if len(msgs) != 2 || msgs[0].Kind != handoff.OutboxEscalate {
					t.Errorf("escalation for %q: a took %+v once b's record ran out, want the escalation and the card", platform, msgs)
				}
			})
		})
	}
}

// TestNextOutboxDueForEndsWithTheRecordLeavingWork: a Slack replica
// without a managers' channel ("a") leaves an escalation to "b" (and
// "c"), which serve Slack with one. Should b die, a takes the escalation
// once b's record runs out; its wait (NextOutboxDueFor) ended only at the
// next message a takes, or found none, so a took it at its next round, up
// to outbox.DefaultIdle later. It now ends when the earliest such record
// ends, if that comes first, whatever a leaves: a live replica's record
// ends further off than a's next round (it renews it once a third of its
// lease has passed), so only a dying one's ends a's wait, once. With no
// replica serving Slack with a managers' channel, the records do not
// count.
func TestNextOutboxDueForEndsWithTheRecordLeavingWork(t *testing.T) {
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	bEnds, cEnds := now.Add(time.Minute), now.Add(90*time.Second) // until now (c: 30 s after) plus a minute
	for name, platform := range map[string]string{"for every platform": "", "for slack": "slack"} {
		escalation := func(due time.Time) handoff.OutboxMessage {
			return handoff.OutboxMessage{Kind: handoff.OutboxEscalate, Platform: platform, Payload: "{}", Due: due}
		}
		card := func(due time.Time) handoff.OutboxMessage {
			return handoff.OutboxMessage{Kind: handoff.OutboxAnnounceLead, Payload: "{}", Due: due}
		}
		cases := []struct {
			name  string
			c     bool // c serves Slack with a managers' channel too
			bNone bool // b has no managers' channel either
			msgs  []handoff.OutboxMessage
			want  time.Time // zero: none
		}{
			{name: "an escalation left", msgs: []handoff.OutboxMessage{escalation(now)}, want: bEnds},
			{name: "an escalation left, a card after b's record", msgs: []handoff.OutboxMessage{escalation(now), card(now.Add(2 * time.Minute))}, want: bEnds},
			{name: "an escalation left, a card before b's record", msgs: []handoff.OutboxMessage{escalation(now), card(now.Add(20 * time.Second))}, want: now.Add(20 * time.Second)},
			{name: "an escalation left due after the card", msgs: []handoff.OutboxMessage{card(now.Add(20 * time.Second)), escalation(now.Add(30 * time.Second))}, want: now.Add(20 * time.Second)},
			{name: "two replicas with one, the earlier record", c: true, msgs: []handoff.OutboxMessage{escalation(now)}, want: bEnds},
			{name: "a card alone, after b's record", msgs: []handoff.OutboxMessage{card(now.Add(2 * time.Minute))}, want: bEnds},
			{name: "nothing", c: true, want: bEnds},
			{name: "b without one, a card", bNone: true, msgs: []handoff.OutboxMessage{card(now.Add(2 * time.Minute))}, want: now.Add(2 * time.Minute)},
			{name: "b without one, an escalation taken", bNone: true, msgs: []handoff.OutboxMessage{escalation(now.Add(2 * time.Minute))}, want: now.Add(2 * time.Minute)},
			{name: "b without one, nothing", bNone: true},
		}
		for _, d := range storagetest.Dialects {
			t.Run(d+"/"+name, func(t *testing.T) {
				for _, c := range cases {
					ctx := context.Background()
					s := storagetest.Open(t, d)
					s.ManagersChannels("a")
					if c.bNone {
						s.ManagersChannels("b")
					} else {
						s.ManagersChannels("b", "slack")
					}
					s.ManagersChannels("c", "slack")
					for _, w := range []string{"a", "b"} {
						if err := s.ServeOutbox(ctx, w, now, time.Minute, "slack"); err != nil {
							t.Fatal(err)
						}
					}
					if c.c {
						if err := s.ServeOutbox(ctx, "c", cEnds.Add(-time.Minute), time.Minute, "slack"); err != nil {
							t.Fatal(err)
						}
					}
					if len(c.msgs) > 0 {
						if err := s.Enqueue(ctx, now, c.msgs...); err != nil {
							t.Fatal(err)
						}
					}
					due, ok, err := s.NextOutboxDueFor(ctx, "a", now, "slack")
					if err != nil {
						t.Fatal(err)
					}
					if ok != !c.want.IsZero() || ok && !due.Equal(c.want) {
						t.Errorf("%s: a waits until %v (%v), want %v", c.name, due.Sub(now), ok, c.want.Sub(now))
					}
				}
			})
		}
	}
}
