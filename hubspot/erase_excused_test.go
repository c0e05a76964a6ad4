package hubspot_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/hubspot"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// A contact.privacyDeletion erases under the handler's agreement: with
// sla.excuse_system_delay, an SQL whose card never reached chat, erased
// after its claim deadline, is not recorded breached; without it, it is.
func TestHubSpotPrivacyDeletionExcusesAnUnshownCard(t *testing.T) {
	start := now.Add(-3 * time.Hour) // the SQL arrives then; its claim deadline is 2 h later
	for _, excuse := range []bool{false, true} {
		t.Run(map[bool]string{false: "not excused", true: "excused"}[excuse], func(t *testing.T) {
			storagetest.Each(t, func(t *testing.T, s *storage.Store) {
				policy := handoff.DefaultPolicy()
				policy.ExcuseSystemDelay = excuse
				var clock atomic.Int64
				clock.Store(start.UnixMilli())
				at := func() time.Time { return time.UnixMilli(clock.Load()).UTC() }
				srv := newServerOf(t, s, hubspot.Handler{Now: at, Policy: policy})
				post := func(body string) {
					t.Helper()
					if status, ans := send(t, srv, "/hooks/hubspot", body, "", at(), secret); status != 200 {
						t.Fatalf("%d %v", status, ans)
					}
				}
				post(sqlContact(901, start.Add(-time.Minute)))
				clock.Store(now.UnixMilli())
				post("[" + contactEvent("contact.privacyDeletion", 901, now) + "]")
				l, err := s.ErasedLeadByExternalID(context.Background(), "901")
				if err != nil {
					t.Fatal(err)
				}
				if l.SLABreached != !excuse {
					t.Errorf("breached %v (claim due %v), want %v", l.SLABreached, l.ClaimDueAt, !excuse)
				}
			})
		})
	}
}
