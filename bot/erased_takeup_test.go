package bot_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestErasedLeadIsNotTakenUp: once a lead's personal data is erased no
// rep takes it up: a claim and a manager's reassign are refused with an
// ECONFLICT naming the lead as erased (a click's refusal queued as the
// rep's private notice, with no owner's DM), while the owner of a lead
// claimed before the erasure still closes it, and so does a manager from
// its card's Lost (the form naming the lead by Handoff's id, not its
// anonymous external id), but neither releases it: released, it would be
// an SQL nobody can claim.
func TestErasedLeadIsNotTakenUp(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		b := newBot(s)
		tests := []struct {
			name      string
			claimed   bool // claimed by UOWN before the erasure
			do        func(id int64) error
			wantErr   string // in the refusal; "" for none
			wantStage handoff.Stage
			wantOwner string
		}{
			{"ClaimClick", false, func(id int64) error {
				_, err := b.Act(ctx, actor("UREP"), bot.ActionClaim, fmt.Sprint(id))
				return err
			}, "", handoff.StageSQL, ""},
			{"Claim", false, func(id int64) error { return b.Claim(ctx, actor("UREP"), id) },
				"(personal data erased) cannot be claimed", handoff.StageSQL, ""},
			{"ReassignUnclaimed", false, func(id int64) error {
				_, err := b.Reassign(ctx, actor("UBOSS"), id, "UNEW")
				return err
			}, "(personal data erased) cannot be reassigned", handoff.StageSQL, ""},
			{"ReassignClaimed", true, func(id int64) error {
				_, err := b.Reassign(ctx, actor("UBOSS"), id, "UNEW")
				return err
			}, "(personal data erased) cannot be reassigned", handoff.StageClaimed, "UOWN"},
			{"ReleasedByItsOwner", true, func(id int64) error {
				_, err := b.Release(ctx, actor("UOWN"), id)
				return err
			}, "(personal data erased) cannot be released", handoff.StageClaimed, "UOWN"},
			{"ReleasedByAManager", true, func(id int64) error {
				_, err := b.Release(ctx, actor("UBOSS"), id)
				return err
			}, "(personal data erased) cannot be released", handoff.StageClaimed, "UOWN"},
			{"LostByItsOwner", true, func(id int64) error {
				_, err := b.Lost(ctx, actor("UOWN"), id, "no budget")
				return err
			}, "", handoff.StageLost, "UOWN"},
			{"LostByAManagerFromTheCard", true, func(id int64) error {
				res, err := b.Act(ctx, actor("UBOSS"), bot.ActionLost, fmt.Sprint(id))
				if err != nil {
					return err
				}
				f := res.Form
				if want := fmt.Sprintf("Close lead %d (personal data erased) as lost.", id); f == nil || f.ID != bot.ActionLost || f.Intro != want {
					t.Fatalf("the manager's click on Lost gave the form %+v, want the Lost form saying %q", f, want)
				}
				return b.Submit(ctx, actor("UBOSS"), f.ID, f.State, map[string]string{"reason": "not reachable", "note": "owner left"})
			}, "", handoff.StageLost, "UOWN"},
			{"RecycledByItsOwner", true, func(id int64) error {
				_, err := b.Recycle(ctx, actor("UOWN"), id, "not yet")
				return err
			}, "", handoff.StageRecycled, "UOWN"},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ext := fmt.Sprintf("gone-%d", i)
				l := saveLead(t, s, ext)
				if tt.claimed {
					if err := b.Claim(ctx, actor("UOWN"), l.ID); err != nil {
						t.Fatal(err)
					}
				}
				if err := s.ForgetLead(ctx, ext, handoff.DefaultPolicy(), t0.Add(30*time.Minute)); err != nil {
					t.Fatal(err)
				}
				err := tt.do(l.ID)
				if tt.wantErr == "" && err != nil {
					t.Fatalf("refused: %v", err)
				}
				if tt.wantErr != "" {
					want := fmt.Sprintf("Lead %d %s", l.ID, tt.wantErr)
					if handoff.ErrorCode(err) != handoff.ECONFLICT || !strings.Contains(handoff.ErrorMessage(err), want) {
						t.Fatalf("err %v (code %q), want ECONFLICT saying %q", err, handoff.ErrorCode(err), want)
					}
				}
				got, err := s.Lead(ctx, l.ID)
				if err != nil {
					t.Fatal(err)
				}
				if got.Stage != tt.wantStage || got.Owner.UserID != tt.wantOwner {
					t.Fatalf("lead = %s owned by %q, want %s owned by %q", got.Stage, got.Owner.UserID, tt.wantStage, tt.wantOwner)
				}
				if tt.name == "ClaimClick" {
					n := notices(t, s, l.ID, handoff.OutboxPrivate, "UREP")
					if len(n) != 1 || !strings.Contains(n[0], fmt.Sprintf("Lead %d (personal data erased) cannot be claimed", l.ID)) {
						t.Errorf("notices to the rep %q, want the refusal", n)
					}
					if dm := notices(t, s, l.ID, handoff.OutboxDirect, "UREP"); len(dm) != 0 {
						t.Errorf("the rep was sent %q, want no owner's DM", dm)
					}
				}
			})
		}
	})
}
