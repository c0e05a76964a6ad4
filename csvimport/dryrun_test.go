package csvimport_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/csvimport"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// A dry run counts what the import would do, batch by batch, and saves
// nothing: the import after it counts the same, and its old row stops it
// where the import would stop.
func TestImportDryRun(t *testing.T) {
	// A known lead (k-1, an MQL before), a rejected row, a new SQL within
	// its deadline, an old one and an MQL, in batches of 2.
	csv := "Record ID,Email,Lifecycle Stage,Create Date\n" +
		"k-1,k1@acme.dk,salesqualifiedlead,2026-11-20 09:30\n" +
		"d-bad,not-an-email,salesqualifiedlead,\n" +
		"d-new,new@acme.dk,salesqualifiedlead,2026-11-20 09:30\n" +
		"d-old,old@acme.dk,salesqualifiedlead,2026-10-20 10:30\n" +
		"d-mql,mql@acme.dk,marketingqualifiedlead,2026-10-20 10:30\n"
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		im := importer(s)
		im.BatchSize = 2
		if _, err := im.Import(ctx, strings.NewReader("Record ID,Email,Lifecycle Stage\nk-1,k1@acme.dk,marketingqualifiedlead\n"), 0); err != nil {
			t.Fatal(err)
		}
		before := october(t, s, im.Policy.Location)

		im.DryRun, im.Old = true, csvimport.OldRowsStop
		_, err := im.Import(ctx, strings.NewReader(csv), 0)
		var stop *csvimport.OldRowError
		if !errors.As(err, &stop) || stop.Line != 5 || stop.From != 5 {
			t.Fatalf("dry run without --old: %v (%+v), want the stop at line 5, in the batch from line 5", err, stop)
		}
		im.Old = csvimport.OldRowsLive
		dry, err := im.Import(ctx, strings.NewReader(csv), 0)
		if err != nil {
			t.Fatal(err)
		}
		want := csvimport.Summary{Rows: 5, Created: 3, Updated: 1, RejectedRows: 1, Announced: 3, PastClaimDeadline: 1}
		if dry.Rows != want.Rows || dry.Created != want.Created || dry.Updated != want.Updated || dry.Unchanged != 0 ||
			dry.RejectedRows != want.RejectedRows || len(dry.Rejected) != 1 || dry.Rejected[0].Line != 3 ||
			dry.Announced != want.Announced || dry.PastClaimDeadline != want.PastClaimDeadline || dry.History != 0 {
			t.Fatalf("dry run: %+v, want %+v with line 3 rejected", dry, want)
		}
		// Nothing saved: no new lead, k-1 still an MQL with no message,
		// October's funnel as it was.
		for _, id := range []string{"d-new", "d-old", "d-mql"} {
			if _, err := s.LeadByExternalID(ctx, id); handoff.ErrorCode(err) != handoff.ENOTFOUND {
				t.Errorf("%s after the dry run: %v, want not saved", id, err)
			}
		}
		if l, msgs := leadAndMessages(t, s, "k-1"); l.Stage != handoff.StageMQL || len(msgs) != 0 {
			t.Errorf("k-1 after the dry run: stage %s, %d messages; want the MQL it was, none", l.Stage, len(msgs))
		}
		if after := october(t, s, im.Policy.Location); after.Leads != before.Leads || after.SQLs != before.SQLs {
			t.Errorf("October's funnel moved in a dry run: %+v, was %+v", after, before)
		}

		im.DryRun = false
		real, err := im.Import(ctx, strings.NewReader(csv), 0)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(real, dry) {
			t.Errorf("the import did %+v, the dry run said %+v", real, dry)
		}
		if _, msgs := leadAndMessages(t, s, "d-old"); !hasKind(msgs, handoff.OutboxAnnounceLead) {
			t.Error("d-old not announced by the import after the dry run")
		}
	})
}
