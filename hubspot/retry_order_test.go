package hubspot_test

import (
	"context"
	"strings"
	"testing"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

func TestLateHubSpotRetryDoesNotReannounce(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		srv := newServer(t, s, "")
		sql := classicContact // t1: SQL, lastmodifieddate 1763620000123
		other := strings.NewReplacer(
			`"lifecyclestage": {"value": "salesqualifiedlead"`, `"lifecyclestage": {"value": "other"`,
			`"lastmodifieddate": {"value": "1763620000123"`, `"lastmodifieddate": {"value": "1763620900000"`,
		).Replace(classicContact)
		if status, ans := send(t, srv, "/hooks/hubspot", sql, "", now, secret); status != 200 {
			t.Fatalf("t1: %d %v", status, ans)
		}
		if status, ans := send(t, srv, "/hooks/hubspot", other, "", now, secret); status != 200 {
			t.Fatalf("t2: %d %v", status, ans)
		}
		if status, ans := send(t, srv, "/hooks/hubspot", sql, "", now, secret); status != 200 {
			t.Fatalf("retry of t1: %d %v", status, ans)
		}
		l, err := s.LeadByExternalID(ctx, "101")
		if err != nil {
			t.Fatal(err)
		}
		if l.Stage != handoff.StageRecycled {
			t.Errorf("after a late retry of an older delivery: stage %s, want recycled (HubSpot's newest state)", l.Stage)
		}
		msgs, _ := s.OutboxMessages(ctx, l.ID)
		announce := 0
		for _, m := range msgs {
			if m.Kind == handoff.OutboxAnnounceLead {
				announce++
			}
		}
		if announce != 1 {
			t.Errorf("%d chat announcements of one contact after a HubSpot retry, want 1", announce)
		}
	})
}

// TestHubSpotVersionFromChosenProperties checks the last-modified time of a
// body of chosen properties (hs_lastmodifieddate, in milliseconds or RFC
// 3339), that a body without one is saved as before, and that a bad one
// is named.
func TestHubSpotVersionFromChosenProperties(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		srv := newServer(t, s, "")
		body := func(stage, modified string) string {
			b := `{"hs_object_id": 303, "email": "cy@x.dk", "lifecyclestage": "` + stage + `"`
			if modified != "" {
				b += `, "hs_lastmodifieddate": ` + modified
			}
			return b + "}"
		}
		steps := []struct {
			body  string
			stale bool
			want  handoff.Stage
		}{
			{body("salesqualifiedlead", `1763620000000`), false, handoff.StageSQL},
			{body("other", `"2025-11-20T06:40:01Z"`), false, handoff.StageRecycled},
			{body("salesqualifiedlead", `"1763620000000"`), true, handoff.StageRecycled}, // late retry
			{body("other", `"2025-11-20T06:40:01Z"`), true, handoff.StageRecycled},       // repeated
			{body("marketingqualifiedlead", ""), false, handoff.StageMQL},                // no version: saved
		}
		for i, st := range steps {
			status, ans := send(t, srv, "/hooks/hubspot", st.body, "", now, secret)
			if status != 200 {
				t.Fatalf("step %d: %d %v", i, status, ans)
			}
			res := ans["leads"].([]any)[0].(map[string]any)
			if stale := res["stale"] == true; stale != st.stale {
				t.Errorf("step %d: answer %v, want stale %v", i, ans, st.stale)
			}
			l, err := s.LeadByExternalID(ctx, "303")
			if err != nil || l.Stage != st.want {
				t.Fatalf("step %d: lead %+v, %v; want stage %s", i, l, err, st.want)
			}
		}
		status, ans := send(t, srv, "/hooks/hubspot", body("other", `"yesterday"`), "", now, secret)
		if fields, _ := ans["fields"].(map[string]any); status != 400 || fields["hs_lastmodifieddate"] == nil {
			t.Errorf("bad hs_lastmodifieddate: %d %v", status, ans)
		}
	})
}
