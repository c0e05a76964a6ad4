package csvimport_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/salesforce"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestRealExports imports files shaped as HubSpot and Salesforce write
// them (testdata/): HubSpot's contact export with display labels and with
// internal values, a Salesforce lead report (labels, 15-character ids,
// US dates) and a Data Loader export (API names, 18-character ids). Every
// row is accepted. HubSpot's Lifecycle Stage decides the stage and its Lead
// Status (IN_PROGRESS, ATTEMPTED_TO_CONTACT, …) becomes the attribute
// lead_status; Salesforce's standard lead statuses set the stage; Rating
// (Hot/Warm/Cold) becomes the attribute rating, never the score.
func TestRealExports(t *testing.T) {
	type want struct {
		stage      handoff.Stage
		score      int
		leadStatus string // the lead_status attribute; "" for none
		rating     string // the rating attribute; "" for none
		source     string
	}
	sfID := func(id15 string) string {
		id, err := salesforce.ID18(id15)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	tests := []struct {
		file  string
		rows  int
		leads map[string]want
	}{
		{"hubspot_contacts_labels.csv", 6, map[string]want{
			"70101": {handoff.StageSQL, 82, "In Progress", "", "Organic Search"},
			"70102": {handoff.StageMQL, 41, "Attempted to Contact", "", "Paid Search"},
			"70103": {handoff.StageSQL, 67, "Connected", "", "Offline Sources"},
			"70104": {handoff.StageOpportunity, 90, "Open Deal", "", "Direct Traffic"},
			"70105": {handoff.StageLead, 12, "Bad Timing", "", "Referrals"},
			"70106": {handoff.StageWon, 95, "", "", "Organic Search"},
		}},
		{"hubspot_contacts_internal.csv", 7, map[string]want{
			"80201": {handoff.StageSQL, 71, "IN_PROGRESS", "", "ORGANIC_SEARCH"},
			"80202": {handoff.StageMQL, 38, "ATTEMPTED_TO_CONTACT", "", "PAID_SEARCH"},
			"80203": {handoff.StageSQL, 64, "CONNECTED", "", "OFFLINE"},
			"80204": {handoff.StageOpportunity, 88, "OPEN_DEAL", "", "DIRECT_TRAFFIC"},
			"80205": {handoff.StageLead, 9, "BAD_TIMING", "", "REFERRALS"},
			// NEW and UNQUALIFIED are lead statuses here, not stages.
			"80206": {handoff.StageSQL, 50, "NEW", "", "SOCIAL_MEDIA"},
			"80207": {handoff.StageSQL, 20, "UNQUALIFIED", "", "EMAIL_MARKETING"},
		}},
		{"salesforce_leads_report.csv", 5, map[string]want{
			sfID("00Q5e00000AbC01"): {handoff.StageSQL, 0, "Open - Not Contacted", "Hot", "Web"},
			sfID("00Q5e00000AbC02"): {handoff.StageContacted, 0, "Working - Contacted", "Warm", "Partner Referral"},
			sfID("00Q5e00000AbC03"): {handoff.StageOpportunity, 0, "Closed - Converted", "Hot", "Trade Show"},
			sfID("00Q5e00000AbC04"): {handoff.StageLost, 0, "Closed - Not Converted", "Cold", "Purchased List"},
			// A status the org added is kept, and the lead arrives as an SQL.
			sfID("00Q5e00000AbC05"): {handoff.StageSQL, 0, "Nurturing", "Cold", "Web"},
		}},
		{"salesforce_leads_dataloader.csv", 3, map[string]want{
			"00Q5e00000AbD01EAA": {handoff.StageSQL, 0, "Open - Not Contacted", "Warm", "Web"},
			"00Q5e00000AbD02EAA": {handoff.StageContacted, 0, "Working - Contacted", "Hot", "Phone Inquiry"},
			"00Q5e00000AbD03EAA": {handoff.StageLost, 0, "Closed - Not Converted", "Cold", "Other"},
		}},
	}
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		for _, tc := range tests {
			t.Run(tc.file, func(t *testing.T) {
				b, err := os.ReadFile(filepath.Join("testdata", tc.file))
				if err != nil {
					t.Fatal(err)
				}
				sum, err := importer(s).Import(ctx, bytes.NewReader(b), int64(len(b)))
				if err != nil {
					t.Fatal(err)
				}
				if sum.Rows != tc.rows || sum.Created != tc.rows || len(sum.Rejected) != 0 {
					t.Fatalf("summary = %+v, want %d rows all created", sum, tc.rows)
				}
				for id, w := range tc.leads {
					l, err := s.LeadByExternalID(ctx, id)
					if err != nil {
						t.Fatalf("%s: %v", id, err)
					}
					if l.Stage != w.stage || l.Score != w.score || l.Source != w.source {
						t.Errorf("%s: stage %s score %d source %q; want %s %d %q", id, l.Stage, l.Score, l.Source, w.stage, w.score, w.source)
					}
					for key, wantV := range map[string]string{"lead_status": w.leadStatus, "rating": w.rating} {
						got, ok := l.Attributes[key]
						if wantV == "" && ok || wantV != "" && got != wantV {
							t.Errorf("%s: attribute %s = %v (set %v), want %q", id, key, got, ok, wantV)
						}
					}
				}
			})
		}
	})
}

// TestLeadStatusTableFromAgreement checks that the import maps Lead Status
// through the same table as the Salesforce connector, the agreement's
// salesforce.status included.
func TestLeadStatusTableFromAgreement(t *testing.T) {
	s := storagetest.Open(t, storage.DialectSQLite)
	im := importer(s)
	im.LeadStatus = map[string]handoff.Stage{"Open - Not Contacted": handoff.StageSQL, "Nurturing": handoff.StageMQL}
	b, err := os.ReadFile(filepath.Join("testdata", "salesforce_leads_report.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if sum, err := im.Import(context.Background(), bytes.NewReader(b), 0); err != nil || sum.Created != 5 {
		t.Fatalf("summary %+v, %v", sum, err)
	}
	for id15, want := range map[string]handoff.Stage{
		"00Q5e00000AbC05": handoff.StageMQL, // mapped by the agreement
		"00Q5e00000AbC02": handoff.StageSQL, // "Working - Contacted" is not in this table: an attribute only
	} {
		id, _ := salesforce.ID18(id15)
		l, err := s.LeadByExternalID(context.Background(), id)
		if err != nil || l.Stage != want {
			t.Errorf("%s: %v (%v), want stage %s", id15, l, err, want)
		}
	}
}
