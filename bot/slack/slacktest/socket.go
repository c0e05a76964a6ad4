package slacktest

import (
	"encoding/json"
	"fmt"
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
// The fake serves plain ws:// URLs from its httptest server.

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
		u := "ws" + strings.TrimPrefix(s.srv.URL, "http") + socketPath + "?" + url.Values{"ticket": {ticket}, "app_id": {"A0001"}}.Encode()
		ans = map[string]any{"ok": true, "url": u}
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

// SocketConn is one Socket Mode connection from the app to the fake.
type SocketConn struct {
	N int // 1 for the first connection

	s    *Server
	ws   *websocket.Conn
	wmu  sync.Mutex
	once sync.Once
	done chan struct{}

	pongs int // PINGs the app answered; under s.socket.mu
}

// Done is closed when the connection has ended (either side closed it).
func (c *SocketConn) Done() <-chan struct{} { return c.done }

// WaitPongs waits until the app has answered n of the fake's WebSocket
// PINGs on c (an answer means the app saw the PING), c has ended, or
// timeout, and returns how many it answered.
func (c *SocketConn) WaitPongs(n int, timeout time.Duration) int {
	var got int
	c.s.waitSocket(timeout, func(*socketMode) bool {
		got = c.pongs
		select {
		case <-c.done:
			return true
		default:
			return got >= n
		}
	})
	return got
}

// Drop closes the connection abruptly, without a close frame.
func (c *SocketConn) Drop() {
	c.once.Do(func() {
		_ = c.ws.Close()
		close(c.done)
		c.s.socket.mu.Lock()
		c.s.socket.notifyLocked()
		c.s.socket.mu.Unlock()
	})
}

// Disconnect asks the app to reconnect, as Slack does before it recycles
// a connection (reason "refresh_requested", "warning", "link_disabled").
// The connection stays open until the app closes it.
func (c *SocketConn) Disconnect(reason string) error {
	return c.write(map[string]any{"type": "disconnect", "reason": reason, "debug_info": map[string]any{"host": "fakeslack"}})
}

// Interactive sends an "interactive" envelope with the JSON of an
// interaction form body (ClickPayload, SubmitPayload: the value of its
// payload field) and returns the envelope id.
func (c *SocketConn) Interactive(form string) (string, error) {
	v, err := url.ParseQuery(form)
	if err != nil || v.Get("payload") == "" {
		return "", fmt.Errorf("slacktest: not an interaction form body: %q", form)
	}
	return c.Send("interactive", json.RawMessage(v.Get("payload")), false)
}

// SlashCommand sends a "slash_commands" envelope with the fields of a
// command form body (CommandBody) as a JSON object, and returns the
// envelope id. Its answer may come in the acknowledgement's payload.
func (c *SocketConn) SlashCommand(form string) (string, error) {
	v, err := url.ParseQuery(form)
	if err != nil {
		return "", fmt.Errorf("slacktest: not a command form body: %v", err)
	}
	p := map[string]string{"token": "deprecated-verification-token", "api_app_id": "A0001", "is_enterprise_install": "false"}
	for k := range v {
		p[k] = v.Get(k)
	}
	b, _ := json.Marshal(p)
	return c.Send("slash_commands", b, true)
}

// EventsAPI sends an "events_api" envelope with an Events API body (an
// event_callback) and returns the envelope id.
func (c *SocketConn) EventsAPI(body string) (string, error) {
	return c.Send("events_api", json.RawMessage(body), false)
}

// Send sends an envelope of type typ with payload and returns its new id.
func (c *SocketConn) Send(typ string, payload json.RawMessage, acceptsResponse bool) (string, error) {
	m := &c.s.socket
	m.mu.Lock()
	m.seq++
	env := envelope{EnvelopeID: fmt.Sprintf("%08x-5ca1-4e00-8000-%012x", m.seq, m.seq), Type: typ, Payload: payload, AcceptsResponsePayload: acceptsResponse}
	m.envelopes[env.EnvelopeID] = env
	m.mu.Unlock()
	return env.EnvelopeID, c.sendEnvelope(env)
}

// Redeliver sends the envelope envelopeID (sent on any connection) again,
// as Slack does when an acknowledgement is late or lost.
func (c *SocketConn) Redeliver(envelopeID string) error {
	m := &c.s.socket
	m.mu.Lock()
	env, ok := m.envelopes[envelopeID]
	if ok {
		env.RetryAttempt++
		env.RetryReason = "timeout"
		m.envelopes[envelopeID] = env
	}
	m.mu.Unlock()
	if !ok {
		return fmt.Errorf("slacktest: no envelope %q", envelopeID)
	}
	return c.sendEnvelope(env)
}

func (c *SocketConn) sendEnvelope(env envelope) error {
	m := &c.s.socket
	m.mu.Lock()
	m.sent[env.EnvelopeID] = time.Now()
	m.mu.Unlock()
	return c.write(env)
}

func (c *SocketConn) write(v any) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.ws.WriteJSON(v)
}

// read records the acknowledgements until the connection ends.
func (c *SocketConn) read() {
	defer c.Drop()
	for {
		_, raw, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		var ack struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if json.Unmarshal(raw, &ack) != nil || ack.EnvelopeID == "" {
			continue // not an acknowledgement: Slack ignores it too
		}
		now := time.Now()
		m := &c.s.socket
		m.mu.Lock()
		a := SocketAck{EnvelopeID: ack.EnvelopeID, Payload: ack.Payload, Conn: c.N, At: now}
		if string(a.Payload) == "null" {
			a.Payload = nil
		}
		if sent, ok := m.sent[ack.EnvelopeID]; ok {
			a.Latency = now.Sub(sent)
		}
		m.acks = append(m.acks, a)
		m.notifyLocked()
		m.mu.Unlock()
	}
}

// pings sends a WebSocket PING every d until the connection ends.
func (c *SocketConn) pings(d time.Duration) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
			if err := c.ws.WriteControl(websocket.PingMessage, []byte("ping"), time.Now().Add(time.Second)); err != nil {
				return
			}
		}
	}
}
