package bot_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// repBot is newBot with the rep store and a rotation of two Slack reps.
func repBot(s *storage.Store) *bot.Bot {
	p := handoff.DefaultPolicy()
	p.Routing = handoff.Routing{Mode: handoff.RouteRoundRobin, Reps: []handoff.Rep{
		{Ref: handoff.RepRef{Platform: "slack", ID: "UREP1"}, Weight: 1},
		{Ref: handoff.RepRef{Platform: "slack", ID: "UREP2"}, Weight: 2},
	}}
	return bot.New(bot.Config{
		Store: s, Reps: s, Policy: p, Now: func() time.Time { return t0 },
		Managers: map[string]bot.Managers{"slack": managerList{"UBOSS": true}},
		Logger:   quiet(),
	})
}

// TestAwayAndBack: /away and /back, for oneself and by a manager for a
// rep, as the rep state the routing reads.
func TestAwayAndBack(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		b := repBot(s)
		answer := b.RepCommands(nil)
		tests := []struct {
			name, user, command, text string
			wantCode                  string
			wantText                  string // a substring of the answer or the error
			key                       string // the rep whose state is checked
			wantAway                  bool
			wantUntil                 time.Time
			wantReason                string
		}{
			{name: "until a date with a reason", user: "UREP1", command: "away", text: "until 2026-12-24 Christmas with the family",
				wantText: "You are away until Thu 24 Dec 2026 00:00 (Christmas with the family)", key: "slack:UREP1", wantAway: true,
				wantUntil: time.Date(2026, 12, 24, 0, 0, 0, 0, time.UTC), wantReason: "Christmas with the family"},
			{name: "until a date and time", user: "UREP1", command: "away", text: "until 2026-11-23 13:30",
				wantText: "until Mon 23 Nov 2026 13:30", key: "slack:UREP1", wantAway: true, wantUntil: t0.Add(4*time.Hour + 30*time.Minute)},
			{name: "until back, not in the rotation", user: "UOTHER", command: "away", text: "sick",
				wantText: "`/back` ends it.\n_Note: you are not in the routing rotation", key: "slack:UOTHER", wantAway: true, wantReason: "sick"},
			{name: "a manager for a rep", user: "UBOSS", command: "away", text: "<@UREP2|bo> until 2027-01-04 parental leave",
				wantText: "<@slack:UREP2|UREP2> is away until Mon 04 Jan 2027", key: "slack:UREP2", wantAway: true,
				wantUntil: time.Date(2027, 1, 4, 0, 0, 0, 0, time.UTC), wantReason: "parental leave"},
			{name: "a rep for another rep", user: "UREP1", command: "away", text: "<@UREP2> until 2027-02-01",
				wantCode: handoff.EFORBIDDEN, wantText: "Only sales managers", key: "slack:UREP2", wantAway: true,
				wantUntil: time.Date(2027, 1, 4, 0, 0, 0, 0, time.UTC), wantReason: "parental leave"},
			{name: "a manager names a rep by an id too long", user: "UBOSS", command: "away", text: "<@U" + strings.Repeat("P", 400) + "> until 2027-01-04",
				wantCode: handoff.EINVALID, wantText: "A rep's mention, email or id is longer than 300 characters"},
			{name: "a past date", user: "UREP1", command: "away", text: "until 2026-11-01", wantCode: handoff.EINVALID, wantText: "has already passed"},
			{name: "not a date", user: "UREP1", command: "away", text: "until christmas", wantCode: handoff.EINVALID, wantText: "is not a date like 2026-12-24"},
			{name: "until without a date", user: "UREP1", command: "away", text: "until", wantCode: handoff.EINVALID, wantText: "Until when?"},
			{name: "help", user: "UREP1", command: "away", text: "help", wantCode: handoff.EINVALID, wantText: "Use `/away [until 2026-12-24 [13:00]] [reason]`"},
			{name: "back", user: "UREP1", command: "back", wantText: "Welcome back: leads are offered to you again.", key: "slack:UREP1"},
			{name: "back twice", user: "UREP1", command: "back", wantText: "You were not marked away", key: "slack:UREP1"},
			{name: "back with words", user: "UREP1", command: "back", text: "now please", wantCode: handoff.EINVALID, wantText: "I don't understand `now please`"},
			{name: "a manager ends a rep's time off", user: "UBOSS", command: "back", text: "<@UREP2>",
				wantText: "<@slack:UREP2|UREP2> is back: leads are offered to them again.", key: "slack:UREP2"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				msg, err := answer.Answer(ctx, bot.Command{Platform: "slack", Name: tt.command, Text: tt.text, UserID: tt.user, Channel: "CSALES"})
				got := ""
				if err != nil {
					got = handoff.ErrorMessage(err)
				} else {
					got = msg.Sections[0].Text
				}
				if handoff.ErrorCode(err) != tt.wantCode && !(tt.wantCode == "" && err == nil) {
					t.Fatalf("error = %v, want code %q", err, tt.wantCode)
				}
				if !strings.Contains(got, tt.wantText) {
					t.Errorf("answer = %q, want it to contain %q", got, tt.wantText)
				}
				if tt.key == "" {
					return
				}
				states, err := s.RepStates(ctx)
				if err != nil {
					t.Fatal(err)
				}
				a := states[tt.key].Away
				if (a != nil) != tt.wantAway {
					t.Fatalf("away = %+v, want away %v", a, tt.wantAway)
				}
				if a != nil && (!a.Until.Equal(tt.wantUntil) || a.Reason != tt.wantReason || a.Source != handoff.AwayByCommand) {
					t.Errorf("away = %+v, want until %v reason %q by command", *a, tt.wantUntil, tt.wantReason)
				}
			})
		}
	})
}

// TestDeactivatedRepLeavesWithTheirLeads: a deactivated rep's claimed
// leads go back to the channel (refreshed with Claim), a contacted one
// stays theirs, and the managers get one note naming both.
func TestDeactivatedRepLeavesWithTheirLeads(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		b := repBot(s)
		claimed, contacted, other := saveLead(t, s, "d-1"), saveLead(t, s, "d-2"), saveLead(t, s, "d-3")
		for _, c := range []struct {
			lead *handoff.Lead
			user string
		}{{claimed, "UREP1"}, {contacted, "UREP1"}, {other, "UREP2"}} {
			if err := b.Claim(ctx, actor(c.user), c.lead.ID); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := b.LogContact(ctx, actor("UREP1"), contacted.ID); err != nil {
			t.Fatal(err)
		}
		away := &handoff.Away{Reason: "OOO", Source: handoff.AwayBySlackStatus, SetBy: "slack"}
		if err := b.RepChanged(ctx, bot.RepChange{Platform: "slack", UserID: "UREP1", Away: away}); err != nil {
			t.Fatal(err)
		}
		states, err := s.RepStates(ctx)
		if err != nil || states["slack:UREP1"].Away == nil || states["slack:UREP1"].Deactivated {
			t.Fatalf("after the status: %+v, %v", states["slack:UREP1"], err)
		}
		for range 2 { // the second change finds nothing new to do
			if err := b.RepChanged(ctx, bot.RepChange{Platform: "slack", UserID: "UREP1", Deleted: true}); err != nil {
				t.Fatal(err)
			}
		}
		states, err = s.RepStates(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st := states["slack:UREP1"]; !st.Deactivated || st.Away != nil || st.OpenLeads != 1 {
			t.Errorf("deactivated rep = %+v, want deactivated, the status cleared, 1 open lead (the contacted one)", st)
		}
		checkHeld(t, s, []held{{claimed, handoff.StageSQL, ""}, {contacted, handoff.StageContacted, "UREP1"}, {other, handoff.StageClaimed, "UREP2"}})
		events, err := s.Events(ctx, claimed.ID)
		if err != nil {
			t.Fatal(err)
		}
		last := events[len(events)-1]
		if last.Kind != handoff.EventRelease || last.Actor != handoff.ActorSystem || last.Details["reason"] != "deactivated" || last.Details["from"] != "slack:UREP1" {
			t.Errorf("last event = %+v, want a release by the system for the deactivation", last)
		}
		notes := deactivatedNotes(t, s)
		want := handoff.DeactivatedNotice{Rep: handoff.RepRef{Platform: "slack", ID: "UREP1"}, InRotation: true,
			Returned: []int64{claimed.ID}, Kept: []int64{contacted.ID}}
		if len(notes) != 1 || !reflect.DeepEqual(notes[0], want) {
			t.Fatalf("managers' notes = %+v, want one: %+v", notes, want)
		}
		refreshes, err := s.OutboxMessages(ctx, claimed.ID)
		if err != nil {
			t.Fatal(err)
		}
		if refreshes[len(refreshes)-1].Kind != handoff.OutboxRefreshLead {
			t.Errorf("last outbox message of the returned lead = %s, want its card refreshed", refreshes[len(refreshes)-1].Kind)
		}
	})
}

// held is a lead's stage and owner (a Slack user id, "" for none) that a
// test wants after a deactivation.
type held struct {
	lead  *handoff.Lead
	stage handoff.Stage
	owner string
}

// checkHeld checks that each lead is in the stage and owned as wanted.
func checkHeld(t *testing.T, s *storage.Store, wants []held) {
	t.Helper()
	for _, want := range wants {
		l, err := s.Lead(context.Background(), want.lead.ID)
		if err != nil {
			t.Fatal(err)
		}
		if l.Stage != want.stage || l.Owner.UserID != want.owner {
			t.Errorf("lead %d: stage %s owner %q, want %s %q", l.ID, l.Stage, l.Owner.UserID, want.stage, want.owner)
		}
	}
}

// deactivatedNotes returns the payloads of the managers' notes about
// deactivated reps queued in the outbox, and fails the test for a note
// rendered when queued (an OutboxManagersNote).
func deactivatedNotes(t *testing.T, s *storage.Store) []handoff.DeactivatedNotice {
	t.Helper()
	msgs, err := s.OutboxMessages(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	var notes []handoff.DeactivatedNotice
	for _, m := range msgs {
		if m.Kind == handoff.OutboxManagersNote {
			t.Errorf("a note rendered when queued: %s", m.Payload)
		}
		if m.Kind != handoff.OutboxRepDeactivated {
			continue
		}
		var n handoff.DeactivatedNotice
		if err := json.Unmarshal([]byte(m.Payload), &n); err != nil {
			t.Fatal(err)
		}
		notes = append(notes, n)
	}
	return notes
}
