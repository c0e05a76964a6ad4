package csvimport_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/csvimport"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

var now = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

func importer(s *storage.Store) *csvimport.Importer {
	p := handoff.DefaultPolicy()
	p.Location, _ = time.LoadLocation("Europe/Copenhagen")
	// The exports below are dated days before now: imported live, as
	// before --old existed (TestImportOldRows covers the other choices).
	return &csvimport.Importer{Store: s, Policy: p, Now: func() time.Time { return now }, BatchSize: 2, Old: csvimport.OldRowsLive}
}

func TestImport(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		tests := []struct {
			name                        string
			csv                         string
			created, updated, unchanged int
			rejected                    string // "line:field-or-reason" pairs
			check                       func(t *testing.T)
		}{
			{
				name: "HandoffFields",
				csv: "external_id,email,name,company,score,stage,utm_medium\n" +
					"h1,ann@acme.dk,Ann,Acme,80,sql,cpc\n" +
					"h2,bad-email,Bo,Beta,10,mql,\n" +
					"h3,cy@gamma.dk,Cy,Gamma,x,sql,\n" +
					"h4,di@delta.dk,Di,Delta,55,banana,\n" +
					"h1,ann@acme.dk,Ann,Acme,80,sql,cpc\n",
				created: 1, unchanged: 1, rejected: "[3:email 4:score 5:stage]",
				check: func(t *testing.T) {
					l, err := s.LeadByExternalID(ctx, "h1")
					if err != nil || l.Attributes["utm_medium"] != "cpc" || l.Score != 80 {
						t.Fatalf("h1 = %+v, %v", l, err)
					}
				},
			},
			{
				name: "HubSpotExport",
				csv: "Record ID,First Name,Last Name,Email,Company Name,Job Title,Lifecycle Stage,HubSpot Score,Create Date\n" +
					"501,Ann,Berg,ann@berg.dk,Berg ApS,IT Manager,salesqualifiedlead,77,2026-11-18 10:30\n" +
					"502,Bo,Holm,bo@holm.dk,Holm A/S,CFO,marketingqualifiedlead,40,2026-11-18 11:00\n",
				created: 2, rejected: "[]",
				check: func(t *testing.T) {
					l, err := s.LeadByExternalID(ctx, "501")
					if err != nil {
						t.Fatal(err)
					}
					want := time.Date(2026, 11, 18, 9, 30, 0, 0, time.UTC) // 10:30 in Copenhagen
					if l.Name != "Ann Berg" || l.Company != "Berg ApS" || l.Title != "IT Manager" || l.Stage != handoff.StageSQL || !l.SQLAt.Equal(want) {
						t.Fatalf("501 = %+v sql_at %v", l, l.SQLAt)
					}
					m, _ := s.LeadByExternalID(ctx, "502")
					if m.Stage != handoff.StageMQL {
						t.Fatalf("502 stage = %s", m.Stage)
					}
				},
			},
			{
				name: "SalesforceSemicolonsWithBOM",
				csv: "\xEF\xBB\xBFLead ID;Name;Company;Lead Status;Lead Source;Email\n" +
					"00Q1;Cy Dahl;\"Dahl; Sons\";Open - Not Contacted;Web;cy@dahl.dk\n" +
					"00Q2;Di Eng;Eng IVS;Working - Contacted;Partner;di@eng.dk\n" +
					"00Q3;Ed;Short row\n" +
					"00Q4\n",
				created: 2, rejected: "[4:3 columns, header has 6 5:1 column, header has 6]",
				check: func(t *testing.T) {
					l, _ := s.LeadByExternalID(ctx, "00Q1")
					if l == nil || l.Company != "Dahl; Sons" || l.Source != "Web" {
						t.Fatalf("00Q1 = %+v", l)
					}
					m, _ := s.LeadByExternalID(ctx, "00Q2")
					if m.Stage != handoff.StageContacted {
						t.Fatalf("00Q2 stage = %s", m.Stage)
					}
				},
			},
			{
				// Each bad row is refused with its line; the rows around it are imported.
				name: "BadTimesAndControlCharactersPerRow",
				csv: "external_id,name,company,occurred_at\n" +
					"t1,Ann,Acme,2026-11-19T10:00:00Z\n" +
					"t2,Bo,Beta,0000-01-01T00:00:00+23:00\n" +
					"t3,Cy,Gamma,1999-12-31\n" +
					"t4,Di,Delta,2026-11-20 10:06\n" + // 09:06 UTC: 6 minutes ahead
					"t5,Ed\x00Eng,Eng,\n" +
					"t6,Fi,\x1b[31mRed,\n" +
					"t7,Gu,\"Holm\nA/S\",2026-11-20 10:04\n",
				created: 2, rejected: "[3:occurred_at 4:occurred_at 5:occurred_at 6:name 7:company]",
				check: func(t *testing.T) {
					if l, err := s.LeadByExternalID(ctx, "t7"); err != nil || l.Company != "Holm A/S" {
						t.Fatalf("t7 = %+v, %v", l, err)
					}
				},
			},
			{
				name: "UpdatesAndConflictsAfterMultilineField",
				csv: "external_id,stage,name\n" +
					"h1,contacted,\"Ann\nBerg\"\n" +
					"h1,mql,Ann\n",
				updated: 1, rejected: "[4:stage cannot move backwards from contacted to mql (only to recycled)]",
			},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				sum, err := importer(s).Import(ctx, strings.NewReader(tc.csv), int64(len(tc.csv)))
				if err != nil {
					t.Fatal(err)
				}
				var rej []string
				for _, r := range sum.Rejected {
					reason := r.Reason
					for _, f := range []string{"email", "score", "stage", "occurred_at", "name", "company"} {
						if strings.HasPrefix(reason, "invalid lead: "+f+":") {
							reason = f
						}
					}
					rej = append(rej, fmt.Sprintf("%d:%s", r.Line, reason))
				}
				if sum.Created != tc.created || sum.Updated != tc.updated || sum.Unchanged != tc.unchanged || fmt.Sprint(rej) != tc.rejected && !(len(rej) == 0 && tc.rejected == "[]") {
					t.Fatalf("summary = created %d updated %d unchanged %d rejected %v; want %d %d %d %s",
						sum.Created, sum.Updated, sum.Unchanged, rej, tc.created, tc.updated, tc.unchanged, tc.rejected)
				}
				if tc.check != nil {
					tc.check(t)
				}
			})
		}
	})
}

func TestImportNeedsIDColumn(t *testing.T) {
	s := storagetest.Open(t, storage.DialectSQLite)
	_, err := importer(s).Import(context.Background(), strings.NewReader("email,name\nx@y.dk,X\n"), 0)
	if err == nil || !strings.Contains(err.Error(), "external_id") {
		t.Fatalf("err = %v, want one naming external_id", err)
	}
}

// The rejected-row report names the bad field without copying a personal
// value into it (reports are printed, logged and mailed around).
func TestImportRejectsWithoutEchoingEmails(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		bad := []string{"ann.berg@@acme.dk", "Ann Berg <ann.berg@acme.dk>", "bo.holm-at-holm.dk"}
		csv := "external_id,email,owner_email\n" +
			"e1," + bad[0] + ",\n" +
			"e2,\"" + bad[1] + "\",\n" +
			"e3,ok@holm.dk," + bad[2] + "\n"
		sum, err := importer(s).Import(context.Background(), strings.NewReader(csv), int64(len(csv)))
		if err != nil {
			t.Fatal(err)
		}
		if len(sum.Rejected) != 3 {
			t.Fatalf("rejected = %+v, want 3", sum.Rejected)
		}
		for i, r := range sum.Rejected {
			field := "email"
			if i == 2 {
				field = "owner_email"
			}
			if !strings.Contains(r.Reason, field+": invalid email address") || strings.Contains(r.Reason, "@") || strings.Contains(r.Reason, "holm") {
				t.Errorf("line %d: reason %q, want one naming %s without its value", r.Line, r.Reason, field)
			}
		}
	})
}

// TestImportKeepsFirstRejections checks that the summary of a file with
// many bad rows stays bounded: every rejected row is counted and handed to
// OnReject, and only the first MaxRejections are kept.
func TestImportKeepsFirstRejections(t *testing.T) {
	s := storagetest.Open(t, storage.DialectSQLite)
	var b strings.Builder
	b.WriteString("external_id,email\n")
	for i := range 7 {
		fmt.Fprintf(&b, "r%d,not-an-email\n", i)
	}
	b.WriteString("ok,ok@acme.dk\n")
	for _, keep := range []int{3, -1} {
		t.Run(fmt.Sprint("keep", keep), func(t *testing.T) {
			im := importer(s)
			im.MaxRejections = keep
			var seen []int
			im.OnReject = func(r csvimport.Rejection) { seen = append(seen, r.Line) }
			sum, err := im.Import(context.Background(), strings.NewReader(b.String()), 0)
			if err != nil {
				t.Fatal(err)
			}
			if sum.Rows != 8 || sum.RejectedRows != 7 || len(seen) != 7 {
				t.Fatalf("rows %d, rejected %d, seen %v: want 8, 7 and all 7", sum.Rows, sum.RejectedRows, seen)
			}
			want := []int{2, 3, 4}[:max(keep, 0)]
			var got []int
			for _, r := range sum.Rejected {
				got = append(got, r.Line)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("kept lines %v, want %v", got, want)
			}
		})
	}
}
