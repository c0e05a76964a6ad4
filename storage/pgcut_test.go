package storage_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
)

// answerCutter is a TCP proxy in front of PostgreSQL that loses the answer
// to one statement: armed with a test of a statement's text, it forwards
// the first such statement (a simple query, or the execution of a
// prepared one) and, when the database answers that it is ready for the
// next one (ReadyForQuery, sent once the statement and an implicit or
// explicit COMMIT are done), closes both connections instead of passing
// the answer on. The client sees its connection lost; the database has
// committed.
type answerCutter struct {
	target string
	ln     net.Listener
	mu     sync.Mutex
	armed  func(query string) bool
	cut    atomic.Int64 // answers lost
}

// newAnswerCutter starts a proxy to the PostgreSQL of u, closed when the
// test ends, and returns it with u through it.
func newAnswerCutter(t *testing.T, u string) (*answerCutter, string) {
	t.Helper()
	pu, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &answerCutter{target: pu.Host, ln: ln}
	t.Cleanup(func() { ln.Close() })
	go c.accept()
	pu.Host = ln.Addr().String()
	return c, pu.String()
}

// arm makes the proxy lose the answer to the next statement whose text
// match reports.
func (c *answerCutter) arm(match func(query string) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.armed = match
}

// take reports whether query is the one armed, disarming it.
func (c *answerCutter) take(query string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.armed == nil || !c.armed(query) {
		return false
	}
	c.armed = nil
	return true
}

func (c *answerCutter) accept() {
	for {
		client, err := c.ln.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp", c.target)
		if err != nil {
			client.Close()
			continue
		}
		p := &proxied{c: c, client: client, server: server, stmts: map[string]string{}}
		go p.fromClient()
		go p.fromServer()
	}
}

// proxied is one client's connection through the proxy.
type proxied struct {
	c              *answerCutter
	client, server net.Conn
	stmts          map[string]string // prepared statements' texts by name
	cutAtReady     atomic.Bool
}

func (p *proxied) close() {
	p.client.Close()
	p.server.Close()
}

// fromClient forwards the client's messages, the first (the startup
// message) without a type byte, and arms the cut at the armed statement.
func (p *proxied) fromClient() {
	defer p.close()
	typed := false
	for {
		typ, msg, err := readMessage(p.client, typed)
		if err != nil {
			return
		}
		typed = true
		switch typ {
		case 'P': // Parse: name, text, …
			if f := bytes.SplitN(msg[5:], []byte{0}, 3); len(f) == 3 {
				p.stmts[string(f[0])] = string(f[1])
			}
		case 'B': // Bind: portal, statement, …
			if f := bytes.SplitN(msg[5:], []byte{0}, 3); len(f) == 3 && p.c.take(p.stmts[string(f[1])]) {
				p.cutAtReady.Store(true)
			}
		case 'Q': // a simple query
			if p.c.take(string(bytes.TrimRight(msg[5:], "\x00"))) {
				p.cutAtReady.Store(true)
			}
		}
		if _, err := p.server.Write(msg); err != nil {
			return
		}
	}
}

// fromServer forwards the database's messages, but for the ReadyForQuery
// that answers the armed statement: it closes both connections then.
func (p *proxied) fromServer() {
	defer p.close()
	for {
		typ, msg, err := readMessage(p.server, true)
		if err != nil {
			return
		}
		if typ == 'Z' && p.cutAtReady.Load() {
			p.c.cut.Add(1)
			return
		}
		if _, err := p.client.Write(msg); err != nil {
			return
		}
	}
}

// readMessage reads one protocol message whole: a type byte (when typed)
// and a length that counts itself.
func readMessage(r io.Reader, typed bool) (typ byte, msg []byte, err error) {
	head := 4
	if typed {
		head = 5
	}
	msg = make([]byte, head)
	if _, err := io.ReadFull(r, msg); err != nil {
		return 0, nil, err
	}
	n := int(binary.BigEndian.Uint32(msg[head-4:]))
	if n < 4 {
		return 0, nil, errors.New("bad message length")
	}
	msg = append(msg, make([]byte, n-4)...)
	if _, err := io.ReadFull(r, msg[head:]); err != nil {
		return 0, nil, err
	}
	if typed {
		typ = msg[0]
	}
	return typ, msg, nil
}
