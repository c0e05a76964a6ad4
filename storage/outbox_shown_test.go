package storage_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// leasedCard saves a new SQL ext and leases its announcement to w1.
func leasedCard(t *testing.T, s *storage.Store, ext string) (*handoff.Lead, handoff.OutboxMessage) {
	t.Helper()
	ctx := context.Background()
	score := 80
	res, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: ext, Company: "Acme " + ext, Score: &score}, handoff.DefaultPolicy(), t0, handoff.ActorAPI)
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := s.TakeOutbox(ctx, t0, 20, time.Minute, "w1")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.LeadID == res.Lead.ID && m.Kind == handoff.OutboxAnnounceLead {
			return res.Lead, m
		}
	}
	t.Fatalf("no announcement of %s leased: %+v", ext, msgs)
	return nil, handoff.OutboxMessage{}
}

// posted is m's outcome as a card posted at at, with shown as its Shown.
func posted(m handoff.OutboxMessage, at time.Time, shown func(*handoff.Lead) bool) handoff.OutboxOutcome {
	return handoff.OutboxOutcome{Message: m, At: at, Result: "ts-" + fmt.Sprint(m.ID), Shown: shown,
		Posts: []handoff.ChatPost{{LeadID: m.LeadID, Platform: "slack", Channel: "CSALES", MessageID: "ts-" + fmt.Sprint(m.ID)}}}
}

func execRaw(t *testing.T, raw *sql.DB, qs ...string) {
	t.Helper()
	for _, q := range qs {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// TestRecordOutboxShown: RecordOutbox applies a posted card's Shown to its
// lead in the transaction that records the post, writes the lead only when
// Shown changed it, leaves it alone when the lease was lost, and records
// the post all the same, with a handoff.ShownError, when the lead is
// gone, does not decode or cannot be written (a trigger refuses shown_ms):
// then the round's other outcome is recorded too.
func TestRecordOutboxShown(t *testing.T) {
	shownAt := t0.Add(3 * time.Minute)
	cases := []struct {
		name      string
		plant     func(t *testing.T, raw *sql.DB, dialect string, l *handoff.Lead, m *handoff.OutboxMessage)
		shown     bool // what Shown answers
		wantCode  string
		wantShown bool // the outcome's error is a ShownError
		wantAt    bool // the lead is stored with shownAt
		wantDone  bool
	}{
		{name: "shown", shown: true, wantDone: true, wantAt: true},
		{name: "shown before", shown: false, wantDone: true},
		{name: "lease lost", shown: true, wantCode: handoff.ECONFLICT, plant: func(_ *testing.T, _ *sql.DB, _ string, _ *handoff.Lead, m *handoff.OutboxMessage) {
			m.Attempts++
		}},
		{name: "lead gone", shown: true, wantCode: handoff.ENOTFOUND, wantShown: true, wantDone: true, plant: func(_ *testing.T, _ *sql.DB, _ string, _ *handoff.Lead, m *handoff.OutboxMessage) {
			m.LeadID = 999_999
		}},
		{name: "unreadable", shown: true, wantCode: handoff.EINTERNAL, wantShown: true, wantDone: true, plant: func(t *testing.T, raw *sql.DB, _ string, l *handoff.Lead, _ *handoff.OutboxMessage) {
			execRaw(t, raw, fmt.Sprintf(`UPDATE leads SET attributes = '{"utm": not json' WHERE id = %d`, l.ID))
		}},
		{name: "write fails", shown: true, wantCode: handoff.EINTERNAL, wantShown: true, wantDone: true, plant: func(t *testing.T, raw *sql.DB, dialect string, _ *handoff.Lead, _ *handoff.OutboxMessage) {
			if dialect == storage.DialectSQLite {
				execRaw(t, raw, `CREATE TRIGGER no_shown BEFORE UPDATE OF shown_ms ON leads WHEN NEW.shown_ms IS NOT NULL BEGIN SELECT RAISE(ABORT, 'no shown time'); END`)
				return
			}
			execRaw(t, raw, `CREATE FUNCTION no_shown() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'no shown time'; END $$`,
				`CREATE TRIGGER no_shown BEFORE UPDATE OF shown_ms ON leads FOR EACH ROW WHEN (NEW.shown_ms IS NOT NULL) EXECUTE FUNCTION no_shown()`)
		}},
	}
	for _, dialect := range storagetest.Dialects {
		for _, c := range cases {
			t.Run(dialect+"/"+c.name, func(t *testing.T) {
				ctx := context.Background()
				s, raw := storagetest.OpenRaw(t, dialect)
				other, notice := leasedCard(t, s, "other")
				l, m := leasedCard(t, s, "card")
				before, err := s.Lead(ctx, l.ID)
				if err != nil {
					t.Fatal(err)
				}
				if c.plant != nil {
					c.plant(t, raw, dialect, l, &m)
				}
				calls := 0
				shown := func(l *handoff.Lead) bool {
					calls++
					return c.shown && l.CardShown(shownAt, handoff.DefaultPolicy())
				}
				// The other lead's outcome first, as a round records the
				// outcomes before a card with it.
				errs := s.RecordOutbox(ctx, handoff.OutboxOutcome{Message: notice, At: shownAt, Result: "other"}, posted(m, shownAt, shown))
				if errs[0] != nil {
					t.Errorf("the round's other outcome: %v", errs[0])
				}
				var notShown *handoff.ShownError
				if got := handoff.ErrorCode(errs[1]); got != c.wantCode || errors.As(errs[1], &notShown) != c.wantShown {
					t.Errorf("card's outcome = %v (code %q), want code %q, a ShownError %v", errs[1], got, c.wantCode, c.wantShown)
				}
				if c.wantCode == handoff.ECONFLICT && calls != 0 {
					t.Errorf("Shown called %d times for an outcome not recorded", calls)
				}
				for _, want := range []struct {
					id   int64
					done bool
				}{{other.ID, true}, {l.ID, c.wantDone}} {
					msgs, err := s.OutboxMessages(ctx, want.id)
					if err != nil {
						t.Fatal(err)
					}
					for _, o := range msgs {
						if o.Kind == handoff.OutboxAnnounceLead && (o.Status == storage.OutboxDone) != want.done {
							t.Errorf("lead %d's announcement is %s, want done %v", want.id, o.Status, want.done)
						}
					}
				}
				after, err := s.Lead(ctx, l.ID)
				if err != nil && c.name != "unreadable" {
					t.Fatal(err)
				}
				if err != nil {
					return
				}
				if got := after.ShownAt != nil && after.ShownAt.Equal(shownAt); got != c.wantAt {
					t.Errorf("shown at %v, want %v stored: %v", after.ShownAt, shownAt, c.wantAt)
				}
				if !c.wantAt && !after.UpdatedAt.Equal(before.UpdatedAt) {
					t.Errorf("lead written (updated %v, was %v) though Shown changed nothing", after.UpdatedAt, before.UpdatedAt)
				}
			})
		}
	}
}

// TestRecordLocksTheShownLeadFirst: on PostgreSQL, RecordOutbox locks the
// lead of a card before any outbox row of its round, as an erasure locks
// its leads before their outbox rows (scrubOutbox). An erasure's stand-in
// holds the lead's lock while the record starts (and waits for it), then
// drops the lead's pending notice as scrubOutbox does: it must not wait for
// the record, which would hold that notice's row (a deadlock PostgreSQL
// breaks after deadlock_timeout by failing one of them): a third
// transaction finds the notice's row free (rowLockTaken). The record then
// goes on: its card is recorded, the notice dropped under it (ECONFLICT).
func TestRecordLocksTheShownLeadFirst(t *testing.T) {
	ctx := context.Background()
	s, raw := storagetest.OpenRaw(t, storage.DialectPostgres)
	l, card := leasedCard(t, s, "card")
	if err := s.Enqueue(ctx, t0, handoff.OutboxMessage{Kind: handoff.OutboxPrivate, LeadID: l.ID, Platform: "slack", Payload: `{"text":"Too late"}`}); err != nil {
		t.Fatal(err)
	}
	notices, err := s.TakeOutbox(ctx, t0, 20, time.Minute, "w1")
	if err != nil || len(notices) != 1 {
		t.Fatalf("take = %+v, %v", notices, err)
	}
	eraser, pid := holdLead(t, raw, l.ID)
	done := make(chan []error, 1)
	go func() {
		done <- s.RecordOutbox(ctx, handoff.OutboxOutcome{Message: notices[0], At: t0, Result: "notice"},
			posted(card, t0, func(l *handoff.Lead) bool { return l.CardShown(t0, handoff.DefaultPolicy()) }))
	}()
	waitBlockedBy(t, raw, pid, done, "the card's lead")
	if held, err := rowLockTaken(ctx, raw, "SELECT id FROM outbox WHERE id = $1", notices[0].ID); err != nil || held {
		t.Fatalf("the record holds the notice's outbox row (%v, %v) while it waits for the lead", held, err)
	}
	if _, err := eraser.Exec(`UPDATE outbox SET status = 'done', result = 'dropped: personal data erased', payload = '' WHERE lead_id = $1 AND kind = $2 AND status <> 'done'`,
		l.ID, handoff.OutboxPrivate); err != nil {
		t.Fatalf("the erasure's scrub of the outbox: %v", err)
	}
	if err := eraser.Commit(); err != nil {
		t.Fatal(err)
	}
	errs := <-done
	if handoff.ErrorCode(errs[0]) != handoff.ECONFLICT || errs[1] != nil {
		t.Fatalf("record = %v; want the notice dropped under it (ECONFLICT) and the card recorded", errs)
	}
	if got, err := s.Lead(ctx, l.ID); err != nil || got.ShownAt == nil {
		t.Fatalf("lead = %+v, %v; want it shown", got, err)
	}
}
