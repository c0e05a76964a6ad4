// Package slacktest is a stand-in for the Slack Web API for tests and the
// demo: an HTTP server that speaks Slack's JSON for the methods Handoff
// calls (users.list paged by its cursor), checks the bot token, records
// every call, and can be told to
// answer 429 (with Retry-After), 5xx or a Slack error, or to post and lose
// the answer; like Slack, it refuses a message of more than 50 blocks
// (invalid_blocks). It also builds
// inbound requests signed exactly as Slack signs them.
package slacktest

import (
	"cmp"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ClientTimeout is a client timeout (SLACK_TIMEOUT) for tests whose
// calls to the fake are not about timeouts: long enough never to end a
// call a test waits for.
const ClientTimeout = 30 * time.Second

// Call is one request the fake received.
type Call struct {
	Method string     // "chat.postMessage", or "response_url" for a response URL
	Form   url.Values // form parameters (for JSON bodies: top-level strings)
	JSON   map[string]any
	At     time.Time
	Path   string // the request path: /api/{method} or /response/{id}
	TS     string // the message ts the fake answered (chat.* methods)
}

// Param returns a parameter of the call, from the form or the JSON body.
func (c Call) Param(name string) string {
	if v := c.Form.Get(name); v != "" {
		return v
	}
	if v, ok := c.JSON[name].(string); ok {
		return v
	}
	return ""
}

// fault is a canned failure for the next call of a method.
type fault struct {
	status     int
	retryAfter int            // seconds, for 429 (and any status when > 0)
	after      bool           // the call is carried out before the failure (a lost answer)
	code       string         // a Slack error answered with HTTP 200 (ErrorNext), instead of status
	slow       time.Duration  // the call is answered as usual, once the caller gave up or after this (SlowNext)
	answer     map[string]any // fields that replace the usual answer's (AnswerNext)
}

// Server is a running fake Slack Web API. Its methods are safe for
// concurrent use.
type Server struct {
	srv   *httptest.Server
	token string

	mu          sync.Mutex
	calls       []Call
	faults      map[string][]fault
	badChannels map[string]bool
	removedFrom map[string]bool // channels the bot was removed from (not_in_channel)
	groups      map[string][]string
	seq         int64
	latency     time.Duration
	notify      chan struct{}
	stalls      map[string]*stall
	users       map[string]User
	members     map[string][]string
	noHistory   bool             // conversations.history answers missing_scope
	now         func() time.Time // the clock that dates posts (their ts)

	socket socketMode // Socket Mode (socket.go)
}

// New starts a fake that accepts the bot token token. Close it when done.
func New(token string) *Server {
	s := newServer(token)
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// NewTLS starts a fake like New that serves HTTPS, and its Socket Mode
// URLs are wss://, as Slack's are. Its certificate (Certificate) is valid
// for 127.0.0.1 and example.com. Close it when done.
func NewTLS(token string) *Server {
	s := newServer(token)
	s.srv = httptest.NewTLSServer(http.HandlerFunc(s.serve))
	return s
}

func newServer(token string) *Server {
	return &Server{token: token, faults: map[string][]fault{}, badChannels: map[string]bool{}, removedFrom: map[string]bool{}, groups: map[string][]string{},
		notify: make(chan struct{}, 1), stalls: map[string]*stall{},
		users: map[string]User{}, members: map[string][]string{}, now: time.Now}
}

// SetClock dates the posts made from now on (their ts) by now instead of
// the wall clock, for a test whose code runs on a clock of its own.
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// Certificate is the certificate of a fake started with NewTLS (nil for
// New): the one root its clients must trust.
func (s *Server) Certificate() *x509.Certificate { return s.srv.Certificate() }

// Close stops the server.
func (s *Server) Close() {
	s.closeSockets() // hijacked: the test server no longer tracks them
	s.srv.Close()
}

// APIURL is the base URL for slack.OptionAPIURL (it ends with "/").
func (s *Server) APIURL() string { return s.srv.URL + "/api/" }

// ResponseURL is a response_url that the fake records as method
// "response_url".
func (s *Server) ResponseURL(id string) string { return s.srv.URL + "/response/" + url.PathEscape(id) }

// SetLatency delays every answer by d (to measure under realistic latency).
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// FailNext makes the next n calls of method answer with HTTP status (429
// with a Retry-After of retryAfter seconds, or a 5xx, with that
// Retry-After when retryAfter > 0).
func (s *Server) FailNext(method string, n, status, retryAfter int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults[method] = append(s.faults[method], fault{status: status, retryAfter: retryAfter})
	}
}

// ErrorNext makes the next n calls of method answer HTTP 200 with the
// Slack error code ({"ok":false,"error":code}), doing nothing.
func (s *Server) ErrorNext(method string, n int, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults[method] = append(s.faults[method], fault{code: code})
	}
}

// SlowNext makes the next n calls of method wait until their caller gives
// up (the request's context ends: a client's timeout) or d passed, and
// then answer as usual.
func (s *Server) SlowNext(method string, n int, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults[method] = append(s.faults[method], fault{slow: d})
	}
}

// Recover drops the failures still queued for method (FailNext,
// LoseNextAnswers, ErrorNext): its next calls answer as usual.
func (s *Server) Recover(method string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.faults, method)
}

// AnswerNext makes the next n calls of method take effect as usual and
// answer with fields in place of the usual answer's top-level fields of
// the same names (a chat.postMessage's "ts", a conversations.open's
// "channel" object): an answer Slack could give, for a test of what
// Handoff does with it.
func (s *Server) AnswerNext(method string, n int, fields map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults[method] = append(s.faults[method], fault{answer: fields})
	}
}

// LoseNextAnswers makes the next n calls of method take effect (a post is
// posted) and then answer HTTP 504, as a gateway does when the answer is
// lost on its way back.
func (s *Server) LoseNextAnswers(method string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults[method] = append(s.faults[method], fault{status: http.StatusGatewayTimeout, after: true})
	}
}

// stall holds calls of one method until released.
type stall struct {
	arrived chan string // each held call's method, as it arrives
	gaveUp  chan string // each held call's method, when its caller gives up
	release chan struct{}
}

// hold holds r, a call of method, until release, announcing it on
// arrived, and on gaveUp when its caller gave up meanwhile; it reports
// whether the caller still waits.
func (st *stall) hold(r *http.Request, method string) (waits bool) {
	select {
	case st.arrived <- method:
	default:
	}
	select {
	case <-st.release:
		return true
	case <-r.Context().Done():
		select {
		case st.gaveUp <- method:
		default:
		}
		<-st.release
		return false
	}
}

// SocketUpgrade is the method Hold and Stall take for the WebSocket
// upgrades of Socket Mode's URLs: the app's TCP connection is accepted
// and its upgrade request read, but nothing is answered (no 101) until
// release, as a Slack that does not open the connection. An upgrade whose
// app gave up meanwhile is never answered.
const SocketUpgrade = "socket"

// Stall holds every call of method until release is called (a Slack that
// hangs). Each held call is announced on arrived as it comes in.
func (s *Server) Stall(method string) (arrived <-chan string, release func()) {
	arrived, _, release = s.Hold(method)
	return arrived, release
}

// Hold is Stall that also announces on gaveUp each held call whose caller
// gave up while it was held (its request's context ended: the client's
// timeout, or a closed connection). Such a call too waits for release.
func (s *Server) Hold(method string) (arrived, gaveUp <-chan string, release func()) {
	st := &stall{arrived: make(chan string, 64), gaveUp: make(chan string, 64), release: make(chan struct{})}
	s.mu.Lock()
	s.stalls[method] = st
	s.mu.Unlock()
	var once sync.Once
	return st.arrived, st.gaveUp, func() {
		once.Do(func() {
			s.mu.Lock()
			delete(s.stalls, method)
			s.mu.Unlock()
			close(st.release)
		})
	}
}

// ChannelNotFound makes every post to channel fail with channel_not_found.
func (s *Server) ChannelNotFound(channel string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.badChannels[channel] = true
}

// RemoveBot takes the bot out of channel, as a member of the channel can:
// posts, updates and history reads there fail with not_in_channel until
// InviteBot.
func (s *Server) RemoveBot(channel string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.removedFrom[channel] = true
}

// InviteBot brings the bot back into channel (/invite).
func (s *Server) InviteBot(channel string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.removedFrom, channel)
}

// TeamID is the fake workspace: auth.test's team_id, and the team of every
// user and of the payloads this package builds.
const TeamID = "T0001"

// User is what users.info says of a user beyond the defaults (a full
// member of TeamID).
type User struct {
	Name            string // the display name and real name; "" for none
	TeamID          string // "" for TeamID
	Restricted      bool   // a multi-channel guest
	UltraRestricted bool   // a single-channel guest
	Stranger        bool   // an external user seen through Slack Connect
	Email           string // the profile's email; "" for the id, in lower case, @example.com
}

// SetUser sets what users.info answers for id, and adds id to users.list.
func (s *Server) SetUser(id string, u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[id] = u
}

// userObject is the user object Slack answers for id (users.info, users.list).
func userObject(id string, info User) map[string]any {
	return map[string]any{"id": id, "name": strings.ToLower(id), "team_id": cmp.Or(info.TeamID, TeamID),
		"is_restricted": info.Restricted, "is_ultra_restricted": info.UltraRestricted, "is_stranger": info.Stranger,
		"real_name": info.Name, "profile": map[string]any{"email": cmp.Or(info.Email, strings.ToLower(id)+"@example.com"), "display_name": info.Name, "real_name": info.Name}}
}

// usersPage answers users.list: the users set with SetUser, by id, limit
// of them (at most 1,000, 100 when not given) from the cursor on, and the
// cursor of the next page ("" after the last). Called with s.mu held.
func (s *Server) usersPage(c Call) map[string]any {
	ids := slices.Sorted(maps.Keys(s.users))
	limit, err := strconv.Atoi(c.Param("limit"))
	if err != nil || limit <= 0 {
		limit = 100
	}
	limit = min(limit, 1000)
	from := 0
	if cur := c.Param("cursor"); cur != "" {
		if from, err = strconv.Atoi(cur); err != nil || from < 0 || from > len(ids) {
			return map[string]any{"ok": false, "error": "invalid_cursor"}
		}
	}
	to := min(from+limit, len(ids))
	members := make([]any, 0, to-from)
	for _, id := range ids[from:to] {
		members = append(members, userObject(id, s.users[id]))
	}
	next := ""
	if to < len(ids) {
		next = strconv.Itoa(to)
	}
	return map[string]any{"ok": true, "members": members, "response_metadata": map[string]any{"next_cursor": next}}
}

// SetMembers sets the members of channel for conversations.members.
func (s *Server) SetMembers(channel string, users ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.members[channel] = users
}

// SetGroup sets the members of a user group for usergroups.users.list.
func (s *Server) SetGroup(id string, users ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groups[id] = users
}

// Calls returns the calls of method so far (every call for ""), in order.
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if method == "" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// Wait waits until method has been called at least n times, or timeout,
// and returns its calls.
func (s *Server) Wait(method string, n int, timeout time.Duration) []Call {
	deadline := time.Now().Add(timeout)
	for {
		calls := s.Calls(method)
		if len(calls) >= n || time.Now().After(deadline) {
			return calls
		}
		select {
		case <-s.notify:
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	call := Call{At: time.Now(), Form: url.Values{}, Path: r.URL.Path}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/json" {
		_ = json.Unmarshal(body, &call.JSON)
		for k, v := range call.JSON {
			if s, ok := v.(string); ok {
				call.Form.Set(k, s)
			}
		}
	} else {
		call.Form, _ = url.ParseQuery(string(body))
	}
	for k, v := range r.URL.Query() { // a GET method's arguments (chat.getPermalink)
		call.Form[k] = append(call.Form[k], v...)
	}
	switch {
	case strings.HasPrefix(r.URL.Path, "/api/"):
		call.Method = strings.TrimPrefix(r.URL.Path, "/api/")
	case strings.HasPrefix(r.URL.Path, "/response/"):
		call.Method = "response_url"
	case r.URL.Path == socketPath:
		s.mu.Lock()
		st := s.stalls[SocketUpgrade]
		s.mu.Unlock()
		if st != nil && !st.hold(r, SocketUpgrade) {
			return // the app gave up: it is not connected
		}
		s.serveSocket(w, r)
		return
	default:
		http.NotFound(w, r)
		return
	}
	s.mu.Lock()
	latency := s.latency
	var f *fault
	if q := s.faults[call.Method]; len(q) > 0 {
		f = &q[0]
		s.faults[call.Method] = q[1:]
	}
	st := s.stalls[call.Method]
	s.mu.Unlock()
	if latency > 0 {
		time.Sleep(latency)
	}
	var fields map[string]any // AnswerNext's
	if f != nil && f.answer != nil {
		fields, f = f.answer, nil
	}
	if f != nil && f.slow > 0 {
		select {
		case <-r.Context().Done():
		case <-time.After(f.slow):
		}
		f = nil
	}
	if st != nil {
		st.hold(r, call.Method)
	}
	if f != nil && !f.after {
		s.record(call) // Slack saw it, but did nothing
		if f.code != "" {
			writeJSON(w, map[string]any{"ok": false, "error": f.code})
			return
		}
		if f.status == http.StatusTooManyRequests || f.retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(f.retryAfter))
		}
		http.Error(w, http.StatusText(f.status), f.status)
		return
	}
	if call.Method == "apps.connections.open" {
		s.openConnection(w, r, call) // with the app-level token
		return
	}
	if call.Method != "response_url" {
		token := call.Form.Get("token")
		if bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			token = bearer
		}
		if token != s.token {
			s.record(call)
			writeJSON(w, map[string]any{"ok": false, "error": "invalid_auth"})
			return
		}
	}
	ans := s.answer(call)
	if ans["ok"] == true {
		maps.Copy(ans, fields)
	}
	call.TS, _ = ans["ts"].(string)
	if call.TS == "" {
		call.TS, _ = ans["message_ts"].(string)
	}
	s.record(call)
	if f != nil { // carried out, its answer lost
		http.Error(w, http.StatusText(f.status), f.status)
		return
	}
	writeJSON(w, ans)
}

func (s *Server) record(c Call) {
	s.mu.Lock()
	s.calls = append(s.calls, c)
	s.mu.Unlock()
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// answer is the JSON answer of a successful call.
func (s *Server) answer(c Call) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := c.Param("channel")
	switch c.Method {
	case "chat.postMessage", "chat.update", "chat.postEphemeral":
		if s.badChannels[ch] {
			return map[string]any{"ok": false, "error": "channel_not_found"}
		}
		if s.removedFrom[ch] {
			return map[string]any{"ok": false, "error": "not_in_channel"}
		}
		if refused := tooManyBlocks(c); refused != nil {
			return refused
		}
		ts := c.Param("ts")
		if c.Method != "chat.update" {
			s.seq++
			ts = fmt.Sprintf("%d.%06d", s.now().Unix(), s.seq%1_000_000) // unique, and ordered as Slack's are
		}
		if c.Method == "chat.postEphemeral" {
			return map[string]any{"ok": true, "message_ts": ts}
		}
		return map[string]any{"ok": true, "channel": ch, "ts": ts, "message": map[string]any{"ts": ts, "text": c.Param("text")}}
	case "conversations.open":
		users := c.Param("users")
		return map[string]any{"ok": true, "channel": map[string]any{"id": "D" + strings.Split(users, ",")[0]}}
	case "users.info":
		u := c.Param("user")
		return map[string]any{"ok": true, "user": userObject(u, s.users[u])}
	case "users.list":
		return s.usersPage(c)
	case "conversations.members":
		m, ok := s.members[ch]
		if !ok {
			return map[string]any{"ok": false, "error": "channel_not_found"}
		}
		return map[string]any{"ok": true, "members": m, "response_metadata": map[string]any{"next_cursor": ""}}
	case "usergroups.users.list":
		g, ok := s.groups[c.Param("usergroup")]
		if !ok {
			return map[string]any{"ok": false, "error": "no_such_subteam"}
		}
		return map[string]any{"ok": true, "users": g}
	case "views.publish":
		s.seq++
		return map[string]any{"ok": true, "view": map[string]any{"id": fmt.Sprintf("V%d", s.seq), "type": "home"}}
	case "views.open":
		s.seq++
		return map[string]any{"ok": true, "view": map[string]any{"id": fmt.Sprintf("V%d", s.seq)}}
	case "conversations.history":
		if s.removedFrom[ch] {
			return map[string]any{"ok": false, "error": "not_in_channel"}
		}
		return s.history(c)
	case "chat.getPermalink":
		return s.permalink(ch, c.Param("message_ts"))
	case "auth.test":
		return map[string]any{"ok": true, "url": "https://fake.slack.com/", "team": "Fake", "user": "handoff", "team_id": TeamID, "user_id": BotUserID}
	case "response_url":
		if refused := tooManyBlocks(c); refused != nil {
			return refused
		}
		return map[string]any{"ok": true}
	}
	return map[string]any{"ok": false, "error": "unknown_method"}
}

// permalink is chat.getPermalink's answer for message ts in channel, as
// Slack gives it: the message's link in the fake's workspace
// (PermalinkPrefix, the channel, "p" and the ts without its dot), or
// channel_not_found or message_not_found. Called with s.mu held.
func (s *Server) permalink(channel, ts string) map[string]any {
	if s.badChannels[channel] {
		return map[string]any{"ok": false, "error": "channel_not_found"}
	}
	for _, c := range s.calls {
		if c.Method == "chat.postMessage" && c.Param("channel") == channel && c.TS == ts && ts != "" {
			return map[string]any{"ok": true, "channel": channel, "permalink": Permalink(channel, ts)}
		}
	}
	return map[string]any{"ok": false, "error": "message_not_found"}
}

// PermalinkPrefix is where the fake's permalinks begin: its workspace's
// archives.
const PermalinkPrefix = "https://fake.slack.com/archives/"

// Permalink is the fake's permalink of message ts in channel, as Slack
// writes one: https://<workspace>.slack.com/archives/C123/p1358546515000008.
func Permalink(channel, ts string) string {
	return PermalinkPrefix + channel + "/p" + strings.Replace(ts, ".", "", 1)
}

// MaxMessageBlocks is the most blocks Slack takes in one message
// (chat.postMessage, chat.update, chat.postEphemeral, a response_url).
const MaxMessageBlocks = 50

// tooManyBlocks is Slack's refusal of a message of more than
// MaxMessageBlocks blocks, or nil.
func tooManyBlocks(c Call) map[string]any {
	n := 0
	if blocks, ok := c.JSON["blocks"].([]any); ok { // a response_url's JSON body
		n = len(blocks)
	} else {
		var blocks []json.RawMessage
		if json.Unmarshal([]byte(c.Form.Get("blocks")), &blocks) == nil {
			n = len(blocks)
		}
	}
	if n <= MaxMessageBlocks {
		return nil
	}
	return map[string]any{"ok": false, "error": "invalid_blocks",
		"errors": []string{fmt.Sprintf("no more than %d items allowed [json-pointer:/blocks]", MaxMessageBlocks)}}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}
