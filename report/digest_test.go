package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/report"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

func TestRunDigestCommand(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		p := handoff.DefaultPolicy()
		p.Targets = handoff.Targets{SQLsPerMonth: 20, Currency: "DKK"}
		// One SQL in week 47 (UTC), claimed after 30 min and contacted
		// after 3 h, within its 48 h deadline (Wed 18 Nov 10:00Z).
		sqlAt := time.Date(2026, 11, 16, 10, 0, 0, 0, time.UTC)
		res, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: "d1", Company: "Delta ApS", Stage: handoff.StageSQL, OccurredAt: &sqlAt}, p, sqlAt, handoff.ActorAPI)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.ClaimLead(ctx, res.Lead.ID, handoff.Owner{Platform: "slack", UserID: "U1", Email: "ann@delta.dk"}, sqlAt.Add(30*time.Minute), "slack:U1"); err != nil {
			t.Fatal(err)
		}
		contacted := sqlAt.Add(3 * time.Hour)
		if _, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: "d1", Stage: handoff.StageContacted, OccurredAt: &contacted}, p, contacted, handoff.ActorAPI); err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC) // Wednesday of week 48

		var out bytes.Buffer
		if err := report.RunDigestCommand(ctx, []string{"--print"}, s, p, now, &out); err != nil {
			t.Fatal(err)
		}
		got := out.String()
		// Last week is 2026-W47, 7/30 of November: 4.67 SQLs were due.
		for _, want := range []string{
			"📬 Weekly SLA digest · 2026-W47",
			"Contacted in time          100% (1 of 1)",
			"Median time to claim       30 min",
			"Median time to contact     3 h",
			"Marketing: SQLs delivered  1 of 4.67 ⚠️",
			"ann@delta.dk        1          1   1 of 1         0  3 h",
			"W47  ██████████████████████████████ 1",
		} {
			if !strings.Contains(got, want) {
				t.Errorf("digest lacks %q:\n%s", want, got)
			}
		}

		out.Reset()
		if err := report.RunDigestCommand(ctx, []string{"--week", "2026-W46"}, s, p, now, &out); err != nil {
			t.Fatal(err)
		}
		msgs, err := s.TakeOutbox(ctx, now.Add(time.Second), 50, time.Minute, "test")
		if err != nil {
			t.Fatal(err)
		}
		var queued []handoff.DigestRequest
		for _, m := range msgs {
			if m.Kind == handoff.OutboxDigest {
				var req handoff.DigestRequest
				if err := json.Unmarshal([]byte(m.Payload), &req); err != nil {
					t.Fatal(err)
				}
				queued = append(queued, req)
			}
		}
		if len(queued) != 1 || queued[0].Week != "2026-W46" || !queued[0].Start.Equal(time.Date(2026, 11, 9, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("queued = %+v, want one digest for 2026-W46", queued)
		}

		for _, args := range [][]string{{"--week", "2026-11"}, {"--week", "2026-W60"}, {"extra"}} {
			if err := report.RunDigestCommand(ctx, args, s, p, now, &out); handoff.ErrorCode(err) != handoff.EINVALID {
				t.Errorf("%v: err = %v, want EINVALID", args, err)
			}
		}
	})
}
