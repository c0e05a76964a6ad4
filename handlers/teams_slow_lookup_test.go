package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// heldStore is a Teams Platform's store whose PinTeamsChannel (where a
// channel's team is looked up before its members are asked of the Bot
// Connector), once hold is called, waits until release: Handoff's own
// database held up, then answering as it does.
type heldStore struct {
	*storage.Store
	mu   sync.Mutex
	held chan struct{} // while not nil, PinTeamsChannel waits for it to close
}

// hold makes PinTeamsChannel wait until release is called.
func (h *heldStore) hold() (release func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	held := make(chan struct{})
	h.held = held
	var once sync.Once
	return func() {
		once.Do(func() {
			h.mu.Lock()
			h.held = nil
			h.mu.Unlock()
			close(held)
		})
	}
}

func (h *heldStore) PinTeamsChannel(ctx context.Context, name string, now time.Time) (handoff.TeamsConversation, error) {
	h.mu.Lock()
	held := h.held
	h.mu.Unlock()
	if held != nil {
		select {
		case <-held:
		case <-ctx.Done():
			return handoff.TeamsConversation{}, ctx.Err()
		}
	}
	return h.Store.PinTeamsChannel(ctx, name, now)
}

// TestTeamsRoleCheckWhenTheLookupIsSlow: a click's role check waits for
// the first lookup of the sender's membership of the sales channel's team
// (SalesMembers' cache) at most its wait; when the wait runs out, whose
// doing it is depends on what the lookup was waiting on then. Held up on
// the Bot Connector (its member call not answered yet), Teams did not
// answer: the click is answered 503 "could not read your role ...
// (Microsoft Teams did not answer)", a warning. Held up on Handoff's own
// database (the stored channel read before the Bot Connector is asked),
// Teams is not to blame: the click fails as an internal error does, an
// invoke error 500 "Sorry, that did not work", logged once at error level.
// Before, every lookup outlasting the wait was taken for Teams not
// answering. Neither waits on a clock: what the lookup waits on is held
// until the click was answered.
func TestTeamsRoleCheckWhenTheLookupIsSlow(t *testing.T) {
	tests := []struct {
		name       string
		hold       func(e *teamsEnv, db *heldStore) (release func())
		wantStatus int
		want       string // in the invoke response
		wantLog    string // the one line logged of the lookup
		wantLevel  string
	}{
		{"BotConnectorHeld", func(e *teamsEnv, _ *heldStore) func() { return e.bf.Hold() },
			http.StatusServiceUnavailable, "Microsoft Teams did not answer", "is not known", "level=WARN"},
		{"StoreHeld", func(_ *teamsEnv, db *heldStore) func() { return db.hold() },
			http.StatusInternalServerError, "Sorry, that did not work", "card action failed", "level=ERROR"},
	}
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				db := &heldStore{Store: s}
				e := newTeamsEnvOn(t, s, db, nil, handoff.DefaultPolicy())
				e.install()
				id := e.newSQL(fmt.Sprintf("slow-lookup-%d", i))
				e.deliver()
				release := tt.hold(e, db)
				defer release()
				res := e.invoke(ritaID, "Rita Rep", map[string]any{"action": bot.ActionClaim, "value": fmt.Sprint(id)})
				release()
				if res.StatusCode != tt.wantStatus || !strings.Contains(res.raw, tt.want) {
					t.Errorf("answered %s, want %d %q", res.raw, tt.wantStatus, tt.want)
				}
				if l := e.lead(id); l.Stage != handoff.StageSQL || !l.Owner.IsZero() {
					t.Errorf("lead %s owned by %+v, want an SQL nobody owns", l.Stage, l.Owner)
				}
				logged := e.logs.Lines("no answer for")
				if len(logged) != 1 || !strings.Contains(logged[0], tt.wantLog) || !strings.Contains(logged[0], tt.wantLevel) {
					t.Errorf("logged %q, want one line %q at %s\n%s", logged, tt.wantLog, tt.wantLevel, e.logs.String()+e.reqLogs.String())
				}
			})
		}
	})
}
