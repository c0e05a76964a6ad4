package handlers_test

import (
	"database/sql"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/handlers"
	"github.com/handoff/handoff/internal/testkit"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestAccessLogKeepsNoLeadID: a lead's external id can be its email
// address; the access lines of its requests, its erasure's among them,
// name the route, not the id, so that the log keeps nothing an erasure
// removed, a method the route does not take (405) included. A path no
// route serves (a trailing slash, a path under a lead's, a lead's id
// where Handoff has no route) is logged as the route it came closest to,
// and "…" for the rest.
func TestAccessLogKeepsNoLeadID(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		buf := &testkit.LogBuffer{}
		logger := slog.New(slog.NewJSONHandler(buf, nil))
		mux := http.NewServeMux()
		api := &handlers.API{Store: s, DB: s, Policy: handoff.DefaultPolicy(), Token: token, Now: func() time.Time { return now }}
		api.Register(mux)
		srv := httptest.NewServer(handlers.Middleware(logger, mux, handlers.Router(mux)))
		defer srv.Close()

		const id = "ann.berg@example.com"
		bearer := "Bearer " + token
		for _, step := range []struct {
			method, path, body string
			want               int
		}{
			{"POST", "/api/leads", `{"external_id":"` + id + `","email":"` + id + `","stage":"lead"}`, http.StatusCreated},
			{"GET", "/api/leads/" + id, "", http.StatusOK},
			{"POST", "/api/leads/" + id + "/activities", `{"id":"a1","type":"page_view","url":"https://example.com/pricing"}`, http.StatusOK},
			{"GET", "/api/leads/" + id + "/activities", "", http.StatusMethodNotAllowed},
			{"PUT", "/api/leads/" + id, "", http.StatusMethodNotAllowed},
			{"DELETE", "/api/leads/" + id, "", http.StatusNoContent},
		} {
			if got := do(t, srv, step.method, step.path, "application/json", bearer, step.body); got.status != step.want {
				t.Fatalf("%s %s = %d %v, want %d", step.method, step.path, got.status, got.body, step.want)
			}
		}
		unrouted := map[string]string{ // path: as logged
			"/api/leads/" + id + "/":            "/api/leads/{external_id}/",
			"/api/leads/" + id + "/nope":        "/api/leads/{external_id}/…",
			"/api/leads/" + id + "/activities/": "/api/leads/{external_id}/activities/",
			"/api/leads/" + id + "/a/b/":        "/api/leads/{external_id}/…",
			"/no/such/" + id:                    "/…",
		}
		for path := range unrouted {
			if got := do(t, srv, "GET", path, "", bearer, ""); got.status != http.StatusNotFound {
				t.Fatalf("GET %s = %d %v, want 404", path, got.status, got.body)
			}
		}
		for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
			if strings.Contains(l, "ann.berg") {
				t.Errorf("a log line holds the lead's id: %s", l)
			}
		}
		for _, want := range append(slices.Collect(maps.Values(unrouted)), "/api/leads/{external_id}/activities") {
			if !strings.Contains(buf.String(), `"path":"`+want+`"`) {
				t.Errorf("no access line names %s:\n%s", want, buf.String())
			}
		}
	})
}

// refuseDDL makes the database refuse a write to table (its statement
// with %[1]s the table) with an error that names nothing of the row.
var refuseDDL = map[string][]string{
	storage.DialectSQLite: {
		`CREATE TRIGGER refuse_insert_%[1]s BEFORE INSERT ON %[1]s BEGIN SELECT RAISE(ABORT, 'refused'); END`,
		`CREATE TRIGGER refuse_update_%[1]s BEFORE UPDATE ON %[1]s BEGIN SELECT RAISE(ABORT, 'refused'); END`,
	},
	storage.DialectPostgres: {
		`CREATE OR REPLACE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$`,
		`CREATE TRIGGER refuse_%[1]s BEFORE INSERT OR UPDATE ON %[1]s FOR EACH ROW EXECUTE FUNCTION refuse()`,
	},
}

// TestFailedRequestLogsNoLeadID: a lead's external id can be its email
// address, which an erasure must not leave behind in the log. A request
// that fails in the database (a 500, whose error is logged) is logged
// without the id or the email it was about: a new lead's save, an
// activity's, an erasure's and a read's.
func TestFailedRequestLogsNoLeadID(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			s, raw := storagetest.OpenRaw(t, dialect)
			buf := &testkit.LogBuffer{}
			logger := slog.New(slog.NewJSONHandler(buf, nil))
			mux := http.NewServeMux()
			api := &handlers.API{Store: s, DB: s, Policy: handoff.DefaultPolicy(), Token: token, Now: func() time.Time { return now }, Logger: logger}
			api.Register(mux)
			srv := httptest.NewServer(handlers.Middleware(logger, mux, handlers.Router(mux)))
			defer srv.Close()
			bearer := "Bearer " + token

			const ann, bo = "ann.berg@example.com", "bo.lind@example.com"
			if got := do(t, srv, "POST", "/api/leads", "application/json", bearer, `{"external_id":"`+ann+`","email":"`+ann+`","stage":"lead"}`); got.status != http.StatusCreated {
				t.Fatalf("POST ann = %d %v", got.status, got.body)
			}
			refuse(t, raw, dialect, "lead_activities", "leads", "lead_events")
			rename := "ALTER TABLE leads RENAME COLUMN phone TO phone_gone"
			for _, step := range []struct {
				method, path, body string
				before             string // a statement that makes the step fail
			}{
				{"POST", "/api/leads/" + ann + "/activities", `{"id":"a1","type":"page_view","url":"https://example.com/pricing"}`, ""},
				{"DELETE", "/api/leads/" + ann, "", ""},
				{"POST", "/api/leads", `{"external_id":"` + bo + `","email":"` + bo + `","name":"Bo Lind","stage":"lead"}`, ""},
				{"GET", "/api/leads/" + ann, "", rename},
			} {
				if step.before != "" {
					if _, err := raw.Exec(step.before); err != nil {
						t.Fatal(err)
					}
				}
				if got := do(t, srv, step.method, step.path, "application/json", bearer, step.body); got.status != http.StatusInternalServerError {
					t.Fatalf("%s %s = %d %v, want 500", step.method, step.path, got.status, got.body)
				}
			}
			logged := buf.String()
			if n := strings.Count(logged, `"msg":"request failed"`); n != 4 {
				t.Fatalf("%d failures logged, want 4:\n%s", n, logged)
			}
			for _, l := range strings.Split(strings.TrimSpace(logged), "\n") {
				if strings.Contains(l, "ann.berg") || strings.Contains(l, "bo.lind") {
					t.Errorf("a log line holds a lead's id: %s", l)
				}
			}
		})
	}
}

// refuse makes the database refuse every insert and update of tables
// (refuseDDL).
func refuse(t *testing.T, raw *sql.DB, dialect string, tables ...string) {
	t.Helper()
	for _, table := range tables {
		for _, q := range refuseDDL[dialect] {
			if _, err := raw.Exec(strings.ReplaceAll(q, "%[1]s", table)); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	}
}
