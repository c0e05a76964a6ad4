package main

import (
	"context"
	"database/sql"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestReadyzFollowsTheDatabase runs the server on a database that stops
// taking writes and takes them again: /readyz answers 503 while it does
// not, so that a load balancer sends leads to another replica, and 200
// once it does, with no restart; /healthz (liveness, on which an
// orchestrator restarts the process) answers 200 throughout, since a
// restart mends no database. On SQLite the database file and its WAL are
// made immutable (chattr +i: a read-only file that even root cannot
// write, through the connections already open too), where a ping still
// answers; on PostgreSQL the server's connections are terminated
// (pg_terminate_backend), which is no outage (a new connection answers),
// and then the database is cut off behind a proxy and brought back.
func TestReadyzFollowsTheDatabase(t *testing.T) {
	t.Run(storage.DialectSQLite, func(t *testing.T) {
		dbURL := storagetest.URL(t, storage.DialectSQLite)
		srv := startServer(t, map[string]string{"DATABASE_URL": dbURL, "HANDOFF_API_TOKEN": "tok"})
		srv.wantProbes(t, "at start", 200, 200)
		files := []string{dbURL, dbURL + "-wal"}
		if err := chattr("+i", files...); err != nil {
			t.Skipf("cannot make the database immutable here: %v", err)
		}
		t.Cleanup(func() { _ = chattr("-i", files...) })
		srv.waitProbes(t, "database file read-only", 503, 200)
		if err := chattr("-i", files...); err != nil {
			t.Fatal(err)
		}
		srv.waitProbes(t, "database file writable again", 200, 200)
		srv.postLead(t, `{"external_id":"ready-1","name":"Ann Berg"}`)
	})
	t.Run(storage.DialectPostgres, func(t *testing.T) {
		direct := storagetest.URL(t, storage.DialectPostgres)
		gate := newPGGate(t, direct)
		srv := startServer(t, map[string]string{"DATABASE_URL": gate.url, "HANDOFF_API_TOKEN": "tok"})
		srv.wantProbes(t, "at start", 200, 200)

		if n := gate.terminate(t, direct); n == 0 {
			t.Fatal("no backend of the server's to terminate")
		}
		srv.wantProbes(t, "its connections terminated", 200, 200)
		srv.postLead(t, `{"external_id":"ready-1","name":"Ann Berg"}`)

		gate.down()
		srv.waitProbes(t, "database unreachable", 503, 200)
		gate.up(t)
		srv.waitProbes(t, "database back", 200, 200)
		srv.postLead(t, `{"external_id":"ready-2","name":"Bo Berg"}`)
	})
}

// wantProbes fails unless /readyz and /healthz answer ready and healthy.
func (s *server) wantProbes(t *testing.T, when string, ready, healthy int) {
	t.Helper()
	if r, h := s.probe(t, "/readyz"), s.probe(t, "/healthz"); r != ready || h != healthy {
		t.Fatalf("%s: /readyz = %d, /healthz = %d; want %d and %d", when, r, h, ready, healthy)
	}
}

// waitProbes waits up to 10 s for /readyz to answer ready, and then wants
// /healthz to answer healthy.
func (s *server) waitProbes(t *testing.T, when string, ready, healthy int) {
	t.Helper()
	var r int
	for start := time.Now(); time.Since(start) < 10*time.Second; time.Sleep(100 * time.Millisecond) {
		if r = s.probe(t, "/readyz"); r == ready {
			break
		}
	}
	if h := s.probe(t, "/healthz"); r != ready || h != healthy {
		t.Fatalf("%s: /readyz = %d, /healthz = %d; want %d and %d", when, r, h, ready, healthy)
	}
}

func (s *server) probe(t *testing.T, path string) int {
	t.Helper()
	resp, err := http.Get(s.base + path)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// chattr sets or clears (op "+i", "-i") the immutable attribute of the
// files that exist.
func chattr(op string, files ...string) error {
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			continue
		}
		if out, err := exec.Command("chattr", op, f).CombinedOutput(); err != nil {
			return &os.PathError{Op: "chattr " + op + ": " + string(out), Path: filepath.Base(f), Err: err}
		}
	}
	return nil
}

// terminate ends the PostgreSQL backends of every connection through the
// gate, as an admin's pg_terminate_backend (or a database restart) does,
// and returns how many it ended. The gate stays up.
func (g *pgGate) terminate(t *testing.T, dbURL string) int {
	t.Helper()
	g.mu.Lock()
	var ports []int32
	for _, c := range g.backends {
		ports = append(ports, int32(c.LocalAddr().(*net.TCPAddr).Port))
	}
	g.mu.Unlock()
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	// The backends are chosen first (MATERIALIZED), so that no other
	// backend is ever passed to pg_terminate_backend.
	err = db.QueryRow(`WITH ours AS MATERIALIZED (SELECT pid FROM pg_stat_activity
		WHERE datname = current_database() AND client_port = ANY($1) AND pid <> pg_backend_pid())
		SELECT count(*) FROM ours WHERE pg_terminate_backend(pid)`, ports).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// pgGate is a TCP proxy in front of PostgreSQL that can be cut off, as a
// network partition or a stopped database server is, and brought back on
// the same address.
type pgGate struct {
	url, target, addr string

	mu       sync.Mutex
	ln       net.Listener
	conns    []net.Conn // both ends of every connection through the gate
	backends []net.Conn // the gate's connections to PostgreSQL
}

// newPGGate starts a gate to the PostgreSQL of dbURL, closed when the test
// ends; its url is dbURL through the gate.
func newPGGate(t *testing.T, dbURL string) *pgGate {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	g := &pgGate{target: u.Host}
	g.up(t)
	t.Cleanup(g.down)
	g.addr = g.ln.Addr().String()
	u.Host = g.addr
	g.url = u.String()
	return g
}

// up listens again, on the address of before once there is one.
func (g *pgGate) up(t *testing.T) {
	t.Helper()
	addr := g.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	g.mu.Lock()
	g.ln = ln
	g.mu.Unlock()
	go g.accept(ln)
}

// down stops listening and cuts every connection through the gate.
func (g *pgGate) down() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ln != nil {
		g.ln.Close()
		g.ln = nil
	}
	for _, c := range g.conns {
		c.Close()
	}
	g.conns, g.backends = nil, nil
}

func (g *pgGate) accept(ln net.Listener) {
	for {
		client, err := ln.Accept()
		if err != nil {
			return
		}
		server, err := (&net.Dialer{Timeout: 2 * time.Second}).DialContext(context.Background(), "tcp", g.target)
		if err != nil {
			client.Close()
			continue
		}
		g.mu.Lock()
		g.conns = append(g.conns, client, server)
		g.backends = append(g.backends, server)
		g.mu.Unlock()
		go pipe(client, server)
		go pipe(server, client)
	}
}

func pipe(dst, src net.Conn) {
	_, _ = io.Copy(dst, src)
	dst.Close()
	src.Close()
}
