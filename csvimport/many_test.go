package csvimport_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/csvimport"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestImportManyRowsBadOnesInTheMiddle imports 1,200 rows in batches of 500
// with bad rows in the middle of a batch: each bad row is rejected with its
// line, and every other row is stored, on both databases.
func TestImportManyRowsBadOnesInTheMiddle(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		var b strings.Builder
		b.WriteString("external_id,name,email,stage,utm_term\n")
		bad := map[int]string{ // line → the row written there
			601: "m599,Ann \u2028Berg,a600@acme.dk,sql,x\n",     // a line separator (invalid UTF-8 stops the import: TestImportStopsAtFirstLineNotUTF8)
			602: "m600,Bo \"quoted\" Holm,b601@acme.dk,sql,x\n", // a bare quote
			603: "m5,Cy,c5@acme.dk,mql,x\n",                     // backwards from sql (line 7)
			604: "m602,Di,d603@acme.dk,sql," + strings.Repeat("x", handoff.MaxAttributeLen+1) + "\n",
			605: "m603,Ed\x00,e604@acme.dk,sql,x\n",                                 // NUL
			606: "m604,Fi,f605@acme.dk\n",                                           // short row
			607: "m605,Gu,g606@acme.dk,sql,\"" + strings.Repeat("y", 5000) + "\"\n", // long quoted attribute
		}
		for line := 2; line <= 1201; line++ {
			if row, ok := bad[line]; ok {
				b.WriteString(row)
				continue
			}
			fmt.Fprintf(&b, "m%d,Name %d,m%d@acme.dk,sql,t%d\n", line-2, line-2, line-2, line-2)
		}
		im := &csvimport.Importer{Store: s, Policy: handoff.DefaultPolicy(), Now: func() time.Time { return now }}
		csv := b.String()
		sum, err := im.Import(ctx, strings.NewReader(csv), int64(len(csv)))
		if err != nil {
			t.Fatal(err)
		}
		var lines []int
		for _, r := range sum.Rejected {
			lines = append(lines, r.Line)
		}
		slices.Sort(lines) // a row the store refuses is reported when its batch is saved
		if sum.Rows != 1200 || sum.Created != 1200-len(bad) || fmt.Sprint(lines) != "[601 602 603 604 605 606 607]" {
			t.Fatalf("rows %d created %d rejected %v (%+v)", sum.Rows, sum.Created, lines, sum.Rejected)
		}
		for _, ext := range []string{"m0", "m598", "m606", "m1199"} {
			if _, err := s.LeadByExternalID(ctx, ext); err != nil {
				t.Errorf("%s: %v", ext, err)
			}
		}
		for _, ext := range []string{"m599", "m600", "m602", "m603", "m604", "m605"} {
			if _, err := s.LeadByExternalID(ctx, ext); handoff.ErrorCode(err) != handoff.ENOTFOUND {
				t.Errorf("rejected %s stored: %v", ext, err)
			}
		}
		if l, err := s.LeadByExternalID(ctx, "m5"); err != nil || l.Stage != handoff.StageSQL || l.Name != "Name 5" {
			t.Errorf("m5 after a backwards row = %+v, %v", l, err)
		}
	})
}
