package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/metrics"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

func testEnv(vars map[string]string, args ...string) (env, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	return env{args: args, getenv: func(k string) string { return vars[k] }, stdin: strings.NewReader(""), stdout: &out, stderr: &errOut}, &out, &errOut
}

// mustEnv is testEnv without the output buffers.
func mustEnv(vars map[string]string, args ...string) env {
	e, _, _ := testEnv(vars, args...)
	return e
}

func TestServeAcceptsLeadsAndShutsDownGracefully(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			vars := map[string]string{"DATABASE_URL": storagetest.URL(t, dialect), "HANDOFF_API_TOKEN": "tok"}
			srv := startServer(t, vars)
			srv.postLead(t, `{"external_id":"e2e-1","company":"Acme"}`)
			for _, path := range []string{"/healthz", "/readyz"} {
				r, err := http.Get(srv.base + path)
				if err != nil || r.StatusCode != 200 {
					t.Fatalf("GET %s = %v, %v", path, r, err)
				}
				r.Body.Close()
			}
			srv.metricsContain(t, `handoff_leads_received_total{source="unknown",stage="sql"} 1`, "handoff_outbox_pending 1", "handoff_outbox_pending_capped 0",
				"handoff_intake_duration_seconds_count 1")
			// On the public port /metrics needs the API token.
			for _, tc := range []struct {
				token string
				want  int
			}{{"", 401}, {"wrong", 401}, {"tok", 200}} {
				req, _ := http.NewRequest("GET", srv.base+"/metrics", nil)
				if tc.token != "" {
					req.Header.Set("Authorization", "Bearer "+tc.token)
				}
				r, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				r.Body.Close()
				if r.StatusCode != tc.want {
					t.Errorf("public GET /metrics with token %q = %d, want %d", tc.token, r.StatusCode, tc.want)
				}
			}
			// Per-route metrics are labelled with the route pattern, never the raw path.
			for _, path := range []string{"/api/leads/e2e-1", "/api/leads/nobody", "/no/such/page"} {
				r, err := http.Get(srv.base + path)
				if err != nil {
					t.Fatal(err)
				}
				r.Body.Close()
			}
			body := srv.metricsContain(t, `handoff_http_requests_total{method="POST",route="POST /api/leads",status="2xx"} 1`,
				`handoff_http_requests_total{method="GET",route="GET /api/leads/{external_id}",status="4xx"} 2`,
				`handoff_http_requests_total{method="GET",route="unmatched",status="4xx"} 1`,
				`handoff_http_requests_total{method="GET",route="GET /healthz",status="2xx"} 1`,
				`handoff_http_request_duration_seconds_count{method="POST",route="POST /api/leads"} 1`,
				`handoff_build_info{goversion="go`)
			for _, raw := range []string{"e2e-1", "nobody", "/no/such/page"} {
				if strings.Contains(body, raw) {
					t.Errorf("/metrics carries the raw path %q", raw)
				}
			}
			// The container health check asks the same server.
			_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.base, "http://"))
			if code := run(context.Background(), mustEnv(map[string]string{"PORT": port}, "healthcheck")); code != 0 {
				t.Fatalf("healthcheck of a running server: exit %d", code)
			}
			stopped := make(chan struct{})
			go func() { srv.stop(); close(stopped) }()
			select {
			case <-stopped:
			case <-time.After(e2ePatience):
				t.Fatalf("serve did not stop within %v of the signal", e2ePatience)
			}
			s := storagetest.OpenURL(t, vars["DATABASE_URL"], storage.Options{})
			if _, err := s.LeadByExternalID(context.Background(), "e2e-1"); err != nil {
				t.Fatalf("acknowledged lead lost after shutdown: %v", err)
			}
			if code := run(context.Background(), mustEnv(map[string]string{"PORT": port}, "healthcheck")); code != 1 {
				t.Fatalf("healthcheck of a stopped server: exit %d, want 1", code)
			}
		})
	}
}

func TestCommands(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "h.db")
	good := filepath.Join(dir, "good.yml")
	bad := filepath.Join(dir, "bad.yml")
	csvFile := filepath.Join(dir, "leads.csv")
	os.WriteFile(good, []byte("timezone: Europe/Copenhagen\nsla:\n  contact_within: 48h\n"), 0o644)
	os.WriteFile(bad, []byte("sla:\n  contact_within: 48 hours\n"), 0o644)
	os.WriteFile(csvFile, []byte("external_id,email,stage\nc1,a@b.dk,sql\nc2,broken,sql\n"), 0o644)
	hostileCSV := filepath.Join(dir, "hostile.csv")
	os.WriteFile(hostileCSV, []byte("external_id,name,stage\nh1,\x1b[2JAnn,sql\nh2,Bo,\x1b]0;x\x07\n"), 0o644)
	oldCSV := filepath.Join(dir, "old.csv") // a HubSpot export of October's SQLs
	os.WriteFile(oldCSV, []byte("Record ID,Email,Lifecycle Stage,Create Date\no1,o1@b.dk,salesqualifiedlead,2026-10-01 10:30\n"), 0o644)
	oldCSV2 := filepath.Join(dir, "old2.csv")
	os.WriteFile(oldCSV2, []byte("Record ID,Email,Lifecycle Stage,Create Date\no2,o2@b.dk,salesqualifiedlead,2026-10-01 10:30\n"), 0o644)
	oldCSV3 := filepath.Join(dir, "old3.csv")
	os.WriteFile(oldCSV3, []byte("Record ID,Email,Lifecycle Stage,Create Date\no3,o3@b.dk,salesqualifiedlead,2026-10-01 10:30\n"), 0o644)
	neverConfig := filepath.Join(dir, "never.yml")
	os.WriteFile(neverConfig, []byte("digest:\n  schedule: \"0 8 30 2 *\"\n"), 0o644)
	tzConfig := filepath.Join(dir, "tz.yml")
	os.WriteFile(tzConfig, []byte("timezone: Europe/Copenhagen\ndigest:\n  schedule: \"TZ=Europe/Copenhagen\"\n"), 0o644)
	// Values given as files, as Docker and Kubernetes secrets give them.
	appIDFile := filepath.Join(dir, "teams-app-id")
	os.WriteFile(appIDFile, []byte("00000000-1111-2222-3333-444444444444\n"), 0o600)
	healthy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
		}
	}))
	defer healthy.Close()
	addrFile := filepath.Join(dir, "handoff-addr")
	os.WriteFile(addrFile, []byte(strings.TrimPrefix(healthy.URL, "http://")+"\n"), 0o600)
	tests := []struct {
		name     string
		vars     map[string]string
		args     []string
		wantCode int
		wantOut  string
	}{
		{"Version", nil, []string{"version"}, 0, "handoff "},
		{"Help", nil, []string{"help"}, 0, "Commands:"},
		{"Unknown", nil, []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"ConfigCheckFile", nil, []string{"config", "check", good}, 0, "ok"},
		{"ConfigCheckBadFile", nil, []string{"config", "check", bad}, 1, `sla.contact_within: invalid duration "48 hours"`},
		{"ConfigCheckEnvFile", map[string]string{"HANDOFF_CONFIG": bad}, []string{"config", "check"}, 1, "sla.contact_within"},
		{"ConfigCheckCronTZ", nil, []string{"config", "check", tzConfig}, 1, `digest.schedule: invalid cron "TZ=Europe/Copenhagen": no TZ= or CRON_TZ= prefix`},
		{"ConfigCheckCronNeverRuns", nil, []string{"config", "check", neverConfig}, 1, `digest.schedule: invalid cron "0 8 30 2 *": never runs`},
		// What serve refuses at start, config check refuses too.
		{"ConfigCheckSlackWithoutSigningSecret", map[string]string{"HANDOFF_CONFIG": good, "SLACK_BOT_TOKEN": "xoxb-1"}, []string{"config", "check"}, 1,
			"SLACK_SIGNING_SECRET: required when SLACK_BOT_TOKEN is set"},
		{"ConfigCheckTeamsWithoutPassword", map[string]string{"HANDOFF_CONFIG": good, "TEAMS_APP_ID": "00000000-1111-2222-3333-444444444444",
			"TEAMS_TENANT_ID": "00000000-1111-2222-3333-555555555555"}, []string{"config", "check"}, 1, "TEAMS_APP_PASSWORD: required when TEAMS_APP_ID is set"},
		{"ServeTeamsWithoutPassword", map[string]string{"DATABASE_URL": db, "TEAMS_APP_ID": "00000000-1111-2222-3333-444444444444",
			"TEAMS_TENANT_ID": "00000000-1111-2222-3333-555555555555"}, []string{"serve"}, 1, "TEAMS_APP_PASSWORD: required when TEAMS_APP_ID is set"},
		{"Migrate", map[string]string{"DATABASE_URL": db}, []string{"migrate"}, 0, "migrated sqlite"},
		{"ImportReportsRejects", map[string]string{"DATABASE_URL": db}, []string{"import", "--quiet", csvFile}, 1, "line 3: invalid lead: email"},
		{"ImportFlagAfterFile", map[string]string{"DATABASE_URL": db}, []string{"import", csvFile, "--quiet"}, 1, "1 unchanged, 1 rejected"},
		{"ImportReportIsPrintable", map[string]string{"DATABASE_URL": db}, []string{"import", "--quiet", hostileCSV}, 1, "line 2: invalid lead: name: contains the control character U+001B"},
		{"FunnelJSON", map[string]string{"DATABASE_URL": db}, []string{"funnel", "--period", "month", "--format", "json"}, 0, `"sqls": 1`},
		{"FunnelBadPeriod", map[string]string{"DATABASE_URL": db}, []string{"funnel", "--period", "someday"}, 2, "someday"},
		{"TeamsPackage", map[string]string{"TEAMS_APP_ID": "00000000-1111-2222-3333-444444444444"}, []string{"teams-package", "--host", "handoff.acme.dk", "-o", filepath.Join(dir, "t.zip")}, 0, "wrote"},
		{"TeamsPackageAppIDFile", map[string]string{"TEAMS_APP_ID_FILE": appIDFile}, []string{"teams-package", "--host", "handoff.acme.dk", "-o", filepath.Join(dir, "f.zip")}, 0, "wrote"},
		{"TeamsPackageAppIDTwice", map[string]string{"TEAMS_APP_ID": "00000000-1111-2222-3333-444444444444", "TEAMS_APP_ID_FILE": appIDFile},
			[]string{"teams-package", "--host", "handoff.acme.dk", "-o", filepath.Join(dir, "g.zip")}, 1, "both TEAMS_APP_ID and TEAMS_APP_ID_FILE are set"},
		{"HealthcheckAddrFile", map[string]string{"HANDOFF_ADDR_FILE": addrFile}, []string{"healthcheck"}, 0, "ok: " + healthy.URL + "/healthz"},
		{"TeamsPackageBadID", nil, []string{"teams-package", "--host", "handoff.acme.dk", "--app-id", "nope", "-o", filepath.Join(dir, "u.zip")}, 1, "not a GUID"},
		{"ImportNoFile", map[string]string{"DATABASE_URL": db}, []string{"import"}, 2, "usage: handoff import"},
		{"ImportStopsAtOldSQLs", map[string]string{"DATABASE_URL": db}, []string{"import", "--quiet", oldCSV}, 1,
			"Stopped at line 2; before line 2, 0 rows in"},
		{"ImportStopsAtOldSQLsWithAdvice", map[string]string{"DATABASE_URL": db}, []string{"import", "--quiet", oldCSV}, 1,
			"line 2 is an SQL dated 2026-10-01 10:30 UTC, past its claim deadline: imported live it would be announced and escalated at once. Import again with --old history"},
		{"ImportOldAsHistory", map[string]string{"DATABASE_URL": db}, []string{"import", "--quiet", "--old", "history", oldCSV}, 0,
			"1 new, 0 updated, 0 unchanged, 0 rejected\n1 SQL recorded as history: not announced, no SLA deadlines"},
		{"ImportOldLive", map[string]string{"DATABASE_URL": db}, []string{"import", "--quiet", "--old", "live", oldCSV2}, 0,
			"1 new, 0 updated, 0 unchanged, 0 rejected\n1 SQL for sales: the server announces it to sales\n1 already past the claim deadline: the server escalates it at once"},
		// A dry run says what the import would do, stop included, and saves
		// nothing: the import after it still finds o3 new.
		{"ImportDryRunStops", map[string]string{"DATABASE_URL": db}, []string{"import", "--quiet", "--dry-run", oldCSV3}, 1,
			"Dry run, nothing saved: stopped at line 2; before line 2, 0 rows in"},
		{"ImportDryRun", map[string]string{"DATABASE_URL": db}, []string{"import", "--dry-run", "--old", "live", oldCSV3}, 0,
			"1 new, 0 updated, 0 unchanged, 0 rejected\n1 SQL for sales: the server would announce it to sales\n1 already past the claim deadline: the server would escalate it at once"},
		{"ImportDryRunAsHistory", map[string]string{"DATABASE_URL": db}, []string{"import", "--dry-run", "--old", "history", oldCSV3}, 0,
			"1 new, 0 updated, 0 unchanged, 0 rejected\n1 SQL would be recorded as history: not announced, no SLA deadlines"},
		{"ImportAfterDryRun", map[string]string{"DATABASE_URL": db}, []string{"import", "--old", "live", oldCSV3}, 0,
			"1 new, 0 updated, 0 unchanged, 0 rejected"},
		{"ImportAgainFindsItKnown", map[string]string{"DATABASE_URL": db}, []string{"import", "--old", "live", oldCSV3}, 0,
			"0 new, 0 updated, 1 unchanged"},
		{"ImportOldBadChoice", map[string]string{"DATABASE_URL": db}, []string{"import", "--old", "maybe", oldCSV}, 2, `--old "maybe": want history or live`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, out, errOut := testEnv(tc.vars, tc.args...)
			code := run(context.Background(), e)
			all := out.String() + errOut.String()
			if code != tc.wantCode || !strings.Contains(all, tc.wantOut) || strings.ContainsAny(all, "\x00\x07\x1b") {
				t.Fatalf("exit %d, output %q; want exit %d containing %q", code, all, tc.wantCode, tc.wantOut)
			}
		})
	}
}

func TestProgressBar(t *testing.T) {
	var out bytes.Buffer
	bar := &progressBar{w: &out, start: time.Now()}
	bar.update(50, 200)
	bar.update(200, 200)
	bar.finish()
	lines := strings.Split(out.String(), "\r")
	if len(lines) != 3 || !strings.HasPrefix(lines[1], "[=======       ") || !strings.Contains(lines[1], " 25%") ||
		!strings.Contains(lines[2], "100%") || !strings.HasSuffix(out.String(), "\x1b[K\n") {
		t.Fatalf("progress output %q", out.String())
	}
}

// TestServeRefusesAnAmbiguousTeamsChannel: a channel name that two stored
// channels share stops start-up with an error naming both.
func TestServeRefusesAnAmbiguousTeamsChannel(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			dbURL := storagetest.URL(t, dialect)
			ctx := context.Background()
			s := storagetest.OpenURL(t, dbURL, storage.Options{})
			for _, id := range []string{"19:ours@thread.tacv2", "19:theirs@thread.tacv2"} {
				c := handoff.TeamsConversation{ConversationID: id, ServiceURL: "https://smba.example/", ChannelName: "Sales", TeamName: strings.TrimSuffix(id[3:], "@thread.tacv2")}
				if err := s.SaveTeamsConversation(ctx, c, time.Now()); err != nil {
					t.Fatal(err)
				}
			}
			s.Close()
			vars := map[string]string{"DATABASE_URL": dbURL, "TEAMS_APP_ID": "app", "TEAMS_APP_PASSWORD": "pw", "TEAMS_TENANT_ID": "t1",
				"TEAMS_SALES_CHANNEL": "Sales", "HANDOFF_CONFIG": os.DevNull}
			cfg, err := loadConfig(env{getenv: func(k string) string { return vars[k] }})
			if err != nil {
				t.Fatal(err)
			}
			a, err := newApp(ctx, cfg, newLogger(&bytes.Buffer{}, slog.LevelInfo), time.Now, nil)
			if err == nil {
				a.Close()
				t.Fatal("newApp started with an ambiguous TEAMS_SALES_CHANNEL")
			}
			for _, want := range []string{"TEAMS_SALES_CHANNEL", "19:ours@thread.tacv2", "19:theirs@thread.tacv2"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not name %s", err, want)
				}
			}
		})
	}
}

// TestWorkerPanicRestartsIt runs a worker that panics on its first run: the
// panic is logged with its stack and counted, and the worker runs again
// instead of taking the process down.
func TestWorkerPanicRestartsIt(t *testing.T) {
	var logs bytes.Buffer
	m := metrics.New(nil)
	a := &app{logger: slog.New(slog.NewTextHandler(&logs, nil)), metrics: m}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runs := 0
	a.runWorker(ctx, worker{"outbox", func(ctx context.Context) error {
		runs++
		if runs == 1 {
			var msgs map[string]int
			msgs["boom"]++ // a nil map: a real runtime panic
		}
		cancel()
		return ctx.Err()
	}})
	if runs != 2 {
		t.Fatalf("worker ran %d times, want 2 (restarted after its panic)", runs)
	}
	if !strings.Contains(logs.String(), "worker panicked") || !strings.Contains(logs.String(), "assignment to entry in nil map") {
		t.Fatalf("log = %s", logs.String())
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if !strings.Contains(rec.Body.String(), `handoff_worker_panics_total{worker="outbox"} 1`) {
		t.Fatal("worker panic not counted in /metrics")
	}
}

// With HANDOFF_PPROF on, the profiles of net/http/pprof are served on a
// loopback metrics listener only: never on the public port (with or
// without the API token), nor on a metrics listener that other machines
// reach.
func TestPprofOnLoopbackMetricsOnly(t *testing.T) {
	srv := startServer(t, map[string]string{"DATABASE_URL": storagetest.URL(t, storage.DialectSQLite), "HANDOFF_API_TOKEN": "tok",
		"HANDOFF_PPROF": "on"})
	get := func(url, token string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", url, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		body, _ := io.ReadAll(r.Body)
		return r.StatusCode, string(body)
	}
	const index = "Types of profiles available"
	if code, body := get(srv.metrics+"/debug/pprof/", ""); code != 200 || !strings.Contains(body, index) {
		t.Errorf("metrics GET /debug/pprof/ = %d %.80q, want the profiles' index", code, body)
	}
	if code, body := get(srv.metrics+"/debug/pprof/goroutine?debug=1", ""); code != 200 || !strings.Contains(body, "goroutine profile") {
		t.Errorf("metrics GET /debug/pprof/goroutine = %d %.80q", code, body)
	}
	for _, path := range []string{"/debug/pprof/", "/debug/pprof/goroutine?debug=1", "/debug/pprof/cmdline"} {
		for _, token := range []string{"", "tok"} {
			if code, body := get(srv.base+path, token); code == 200 || strings.Contains(body, index) || strings.Contains(body, "goroutine") {
				t.Errorf("public GET %s (token %q) = %d %.80q, want no profile", path, token, code, body)
			}
		}
	}
	for _, addr := range []*net.TCPAddr{{IP: net.IPv4zero, Port: 9090}, {IP: net.IPv6unspecified, Port: 9090}, {IP: net.ParseIP("10.0.0.7"), Port: 9090}} {
		rec := httptest.NewRecorder()
		srv.app.metricsMux(addr).ServeHTTP(rec, httptest.NewRequest("GET", "/debug/pprof/", nil))
		if rec.Code != http.StatusNotFound {
			t.Errorf("metrics on %v: GET /debug/pprof/ = %d, want 404", addr, rec.Code)
		}
	}
}

// Without HANDOFF_PPROF the loopback metrics listener serves /metrics and
// no profile: a sidecar sharing the loopback interface reads none.
func TestPprofOffByDefault(t *testing.T) {
	srv := startServer(t, map[string]string{"DATABASE_URL": storagetest.URL(t, storage.DialectSQLite), "HANDOFF_API_TOKEN": "tok"})
	for path, want := range map[string]int{"/metrics": http.StatusOK, "/debug/pprof/": http.StatusNotFound,
		"/debug/pprof/goroutine?debug=1": http.StatusNotFound, "/debug/pprof/cmdline": http.StatusNotFound} {
		r, err := http.Get(srv.metrics + path)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode != want {
			t.Errorf("metrics on %s: GET %s = %d, want %d", srv.metrics, path, r.StatusCode, want)
		}
	}
}
