package scheduler_test

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/metrics"
	"github.com/handoff/handoff/scheduler"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestPoisonedLeadsAreParked plants two leads an older version could have
// stored (attributes that are not JSON; a deadline in year -1, which no
// outbox payload can carry) beside a healthy lead, all past their claim
// deadline. The tick succeeds: the healthy lead is escalated, the digest is
// queued, the poisoned leads are parked and counted, and later ticks skip
// them instead of failing on them for ever.
func TestPoisonedLeadsAreParked(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			s, raw := storagetest.OpenRaw(t, dialect)
			c := &clock{now: t0}
			healthy := saveSQL(t, s, "healthy", t0)
			badAttrs := saveSQL(t, s, "bad-attrs", t0)
			yearMinus1 := saveSQL(t, s, "year-minus-1", t0)
			minus1 := time.Date(-1, 12, 31, 1, 0, 0, 0, time.UTC).UnixMilli()
			for _, q := range []string{
				fmt.Sprintf(`UPDATE leads SET attributes = '{"utm": not json' WHERE id = %d`, badAttrs.ID),
				fmt.Sprintf(`UPDATE leads SET sql_ms = %d, claim_due_ms = %d, contact_due_ms = %d WHERE id = %d`, minus1, minus1, minus1, yearMinus1.ID),
			} {
				if _, err := raw.Exec(q); err != nil {
					t.Fatal(err)
				}
			}
			m := metrics.New(nil)
			sch, err := scheduler.New(scheduler.Config{Store: s, Policy: policy(), Now: c.Now, Logger: quiet(), Holder: "a", Metrics: m})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := sch.Tick(ctx); err != nil { // starts the digest's schedule
				t.Fatalf("first tick: %v", err)
			}
			c.now = nextMonday(t0).Add(9 * time.Hour) // past the claim deadline and the digest time
			for i := range 3 {
				if _, err := sch.Tick(ctx); err != nil {
					t.Fatalf("tick %d: %v", i, err)
				}
			}
			if got := slaOutbox(t, s, healthy.ID); len(got) == 0 || got[0] != "sla.escalate:escalate_claim" {
				t.Fatalf("healthy lead's outbox = %v, want its claim escalation", got)
			}
			for _, id := range []int64{badAttrs.ID, yearMinus1.ID} {
				msgs, err := s.OutboxMessages(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				for _, msg := range msgs {
					if msg.Kind == "sla.escalate" || msg.Kind == "sla.remind" {
						t.Fatalf("parked lead %d queued %s", id, msg.Kind)
					}
				}
			}
			digests, err := s.OutboxMessages(ctx, 0)
			if err != nil {
				t.Fatal(err)
			}
			if n := countKind(digests, "digest.weekly"); n != 1 {
				t.Fatalf("digests queued = %d, want 1", n)
			}
			var parked int
			if err := raw.QueryRow(`SELECT COUNT(*) FROM leads WHERE parked_ms IS NOT NULL AND parked_error <> ''`).Scan(&parked); err != nil {
				t.Fatal(err)
			}
			if parked != 2 {
				t.Fatalf("parked leads = %d, want 2", parked)
			}
			rec := httptest.NewRecorder()
			m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
			body, _ := io.ReadAll(rec.Body)
			if !strings.Contains(string(body), `handoff_parked_total{worker="scheduler"} 2`) {
				t.Fatalf("metrics lack two parked leads:\n%s", grepLines(string(body), "parked"))
			}
			// The scheduler sleeps towards real deadlines, not the parked ones.
			if due, ok, err := s.NextSLADue(ctx); err != nil || (ok && due.Year() < 2000) {
				t.Fatalf("next SLA due = %v %v %v; parked leads must not count", due, ok, err)
			}
		})
	}
}

// nextMonday is the Monday after t, at midnight in UTC.
func nextMonday(t time.Time) time.Time {
	d := (8 - int(t.Weekday())) % 7
	if d == 0 {
		d = 7
	}
	y, mo, day := t.AddDate(0, 0, d).Date()
	return time.Date(y, mo, day, 0, 0, 0, 0, time.UTC)
}

func countKind(msgs []handoff.OutboxMessage, kind string) int {
	n := 0
	for _, m := range msgs {
		if m.Kind == kind {
			n++
		}
	}
	return n
}

func grepLines(s, word string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, word) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
