package storage_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

func TestForget(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		policy := handoff.DefaultPolicy()
		for _, raw := range []map[string]any{
			{"external_id": "p1", "email": "ann@acme.dk", "name": "Ann", "phone": "+45 1234", "company": "Acme", "linkedin": "ann-b"},
			{"external_id": "p1", "stage": "recycled", "reason": "Ann is on leave"},
			{"external_id": "p2", "email": "ann@acme.dk", "name": "Ann again"},
			{"external_id": "p3", "email": "bo@beta.dk", "name": "Bo"},
		} {
			if _, err := s.SaveLead(ctx, input(t, raw), policy, t0, handoff.ActorAPI); err != nil {
				t.Fatal(err)
			}
		}
		before, _ := s.LeadByExternalID(ctx, "p1")
		n, err := s.ForgetEmail(ctx, "Ann@Acme.dk", policy, t0.Add(time.Hour))
		if err != nil || n != 2 {
			t.Fatalf("ForgetEmail = %d, %v; want 2", n, err)
		}
		if _, err := s.LeadByExternalID(ctx, "p1"); handoff.ErrorCode(err) != handoff.ENOTFOUND {
			t.Fatalf("erased lead still found by its external id: %v", err)
		}
		after, err := s.Lead(ctx, before.ID)
		if err != nil {
			t.Fatal(err)
		}
		if after.Name != "" || after.Email != "" || after.Phone != "" || after.Company != "" || after.Reason != "" || after.Attributes != nil {
			t.Fatalf("personal data left: %+v", after)
		}
		if after.Stage != handoff.StageRecycled {
			t.Fatalf("non-personal data lost: %+v", after)
		}
		events, _ := s.Events(ctx, before.ID)
		var kinds []string
		for _, e := range events {
			kinds = append(kinds, string(e.Kind)+":"+string(e.Stage))
			if e.Details["reason"] != "" {
				t.Fatalf("event keeps free text: %+v", e)
			}
		}
		if fmt.Sprint(kinds) != "[stage:lead stage:mql stage:sql stage:recycled erased:recycled]" {
			t.Fatalf("history = %v", kinds)
		}
		if bo, err := s.LeadByExternalID(ctx, "p3"); err != nil || bo.Name != "Bo" {
			t.Fatalf("another lead was touched: %+v %v", bo, err)
		}
		if err := s.ForgetLead(ctx, "nope", policy, t0); handoff.ErrorCode(err) != handoff.ENOTFOUND {
			t.Fatalf("forget unknown = %v", err)
		}
	})
}

func TestPurgeExpired(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		policy := handoff.DefaultPolicy()
		s.SaveLead(ctx, input(t, map[string]any{"external_id": "old", "name": "Old"}), policy, t0, handoff.ActorAPI)
		s.SaveLead(ctx, input(t, map[string]any{"external_id": "new", "name": "New"}), policy, t0.AddDate(0, 0, 10), handoff.ActorAPI)
		n, err := s.PurgeExpired(ctx, t0.AddDate(0, 0, 5), policy, t0.AddDate(0, 0, 20))
		if err != nil || n != 1 {
			t.Fatalf("purge = %d, %v; want 1", n, err)
		}
		if n, _ := s.PurgeExpired(ctx, t0.AddDate(0, 0, 5), policy, t0.AddDate(0, 0, 21)); n != 0 {
			t.Fatalf("second purge erased %d again", n)
		}
		if l, err := s.LeadByExternalID(ctx, "new"); err != nil || l.Name != "New" {
			t.Fatalf("recent lead purged: %+v %v", l, err)
		}
	})
}

// TestPurgeErasesACorruptRecord plants event details that no longer decode
// (written by an older version) on an expired lead: the daily purge still
// erases it and every other expired lead, instead of failing for all of
// them every day.
func TestPurgeErasesACorruptRecord(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			s, raw := storagetest.OpenRaw(t, dialect)
			policy := handoff.DefaultPolicy()
			var ids []int64
			for _, ext := range []string{"corrupt", "fine"} {
				res, err := s.SaveLead(ctx, input(t, map[string]any{"external_id": ext, "name": "Ann", "stage": "recycled", "reason": "Ann is on leave"}), policy, t0, handoff.ActorAPI)
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, res.Lead.ID)
			}
			if _, err := raw.Exec(fmt.Sprintf(`UPDATE lead_events SET details = '{"reason": "Ann is' WHERE lead_id = %d AND details <> ''`, ids[0])); err != nil {
				t.Fatal(err)
			}
			n, err := s.PurgeExpired(ctx, t0.AddDate(0, 0, 5), policy, t0.AddDate(0, 0, 20))
			if err != nil || n != 2 {
				t.Fatalf("purge = %d, %v; want both leads erased", n, err)
			}
			var left int
			if err := raw.QueryRow(`SELECT COUNT(*) FROM lead_events WHERE details LIKE '%Ann%'`).Scan(&left); err != nil {
				t.Fatal(err)
			}
			if left != 0 {
				t.Fatalf("%d events still hold the reason", left)
			}
		})
	}
}

// After an erase no column of any table holds the person's name, email,
// phone, company or other data: not the lead, its events and attributes,
// nor outbox payloads pending, dead or sent, of the lead or of a lead list
// that named it. Queued messages of the store's own kinds (rendered when
// sent) stay queued; rendered ones are dropped.
func TestForgetLeavesNoTrace(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		policy := handoff.DefaultPolicy()
		person := []string{"Annika Bergström", "annika@bergstrom-consult.dk", "+45 2233 4455", "Bergström Consult ApS", "linkedin.com/in/annika-b", "Annika asked to wait until January"}
		for _, raw := range []map[string]any{
			{"external_id": "gdpr-1", "name": person[0], "email": person[1], "phone": person[2], "company": person[3], "title": "CEO", "profile": person[4]},
			{"external_id": "gdpr-1", "stage": "recycled", "reason": person[5]},
			{"external_id": "gdpr-1", "stage": "sql"},
			{"external_id": "other", "name": "Bo Holm", "company": "Holm A/S"},
		} {
			if _, err := s.SaveLead(ctx, input(t, raw), policy, t0, handoff.ActorAPI); err != nil {
				t.Fatal(err)
			}
		}
		lead, _ := s.LeadByExternalID(ctx, "gdpr-1")
		payload := noticePayload
		queueAndSettle(t, s, []handoff.OutboxMessage{
			{Kind: "chat.direct", LeadID: lead.ID, Payload: payload(person[:4]...)},             // will be sent
			{Kind: "chat.direct", LeadID: lead.ID, Payload: payload(person[0], person[2])},      // will be dead
			{Kind: "chat.private", LeadID: lead.ID, Payload: payload("Too late: " + person[3])}, // pending
			{Kind: "chat.reply", Payload: payload("Open leads: "+person[3], "Holm A/S")},        // pending lead list
			{Kind: "chat.reply", Payload: payload("Open leads: " + person[0])},                  // sent lead list
			{Kind: "chat.reply", Payload: payload("Open leads: Holm A/S")},                      // someone else's
			{Kind: handoff.OutboxRemind, LeadID: lead.ID, Payload: `{"action":"remind"}`, Due: t0.Add(time.Hour)},
		}, func(m handoff.OutboxMessage) error {
			switch {
			case m.Kind == "chat.direct" && strings.Contains(m.Payload, person[1]),
				m.Kind == "chat.reply" && strings.Contains(m.Payload, "Open leads: "+person[0]):
				return s.CompleteOutbox(ctx, m, t0, "sent")
			case m.Kind == "chat.direct":
				return s.FailOutbox(ctx, m, t0, "user_not_found")
			}
			return s.RetryOutbox(ctx, m, t0, "later")
		})
		for _, p := range person {
			if found, err := s.FindText(ctx, p); err != nil || len(found) == 0 {
				t.Fatalf("before the erase %q is in %v (%v); the scan finds nothing", p, found, err)
			}
		}

		if err := s.ForgetLead(ctx, "gdpr-1", policy, t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		for _, p := range person {
			found, err := s.FindText(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			if len(found) > 0 {
				t.Errorf("after the erase %q is still in %v", p, found)
			}
		}
		if found, _ := s.FindText(ctx, "Holm A/S"); fmt.Sprint(found) != "[leads.company outbox.payload]" {
			t.Errorf("another lead's data = %v, want it kept", found)
		}
		msgs, _ := s.OutboxMessages(ctx, lead.ID)
		var kinds []string
		for _, m := range msgs {
			kinds = append(kinds, m.Kind+":"+m.Status)
		}
		if fmt.Sprint(kinds) != "[lead.announce:pending lead.refresh:pending lead.announce:pending chat.direct:done chat.direct:done chat.private:done sla.remind:pending lead.erase:pending]" {
			t.Errorf("lead's outbox after the erase = %v", kinds)
		}
		if st, _ := s.OutboxStats(ctx); st.Dead != 0 {
			t.Errorf("dead after the erase = %d, want the dead message dropped", st.Dead)
		}
		events, _ := s.Events(ctx, lead.ID)
		if len(events) != 6 || events[3].Stage != handoff.StageRecycled || events[5].Kind != handoff.EventErased {
			t.Errorf("history = %+v, want the anonymous stages kept", events)
		}
	})
}

// queueAndSettle queues msgs at t0, takes them, and records each one's
// outcome as settle does (sent, dead or to retry).
func queueAndSettle(t *testing.T, s *storage.Store, msgs []handoff.OutboxMessage, settle func(handoff.OutboxMessage) error) {
	t.Helper()
	ctx := context.Background()
	for _, m := range msgs {
		if err := s.Enqueue(ctx, t0, m); err != nil {
			t.Fatal(err)
		}
	}
	taken, err := s.TakeOutbox(ctx, t0, 100, time.Minute, "w")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range taken {
		if err := settle(m); err != nil {
			t.Fatal(err)
		}
	}
}

// noticePayload is the payload of a chat notice to user UA whose summary
// is texts, joined.
func noticePayload(texts ...string) string {
	b, _ := json.Marshal(map[string]any{"user": "UA", "message": map[string]any{"summary": strings.Join(texts, " · ")}})
	return string(b)
}

// An erasure drops the erased lead's queued and dead chat messages, and
// those of no lead (a lead list) that name the person, but not the
// notices of another lead, nor one of no lead, whose text holds the
// person's short name only inside a longer word: Ann is erased, and the
// notices about Annual Plan ApS are sent all the same.
func TestErasureKeepsOtherLeadsNotices(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		policy := handoff.DefaultPolicy()
		for _, raw := range []map[string]any{
			{"external_id": "ann-1", "name": "Ann", "email": "ann@example.dk", "stage": "sql"},
			{"external_id": "annual-1", "name": "Bo Holm", "company": "Annual Plan ApS", "stage": "sql"},
		} {
			if _, err := s.SaveLead(ctx, input(t, raw), policy, t0, handoff.ActorAPI); err != nil {
				t.Fatal(err)
			}
		}
		ann, _ := s.LeadByExternalID(ctx, "ann-1")
		other, _ := s.LeadByExternalID(ctx, "annual-1")
		payload := noticePayload
		queueAndSettle(t, s, []handoff.OutboxMessage{
			{Kind: "chat.direct", LeadID: ann.ID, Payload: payload("You claimed *Ann*")},                  // dead below
			{Kind: "chat.private", LeadID: ann.ID, Payload: payload("Too late: Rita claimed *Ann*")},      // pending
			{Kind: "chat.reply", Payload: payload("Open leads: *Ann* · *Annual Plan ApS*")},               // a list that names Ann
			{Kind: "chat.direct", LeadID: other.ID, Payload: payload("You claimed *Annual Plan ApS*")},    // another lead's
			{Kind: "chat.private", Payload: payload("Too late: Rita already claimed *Annual Plan ApS*.")}, // of no lead, about another
			{Kind: "chat.reply", Payload: payload("Joann asked about Annapolis")},                         // Ann inside other words
		}, func(m handoff.OutboxMessage) error {
			if m.Kind == "chat.direct" && m.LeadID == ann.ID {
				return s.FailOutbox(ctx, m, t0, "user_not_found")
			}
			return s.RetryOutbox(ctx, m, t0, "later")
		})

		if err := s.ForgetLead(ctx, "ann-1", policy, t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		status := map[string]string{} // a notice's text: its status
		for _, id := range []int64{ann.ID, other.ID, 0} {
			msgs, err := s.OutboxMessages(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range msgs {
				if !strings.HasPrefix(m.Kind, "chat.") {
					continue
				}
				var p struct{ Message struct{ Summary string } }
				_ = json.Unmarshal([]byte(m.Payload), &p)
				if strings.Contains(strings.ToLower(p.Message.Summary), "*ann*") || strings.Contains(m.Payload, "ann@") {
					t.Errorf("after the erasure a %s message (lead %d, %s) still holds Ann: %s", m.Kind, m.LeadID, m.Status, m.Payload)
				}
				status[p.Message.Summary] = m.Status
			}
		}
		for _, kept := range []string{"You claimed *Annual Plan ApS*", "Too late: Rita already claimed *Annual Plan ApS*.", "Joann asked about Annapolis"} {
			if status[kept] != storage.OutboxPending {
				t.Errorf("another lead's notice %q is %q after Ann's erasure, want it pending (all: %v)", kept, status[kept], status)
			}
		}
		if st, _ := s.OutboxStats(ctx); st.Dead != 0 {
			t.Errorf("dead after the erasure = %d, want Ann's dead message dropped", st.Dead)
		}
	})
}
