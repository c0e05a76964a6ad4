package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestErasureExcusesAnUnshownCard: with sla.excuse_system_delay, an SQL
// whose card never reached chat (chat down) and that is erased after its
// claim deadline is not recorded breached, through every erasure entry
// point: the clock would have moved that deadline on, so the erasure
// releases it as one still ahead. Without the excuse, with the card shown
// (its deadline moved by its delay and passed) or with the lead claimed,
// the erasure records what it did before. Nothing is left for the clock
// afterwards, and the funnel's rollup still equals its rebuild.
func TestErasureExcusesAnUnshownCard(t *testing.T) {
	const ext, email = "excused-1", "excused@x.dk"
	eraseAt := t0.Add(3 * time.Hour) // after the claim deadline at +2h
	forgetLead := func(ctx context.Context, s *storage.Store, p handoff.Policy) error {
		return s.ForgetLead(ctx, ext, p, eraseAt)
	}
	tests := []struct {
		name    string
		excuse  bool          // sla.excuse_system_delay
		shownAt time.Duration // after the SQL's arrival; 0: the card never shown
		claimAt time.Duration // after the SQL's arrival; 0: never claimed
		erase   func(ctx context.Context, s *storage.Store, p handoff.Policy) error
		// wantClaimDue is the claim deadline kept, after the SQL's
		// arrival; 0: released.
		wantClaimDue time.Duration
		wantBreached bool
	}{
		{"excused, never shown: ForgetLead", true, 0, 0, forgetLead, 0, false},
		{"excused, never shown: ForgetLeadAs", true, 0, 0, func(ctx context.Context, s *storage.Store, p handoff.Policy) error {
			return s.ForgetLeadAs(ctx, ext, p, eraseAt, "gdpr-tool")
		}, 0, false},
		{"excused, never shown: ForgetEmail", true, 0, 0, func(ctx context.Context, s *storage.Store, p handoff.Policy) error {
			_, err := s.ForgetEmail(ctx, email, p, eraseAt)
			return err
		}, 0, false},
		{"excused, never shown: PurgeExpired", true, 0, 0, func(ctx context.Context, s *storage.Store, p handoff.Policy) error {
			_, err := s.PurgeExpired(ctx, eraseAt, p, eraseAt)
			return err
		}, 0, false},
		{"excused, never shown: ForgetCRMPerson", true, 0, 0, func(ctx context.Context, s *storage.Store, p handoff.Policy) error {
			_, err := s.ForgetCRMPerson(ctx, handoff.ActorHubSpot, ext, p, eraseAt, handoff.ActorHubSpot)
			return err
		}, 0, false},
		{"not excused, never shown: the claim breach stays", false, 0, 0, forgetLead, 2 * time.Hour, true},
		{"excused, shown 50m late, past its moved deadline: the claim breach stays", true, 50 * time.Minute, 0, forgetLead, 2*time.Hour + 50*time.Minute, true},
		{"excused, never shown, claimed in time: the claim kept", true, 0, time.Hour, forgetLead, 2 * time.Hour, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			storagetest.Each(t, func(t *testing.T, s *storage.Store) {
				ctx := context.Background()
				p := handoff.DefaultPolicy()
				p.ExcuseSystemDelay = tt.excuse
				res, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: ext, Email: email, Stage: handoff.StageSQL}, p, t0, handoff.ActorAPI)
				if err != nil {
					t.Fatal(err)
				}
				id := res.Lead.ID
				if tt.shownAt > 0 {
					shown := t0.Add(tt.shownAt)
					if _, err := s.UpdateLead(ctx, id, shown, func(l *handoff.Lead) (handoff.LeadChange, error) {
						l.CardShown(shown, p)
						return handoff.LeadChange{}, nil
					}); err != nil {
						t.Fatal(err)
					}
				}
				if tt.claimAt > 0 {
					if _, won, err := s.ClaimLead(ctx, id, handoff.Owner{Platform: "slack", UserID: "U1"}, t0.Add(tt.claimAt), handoff.Policy{}, "slack:U1"); err != nil || !won {
						t.Fatalf("claim: won %v, %v", won, err)
					}
				}
				if err := tt.erase(ctx, s, p); err != nil {
					t.Fatal(err)
				}
				l, err := s.Lead(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if l.ErasedAt == nil {
					t.Fatal("the lead was not erased")
				}
				var want *time.Time
				if tt.wantClaimDue > 0 {
					due := t0.Add(tt.wantClaimDue)
					want = &due
				}
				sameDue := l.ClaimDueAt == nil && want == nil || l.ClaimDueAt != nil && want != nil && l.ClaimDueAt.Equal(*want)
				if !sameDue || l.SLABreached != tt.wantBreached || (l.ClaimEscalatedAt != nil) != (tt.wantBreached && tt.claimAt == 0) {
					t.Errorf("claim due %v, breached %v, claim escalated %v; want claim due %v, breached %v",
						l.ClaimDueAt, l.SLABreached, l.ClaimEscalatedAt, want, tt.wantBreached)
				}
				for _, at := range []time.Time{eraseAt, t0.Add(49 * time.Hour), t0.AddDate(0, 0, 9)} {
					if fired, parked, err := s.FireSLA(ctx, at, p, 100); err != nil || len(parked) > 0 || len(fired) > 0 {
						t.Errorf("the clock at %s fired %+v (parked %v, err %v); want nothing", at, fired, parked, err)
					}
				}
				if msgs := slaMessages(t, s, id); len(msgs) > 0 {
					t.Errorf("queued %v, want nothing", msgs)
				}
				checkRebuild(t, s)
			})
		})
	}
}
