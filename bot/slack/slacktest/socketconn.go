package slacktest

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// writePatience bounds a write to the app: long enough that only a
// connection that is gone fails one, however loaded the machine (a write
// that fails would fail the test that sent it).
const writePatience = 30 * time.Second

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
	_ = c.ws.SetWriteDeadline(time.Now().Add(writePatience))
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

// Ping sends one WebSocket PING now; WaitPongs tells when it was answered.
func (c *SocketConn) Ping() error {
	return c.ws.WriteControl(websocket.PingMessage, []byte("ping"), time.Now().Add(writePatience))
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
			if err := c.Ping(); err != nil {
				return
			}
		}
	}
}
