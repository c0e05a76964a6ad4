package slack

import (
	"context"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// The runner's own check that Slack is still there. slack-go closes a
// connection that had no WebSocket PING for its ping interval, timed by a
// wall-clock ticker of its own that nothing outside can move; the runner
// instead dials the connections itself (socketmode.OptionDialer) and notes
// on its clock (SocketMode.Now) when anything last arrived on each one, and
// a check ticking on SocketMode.Ticker closes one that was silent for longer
// than PingInterval. slack-go then reconnects, as after a dropped socket.
// Counting every byte, not only PINGs, keeps every connection slack-go
// keeps and closes a silent one as it does; one that carries envelopes but
// no PINGs is left to slack-go's own check, kept as a backstop at
// backstopIntervals ping intervals.

// defaultPingInterval is slack-go's default: how long a connection may be
// silent.
const defaultPingInterval = 30 * time.Second

// backstopIntervals is how many ping intervals slack-go's own check (PINGs
// only, on the wall clock) waits: a backstop behind the runner's.
const backstopIntervals = 4

// pingInterval is PingInterval or its default.
func (s *SocketMode) pingInterval() time.Duration {
	if s.PingInterval > 0 {
		return s.PingInterval
	}
	return defaultPingInterval
}

// now is the runner's clock.
func (s *SocketMode) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// ticker starts the ticker of a connection's liveness check.
func (s *SocketMode) ticker(every time.Duration) (<-chan time.Time, func()) {
	if s.Ticker != nil {
		return s.Ticker(every)
	}
	t := time.NewTicker(every)
	return t.C, t.Stop
}

// dialer is slack-go's default WebSocket dialer (proxy from the
// environment, a write buffer above Slack's 20 KB so a response is one
// frame) whose connections the runner watches, with handshake, the
// configured timeout (SLACK_TIMEOUT), in place of slack-go's 45 s: the
// TCP connection, TLS and the WebSocket upgrade of one connection wait
// this long in all, as a Web API call does. The watch wraps the TCP
// connection, to Slack or to the proxy, and the dialer runs TLS over it
// with TLSClientConfig (SocketMode.TLSConfig, set by Run): a
// NetDialTLSContext instead would also be used to reach an HTTP proxy,
// speaking TLS to it.
func (s *SocketMode) dialer(handshake time.Duration) *websocket.Dialer {
	var d net.Dialer
	return &websocket.Dialer{
		Proxy:            http.ProxyFromEnvironment,
		HandshakeTimeout: handshake,
		WriteBufferSize:  32 * 1024,
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return s.watch(c), nil
		},
	}
}

// heardConn is a connection to Slack (under TLS, and through a proxy if
// there is one) that notes when bytes last arrived on it.
type heardConn struct {
	net.Conn
	now    func() time.Time
	mu     sync.Mutex
	last   time.Time
	once   sync.Once
	closed chan struct{}
}

// Read notes the time before the bytes read are handed on, so a PING has
// been noted by the time it is answered.
func (c *heardConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		t := c.now()
		c.mu.Lock()
		c.last = t
		c.mu.Unlock()
	}
	return n, err
}

// Close closes the connection and ends its check.
func (c *heardConn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return c.Conn.Close()
}

// heard returns when bytes last arrived (the dial, before any did).
func (c *heardConn) heard() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last
}

// watch wraps a new connection to Slack and starts its liveness check: on
// every tick (a quarter of the ping interval) it closes the connection
// once nothing has arrived for longer than the interval.
func (s *SocketMode) watch(conn net.Conn) net.Conn {
	c := &heardConn{Conn: conn, now: s.now, last: s.now(), closed: make(chan struct{})}
	interval := s.pingInterval()
	tick, stop := s.ticker(interval / 4)
	go func() {
		defer stop()
		for {
			select {
			case <-c.closed:
				return
			case <-tick:
				if silent := s.now().Sub(c.heard()); silent > interval {
					s.logger.Warn("slack socket mode: nothing heard from Slack, reconnecting", "silent_for", silent, "ping_interval", interval)
					_ = c.Close()
					return
				}
			}
		}
	}()
	return c
}
