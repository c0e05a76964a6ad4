package hubspot_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// contactIDs returns the record ids a webhook body names, in either shape,
// that a store can be asked for: per contact the first of hs_object_id,
// canonical-vid, vid and objectId, among its properties, then on the record.
func contactIDs(body []byte) []string {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return nil
	}
	recs, ok := v.([]any)
	if !ok {
		recs = []any{v}
	}
	str := func(x any) string {
		var s string
		switch x := x.(type) {
		case string:
			s = strings.TrimSpace(x)
		case json.Number: // as HubSpot shows a number in an export
			s = x.String()
			if f, err := strconv.ParseFloat(s, 64); err == nil && f == float64(int64(f)) {
				s = strconv.FormatInt(int64(f), 10)
			}
		}
		return s
	}
	var ids []string
	for _, r := range recs {
		obj, _ := r.(map[string]any)
		props, classic := obj["properties"].(map[string]any)
	keys:
		for _, key := range []string{"hs_object_id", "canonical-vid", "vid", "objectId"} {
			in := obj[key]
			if classic {
				p, _ := props[key].(map[string]any)
				in = p["value"]
			}
			for _, x := range []any{in, obj[key]} {
				if s := str(x); s != "" {
					if utf8.ValidString(s) && !strings.ContainsRune(s, 0) {
						ids = append(ids, s)
					}
					break keys
				}
			}
		}
	}
	return ids
}

type snapshot struct {
	leads  map[string]string
	funnel handoff.FunnelCounts
}

// snap is what the store holds of the leads named and of the funnel, to
// tell whether a request wrote anything.
func snap(t *testing.T, s *storage.Store, ids []string) snapshot {
	t.Helper()
	out := snapshot{leads: map[string]string{}}
	for _, id := range ids {
		l, err := s.LeadByExternalID(t.Context(), id)
		if handoff.ErrorCode(err) == handoff.ENOTFOUND {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		out.leads[id] = l.UpdatedAt.String() + " " + string(l.Stage)
	}
	fc, err := s.FunnelCounts(t.Context(), handoff.FunnelFilter{Period: handoff.Period{Start: now.AddDate(-30, 0, 0), End: now.AddDate(1, 0, 0)}})
	if err != nil {
		t.Fatal(err)
	}
	out.funnel = fc
	return out
}

// FuzzWebhook sends arbitrary bodies, validly signed, to the webhook on a
// real store (SQLite, or PostgreSQL with HANDOFF_FUZZ_DIALECT): the answer
// is 200, 400 or 413, never a 5xx; a 400 names the property ("body" for a
// body refused whole); a refused body stores nothing; an accepted one
// stores every contact it names, but for events it answers unknown or
// ignored, which make no lead, and only valid UTF-8 is accepted.
func FuzzWebhook(f *testing.F) {
	for _, seed := range []string{
		classicContact,
		flatContact,
		`[{"hs_object_id":"303","email":"cy@gamma.dk","lifecyclestage":"other"},` + flatContact + `]`,
		`{"hs_object_id":"9","lifecyclestage":"1234567"}`,
		`[{"hs_object_id":"9"},{"hs_object_id":"10","email":"nope"}]`,
		`{"hs_object_id":"11","firstname":"An\u0000n"}`,
		"{\"hs_object_id\":\"12\",\"firstname\":\"An\xffn\"}",
		`{"vid":1e400}`,
		`{"hs_object_id":"13","hubspotscore":"99999999999999999999"}`,
		`[]`,
		`vid=101`,
		// HubSpot's webhooks API: a contact deleted and restored, and a
		// restore of a contact Handoff has no lead of.
		`[` + flatContact + `,{"eventId":1,"subscriptionType":"contact.deletion","portalId":62515,"objectId":202,"occurredAt":1763620000000},` +
			`{"eventId":2,"subscriptionType":"contact.restore","portalId":62515,"objectId":202,"occurredAt":1763620060000}]`,
		`[{"eventId":3,"subscriptionType":"contact.restore","portalId":62515,"objectId":909,"occurredAt":1763620060000,"attemptNumber":0}]`,
	} {
		f.Add([]byte(seed))
	}
	s := storagetest.Open(f, storagetest.FuzzDialect())
	srv := newServer(f, s, "")
	f.Fuzz(func(t *testing.T, body []byte) {
		ids := contactIDs(body)
		before := snap(t, s, ids)
		status, ans := send(t, srv, "/hooks/hubspot", string(body), "", now, secret)
		after := snap(t, s, ids)
		switch status {
		case 200:
			if !utf8.Valid(body) {
				t.Fatalf("accepted a body that is not UTF-8: %q", body)
			}
			// An event answered unknown or ignored alone makes no lead.
			unheld, held := map[string]bool{}, map[string]bool{}
			leads, _ := ans["leads"].([]any)
			for _, l := range leads {
				m, _ := l.(map[string]any)
				id, _ := m["external_id"].(string)
				if m["unknown"] == true || m["ignored"] == true {
					unheld[id] = true
				} else {
					held[id] = true
				}
			}
			for _, id := range ids {
				_, was := before.leads[id]
				_, ok := after.leads[id]
				switch {
				case unheld[id] && !held[id]:
					if ok && !was {
						t.Fatalf("200, contact %q answered unknown or ignored, but its lead was made: %v", id, ans)
					}
				case !ok:
					t.Fatalf("200, but contact %q is not stored: %v", id, ans)
				}
			}
		case 400, 413:
			if msg, _ := ans["error"].(string); msg == "" {
				t.Fatalf("%d without an error: %v", status, ans)
			}
			fields, _ := ans["fields"].(map[string]any)
			if status == 400 && len(fields) == 0 {
				t.Fatalf("400 without naming a property (body for a body refused whole): %v", ans)
			}
			var v any
			_ = json.Unmarshal(body, &v)
			// What the answer lists is stored; nothing else changed.
			listed := map[string]bool{}
			leads, _ := ans["leads"].([]any)
			for _, l := range leads {
				m, _ := l.(map[string]any)
				if m["unknown"] == true || m["ignored"] == true {
					continue // an event about a contact it has no lead of, or ignored: nothing stored
				}
				id, _ := m["external_id"].(string)
				listed[id] = true
				if _, ok := after.leads[id]; !ok {
					t.Fatalf("%d lists %q as stored, but it is not: %v", status, id, ans)
				}
			}
			if len(listed) == 0 && !reflect.DeepEqual(after.funnel, before.funnel) {
				t.Fatalf("%d, nothing listed, but the store changed: %+v -> %+v", status, before, after)
			}
			for id, v := range before.leads {
				if !listed[id] && after.leads[id] != v {
					t.Fatalf("%d, but contact %q changed: %s -> %s", status, id, v, after.leads[id])
				}
			}
			// One bad contact of an array keeps no other out.
			// (When the answer names all of them: the first 10 only of more.)
			if recs, ok := v.([]any); ok && status == 400 && len(fields) > 0 && !strings.Contains(ans["error"].(string), "by name named in fields") {
				bad := map[string]bool{}
				for f := range fields {
					i, _, _ := strings.Cut(f, ".")
					if !strings.HasPrefix(i, "[") {
						bad = nil // the body as a whole
						break
					}
					bad[i] = true
				}
				if bad != nil && len(leads) != len(recs)-len(bad) {
					t.Fatalf("%d contacts, %d bad, but %d stored: %v", len(recs), len(bad), len(leads), ans)
				}
			}
		default:
			t.Fatalf("status %d for %q: %v", status, body, ans)
		}
	})
}
