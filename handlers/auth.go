package handlers

import (
	"context"
	"crypto/subtle"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/handoff/handoff"
)

// Scope is what an API token may do.
type Scope string

// Token scopes. Each endpoint needs one: read to GET a lead, the funnel,
// the routing overview or the metrics; intake to post a lead or its
// activities; write to erase a lead or post traffic. A write token may do
// everything (HANDOFF_API_TOKEN is one); a read or an intake token only
// what its own scope names, so the token a form tool holds to push leads
// (intake) reads no lead and erases none.
const (
	ScopeRead   Scope = "read"
	ScopeIntake Scope = "intake"
	ScopeWrite  Scope = "write"
)

// Token is one named API token. Its name is recorded as the actor of the
// changes it makes.
type Token struct {
	Name   string
	Secret string
	Scope  Scope
}

// Allows reports whether the token may use an endpoint that needs scope.
func (t Token) Allows(scope Scope) bool { return t.Scope == ScopeWrite || t.Scope == scope }

// refusal is the 403's message for a token whose scope does not allow an
// endpoint that needs scope: it names the token, its scope and the scope
// needed.
func (t Token) refusal(scope Scope) string {
	need := "scope " + string(scope)
	if scope != ScopeWrite {
		need += " (or write)"
	}
	return "token " + t.Name + " has scope " + string(t.Scope) + "; this endpoint needs " + need
}

// mayRead reports whether the request's token may read leads: answers to
// a token that may not (intake) name only what it sent.
func mayRead(ctx context.Context) bool {
	t, ok := ctx.Value(tokenKey{}).(Token)
	return ok && t.Allows(ScopeRead)
}

// Tokens are the API's tokens: HANDOFF_API_TOKENS, and HANDOFF_API_TOKEN as
// a write token named "api".
func Tokens(single string, named []Token) []Token {
	out := append([]Token(nil), named...)
	if single != "" {
		out = append(out, Token{Name: handoff.ActorAPI, Secret: single, Scope: ScopeWrite})
	}
	return out
}

// match returns the token whose secret is got. Every secret is compared, in
// constant time, so the time taken says nothing about which one came close.
func match(tokens []Token, got string) (Token, bool) {
	var found Token
	ok := 0
	for _, t := range tokens {
		if subtle.ConstantTimeCompare([]byte(got), []byte(t.Secret)) == 1 {
			found, ok = t, 1
		}
	}
	return found, ok == 1
}

type tokenKey struct{}

// TokenName returns the name of the token the request was authenticated
// with, or handoff.ActorAPI when there is none.
func TokenName(ctx context.Context) string {
	if t, ok := ctx.Value(tokenKey{}).(Token); ok {
		return t.Name
	}
	return handoff.ActorAPI
}

// Guard authenticates API requests and bounds their rate.
type Guard struct {
	Tokens []Token
	// Limit bounds each token's rate, and each client address's rate of
	// failed attempts; nil for no limit.
	Limit *RateLimit
}

// Require answers 401 unless the request carries "Authorization: Bearer
// <secret>" of a known token, 403 when that token's scope does not allow
// scope, and 429 over the rate; otherwise it calls next with the token in
// the request's context. The token is checked before any limit: a valid
// token is limited per token name, a missing or wrong one per client
// address (clientNet), so forged bearer values cannot mint fresh limits.
func (g *Guard) Require(scope Scope, next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, got, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		hasBearer := strings.EqualFold(scheme, "Bearer") // a scheme's case does not matter (RFC 9110)
		tok, ok := match(g.Tokens, strings.TrimSpace(got))
		if !hasBearer || !ok {
			if g.Limit.refuse(w, "addr:"+clientNet(r)) {
				return
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="handoff"`)
			msg := "missing or wrong bearer token"
			if len(g.Tokens) == 0 {
				msg = errNoToken.Error()
			}
			writeJSON(w, http.StatusUnauthorized, errorBody{Error: msg})
			return
		}
		if g.Limit.refuse(w, "token:"+tok.Name) {
			return
		}
		if !tok.Allows(scope) {
			writeJSON(w, http.StatusForbidden, errorBody{Error: tok.refusal(scope)})
			return
		}
		next(w, r.WithContext(context.WithValue(r.Context(), tokenKey{}, tok)))
	})
}

// clientNet is what a request's failed attempts are counted against: its
// IPv4 address, or the /48 network of its IPv6 address. One customer is
// given a /64 to a /48 of addresses, which per address would be as many
// fresh limits; only failed attempts are counted, so a wide network costs
// its honest clients nothing.
func clientNet(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	if addr = addr.Unmap(); addr.Is4() {
		return addr.String()
	}
	p, _ := addr.WithZone("").Prefix(48)
	return p.String()
}
