package handlers_test

import (
	"bytes"
	"log"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/handlers"
)

// A query holding ";" (period=2025;format=csv) is answered a 400 naming
// query, and the server writes nothing to its error log for it. Older
// Go versions' net/http logged a warning for every such request ("URL
// query contains semicolon"); the Go this module requires (go.mod) has no
// such warning, and this keeps it so.
func TestSemicolonQueryIsA400WithoutServerLog(t *testing.T) {
	mux := http.NewServeMux()
	(&handlers.FunnelAPI{Policy: handoff.DefaultPolicy(), Token: funnelToken, Now: func() time.Time { return funnelClock }, Logger: discardLogger()}).Register(mux)
	srv := httptest.NewUnstartedServer(handlers.Middleware(discardLogger(), mux, handlers.Router(mux)))
	var errLog bytes.Buffer
	srv.Config.ErrorLog = log.New(&errLog, "", 0)
	srv.Start()
	t.Cleanup(srv.Close)
	for range 3 {
		resp, raw := funnelRaw(t, srv, "GET", "/api/funnel?period=2025;format=csv", "", true)
		if resp.StatusCode != http.StatusBadRequest || !bytes.Contains(raw, []byte(`"query"`)) {
			t.Fatalf("status %d: %s; want 400 naming query", resp.StatusCode, raw)
		}
	}
	srv.Close()
	if errLog.Len() > 0 {
		t.Fatalf("the server logged:\n%s", errLog.String())
	}
}
