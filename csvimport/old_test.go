package csvimport_test

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/csvimport"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// A HubSpot export dated 2026-10 and 2026-11, imported at now (2026-11-20
// 09:00 UTC): h-old and h-won are old records (their claim deadline passed
// long ago), h-new is 30 minutes old, h-mql was never an SQL.
const oldExport = "Record ID,Email,Lifecycle Stage,Create Date\n" +
	"h-old,old@acme.dk,salesqualifiedlead,2026-10-20 10:30\n" +
	"h-new,new@acme.dk,salesqualifiedlead,2026-11-20 09:30\n" + // 08:30 UTC
	"h-mql,mql@acme.dk,marketingqualifiedlead,2026-10-20 10:30\n" +
	"h-won,won@acme.dk,customer,2026-10-21 10:30\n"

func TestImportOldRows(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		im := importer(s)
		t.Run("StopsAtTheFirstByDefault", func(t *testing.T) {
			im.Old = csvimport.OldRowsStop
			// Batches of 2: lines 2-3 are saved, line 4 is old, so the
			// batch of lines 4-5 is not.
			csv := "Record ID,Email,Lifecycle Stage,Create Date\n" +
				"s-1,s1@acme.dk,salesqualifiedlead,2026-11-20 09:30\n" +
				"s-2,s2@acme.dk,salesqualifiedlead,\n" +
				"s-3,s3@acme.dk,salesqualifiedlead,2026-11-20 09:45\n" +
				"s-4,s4@acme.dk,salesqualifiedlead,2026-10-20 10:30\n"
			sum, err := im.Import(ctx, strings.NewReader(csv), 0)
			var old *csvimport.OldRowError
			if !errors.As(err, &old) || old.Line != 5 || old.From != 4 || !old.At.Equal(time.Date(2026, 10, 20, 8, 30, 0, 0, time.UTC)) {
				t.Fatalf("err = %v (%+v), want line 5 of the batch from line 4, dated 2026-10-20 08:30 UTC", err, old)
			}
			if sum.Rows != 2 || sum.Created != 2 {
				t.Errorf("summary %+v, want the 2 rows before the batch", sum)
			}
			for _, id := range []string{"s-3", "s-4"} {
				if _, err := s.LeadByExternalID(ctx, id); handoff.ErrorCode(err) != handoff.ENOTFOUND {
					t.Errorf("%s: %v, want not saved", id, err)
				}
			}
		})

		t.Run("History", func(t *testing.T) {
			im.Old = csvimport.OldRowsHistory
			sum, err := im.Import(ctx, strings.NewReader(oldExport), 0)
			if err != nil || sum.Created != 4 || sum.History != 2 || sum.PastClaimDeadline != 0 {
				t.Fatalf("summary %+v, %v; want 4 created, 2 as history", sum, err)
			}
			for _, c := range []struct {
				id        string
				stage     handoff.Stage
				announced bool
			}{{"h-old", handoff.StageSQL, false}, {"h-new", handoff.StageSQL, true}, {"h-mql", handoff.StageMQL, false}, {"h-won", handoff.StageWon, false}} {
				l, msgs := leadAndMessages(t, s, c.id)
				got := hasKind(msgs, handoff.OutboxAnnounceLead)
				if l.Stage != c.stage || got != c.announced {
					t.Errorf("%s: stage %s, announced %v; want %s, %v", c.id, l.Stage, got, c.stage, c.announced)
				}
				if c.stage != handoff.StageMQL && (l.ClaimDueAt != nil) != c.announced {
					t.Errorf("%s: claim deadline %v, announced %v", c.id, l.ClaimDueAt, c.announced)
				}
			}
			// A month on, the SLA clock escalates h-new and leaves the
			// history alone.
			if _, parked, err := s.FireSLA(ctx, now.AddDate(0, 1, 0), im.Policy, 100); err != nil || len(parked) > 0 {
				t.Fatal(err, parked)
			}
			for _, c := range []struct {
				id        string
				escalated bool
			}{{"h-old", false}, {"h-new", true}, {"h-won", false}} {
				l, msgs := leadAndMessages(t, s, c.id)
				if (l.ClaimEscalatedAt != nil) != c.escalated || l.SLABreached != c.escalated {
					t.Errorf("%s: claim escalated %v, breached %v; want %v", c.id, l.ClaimEscalatedAt, l.SLABreached, c.escalated)
				}
				if got := hasKind(msgs, handoff.OutboxEscalate); got != c.escalated {
					t.Errorf("%s: an escalation message %v, want %v", c.id, got, c.escalated)
				}
			}
			// The open SQLs (/sla, /leads open, the digest) are the live ones.
			open, err := s.OpenSQLs(ctx, now, im.Policy, 100)
			if err != nil {
				t.Fatal(err)
			}
			live := []string{"h-new", "s-1", "s-2"}
			if listed := externalIDs(append(append(open.Unclaimed, open.Waiting...), open.Breached...)); !slices.Equal(listed, live) ||
				open.UnclaimedTotal+open.WaitingTotal+open.BreachedTotal != 3 {
				t.Errorf("open SQLs %v (totals %d, %d, %d), want the live h-new, s-1 and s-2", listed,
					open.UnclaimedTotal, open.WaitingTotal, open.BreachedTotal)
			}
			all, err := s.OpenLeads(ctx, "", 100)
			if err != nil {
				t.Fatal(err)
			}
			if listed := externalIDs(all); !slices.Equal(listed, live) {
				t.Errorf("open leads (/leads open) %v, want the live h-new, s-1 and s-2", listed)
			}
			// The funnel counts history by its dates, with no SLA figures.
			if c := october(t, s, im.Policy.Location); c.SQLs != 2 || c.Won != 1 || c.MQLs != 3 || c.SLADue+c.SLABreached+c.SLAPending != 0 {
				t.Errorf("October: %+v; want 3 MQLs, 2 SQLs, 1 won and no SLA figures", c)
			}
		})

		// The same export again, without --old: its old rows name leads
		// already known, and announce nothing, so the import goes through;
		// a row that moves a known MQL into SQL long ago stops it, and
		// nothing of its batch is saved.
		t.Run("AgainStopsOnlyForAnAnnouncement", func(t *testing.T) {
			im.Old = csvimport.OldRowsStop
			sum, err := im.Import(ctx, strings.NewReader(oldExport), 0)
			if err != nil || sum.Rows != 4 || sum.Unchanged != 4 {
				t.Fatalf("summary %+v, %v; want the 4 known rows unchanged", sum, err)
			}
			csv := "Record ID,Email,Lifecycle Stage,Create Date\n" +
				"h-won,won-again@acme.dk,customer,2026-10-21 10:30\n" +
				"h-mql,mql@acme.dk,salesqualifiedlead,2026-10-22 10:30\n"
			sum, err = im.Import(ctx, strings.NewReader(csv), 0)
			var old *csvimport.OldRowError
			if !errors.As(err, &old) || old.Line != 3 || old.From != 2 || !old.At.Equal(time.Date(2026, 10, 22, 8, 30, 0, 0, time.UTC)) {
				t.Fatalf("err = %v (%+v), want line 3 of the batch from line 2, an SQL since 2026-10-22 08:30 UTC", err, old)
			}
			if sum.Rows != 0 {
				t.Errorf("summary %+v, want no row saved", sum)
			}
			if l, msgs := leadAndMessages(t, s, "h-mql"); l.Stage != handoff.StageMQL || hasKind(msgs, handoff.OutboxAnnounceLead) {
				t.Errorf("h-mql: stage %s, announced %v; want the MQL it was", l.Stage, hasKind(msgs, handoff.OutboxAnnounceLead))
			}
			if l, _ := leadAndMessages(t, s, "h-won"); l.Email != "won@acme.dk" {
				t.Errorf("h-won's email %q: its row, in the stopped batch, was saved", l.Email)
			}
		})

		t.Run("Live", func(t *testing.T) {
			im.Old = csvimport.OldRowsLive
			csv := strings.ReplaceAll(oldExport, "h-", "l-")
			sum, err := im.Import(ctx, strings.NewReader(csv), 0)
			if err != nil || sum.Created != 4 || sum.History != 0 || sum.PastClaimDeadline != 2 {
				t.Fatalf("summary %+v, %v; want 4 created, 2 past their claim deadline", sum, err)
			}
			for _, id := range []string{"l-old", "l-new", "l-won"} {
				if _, msgs := leadAndMessages(t, s, id); !hasKind(msgs, handoff.OutboxAnnounceLead) {
					t.Errorf("%s not announced", id)
				}
			}
		})
	})
}

// leadAndMessages reads the lead of external id id and its outbox messages.
func leadAndMessages(t *testing.T, s *storage.Store, id string) (*handoff.Lead, []handoff.OutboxMessage) {
	t.Helper()
	ctx := context.Background()
	l, err := s.LeadByExternalID(ctx, id)
	if err != nil {
		t.Fatalf("%s: %v", id, err)
	}
	msgs, err := s.OutboxMessages(ctx, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	return l, msgs
}

// october is the funnel's counts of October 2026 in loc, at now.
func october(t *testing.T, s *storage.Store, loc *time.Location) handoff.FunnelCounts {
	t.Helper()
	oct, err := handoff.ParsePeriod("2026-10", now, loc)
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.FunnelCounts(context.Background(), handoff.FunnelFilter{Period: oct, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// externalIDs lists the leads' external ids, sorted.
func externalIDs(leads []*handoff.Lead) []string {
	ids := make([]string, len(leads))
	for i, l := range leads {
		ids[i] = l.ExternalID
	}
	slices.Sort(ids)
	return ids
}

// hasKind reports whether msgs hold a message of kind.
func hasKind(msgs []handoff.OutboxMessage, kind string) bool {
	return slices.ContainsFunc(msgs, func(m handoff.OutboxMessage) bool { return m.Kind == kind })
}

// Under an agreement with scoring, an imported lead without a stage is
// made an SQL by its score, after the input is applied: from history it is
// still not announced.
func TestImportHistoryWithScoring(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		im := importer(s)
		im.Policy.Scoring = &handoff.Scoring{MQLAt: 5, SQLAt: 10,
			Explicit: []handoff.ExplicitRule{{Field: "title", Matches: regexp.MustCompile(`CTO`), Points: 30}}}
		im.Old = csvimport.OldRowsHistory
		csv := "Record ID,Email,Job Title,Create Date\n" +
			"c-old,old@acme.dk,CTO,2026-10-20 10:30\n" +
			"c-new,new@acme.dk,CTO,2026-11-20 09:30\n"
		sum, err := im.Import(ctx, strings.NewReader(csv), 0)
		if err != nil || sum.Created != 2 || sum.History != 1 {
			t.Fatalf("summary %+v, %v; want 2 created, 1 as history", sum, err)
		}
		for _, c := range []struct {
			id        string
			announced bool
		}{{"c-old", false}, {"c-new", true}} {
			l, msgs := leadAndMessages(t, s, c.id)
			if l.Stage != handoff.StageSQL || hasKind(msgs, handoff.OutboxAnnounceLead) != c.announced || (l.ClaimDueAt != nil) != c.announced {
				t.Errorf("%s: stage %s, announced %v, claim deadline %v; want an SQL announced %v", c.id, l.Stage,
					hasKind(msgs, handoff.OutboxAnnounceLead), l.ClaimDueAt, c.announced)
			}
		}
		// Scored as of its date, c-old is one of October's SQLs.
		if c := october(t, s, im.Policy.Location); c.SQLs != 1 {
			t.Errorf("October: %+v; want c-old's SQL", c)
		}
	})
}

// Under an agreement with scoring, a dated row its score makes an SQL is
// dated by the row (its Create Date), as a row whose stage is sql is:
// imported live it counts in that month's funnel and is announced past its
// claim deadline; by default the import stops at it. Dated by the import,
// it was one of November's SQLs, within its deadlines, and the default
// import went past it.
func TestImportLiveWithScoring(t *testing.T) {
	csv := "Record ID,Email,Job Title,Create Date\n" +
		"c-old,old@acme.dk,CTO,2026-10-20 10:30\n" +
		"c-new,new@acme.dk,CTO,2026-11-20 09:30\n"
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		im := importer(s)
		im.Policy.Scoring = &handoff.Scoring{MQLAt: 5, SQLAt: 10,
			Explicit: []handoff.ExplicitRule{{Field: "title", Matches: regexp.MustCompile(`CTO`), Points: 30}}}
		t.Run("Live", func(t *testing.T) {
			im.Old = csvimport.OldRowsLive
			sum, err := im.Import(ctx, strings.NewReader(csv), 0)
			if err != nil || sum.Created != 2 || sum.Announced != 2 || sum.PastClaimDeadline != 1 {
				t.Errorf("summary %+v, %v; want 2 created and announced, 1 past its claim deadline", sum, err)
			}
			for id, want := range map[string]time.Time{
				"c-old": time.Date(2026, 10, 20, 8, 30, 0, 0, time.UTC),
				"c-new": time.Date(2026, 11, 20, 8, 30, 0, 0, time.UTC),
			} {
				l, msgs := leadAndMessages(t, s, id)
				if l.Stage != handoff.StageSQL || l.SQLAt == nil || !l.SQLAt.Equal(want) || !hasKind(msgs, handoff.OutboxAnnounceLead) ||
					l.ClaimDueAt == nil || !l.ClaimDueAt.Equal(im.Policy.ClaimDue(want)) {
					t.Errorf("%s: stage %s since %v, claim deadline %v, announced %v; want an SQL since %s (its Create Date), due %s, announced",
						id, l.Stage, l.SQLAt, l.ClaimDueAt, hasKind(msgs, handoff.OutboxAnnounceLead), want, im.Policy.ClaimDue(want))
				}
			}
			if c := october(t, s, im.Policy.Location); c.SQLs != 1 {
				t.Errorf("October: %+v; want c-old's SQL", c)
			}
		})
		t.Run("StopsAtItByDefault", func(t *testing.T) {
			im.Old = csvimport.OldRowsStop
			_, err := im.Import(ctx, strings.NewReader(strings.ReplaceAll(csv, "c-", "s-")), 0)
			var old *csvimport.OldRowError
			if !errors.As(err, &old) || old.Line != 2 || !old.At.Equal(time.Date(2026, 10, 20, 8, 30, 0, 0, time.UTC)) {
				t.Fatalf("err = %v (%+v), want a stop at line 2, dated 2026-10-20 08:30 UTC", err, old)
			}
		})
	})
}
