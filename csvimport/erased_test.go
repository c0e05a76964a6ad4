package csvimport_test

import (
	"context"
	"strings"
	"testing"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/csvimport"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// A file imported again after one of its people was erased (last month's
// export, a backup) does not bring the person back: their row is
// rejected, naming no one, in a dry run too, and the file's other rows go
// in as before. A lead made again since through the API (the person came
// back) takes its id back, and the file's row then updates it.
func TestImportDoesNotBringAnErasedLeadBack(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		file := "external_id,name,email,company,stage\n" +
			"kept-1,Bo Holm,bo@holm.dk,Holm A/S,mql\n" +
			"gdpr-imp,Annika Bergström,annika@bergstrom-consult.dk,Bergström Consult ApS,mql\n" +
			"kept-2,Cy Lund,cy@lund.dk,Lund ApS,mql\n"
		run := func(dry bool) csvimport.Summary {
			t.Helper()
			im := importer(s)
			im.DryRun = dry
			sum, err := im.Import(ctx, strings.NewReader(file), 0)
			if err != nil {
				t.Fatal(err)
			}
			return sum
		}
		if sum := run(false); sum.Created != 3 {
			t.Fatalf("first import = %+v", sum)
		}
		if err := s.ForgetLead(ctx, "gdpr-imp", handoff.DefaultPolicy(), now); err != nil {
			t.Fatal(err)
		}
		for _, dry := range []bool{true, false} {
			sum := run(dry)
			if sum.Unchanged != 2 || sum.Created != 0 || sum.RejectedRows != 1 ||
				len(sum.Rejected) != 1 || sum.Rejected[0] != (csvimport.Rejection{Line: 3, Reason: csvimport.ErasedRow}) {
				t.Errorf("import again (dry run %v) = %+v, want line 3 rejected as erased and the others unchanged", dry, sum)
			}
		}
		if _, err := s.LeadByExternalID(ctx, "gdpr-imp"); handoff.ErrorCode(err) != handoff.ENOTFOUND {
			t.Errorf("the erased lead after the import: %v, want not found", err)
		}
		for _, text := range []string{"Bergström", "annika@bergstrom-consult.dk"} {
			if found, err := s.FindText(ctx, text); err != nil || len(found) > 0 {
				t.Errorf("%q after the import again: %v %v", text, found, err)
			}
		}

		if _, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: "gdpr-imp", Name: "Annika Bergström", Stage: handoff.StageLead},
			handoff.DefaultPolicy(), now, handoff.ActorAPI); err != nil {
			t.Fatal(err)
		}
		if sum := run(false); sum.RejectedRows != 0 || sum.Updated != 1 || sum.Unchanged != 2 {
			t.Errorf("import after the lead came back through the API = %+v, want its row to update it", sum)
		}
	})
}

var _ csvimport.Store = (*storage.Store)(nil)
