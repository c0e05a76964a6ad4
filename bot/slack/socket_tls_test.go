package slack_test

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// newTLSSocketRig builds the rig on a fake Slack served over TLS, as
// Slack is: the Web API over https://, Socket Mode over wss://. The Web
// API client trusts the fake's certificate; the runner trusts it through
// SocketMode.TLSConfig when trusted, else it has the system roots only.
func newTLSSocketRig(t *testing.T, s *storage.Store, trusted bool) *socketRig {
	t.Helper()
	fake := slacktest.NewTLS(token)
	roots := x509.NewCertPool()
	roots.AddCert(fake.Certificate())
	web := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	r := newSocketRigOn(t, s, appToken, fake, web, slacktest.ClientTimeout)
	if trusted {
		r.runner.TLSConfig = &tls.Config{RootCAs: roots}
	}
	return r
}

// TestSocketModeTLS: over wss://, as in production, the runner verifies
// Slack's certificate against SocketMode.TLSConfig's roots (nil: the
// system's), a Claim click is handled end to end, and the liveness check,
// which watches the TCP connection under TLS, counts a PING and closes a
// silent connection, after which slack-go connects again.
func TestSocketModeTLS(t *testing.T) {
	t.Run("Claim", func(t *testing.T) {
		storagetest.Each(t, func(t *testing.T, s *storage.Store) {
			r := newTLSSocketRig(t, s, true)
			l := r.announced(t, "tls-claim")
			r.start(t)
			c := r.conn(t, 1)
			r.greeted(t, 1)
			id := r.claim(t, c, "UREP", l)
			if a := r.acked(t, id, 1)[0]; a.Payload != nil || a.Conn != 1 {
				t.Fatalf("ack = %+v, want an empty ack on connection 1", a)
			}
			r.drain(t)
			r.claimedBy(t, l, "UREP")
		})
	})
	t.Run("SilentThenReconnected", func(t *testing.T) {
		r := newTLSSocketRig(t, storagetest.Open(t, storage.DialectSQLite), true)
		silentThenReconnected(t, r)
	})
	t.Run("UntrustedCertificate", func(t *testing.T) {
		r := newTLSSocketRig(t, storagetest.Open(t, storage.DialectSQLite), false)
		r.start(t)
		const refused = "certificate signed by unknown authority"
		for deadline := time.Now().Add(ackPatience); !strings.Contains(r.log.String(), refused) && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
		if !strings.Contains(r.log.String(), refused) {
			t.Fatalf("the runner did not refuse the fake's certificate with the system roots; log:\n%s", r.log.String())
		}
		r.stop(t)
		if n := len(r.slack.SocketConns()); n != 0 {
			t.Fatalf("connections = %d to a server whose certificate is not trusted", n)
		}
	})
}

// silentThenReconnected runs the liveness check against r's TLS fake: a
// PING read through TLS keeps the connection a whole interval after it;
// silent for longer than the interval, it is closed, slack-go opens a new
// one, and a Claim click on that one is handled.
func silentThenReconnected(t *testing.T, r *socketRig) {
	t.Helper()
	r.slack.SetSocketPing(-1)
	l := r.announced(t, "tls-silent")
	r.start(t)
	c1, check := r.conn(t, 1), r.check(t, 1)
	r.greeted(t, 1)
	r.clock.Advance(pingInterval)
	if err := c1.Ping(); err != nil {
		t.Fatal(err)
	}
	if n := c1.WaitPongs(1, ackPatience); n < 1 {
		t.Fatal("the PING was not answered")
	}
	r.clock.Advance(pingInterval) // two intervals since hello, one since the PING
	if r.tick(t, check, c1) {
		t.Fatalf("the connection was closed one interval after a PING; log:\n%s", r.log.String())
	}
	r.clock.Advance(time.Second)
	if !r.tick(t, check, c1) {
		t.Fatal("the connection silent for longer than the ping interval was kept")
	}
	c2 := r.conn(t, 2)
	r.check(t, 2)
	if !strings.Contains(r.log.String(), "nothing heard from Slack") {
		t.Fatalf("the runner did not say why it closed the connection; log:\n%s", r.log.String())
	}
	id := r.claim(t, c2, "UREP", l)
	if a := r.acked(t, id, 1)[0]; a.Conn != 2 {
		t.Fatalf("ack on connection %d, want 2", a.Conn)
	}
	r.drain(t)
	r.claimedBy(t, l, "UREP")
}

// proxyChild marks the process TestSocketModeTLSProxy starts.
const proxyChild = "HANDOFF_TEST_SOCKET_PROXY_CHILD"

// TestSocketModeTLSProxy: with HTTPS_PROXY set, the runner reaches the
// wss:// URL through the proxy (CONNECT, then TLS to Slack inside the
// tunnel, the liveness check on the TCP connection to the proxy), as
// http.ProxyFromEnvironment says, and silentThenReconnected holds through
// it. The environment is read once per process, so the runner runs in a
// child process of the test binary; the proxy runs here and records the
// tunnels asked for.
func TestSocketModeTLSProxy(t *testing.T) {
	if os.Getenv(proxyChild) != "" {
		r := newTLSSocketRig(t, storagetest.Open(t, storage.DialectSQLite), true)
		// A loopback address never goes through a proxy; example.com,
		// which the fake's certificate names, does.
		r.slack.SetSocketHost("example.com")
		silentThenReconnected(t, r)
		return
	}
	p := newConnectProxy(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestSocketModeTLSProxy$", "-test.count=1", "-test.v")
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch strings.ToUpper(name) {
		case "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "REQUEST_METHOD", proxyChild:
		default:
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, proxyChild+"=1", "HTTPS_PROXY=http://"+p.srv.Listener.Addr().String())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the runner behind the proxy: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "--- PASS: TestSocketModeTLSProxy") {
		t.Fatalf("the child process did not run the test:\n%s", out)
	}
	if tunnels := p.tunnels(); len(tunnels) != 2 {
		t.Fatalf("tunnels through the proxy = %q, want two to example.com (the first connection and the one after it)", tunnels)
	}
}

// connectProxy is an HTTP proxy that tunnels CONNECT example.com:port to
// 127.0.0.1:port (the fake Slack) and records the targets asked for.
type connectProxy struct {
	srv *httptest.Server

	mu      sync.Mutex
	targets []string
	conns   []net.Conn
}

// newConnectProxy starts a proxy that is closed, with its tunnels, when
// the test ends.
func newConnectProxy(t *testing.T) *connectProxy {
	t.Helper()
	p := &connectProxy{}
	p.srv = httptest.NewServer(p)
	t.Cleanup(func() {
		p.mu.Lock()
		for _, c := range p.conns {
			_ = c.Close()
		}
		p.mu.Unlock()
		p.srv.Close()
	})
	return p
}

// tunnels returns the targets of the CONNECT requests so far.
func (p *connectProxy) tunnels() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.targets...)
}

func (p *connectProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	host, port, err := net.SplitHostPort(r.Host)
	if r.Method != http.MethodConnect || err != nil || host != "example.com" {
		http.Error(w, "CONNECT example.com:port only", http.StatusBadGateway)
		return
	}
	up, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", port))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	down, buf, err := w.(http.Hijacker).Hijack()
	if err != nil {
		_ = up.Close()
		return
	}
	p.mu.Lock()
	p.targets = append(p.targets, r.Host)
	p.conns = append(p.conns, up, down)
	p.mu.Unlock()
	if _, err := down.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n")); err != nil {
		_ = up.Close()
		_ = down.Close()
		return
	}
	// Either side ending ends the tunnel, so the fake sees the runner
	// close its connection.
	pipe := func(dst net.Conn, src io.Reader) {
		_, _ = io.Copy(dst, src)
		_ = up.Close()
		_ = down.Close()
	}
	go pipe(up, buf)
	go pipe(down, up)
}
