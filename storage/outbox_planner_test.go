package storage_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// The planner's settings that each level turns off on PostgreSQL
// (inIndexOrder, inIndexRange, inIndexScan).
var (
	sortsOff   = []string{"enable_sort"}
	rangeOff   = []string{"enable_sort", "enable_seqscan"}
	bitmapsOff = []string{"enable_sort", "enable_seqscan", "enable_bitmapscan"}
)

// Each of the outbox's reads runs on PostgreSQL with the planner's
// settings it needs off, and every statement after it in its transaction
// (the take's lease, which sorts the rows it leased) with all of them back
// to their defaults.
func TestOutboxReadsTurnThePlannerOffForTheReadAlone(t *testing.T) {
	s := storagetest.Open(t, storage.DialectPostgres)
	ctx := context.Background()
	err := s.Enqueue(ctx, t0, handoff.OutboxMessage{Kind: handoff.OutboxAnnounceLead, LeadID: 1},
		handoff.OutboxMessage{Kind: handoff.OutboxWebhook, LeadID: 1, Platform: "crm"})
	if err != nil {
		t.Fatal(err)
	}
	now := t0.Add(time.Second)
	s.ManagersChannels("without") // none: its read leaves the managers' work (an IN over outbox_servers)
	for _, c := range []struct {
		name string
		read func() error
		off  []string
		n    int // statements on the outbox in the transaction
	}{
		{"OutboxStats", func() error { _, err := s.OutboxStats(ctx); return err }, bitmapsOff, 1},
		{"NextOutboxDueFor", func() error { _, _, err := s.NextOutboxDueFor(ctx, "w", now, "slack"); return err }, rangeOff, 1},
		{"NextOutboxDueFor leaving the managers' work", func() error { _, _, err := s.NextOutboxDueFor(ctx, "without", now, "slack"); return err }, rangeOff, 1},
		{"NextWebhookDue", func() error { _, _, err := s.NextWebhookDue(ctx); return err }, rangeOff, 1},
		{"TakeOutbox", func() error { return took(s.TakeOutbox(ctx, now, 20, time.Minute, "w")) }, sortsOff, 3},
		{"TakeWebhooks", func() error { return took(s.TakeWebhooks(ctx, now, 20, time.Minute, "w")) }, sortsOff, 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			seen, stop := s.PlannerSettingsSeen()
			err := c.read()
			stop()
			if err != nil {
				t.Fatal(err)
			}
			got, err := seen()
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != c.n {
				t.Fatalf("statements on the outbox: %+v; want %d in one transaction", got, c.n)
			}
			for i, st := range got {
				want := c.off
				if i > 0 {
					want = nil // after the read, in the same transaction
				}
				if st.Tx != got[0].Tx || !slices.Equal(st.Off, want) {
					t.Errorf("statement %d (%s), transaction %d: settings off %v; want %v in transaction %d",
						i, st.Statement, st.Tx, st.Off, want, got[0].Tx)
				}
			}
		})
	}
}

// took is the error of a take that must lease one message.
func took(msgs []handoff.OutboxMessage, err error) error {
	if err == nil && len(msgs) != 1 {
		return fmt.Errorf("took %d messages, want 1", len(msgs))
	}
	return err
}

// The planner's settings are off for the read alone in a transaction that
// goes on after it, whether it runs by within or by alone given that
// transaction: the statements after it plan with the defaults.
func TestPlannerOffEndsWithTheRead(t *testing.T) {
	s := storagetest.Open(t, storage.DialectPostgres)
	for level, off := range [][]string{sortsOff, rangeOff, bitmapsOff} {
		for _, alone := range []bool{false, true} {
			during, after, err := s.PlannerOffAround(context.Background(), level+1, alone)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(during, off) || after != nil {
				t.Errorf("level %d, alone %v: off %v during the read and %v after it; want %v, then none", level+1, alone, during, after, off)
			}
		}
	}
}

// The outbox's reads that are the only statement of their transaction
// send one statement for the planner's settings on PostgreSQL, before
// the read, and none after it: OutboxStats, read at every scrape of the
// metrics, sent six (a SET LOCAL and a reset for each setting). SQLite
// sends the read alone.
func TestOutboxReadsSetThePlannerInOneStatement(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		want := map[string]int{storage.DialectPostgres: 2, storage.DialectSQLite: 1}[s.Dialect()]
		for _, c := range []struct {
			name string
			read func() error
		}{
			{"OutboxStats", func() error { _, err := s.OutboxStats(ctx); return err }},
			{"NextOutboxDueFor", func() error { _, _, err := s.NextOutboxDueFor(ctx, "w", t0, "slack"); return err }},
			{"NextWebhookDue", func() error { _, _, err := s.NextWebhookDue(ctx); return err }},
		} {
			count, stop := s.CountStatements()
			err := c.read()
			stop()
			if err != nil {
				t.Fatal(err)
			}
			if n := count(); n != want {
				t.Errorf("%s sent %d statements; want %d", c.name, n, want)
			}
		}
	})
}
