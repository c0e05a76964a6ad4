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

// TestPassReasonFollowsTheIntakeRule: the reason typed into the Pass form
// is held to the same rule as every other reason typed into a chat form
// (README, "What the service refuses": control characters and more than
// 500 characters are refused on the form and nothing is stored). The
// offered rep submits such a reason: it must be refused on the reason
// input, and the lead must stay offered to them.
func TestPassReasonFollowsTheIntakeRule(t *testing.T) {
	policy := twoRepPolicy()
	for _, reason := range []string{"on a call\x1b[2J", "line\u2028sep", strings.Repeat("x", handoff.MaxFieldLen+1)} {
		t.Run(fmt.Sprintf("%.12q", reason), func(t *testing.T) {
			storagetest.Each(t, func(t *testing.T, s *storage.Store) {
				ctx := context.Background()
				id := saveSQL(t, s, "pass-reason", policy)
				b := bot.New(bot.Config{Store: s, Policy: policy, Now: func() time.Time { return t0.Add(time.Minute) }, Logger: quiet(),
					SalesMembers: map[string]bot.SalesMembers{"slack": outsiders{}}})
				if err := b.Route(ctx, id); err != nil {
					t.Fatal(err)
				}
				offered, err := s.Lead(ctx, id)
				if err != nil || !offered.Offer.Offered() {
					t.Fatalf("offer %+v, %v", offered.Offer, err)
				}
				rep := offered.Offer.Rep.ID
				res, err := b.Act(ctx, actor(rep), bot.ActionPass, fmt.Sprint(id))
				if err != nil || res.Form == nil {
					t.Fatalf("Pass click: %+v, %v; want the form", res, err)
				}
				err = b.Submit(ctx, actor(rep), bot.ActionPass, res.Form.State, map[string]string{"reason": reason})
				if handoff.ErrorCode(err) != handoff.EINVALID || handoff.ErrorFields(err)["reason"] == "" {
					t.Errorf("Pass with reason %.20q: err = %v, want EINVALID on reason", reason, err)
				}
				l, err := s.Lead(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if !l.Offer.OfferedTo(offered.Offer.Rep) {
					t.Errorf("the lead moved on with the refused reason: offer %+v", l.Offer)
				}
				for _, tr := range l.Offer.Tried {
					if tr.Reason == reason {
						t.Errorf("the refused reason was stored (%d characters) on the offer", len([]rune(tr.Reason)))
					}
				}
			})
		})
	}
}
