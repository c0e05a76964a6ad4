// Package teamstest is a stand-in for the Bot Framework for tests: one
// HTTP server that publishes OpenID metadata and a JWKS (with endorsements)
// for a test RSA key, issues client-credentials tokens, and speaks the Bot
// Connector's REST API for the calls Handoff makes, recording each. It can
// be told to answer 429 with Retry-After, 503 (with or without
// Retry-After), to answer slowly, to hold an endpoint's answers until
// released or their caller gives up (HoldEndpoint, HoldRequests, which
// also says when each arrives), to fail the token
// endpoint, to refuse the tokens it issued (RevokeTokens) or the app's
// secret (ExpireSecret), and to rotate its signing key. It also signs inbound tokens as
// the Bot Connector service does. Like Teams, it refuses a message over about
// 28 KB (413 MessageSizeTooBig; MaxMessageBytes), and Post takes no larger
// answer to an invoke.
package teamstest

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Test credentials.
const (
	AppID     = "00000000-0000-0000-0000-00000000b07"
	AppSecret = "test-secret"
	Issuer    = "https://api.botframework.com"
	// Scope is the token scope the fake accepts unless SetScope changes it.
	Scope = "https://api.botframework.com/.default"
)

// ClientTimeout is a client timeout (TEAMS_TIMEOUT) for tests whose
// calls to the fake are not about timeouts: long enough never to end a
// call a test waits for.
const ClientTimeout = 30 * time.Second

// Call is one Bot Connector request the fake received.
type Call struct {
	Method         string // POST, PUT, GET
	Op             string // "create", "send", "update", "member", "members", "team"
	ConversationID string
	ActivityID     string
	UserID         string // the member asked for, of a "member" call
	Body           map[string]any
	At             time.Time // when the fake received the call
}

// Key is a signing key with its JWKS id.
type Key struct {
	ID   string
	Priv *rsa.PrivateKey
}

// Server is the fake Bot Framework.
type Server struct {
	*httptest.Server

	mu           sync.Mutex
	keys         []Key
	endorsements []string
	calls        []Call
	tokens       map[string]bool
	tokenCalls   int
	keyFetches   int
	failToken    int
	rateLimit    int
	retryAfter   string
	down         outage          // connector calls answering 503
	slow         []time.Duration // the next connector calls' waits (SlowNext)
	tokenDown    outage          // token requests answering 503
	secretDead   bool            // the token endpoint refuses AppSecret as expired (ExpireSecret)
	nextID       int
	answerIDs    []string                   // the ids the next posts answer (AnswerIDs)
	members      map[string]map[string]bool // conversation → its only members, when set
	roster       map[string][]Member        // conversation → its members' details, when set
	teams        map[string]Team            // team id → its details (SetTeam)
	guests       map[string]bool            // users the members API calls guests
	chats        map[string]string          // personal chat the fake created → its user
	maxPage      int
	maxMessage   int // bytes of a message's request body; 0 for no limit
	scope        string
	refused      map[string]refusal // channel conversation → how posts there fail, when set
	holds        map[Endpoint]*hold // the endpoints held (HoldEndpoint)
	// connectorRequests counts the requests that reached the Bot
	// Connector, answered or not.
	connectorRequests int
}

// Endpoint is a part of the fake that HoldEndpoint can hold.
type Endpoint string

// The fake's endpoints.
const (
	ConnectorEndpoint Endpoint = "connector" // the Bot Connector's v3/conversations and v3/teams
	TokenEndpoint     Endpoint = "token"     // the client-credentials token endpoint
	MetadataEndpoint  Endpoint = "openid"    // the OpenID metadata
	KeysEndpoint      Endpoint = "keys"      // the JWKS the metadata names
)

// hold is one held endpoint: its requests wait for release to close.
type hold struct {
	release         chan struct{}
	arrived, gaveUp chan Endpoint
}

// outage is how many of the next requests answer 503 Service
// Unavailable, and the Retry-After they carry ("" for none).
type outage struct {
	n          int
	retryAfter string
}

// answer answers w with 503 and reports true while the outage lasts,
// counting the request; the caller holds s.mu.
func (o *outage) answer(w http.ResponseWriter, body any) bool {
	if o.n <= 0 {
		return false
	}
	o.n--
	if o.retryAfter != "" {
		w.Header().Set("Retry-After", o.retryAfter)
	}
	writeJSON(w, http.StatusServiceUnavailable, body)
	return true
}

// refusal is the Bot Connector's answer to a post to a refused channel.
type refusal struct {
	status int
	code   string
}

// New starts a fake with one signing key endorsed for "msteams"; it is
// closed when the test ends.
func New(tb testing.TB) *Server {
	tb.Helper()
	s := &Server{tokens: map[string]bool{}, endorsements: []string{"msteams"}, scope: Scope, maxMessage: MaxMessageBytes}
	s.keys = []Key{NewKey(tb, "key-1")}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	tb.Cleanup(s.Close)
	return s
}

// NewKey generates a 2048-bit RSA key named id.
func NewKey(tb testing.TB, id string) Key {
	tb.Helper()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		tb.Fatal(err)
	}
	return Key{ID: id, Priv: priv}
}

// MetadataURL is the OpenID metadata URL (TEAMS_OPENID_METADATA_URL).
func (s *Server) MetadataURL() string { return s.URL + "/openid" }

// TokenURL is the token endpoint (TEAMS_TOKEN_URL).
func (s *Server) TokenURL() string { return s.URL + "/token" }

// ServiceURL is the Bot Connector base URL activities name as serviceUrl.
func (s *Server) ServiceURL() string { return s.URL + "/" }

// Key returns the current signing key.
func (s *Server) Key() Key {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keys[0]
}

// Rotate replaces the published keys with a new one and returns it.
func (s *Server) Rotate(tb testing.TB, id string) Key {
	k := NewKey(tb, id)
	s.mu.Lock()
	s.keys = []Key{k}
	s.mu.Unlock()
	return k
}

// SetScope makes the token endpoint accept only scope (as a sovereign
// cloud's does), refusing the public cloud's.
func (s *Server) SetScope(scope string) {
	s.mu.Lock()
	s.scope = scope
	s.mu.Unlock()
}

// SetEndorsements changes the channels the published keys are endorsed for.
func (s *Server) SetEndorsements(e ...string) {
	s.mu.Lock()
	s.endorsements = e
	s.mu.Unlock()
}

// SetMembers makes ids the only members of conversation (a team or a
// channel): the members API answers 404 for anyone else. A conversation
// without members set has everyone as a member.
func (s *Server) SetMembers(conversation string, ids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.members == nil {
		s.members = map[string]map[string]bool{}
	}
	set := map[string]bool{}
	for _, id := range ids {
		set[id] = true
	}
	s.members[conversation] = set
}

// SetGuests makes ids guests of the tenant: the members API answers them,
// wherever they are members, with "userRole": "guest" (a roster's own
// UserRole wins), everyone else with "user". With no ids, nobody is a
// guest.
func (s *Server) SetGuests(ids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.guests = map[string]bool{}
	for _, id := range ids {
		s.guests[id] = true
	}
}

// roleOf is the userRole the members API answers for id. The caller holds
// s.mu.
func (s *Server) roleOf(id string) string {
	if s.guests[id] {
		return "guest"
	}
	return "user"
}

// Refuse makes every post, reply and update in the conversation (a
// channel's, its id without ";messageid=", or a user's chat with the bot)
// fail with status and the Bot Connector error code, as Teams answers
// once the app is removed from the channel's team (403
// BotNotInConversationRoster), the channel is deleted (404
// ConversationNotFound) or a Teams admin blocks the app (403
// BotDisabledByAdmin); a status of 0 accepts them again.
func (s *Server) Refuse(conversation string, status int, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refused == nil {
		s.refused = map[string]refusal{}
	}
	if status == 0 {
		delete(s.refused, conversation)
		return
	}
	s.refused[conversation] = refusal{status, code}
}

// MaxMessageBytes is the size of the largest message the fake takes, as
// Teams does: about 28 KB of the activity a post, a reply or an update
// sends (the card and everything around it). Over it Teams answers 413
// with the Bot Connector error MessageSizeTooBig, and so does the fake.
const MaxMessageBytes = 28 * 1024

// SetMaxMessage changes the size of the largest message the fake takes
// (MaxMessageBytes); 0 takes any.
func (s *Server) SetMaxMessage(n int) {
	s.mu.Lock()
	s.maxMessage = n
	s.mu.Unlock()
}

// FailToken makes the next n token requests fail with HTTP 500.
func (s *Server) FailToken(n int) {
	s.mu.Lock()
	s.failToken = n
	s.mu.Unlock()
}

// RevokeTokens makes the Bot Connector refuse the access tokens issued
// so far, as it refuses a token it does not take: 401 Unauthorized. A token
// the token endpoint issues from now on is taken.
func (s *Server) RevokeTokens() {
	s.mu.Lock()
	clear(s.tokens)
	s.mu.Unlock()
}

// ExpireSecret makes the token endpoint refuse AppSecret as the Microsoft
// identity platform refuses a client secret that has expired (401
// invalid_client, AADSTS7000222), or, when expired is false, take it
// again (an admin set a new one).
func (s *Server) ExpireSecret(expired bool) {
	s.mu.Lock()
	s.secretDead = expired
	s.mu.Unlock()
}

// RateLimit makes the next n connector calls answer 429 with Retry-After.
func (s *Server) RateLimit(n int, retryAfter string) {
	s.mu.Lock()
	s.rateLimit, s.retryAfter = n, retryAfter
	s.mu.Unlock()
}

// Unavailable makes the next n connector calls answer 503 Service
// Unavailable, with retryAfter as their Retry-After ("" for none).
func (s *Server) Unavailable(n int, retryAfter string) {
	s.mu.Lock()
	s.down = outage{n, retryAfter}
	s.mu.Unlock()
}

// Hold makes the connector calls from now on wait, unanswered, until
// release is called (or their caller gives up): a Bot Connector that is
// slow to answer. Released, they are answered as usual.
func (s *Server) Hold() (release func()) {
	_, release = s.HoldEndpoint(ConnectorEndpoint)
	return release
}

// HoldEndpoint makes the requests to e from now on wait, unanswered,
// until release is called: a Microsoft that is slow to answer. A request
// whose caller gives up while it is held (its context ends: the client's
// timeout, or a closed connection) is announced on gaveUp and never
// answered; released, the others are answered as usual.
func (s *Server) HoldEndpoint(e Endpoint) (gaveUp <-chan Endpoint, release func()) {
	h := s.HoldRequests(e)
	return h.GaveUp, h.Release
}

// Held is an endpoint HoldRequests holds. Arrived announces each request
// as it begins to wait (a test orders its callers by it, not by sleeping),
// GaveUp each one whose caller gave up while it was held (never
// answered), and Release answers the ones held and the ones after as
// usual. Each announces up to 64 requests that were not received.
type Held struct {
	Arrived, GaveUp <-chan Endpoint
	Release         func()
}

// HoldRequests is HoldEndpoint that also announces the requests held.
func (s *Server) HoldRequests(e Endpoint) Held {
	h := &hold{release: make(chan struct{}), arrived: make(chan Endpoint, 64), gaveUp: make(chan Endpoint, 64)}
	s.mu.Lock()
	if s.holds == nil {
		s.holds = map[Endpoint]*hold{}
	}
	s.holds[e] = h
	s.mu.Unlock()
	var once sync.Once
	return Held{Arrived: h.arrived, GaveUp: h.gaveUp, Release: func() {
		once.Do(func() {
			s.mu.Lock()
			if s.holds[e] == h {
				delete(s.holds, e)
			}
			s.mu.Unlock()
			close(h.release)
		})
	}}
}

// wait holds a request to e while e is held, and reports whether it may
// be answered: false when its caller gave up meanwhile.
func (s *Server) wait(e Endpoint, r *http.Request) bool {
	s.mu.Lock()
	h := s.holds[e]
	s.mu.Unlock()
	if h == nil {
		return true
	}
	// Read the body whole first: only then does the server notice the
	// caller hanging up (the request's context ends).
	raw, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(raw))
	select {
	case h.arrived <- e:
	default:
	}
	select {
	case <-h.release:
		return true
	case <-r.Context().Done():
		select {
		case h.gaveUp <- e:
		default:
		}
		return false
	}
}

// AnswerIDs makes the next posts (a new conversation, an activity sent)
// answer ids, one each, in place of the fake's own: the activity's id
// (and a new channel thread's "…;messageid=<id>", a personal chat's
// "a:dm-<id>"). Teams could answer them, for a test of what Handoff does
// with them.
func (s *Server) AnswerIDs(ids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.answerIDs = append(s.answerIDs, ids...)
}

// ConnectorRequests counts the requests that reached the Bot Connector,
// answered or not (Calls has only those it carried out).
func (s *Server) ConnectorRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.connectorRequests
}

// SlowNext makes the next n connector calls wait until their caller gives
// up (the request's context ends: a client's timeout) or d passed, and
// then answer as usual.
func (s *Server) SlowNext(n int, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.slow = append(s.slow, d)
	}
}

// TokenUnavailable makes the next n token requests answer 503 Service
// Unavailable, with retryAfter as their Retry-After ("" for none).
func (s *Server) TokenUnavailable(n int, retryAfter string) {
	s.mu.Lock()
	s.tokenDown = outage{n, retryAfter}
	s.mu.Unlock()
}

// Calls returns the connector calls received so far.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// TokenCalls counts token requests, KeyFetches JWKS requests.
func (s *Server) TokenCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenCalls
}

// KeyFetches counts JWKS requests.
func (s *Server) KeyFetches() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keyFetches
}

// Claims returns valid claims for an activity to appID from serviceURL.
func Claims(appID, serviceURL string, now time.Time) map[string]any {
	return map[string]any{
		"iss":        Issuer,
		"aud":        appID,
		"serviceurl": serviceURL,
		"nbf":        now.Add(-time.Minute).Unix(),
		"exp":        now.Add(time.Hour).Unix(),
		"iat":        now.Add(-time.Minute).Unix(),
	}
}

// Sign returns a compact RS256 JWT of claims signed with k.
func Sign(tb testing.TB, k Key, claims map[string]any) string {
	tb.Helper()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			tb.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	signing := enc(map[string]string{"alg": "RS256", "typ": "JWT", "kid": k.ID, "x5t": k.ID}) + "." + enc(claims)
	digest := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, k.Priv, crypto.SHA256, digest[:])
	if err != nil {
		tb.Fatal(err)
	}
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	var e Endpoint
	switch {
	case r.URL.Path == "/openid":
		e = MetadataEndpoint
	case r.URL.Path == "/keys":
		e = KeysEndpoint
	case r.URL.Path == "/token":
		e = TokenEndpoint
	case connectorPath(r.URL.Path):
		e = ConnectorEndpoint
		s.mu.Lock()
		s.connectorRequests++
		s.mu.Unlock()
	}
	if !s.wait(e, r) {
		return
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/openid":
		writeJSON(w, 200, map[string]any{"issuer": Issuer, "jwks_uri": s.URL + "/keys", "id_token_signing_alg_values_supported": []string{"RS256"}})
	case r.Method == http.MethodGet && r.URL.Path == "/keys":
		s.jwks(w)
	case r.Method == http.MethodPost && r.URL.Path == "/token":
		s.token(w, r)
	case connectorPath(r.URL.Path):
		s.connector(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (s *Server) jwks(w http.ResponseWriter) {
	s.mu.Lock()
	s.keyFetches++
	var keys []map[string]any
	for _, k := range s.keys {
		pub := k.Priv.PublicKey
		keys = append(keys, map[string]any{
			"kty": "RSA", "use": "sig", "kid": k.ID,
			"n":            base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
			"e":            base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
			"endorsements": s.endorsements,
		})
	}
	s.mu.Unlock()
	writeJSON(w, 200, map[string]any{"keys": keys})
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokenCalls++
	if s.failToken > 0 {
		s.failToken--
		writeJSON(w, 500, map[string]string{"error": "temporarily_unavailable"})
		return
	}
	if s.tokenDown.answer(w, map[string]string{"error": "temporarily_unavailable"}) {
		return
	}
	if s.secretDead && r.Form.Get("client_secret") == AppSecret {
		invalidClient(w, 7000222, "AADSTS7000222: The provided client secret keys for app '"+AppID+"' are expired. "+
			"Visit the Azure portal to create new keys for your app.")
		return
	}
	if r.Form.Get("grant_type") != "client_credentials" || r.Form.Get("client_id") != AppID ||
		r.Form.Get("client_secret") != AppSecret || r.Form.Get("scope") != s.scope {
		invalidClient(w, 7000215, "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, "+
			"not the client secret ID, for a secret added to app '"+AppID+"'.")
		return
	}
	tok := fmt.Sprintf("access-%d", s.tokenCalls)
	s.tokens[tok] = true
	writeJSON(w, 200, map[string]any{"token_type": "Bearer", "expires_in": 3599, "access_token": tok})
}

// invalidClient answers w as the Microsoft identity platform refuses a
// client secret: 401 invalid_client with the AADSTS error code and its
// description, followed by the lines of a trace.
func invalidClient(w http.ResponseWriter, code int, description string) {
	writeJSON(w, 401, map[string]any{"error": "invalid_client",
		"error_description": description + "\r\nTrace ID: 0f1e2d3c\r\nCorrelation ID: 4b5a6978\r\nTimestamp: 2026-12-03 03:20:00Z",
		"error_codes":       []int{code}, "trace_id": "0f1e2d3c", "correlation_id": "4b5a6978"})
}

// connector serves v3/conversations, …/activities, …/members and
// …/pagedmembers, and v3/teams/{id}.
func (s *Server) connector(w http.ResponseWriter, r *http.Request) {
	var segs []string
	for _, p := range strings.Split(strings.Trim(r.URL.EscapedPath(), "/"), "/") {
		u, err := url.PathUnescape(p)
		if err != nil {
			http.Error(w, "bad path", 400)
			return
		}
		segs = append(segs, u)
	}
	// segs: v3 conversations [id [activities|members [id]]], or v3 teams id
	var body map[string]any
	var size int
	if r.Body != nil {
		raw, _ := io.ReadAll(r.Body)
		size = len(raw)
		_ = json.Unmarshal(raw, &body)
	}
	s.mu.Lock()
	var slow time.Duration
	if len(s.slow) > 0 {
		slow, s.slow = s.slow[0], s.slow[1:]
	}
	s.mu.Unlock()
	if slow > 0 {
		select {
		case <-r.Context().Done():
		case <-time.After(slow):
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.tokens[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")] {
		writeJSON(w, 401, map[string]any{"error": map[string]string{"code": "Unauthorized"}})
		return
	}
	if s.rateLimit > 0 {
		s.rateLimit--
		w.Header().Set("Retry-After", s.retryAfter)
		writeJSON(w, 429, map[string]any{"error": map[string]string{"code": "TooManyRequests"}})
		return
	}
	if s.down.answer(w, map[string]any{"error": map[string]string{"code": "ServiceUnavailable", "message": "unavailable by the test"}}) {
		return
	}
	if rf, ok := s.refused[refusedConversation(segs, body)]; ok && r.Method != http.MethodGet {
		writeJSON(w, rf.status, map[string]any{"error": map[string]string{"code": rf.code, "message": "refused by the test"}})
		return
	}
	if s.maxMessage > 0 && size > s.maxMessage && r.Method != http.MethodGet {
		writeJSON(w, http.StatusRequestEntityTooLarge, map[string]any{"error": map[string]string{"code": "MessageSizeTooBig", "message": "Message size too large."}})
		return
	}
	s.nextID++
	id := strconv.Itoa(1000 + s.nextID)
	c := Call{Method: r.Method, Body: body, At: time.Now()}
	if len(s.answerIDs) > 0 && r.Method == http.MethodPost && (len(segs) == 2 || len(segs) == 4 && segs[3] == "activities") {
		id, s.answerIDs = s.answerIDs[0], s.answerIDs[1:]
	}
	switch {
	case len(segs) == 2 && r.Method == http.MethodPost:
		c.Op = "create"
		conv := "a:dm-" + id
		if ch, ok := body["channelData"].(map[string]any); ok {
			if channel, ok := ch["channel"].(map[string]any); ok {
				conv = fmt.Sprint(channel["id"]) + ";messageid=" + id
			}
		}
		c.ConversationID = conv
		if strings.HasPrefix(conv, "a:") {
			s.createdChat(conv, body)
		}
		res := map[string]any{"id": conv}
		if _, ok := body["activity"]; ok {
			c.ActivityID = id
			res["activityId"] = id
		}
		s.calls = append(s.calls, c)
		writeJSON(w, 201, res)
	case len(segs) == 4 && segs[3] == "activities" && r.Method == http.MethodPost:
		c.Op, c.ConversationID, c.ActivityID = "send", segs[2], id
		s.calls = append(s.calls, c)
		writeJSON(w, 200, map[string]any{"id": id})
	case len(segs) == 5 && segs[3] == "activities" && r.Method == http.MethodPut:
		c.Op, c.ConversationID, c.ActivityID = "update", segs[2], segs[4]
		s.calls = append(s.calls, c)
		writeJSON(w, 200, map[string]any{"id": segs[4]})
	case len(segs) == 4 && segs[3] == "pagedmembers" && r.Method == http.MethodGet:
		c.Op, c.ConversationID = "members", segs[2]
		s.calls = append(s.calls, c)
		s.pagedMembers(w, segs[2], r.URL.Query())
	case len(segs) == 3 && segs[1] == "teams" && r.Method == http.MethodGet:
		c.Op, c.ConversationID = "team", segs[2]
		s.calls = append(s.calls, c)
		s.teamDetails(w, segs[2])
	case len(segs) == 5 && segs[3] == "members" && r.Method == http.MethodGet:
		c.Op, c.ConversationID, c.UserID = "member", segs[2], segs[4]
		s.calls = append(s.calls, c)
		if m, found := s.rosterMember(segs[2], segs[4]); found {
			writeJSON(w, 200, s.described(m))
			return
		}
		if _, ok := s.roster[segs[2]]; ok || !s.inConversation(segs[2], segs[4]) {
			writeJSON(w, 404, map[string]any{"error": map[string]string{"code": "MemberNotFoundInConversation"}})
			return
		}
		writeJSON(w, 200, s.genericMember(segs[4]))
	default:
		writeJSON(w, 404, map[string]any{"error": map[string]string{"code": "NotFound"}})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// refusedConversation is the channel conversation a connector call writes
// to: the channel of a new thread (POST v3/conversations with
// channelData.channel.id), or the conversation of a reply or an update.
func refusedConversation(segs []string, body map[string]any) string {
	if len(segs) == 2 {
		ch, _ := body["channelData"].(map[string]any)
		channel, _ := ch["channel"].(map[string]any)
		id, _ := channel["id"].(string)
		return id
	}
	if len(segs) >= 3 {
		base, _, _ := strings.Cut(segs[2], ";messageid=")
		return base
	}
	return ""
}
