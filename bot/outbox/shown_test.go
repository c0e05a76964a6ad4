package outbox_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/outbox"
	slackbot "github.com/handoff/handoff/bot/slack"
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// watchedStore is the real store with a watch on its outbox bookkeeping:
// before each RecordOutbox it runs beforeRecord (the lead changing between
// a card's post and its record), after it afterRecord (what a process
// killed right after that commit would leave), and it counts UpdateLead.
type watchedStore struct {
	*storage.Store
	beforeRecord, afterRecord func()
	updates                   atomic.Int32
}

func (w *watchedStore) RecordOutbox(ctx context.Context, outcomes ...handoff.OutboxOutcome) []error {
	if w.beforeRecord != nil {
		w.beforeRecord()
	}
	errs := w.Store.RecordOutbox(ctx, outcomes...)
	if w.afterRecord != nil {
		w.afterRecord()
	}
	return errs
}

func (w *watchedStore) UpdateLead(ctx context.Context, id int64, now time.Time, fn func(l *handoff.Lead) (handoff.LeadChange, error)) (*handoff.Lead, error) {
	w.updates.Add(1)
	return w.Store.UpdateLead(ctx, id, now, fn)
}

// openWatched opens a migrated store of dialect with opts, a database/sql
// handle of its own on the same database, and the stand-in Slack.
func openWatched(t *testing.T, dialect string, opts storage.Options) (*watchedStore, *sql.DB, *slacktest.Server) {
	t.Helper()
	u := storagetest.URL(t, dialect)
	s := storagetest.OpenURL(t, u, opts)
	driver := "pgx"
	if dialect == storage.DialectSQLite {
		driver = "sqlite3"
	}
	raw, err := sql.Open(driver, u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	fake := slacktest.New(botToken)
	t.Cleanup(fake.Close)
	return &watchedStore{Store: s}, raw, fake
}

func watchedDispatcher(w *watchedStore, fake *slacktest.Server, policy handoff.Policy, now func() time.Time, worker string) *outbox.Dispatcher {
	p := slackbot.NewPlatform(slackbot.NewClient(botToken, "", fake.APIURL(), slacktest.ClientTimeout))
	return outbox.New(outbox.Config{
		Store: w, Targets: []bot.Target{{Platform: p, SalesChannel: "CSALES"}}, Policy: policy,
		Now: now, Logger: quiet(), Worker: worker, Lease: time.Minute,
	})
}

// TestCardShownCommittedWithItsPost: a new SQL's card, posted three
// minutes after the lead became an SQL, is recorded with the lead's shown
// time (and, under sla.excuse_system_delay, its moved claim deadline) in
// the one commit that records the post: right after that RecordOutbox
// the lead is shown, no UpdateLead follows, on SQLite the round commits
// nothing after the record, and on PostgreSQL the lead's row version, the
// outbox row's and the card's chat post's were written by one transaction
// (xmin).
func TestCardShownCommittedWithItsPost(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			var commits atomic.Int32
			w, raw, fake := openWatched(t, dialect, storage.Options{OnGroupCommit: func(storage.GroupCommit) { commits.Add(1) }})
			l := saveLead(t, w.Store, "shown")
			policy := handoff.DefaultPolicy()
			policy.ExcuseSystemDelay = true
			shownAt := t0.Add(3 * time.Minute)
			var afterShown *time.Time
			var afterCommits int32
			w.afterRecord = func() {
				got, err := w.Lead(ctx, l.ID)
				if err != nil {
					t.Fatal(err)
				}
				afterShown, afterCommits = got.ShownAt, commits.Load()
			}
			d := watchedDispatcher(w, fake, policy, func() time.Time { return shownAt }, "w1")
			if n, err := d.RunOnce(ctx); err != nil || n != 1 {
				t.Fatalf("round = %d, %v; want the announcement", n, err)
			}
			if afterShown == nil || !afterShown.Equal(shownAt) {
				t.Errorf("shown time right after the post's record = %v, want %v", afterShown, shownAt)
			}
			if n := w.updates.Load(); n != 0 {
				t.Errorf("UpdateLead calls = %d, want none: the shown time is the record's", n)
			}
			if dialect == storage.DialectSQLite && commits.Load() != afterCommits {
				t.Errorf("commits after the post's record = %d, want none", commits.Load()-afterCommits)
			}
			got, err := w.Lead(ctx, l.ID)
			if err != nil {
				t.Fatal(err)
			}
			if want := policy.ExcusedClaimDue(*l.SQLAt, shownAt); got.ClaimDueAt == nil || !got.ClaimDueAt.Equal(want) {
				t.Errorf("claim due = %v, want %v (moved by the system's delay)", got.ClaimDueAt, want)
			}
			if dialect != storage.DialectPostgres {
				return
			}
			var lead, post, card string
			q := fmt.Sprintf(`SELECT (SELECT xmin::text FROM leads WHERE id = %[1]d), (SELECT xmin::text FROM outbox WHERE lead_id = %[1]d AND kind = '%[2]s'),
				(SELECT xmin::text FROM chat_posts WHERE lead_id = %[1]d)`, l.ID, handoff.OutboxAnnounceLead)
			if err := raw.QueryRow(q).Scan(&lead, &post, &card); err != nil {
				t.Fatal(err)
			}
			if lead != post || post != card {
				t.Errorf("transactions that last wrote the lead, its outbox row and its card = %s, %s, %s; want one", lead, post, card)
			}
		})
	}
}

// TestCardRecordedWhenItsLeadCannotBeShown: a card whose lead is erased,
// parked by the SLA clock or no longer decodes between the card's post and
// its record is recorded all the same (done, its post stored) and never
// posted again, by this worker or by another after the lease; the shown
// time is written where the lead can be read, as UpdateLead wrote it.
func TestCardRecordedWhenItsLeadCannotBeShown(t *testing.T) {
	cases := []struct {
		name      string
		change    func(t *testing.T, s *storage.Store, raw *sql.DB, l *handoff.Lead)
		wantShown bool
	}{
		{"erased", func(t *testing.T, s *storage.Store, _ *sql.DB, l *handoff.Lead) {
			if err := s.ForgetLead(context.Background(), l.ExternalID, handoff.DefaultPolicy(), t0.Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"parked", func(t *testing.T, _ *storage.Store, raw *sql.DB, l *handoff.Lead) {
			exec(t, raw, fmt.Sprintf(`UPDATE leads SET parked_ms = 1, parked_error = 'timer' WHERE id = %d`, l.ID))
		}, true},
		{"unreadable", func(t *testing.T, _ *storage.Store, raw *sql.DB, l *handoff.Lead) {
			exec(t, raw, fmt.Sprintf(`UPDATE leads SET attributes = '{"utm": not json' WHERE id = %d`, l.ID))
		}, false},
	}
	for _, dialect := range storagetest.Dialects {
		for _, c := range cases {
			t.Run(dialect+"/"+c.name, func(t *testing.T) {
				ctx := context.Background()
				w, raw, fake := openWatched(t, dialect, storage.Options{})
				l := saveLead(t, w.Store, "gone")
				w.beforeRecord = func() {
					w.beforeRecord = nil
					c.change(t, w.Store, raw, l)
				}
				now := t0.Add(2 * time.Minute)
				if n, err := watchedDispatcher(w, fake, handoff.DefaultPolicy(), func() time.Time { return now }, "w1").RunOnce(ctx); err != nil || n != 1 {
					t.Fatalf("round = %d, %v; want the announcement", n, err)
				}
				msgs, err := w.OutboxMessages(ctx, l.ID)
				if err != nil {
					t.Fatal(err)
				}
				for _, m := range msgs {
					if m.Kind == handoff.OutboxAnnounceLead && m.Status != storage.OutboxDone {
						t.Fatalf("announcement %+v, want it done", m)
					}
				}
				if posts, err := w.ChatPosts(ctx, l.ID); err != nil || len(posts) != 1 {
					t.Fatalf("posts = %+v, %v; want the card", posts, err)
				}
				var shown sql.NullInt64
				if err := raw.QueryRow(fmt.Sprintf(`SELECT shown_ms FROM leads WHERE id = %d`, l.ID)).Scan(&shown); err != nil {
					t.Fatal(err)
				}
				if shown.Valid != c.wantShown {
					t.Errorf("shown_ms = %v, want set %v", shown, c.wantShown)
				}
				// Another replica after the lease: nothing is posted again.
				later := now.Add(5 * time.Minute)
				drain(t, watchedDispatcher(w, fake, handoff.DefaultPolicy(), func() time.Time { return later }, "w2"))
				if calls := fake.Calls("chat.postMessage"); len(calls) != 1 {
					t.Fatalf("chat.postMessage calls = %d, want the one card", len(calls))
				}
			})
		}
	}
}

func exec(t *testing.T, raw *sql.DB, q string) {
	t.Helper()
	if _, err := raw.Exec(q); err != nil {
		t.Fatal(err)
	}
}
