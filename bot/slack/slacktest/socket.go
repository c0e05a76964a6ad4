package slacktest

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Socket Mode, as Slack speaks it:
//
//   - apps.connections.open, called with the app-level (xapp-) token,
//     answers {"ok":true,"url":"wss://…/link/?ticket=…"}. The URL works
//     once: every (re)connection calls apps.connections.open again.
//   - On connect Slack sends {"type":"hello",…}; it then sends envelopes
//     {"envelope_id","type","payload","accepts_response_payload"} of type
//     "interactive", "slash_commands" or "events_api", and
//     {"type":"disconnect","reason":…} when the app should reconnect.
//   - The app acknowledges each envelope with {"envelope_id","payload"?}
//     within 3 s; Slack pings with WebSocket PING frames.
//
// The fake serves ws:// URLs from its httptest server, or wss:// from
// NewTLS's.

// socketPath is where the fake's WebSocket URLs point.
const socketPath = "/link/"

// SocketAck is an acknowledgement the app sent over a Socket Mode
// connection.
type SocketAck struct {
	EnvelopeID string
	Payload    json.RawMessage // nil for an empty ack
	Conn       int             // which connection carried it (1 = first)
	At         time.Time
	Latency    time.Duration // since the envelope was (last) sent; 0 for an unknown envelope
}

// envelope is a Socket Mode request as Slack sends it.
type envelope struct {
	EnvelopeID             string          `json:"envelope_id"`
	Type                   string          `json:"type"`
	Payload                json.RawMessage `json:"payload"`
	AcceptsResponsePayload bool            `json:"accepts_response_payload"`
	RetryAttempt           int             `json:"retry_attempt"`
	RetryReason            string          `json:"retry_reason,omitempty"`
}

// socketMode is the fake's Socket Mode state; the zero value has Socket
// Mode off.
type socketMode struct {
	mu        sync.Mutex
	appToken  string
	refuse    int           // the next apps.connections.open calls answer invalid_auth
	ping      time.Duration // how often to send WebSocket PINGs (0: never)
	host      string        // the host the URLs name ("": the server's address)
	tickets   map[string]bool
	conns     []*SocketConn
	envelopes map[string]envelope
	sent      map[string]time.Time // envelope id → last sent
	acks      []SocketAck
	seq       int
	changed   chan struct{} // closed and replaced on every change
}

// EnableSocketMode makes apps.connections.open accept appToken (an xapp-
// token) and hand out WebSocket URLs on the fake. The fake pings every
// connection every 5 s unless SetSocketPing says otherwise.
func (s *Server) EnableSocketMode(appToken string) {
	m := &s.socket
	m.mu.Lock()
	defer m.mu.Unlock()
	m.appToken = appToken
	if m.ping == 0 {
		m.ping = 5 * time.Second
	}
	if m.tickets == nil {
		m.tickets, m.envelopes, m.sent = map[string]bool{}, map[string]envelope{}, map[string]time.Time{}
	}
}

// SetSocketPing sets how often new connections are pinged; a negative d
// never pings (a silent connection).
func (s *Server) SetSocketPing(d time.Duration) {
	s.socket.mu.Lock()
	defer s.socket.mu.Unlock()
	s.socket.ping = d
}

// SetSocketHost makes apps.connections.open name host, with the fake's
// port, in the URLs it hands out, as Slack names wss-primary.slack.com:
// for a test whose proxy takes host back to the fake (NewTLS's
// certificate is valid for example.com).
func (s *Server) SetSocketHost(host string) {
	s.socket.mu.Lock()
	defer s.socket.mu.Unlock()
	s.socket.host = host
}

// RefuseConnections makes the next n apps.connections.open calls answer
// {"ok":false,"error":"invalid_auth"}, as for a revoked app token.
func (s *Server) RefuseConnections(n int) {
	s.socket.mu.Lock()
	defer s.socket.mu.Unlock()
	s.socket.refuse += n
}

// SocketConns returns the Socket Mode connections so far, oldest first.
func (s *Server) SocketConns() []*SocketConn {
	s.socket.mu.Lock()
	defer s.socket.mu.Unlock()
	return append([]*SocketConn(nil), s.socket.conns...)
}

// WaitSocket waits until the n-th Socket Mode connection (1 = the first)
// has been made and greeted with hello, and returns it; nil on timeout.
func (s *Server) WaitSocket(n int, timeout time.Duration) *SocketConn {
	var c *SocketConn
	s.waitSocket(timeout, func(m *socketMode) bool {
		if len(m.conns) >= n {
			c = m.conns[n-1]
			return true
		}
		return false
	})
	return c
}

// SocketAcks returns the acknowledgements of envelopeID (every one for ""),
// in the order they arrived.
func (s *Server) SocketAcks(envelopeID string) []SocketAck {
	s.socket.mu.Lock()
	defer s.socket.mu.Unlock()
	var out []SocketAck
	for _, a := range s.socket.acks {
		if envelopeID == "" || a.EnvelopeID == envelopeID {
			out = append(out, a)
		}
	}
	return out
}

// WaitSocketAcks waits until envelopeID has been acknowledged at least n
// times, or timeout, and returns its acknowledgements.
func (s *Server) WaitSocketAcks(envelopeID string, n int, timeout time.Duration) []SocketAck {
	var out []SocketAck
	s.waitSocket(timeout, func(m *socketMode) bool {
		out = out[:0]
		for _, a := range m.acks {
			if a.EnvelopeID == envelopeID {
				out = append(out, a)
			}
		}
		return len(out) >= n
	})
	return out
}

// waitSocket waits until done (called with the state locked) is true, or
// timeout.
func (s *Server) waitSocket(timeout time.Duration, done func(*socketMode) bool) {
	m := &s.socket
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		m.mu.Lock()
		ok := done(m)
		ch := m.changedLocked()
		m.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-timer.C:
			return
		}
	}
}

func (m *socketMode) changedLocked() chan struct{} {
	if m.changed == nil {
		m.changed = make(chan struct{})
	}
	return m.changed
}

// notifyLocked wakes the waiters.
func (m *socketMode) notifyLocked() {
	if m.changed != nil {
		close(m.changed)
	}
	m.changed = make(chan struct{})
}

// openConnection answers apps.connections.open: it checks the app-level
// token and mints a one-time WebSocket URL.
func (s *Server) openConnection(w http.ResponseWriter, r *http.Request, call Call) {
	m := &s.socket
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	m.mu.Lock()
	var ans map[string]any
	switch {
	case m.appToken == "" || token != m.appToken:
		ans = map[string]any{"ok": false, "error": "invalid_auth"}
	case m.refuse > 0:
		m.refuse--
		ans = map[string]any{"ok": false, "error": "invalid_auth"}
	default:
		m.seq++
		ticket := fmt.Sprintf("%08x-%04x-4000-8000-%012x", m.seq, len(m.conns), time.Now().UnixNano()&0xffffffffffff)
		m.tickets[ticket] = true
		u, _ := url.Parse(s.srv.URL) // http://127.0.0.1:port or https://…
		u.Scheme = "ws" + strings.TrimPrefix(u.Scheme, "http")
		if m.host != "" {
			u.Host = net.JoinHostPort(m.host, u.Port())
		}
		u.Path, u.RawQuery = socketPath, url.Values{"ticket": {ticket}, "app_id": {"A0001"}}.Encode()
		ans = map[string]any{"ok": true, "url": u.String()}
	}
	m.mu.Unlock()
	s.record(call)
	writeJSON(w, ans)
}

var upgrader = websocket.Upgrader{
	// slack-go sends Origin: https://api.slack.com, which is not the
	// fake's host.
	CheckOrigin: func(*http.Request) bool { return true },
}

// serveSocket upgrades a request for a one-time URL to a Socket Mode
// connection and greets it with hello.
func (s *Server) serveSocket(w http.ResponseWriter, r *http.Request) {
	m := &s.socket
	ticket := r.URL.Query().Get("ticket")
	m.mu.Lock()
	valid := m.tickets[ticket]
	delete(m.tickets, ticket)
	ping := m.ping
	m.mu.Unlock()
	if !valid {
		http.Error(w, "invalid or used ticket", http.StatusUnauthorized)
		return
	}
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &SocketConn{s: s, ws: ws, done: make(chan struct{})}
	ws.SetPongHandler(func(string) error {
		m.mu.Lock()
		c.pongs++
		m.notifyLocked()
		m.mu.Unlock()
		return nil
	})
	hello := map[string]any{
		"type": "hello", "num_connections": 1,
		"debug_info":      map[string]any{"host": "fakeslack", "build_number": 1, "approximate_connection_time": 18060},
		"connection_info": map[string]any{"app_id": "A0001"},
	}
	if err := c.write(hello); err != nil {
		c.Drop()
		return
	}
	m.mu.Lock()
	m.conns = append(m.conns, c)
	c.N = len(m.conns)
	m.notifyLocked()
	m.mu.Unlock()
	go c.read()
	if ping > 0 {
		go c.pings(ping)
	}
}

// closeSockets drops every Socket Mode connection.
func (s *Server) closeSockets() {
	for _, c := range s.SocketConns() {
		c.Drop()
	}
}
