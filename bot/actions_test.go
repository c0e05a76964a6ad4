package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/internal/testkit"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// t0, quiet, saveLead and actor are the shared rig pieces.
var (
	t0       = testkit.T0
	quiet    = testkit.Quiet
	saveLead = testkit.SaveSQL
	actor    = testkit.SlackActor
)

// managerList is a bot.Managers with a fixed list.
type managerList map[string]bool

func (m managerList) IsManager(ctx context.Context, userID string) (bool, error) {
	return m[userID], nil
}

// outsiders is a bot.SalesMembers in whose sales channel everyone is but
// the listed users.
type outsiders map[string]bool

func (o outsiders) IsSalesMember(ctx context.Context, userID string) (bool, error) {
	return !o[userID], nil
}

func newBot(s *storage.Store) *bot.Bot {
	return bot.New(bot.Config{
		Store: s, Policy: handoff.DefaultPolicy(), Now: func() time.Time { return t0.Add(time.Hour) },
		Managers:     map[string]bot.Managers{"slack": managerList{"UBOSS": true, "UHEAD": true}},
		SalesMembers: map[string]bot.SalesMembers{"slack": outsiders{"UMKT": true, "UHEAD": true}},
		Logger:       quiet(),
	})
}

// notices returns the private notices queued for a user, in order.
func notices(t *testing.T, s *storage.Store, leadID int64, kind, user string) []string {
	t.Helper()
	// Private notices carry no lead id; look at lead 0's outbox too.
	var out []string
	for _, id := range []int64{0, leadID} {
		msgs, err := s.OutboxMessages(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if m.Kind != kind {
				continue
			}
			var n struct {
				User    string      `json:"user"`
				Message bot.Message `json:"message"`
			}
			if err := json.Unmarshal([]byte(m.Payload), &n); err != nil {
				t.Fatal(err)
			}
			if n.User == user {
				out = append(out, n.Message.Summary)
			}
		}
	}
	return out
}

func TestClaimRace(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		b := newBot(s)
		lead := saveLead(t, s, "race")
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := b.Act(context.Background(), actor(fmt.Sprintf("U%d", i)), bot.ActionClaim, fmt.Sprint(lead.ID)); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		got, err := s.Lead(context.Background(), lead.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Stage != handoff.StageClaimed || got.Owner.UserID == "" {
			t.Fatalf("lead = %s owned by %q, want claimed with an owner", got.Stage, got.Owner.UserID)
		}
		losers := 0
		for i := range 8 {
			u := fmt.Sprintf("U%d", i)
			n := notices(t, s, lead.ID, handoff.OutboxPrivate, u)
			if u == got.Owner.UserID {
				if len(n) != 0 {
					t.Errorf("owner got notices %q", n)
				}
				if dm := notices(t, s, lead.ID, handoff.OutboxDirect, u); len(dm) != 1 {
					t.Errorf("owner DMs = %q, want 1", dm)
				}
				continue
			}
			if len(n) != 1 || !strings.Contains(n[0], "<@slack:"+got.Owner.UserID+"|") {
				t.Errorf("loser %s notices = %q, want one naming the owner", u, n)
			}
			losers++
		}
		if losers != 7 {
			t.Fatalf("losers = %d, want 7", losers)
		}
		// The owner's double click is harmless.
		if _, err := b.Act(context.Background(), actor(got.Owner.UserID), bot.ActionClaim, fmt.Sprint(lead.ID)); err != nil {
			t.Fatal(err)
		}
		if n := notices(t, s, lead.ID, handoff.OutboxPrivate, got.Owner.UserID); len(n) != 0 {
			t.Fatalf("owner double click gave notices %q", n)
		}
	})
}

func TestFlows(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		b := newBot(s)
		claimed := func(t *testing.T, ext string) *handoff.Lead {
			t.Helper()
			l := saveLead(t, s, ext)
			if err := b.Claim(ctx, actor("UOWN"), l.ID); err != nil {
				t.Fatal(err)
			}
			return l
		}
		events := func(t *testing.T, id int64) int {
			t.Helper()
			evs, err := s.Events(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			return len(evs)
		}
		type step func(l *handoff.Lead) (*handoff.Lead, error)
		tests := []struct {
			name      string
			claim     bool
			steps     []step
			wantStage handoff.Stage
			wantOwner string
			wantCode  string // of the last step
		}{
			{"LogContactTwice", true, []step{
				func(l *handoff.Lead) (*handoff.Lead, error) { return b.LogContact(ctx, actor("UOWN"), l.ID) },
				func(l *handoff.Lead) (*handoff.Lead, error) { return b.LogContact(ctx, actor("UOWN"), l.ID) },
			}, handoff.StageContacted, "UOWN", ""},
			{"OtherRepCannotLogContact", true, []step{
				func(l *handoff.Lead) (*handoff.Lead, error) { return b.LogContact(ctx, actor("UOTHER"), l.ID) },
			}, handoff.StageClaimed, "UOWN", handoff.EFORBIDDEN},
			{"ManagerCanLogContact", true, []step{
				func(l *handoff.Lead) (*handoff.Lead, error) { return b.LogContact(ctx, actor("UBOSS"), l.ID) },
			}, handoff.StageContacted, "UOWN", ""},
			{"UnclaimedCannotLogContact", false, []step{
				func(l *handoff.Lead) (*handoff.Lead, error) { return b.LogContact(ctx, actor("UOWN"), l.ID) },
			}, handoff.StageSQL, "", handoff.EFORBIDDEN},
			{"Release", true, []step{
				func(l *handoff.Lead) (*handoff.Lead, error) { return b.Release(ctx, actor("UOWN"), l.ID) },
				func(l *handoff.Lead) (*handoff.Lead, error) { return b.Release(ctx, actor("UOWN"), l.ID) },
			}, handoff.StageSQL, "", ""},
			{"ReleaseAfterContact", true, []step{
				func(l *handoff.Lead) (*handoff.Lead, error) { return b.LogContact(ctx, actor("UOWN"), l.ID) },
				func(l *handoff.Lead) (*handoff.Lead, error) { return b.Release(ctx, actor("UOWN"), l.ID) },
			}, handoff.StageContacted, "UOWN", handoff.ECONFLICT},
			{"OpportunityThenWon", true, []step{
				func(l *handoff.Lead) (*handoff.Lead, error) { return b.LogContact(ctx, actor("UOWN"), l.ID) },
				func(l *handoff.Lead) (*handoff.Lead, error) { return b.Opportunity(ctx, actor("UOWN"), l.ID) },
				func(l *handoff.Lead) (*handoff.Lead, error) { return b.Won(ctx, actor("UOWN"), l.ID, 4_000_000) },
			}, handoff.StageWon, "UOWN", ""},
			{"WonTwiceConflicts", true, []step{
				func(l *handoff.Lead) (*handoff.Lead, error) { return b.Won(ctx, actor("UOWN"), l.ID, 100) },
				func(l *handoff.Lead) (*handoff.Lead, error) { return b.Lost(ctx, actor("UOWN"), l.ID, "") },
			}, handoff.StageWon, "UOWN", handoff.ECONFLICT},
			{"Lost", true, []step{
				func(l *handoff.Lead) (*handoff.Lead, error) {
					return b.Lost(ctx, actor("UOWN"), l.ID, "went elsewhere")
				},
			}, handoff.StageLost, "UOWN", ""},
			{"RecycleNeedsReason", true, []step{
				func(l *handoff.Lead) (*handoff.Lead, error) { return b.Recycle(ctx, actor("UOWN"), l.ID, " ") },
			}, handoff.StageClaimed, "UOWN", handoff.EINVALID},
			{"RecycleKeepsWhoWorkedIt", true, []step{
				func(l *handoff.Lead) (*handoff.Lead, error) { return b.Recycle(ctx, actor("UOWN"), l.ID, "no budget") },
			}, handoff.StageRecycled, "UOWN", ""},
			{"NotAFitByAnyoneWhileUnclaimed", false, []step{
				func(l *handoff.Lead) (*handoff.Lead, error) { return b.NotAFit(ctx, actor("UANY"), l.ID, "student") },
			}, handoff.StageRecycled, "", ""},
			{"NotAFitOnlyOwnerOnceClaimed", true, []step{
				func(l *handoff.Lead) (*handoff.Lead, error) { return b.NotAFit(ctx, actor("UANY"), l.ID, "student") },
			}, handoff.StageClaimed, "UOWN", handoff.EFORBIDDEN},
			{"ReassignByRepRefused", true, []step{
				func(l *handoff.Lead) (*handoff.Lead, error) { return b.Reassign(ctx, actor("UOWN"), l.ID, "UNEW") },
			}, handoff.StageClaimed, "UOWN", handoff.EFORBIDDEN},
			{"ReassignByManager", true, []step{
				func(l *handoff.Lead) (*handoff.Lead, error) { return b.Reassign(ctx, actor("UBOSS"), l.ID, "UNEW") },
			}, handoff.StageClaimed, "UNEW", ""},
			{"ReassignUnclaimedClaimsIt", false, []step{
				func(l *handoff.Lead) (*handoff.Lead, error) { return b.Reassign(ctx, actor("UBOSS"), l.ID, "UNEW") },
			}, handoff.StageClaimed, "UNEW", ""},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var l *handoff.Lead
				if tt.claim {
					l = claimed(t, fmt.Sprintf("f%d", i))
				} else {
					l = saveLead(t, s, fmt.Sprintf("f%d", i))
				}
				var err error
				before := events(t, l.ID)
				for _, st := range tt.steps {
					before = events(t, l.ID)
					_, err = st(l)
				}
				if code := handoff.ErrorCode(err); code != tt.wantCode {
					t.Fatalf("last step error = %v (code %q), want code %q", err, code, tt.wantCode)
				}
				if err != nil && events(t, l.ID) != before {
					t.Fatalf("a refused step wrote events")
				}
				got, err := s.Lead(ctx, l.ID)
				if err != nil {
					t.Fatal(err)
				}
				if got.Stage != tt.wantStage || got.Owner.UserID != tt.wantOwner {
					t.Fatalf("lead = %s owned by %q, want %s owned by %q", got.Stage, got.Owner.UserID, tt.wantStage, tt.wantOwner)
				}
			})
		}
	})
}

func TestWonKeepsAmountAndLostReason(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		b := newBot(s)
		l := saveLead(t, s, "amount")
		if err := b.Claim(ctx, actor("UOWN"), l.ID); err != nil {
			t.Fatal(err)
		}
		if err := b.Submit(ctx, actor("UOWN"), bot.ActionWon, fmt.Sprintf(`{"lead":%d}`, l.ID), map[string]string{"amount": "abc"}); handoff.ErrorFields(err)["amount"] == "" {
			t.Fatalf("bad amount: err = %v, want a field error on amount", err)
		}
		if err := b.Submit(ctx, actor("UOWN"), bot.ActionWon, fmt.Sprintf(`{"lead":%d}`, l.ID), map[string]string{"amount": "40000.50"}); err != nil {
			t.Fatal(err)
		}
		got, err := s.Lead(ctx, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Stage != handoff.StageWon || got.AmountMinor != 4_000_050 {
			t.Fatalf("lead = %s %d, want won 4000050", got.Stage, got.AmountMinor)
		}
		evs, err := s.Events(ctx, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		last := evs[len(evs)-1]
		if last.Stage != handoff.StageWon || last.Actor != "slack:UOWN" || last.Details["amount_minor"] != "4000050" {
			t.Fatalf("last event = %+v", last)
		}
	})
}

// TestFormReasonsFollowTheIntakeRule submits notes under a reason from a
// chat form that the intake API would refuse: each is refused on the note
// input, the lead is unchanged, and the same on both databases. A reason
// not on the agreement's list is refused on the reason input.
func TestFormReasonsFollowTheIntakeRule(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		b := newBot(s)
		l := saveLead(t, s, "reasons")
		state := fmt.Sprintf(`{"lead":%d}`, l.ID)
		for _, reason := range []string{"no\x00budget", "\x1b[31mred", strings.Repeat("x", handoff.MaxFieldLen+1), "bad \xff byte"} {
			for _, form := range []string{bot.ActionNotAFit, bot.ActionLost} {
				err := b.Submit(ctx, actor("UBOSS"), form, state, map[string]string{"reason": "no budget", "note": reason})
				if handoff.ErrorCode(err) != handoff.EINVALID || handoff.ErrorFields(err)["note"] == "" {
					t.Fatalf("%s with note %q: err = %v, want EINVALID on note", form, reason, err)
				}
				err = b.Submit(ctx, actor("UBOSS"), form, state, map[string]string{"reason": reason})
				if handoff.ErrorCode(err) != handoff.EINVALID || handoff.ErrorFields(err)["reason"] == "" {
					t.Fatalf("%s with reason %q: err = %v, want EINVALID on reason", form, reason, err)
				}
			}
		}
		got, err := s.Lead(ctx, l.ID)
		if err != nil || got.Stage != handoff.StageSQL || got.Reason != "" {
			t.Fatalf("lead = %+v, %v; want an unchanged SQL", got, err)
		}
		// A note over several lines is fine.
		if err := b.Submit(ctx, actor("UBOSS"), bot.ActionNotAFit, state, map[string]string{"reason": "outside our segment", "note": "Wrong segment.\nNo budget."}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestActOpensForms(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		b := newBot(s)
		l := saveLead(t, s, "forms")
		if err := b.Claim(ctx, actor("UOWN"), l.ID); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			action, user string
			wantForm     bool
			wantInput    string
		}{
			{bot.ActionWon, "UOWN", true, "amount"},
			{bot.ActionRecycle, "UOWN", true, "reason"},
			{bot.ActionLost, "UBOSS", true, "reason"},
			{bot.ActionReassign, "UBOSS", true, "owner"},
			{bot.ActionReassign, "UOWN", false, ""},
			{bot.ActionWon, "UOTHER", false, ""},
		}
		for _, tt := range tests {
			t.Run(tt.action+"/"+tt.user, func(t *testing.T) {
				res, err := b.Act(ctx, actor(tt.user), tt.action, fmt.Sprint(l.ID))
				if err != nil {
					t.Fatal(err)
				}
				if (res.Form != nil) != tt.wantForm {
					t.Fatalf("form = %+v, want form %v", res.Form, tt.wantForm)
				}
				if res.Form == nil {
					if n := notices(t, s, l.ID, handoff.OutboxPrivate, tt.user); len(n) == 0 {
						t.Fatal("refusal without a private notice")
					}
					return
				}
				if res.Form.ID != tt.action || res.Form.Inputs[0].ID != tt.wantInput || !strings.Contains(res.Form.State, fmt.Sprint(l.ID)) {
					t.Fatalf("form = %+v", res.Form)
				}
			})
		}
		if _, err := b.Act(ctx, actor("UOWN"), "lead.nope", fmt.Sprint(l.ID)); handoff.ErrorCode(err) != handoff.EINVALID {
			t.Fatalf("unknown action: err = %v, want EINVALID", err)
		}
		if _, err := b.Act(ctx, actor("UOWN"), bot.ActionClaim, "x"); handoff.ErrorCode(err) != handoff.EINVALID {
			t.Fatalf("bad value: err = %v, want EINVALID", err)
		}
	})
}

// TestLeadsOnlyForTheSalesChannelAndManagers: someone outside the sales
// channel cannot claim (and so get the contact details), open a form or
// submit one; they are told privately. A manager outside the channel can.
func TestLeadsOnlyForTheSalesChannelAndManagers(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		b := newBot(s)
		l := saveLead(t, s, "access")
		for _, action := range []string{bot.ActionClaim, bot.ActionNotAFit} {
			res, err := b.Act(ctx, actor("UMKT"), action, fmt.Sprint(l.ID))
			if err != nil || res.Form != nil {
				t.Fatalf("%s by an outsider = %+v, %v; want a private refusal", action, res, err)
			}
		}
		state := fmt.Sprintf(`{"lead":%d}`, l.ID)
		if err := b.Submit(ctx, actor("UMKT"), bot.ActionNotAFit, state, map[string]string{"reason": "spam"}); handoff.ErrorCode(err) != handoff.EFORBIDDEN {
			t.Fatalf("form by an outsider: %v, want EFORBIDDEN", err)
		}
		got, err := s.Lead(ctx, l.ID)
		if err != nil || got.Stage != handoff.StageSQL || !got.Owner.IsZero() {
			t.Fatalf("an outsider changed the lead: %+v, %v", got, err)
		}
		msgs, err := s.OutboxMessages(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		refusals := 0
		for _, m := range msgs {
			if strings.Contains(m.Payload, "UMKT") && strings.Contains(m.Payload, "only for members of the sales channel") {
				refusals++
			}
			if strings.Contains(m.Payload, "UMKT") && strings.Contains(m.Payload, "You claimed") {
				t.Fatalf("an outsider was sent the lead's details: %s", m.Payload)
			}
		}
		if refusals != 2 {
			t.Fatalf("private refusals to the outsider = %d, want 2", refusals)
		}
		if _, err := b.Act(ctx, actor("UHEAD"), bot.ActionClaim, fmt.Sprint(l.ID)); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Act(ctx, actor("UHEAD"), bot.ActionLogContact, fmt.Sprint(l.ID)); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Lead(ctx, l.ID); got.Stage != handoff.StageContacted {
			t.Fatalf("a manager outside the channel: stage %s, want contacted", got.Stage)
		}
	})
}
