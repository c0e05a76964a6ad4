package main

import (
	"crypto/tls"
	"encoding/json"
	"io"
	"net"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/handoff/handoff/storage/storagetest"
	"github.com/handoff/handoff/teamsapp"
)

// TestTeamsManifestLinksResolve builds the Teams app package's manifest for
// a running server's host and fetches its websiteUrl, privacyUrl and
// termsOfUseUrl from that server over HTTPS: each must be an HTML page.
func TestTeamsManifestLinksResolve(t *testing.T) {
	// httptest's certificate for 127.0.0.1, and a client that trusts it.
	certs := httptest.NewTLSServer(nil)
	tlsConfig, client := certs.TLS.Clone(), certs.Client()
	certs.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := startServerOn(t, map[string]string{"DATABASE_URL": storagetest.URL(t, "sqlite")}, tls.NewListener(ln, tlsConfig), "https://", &testClock{})

	host := strings.TrimPrefix(srv.base, "https://")
	data, err := teamsapp.Manifest("00000000-1111-2222-3333-444444444444", host)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Developer map[string]string `json:"developer"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"websiteUrl", "privacyUrl", "termsOfUseUrl"} {
		url := m.Developer[key]
		if !strings.HasPrefix(url, srv.base+"/") {
			t.Errorf("%s = %q, not on the server %s", key, url, srv.base)
			continue
		}
		resp, err := client.Get(url)
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(body), "<h1>") {
			t.Errorf("GET %s (%s) = %d %s:\n%s", url, key, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
	}
}
