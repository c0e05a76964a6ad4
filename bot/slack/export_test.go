package slack

import (
	"net/http"
	"time"
)

// Respond is the runner's respond, for the tests of package slack_test:
// it hands an envelope's payload to the App as the runner does, without
// acknowledging it.
var Respond = (*SocketMode).respond

// ResponsesVia makes the runner post its answers to response_url through
// rt, keeping its client's timeout.
func ResponsesVia(s *SocketMode, rt http.RoundTripper) { s.responses.Transport = rt }

// HandshakeTimeout is how long the runner's dialer waits for a WebSocket
// handshake (its HandshakeTimeout).
func HandshakeTimeout(s *SocketMode) time.Duration { return s.dial.HandshakeTimeout }
