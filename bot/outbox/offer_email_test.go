package outbox_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/outbox"
	"github.com/handoff/handoff/bot/teams"
	"github.com/handoff/handoff/bot/teams/teamstest"
	"github.com/handoff/handoff/internal/testkit"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestOfferToEmailRepErrorNamesNoEmail: the agreement names a Teams rep
// by email, who never talked to the bot, so the offer's direct message
// cannot be sent and is given up; its last error (`handoff outbox list`)
// and the log name the rep as "teams:(email)" and the lead by its id,
// never by the address.
func TestOfferToEmailRepErrorNamesNoEmail(t *testing.T) {
	const email = "ann.berg@example.com"
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		bf := teamstest.New(t)
		clk := testkit.NewClock(t0)
		if err := s.SaveTeamsConversation(ctx, handoff.TeamsConversation{ConversationID: "19:sales@thread.tacv2", ServiceURL: bf.ServiceURL(), TenantID: "t1"}, t0); err != nil {
			t.Fatal(err)
		}
		p := teams.NewPlatform(teams.NewConnector(teamstest.AppID, teamstest.AppSecret, bf.TokenURL(), nil, teamstest.ClientTimeout), s, "t1")
		policy := handoff.DefaultPolicy()
		policy.Routing = handoff.Routing{Mode: handoff.RouteRoundRobin, OfferFor: 10 * time.Minute, OfferRounds: 1, Reps: []handoff.Rep{
			{Ref: handoff.RepRef{Platform: "teams", ID: email}, Weight: 1},
		}}
		log := &testkit.LogBuffer{}
		logger := slog.New(slog.NewJSONHandler(log, nil))
		b := bot.New(bot.Config{Store: s, Policy: policy, Now: clk.Now, Logger: logger,
			SalesMembers: map[string]bot.SalesMembers{"teams": allSales{}}, Users: map[string]bot.UserIDs{"teams": p}})
		disp := outbox.New(outbox.Config{Store: s, Targets: []bot.Target{{Platform: p, SalesChannel: "19:sales@thread.tacv2"}}, Policy: policy,
			Now: clk.Now, Logger: logger, Worker: "w1", Lease: time.Minute, Route: b.Route})
		res, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: "rr-email", Company: "Berg ApS", Name: "Kim", Stage: handoff.StageSQL}, policy, t0, handoff.ActorAPI)
		if err != nil {
			t.Fatal(err)
		}
		drain(t, disp)
		msgs, err := s.OutboxMessages(ctx, res.Lead.ID)
		if err != nil {
			t.Fatal(err)
		}
		failed := 0
		for _, m := range msgs {
			if m.Kind != handoff.OutboxOffer || m.LastError == "" {
				continue
			}
			failed++
			if strings.Contains(strings.ToLower(m.LastError), email) {
				t.Errorf("the offer's last error names the rep's email: %s", m.LastError)
			}
			if !strings.Contains(m.LastError, "teams:(email)") {
				t.Errorf("the offer's last error %q does not name the rep as teams:(email)", m.LastError)
			}
		}
		if failed == 0 {
			t.Fatalf("no offer failed: %+v", msgs)
		}
		if strings.Contains(strings.ToLower(log.String()), email) {
			t.Errorf("the log names the rep's email:\n%s", log.String())
		}
	})
}
