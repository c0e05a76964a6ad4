package teams

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/handoff/handoff"
)

// Bot Framework's inbound token facts.
const (
	// DefaultOpenIDMetadataURL is where the Bot Connector service publishes
	// the keys that sign the tokens it sends to bots.
	DefaultOpenIDMetadataURL = "https://login.botframework.com/v1/.well-known/openidconfiguration"
	// Issuer is the iss of every token the Bot Connector service of the
	// public cloud sends; sovereign clouds have their own (Validator.Issuer).
	Issuer = "https://api.botframework.com"
	// clockSkew is the leeway on exp and nbf.
	clockSkew = 5 * time.Minute
	// maxTokenBytes bounds an Authorization header's token.
	maxTokenBytes = 16 << 10
)

// Claims are the checked claims of an inbound token.
type Claims struct {
	AppID      string // aud
	ServiceURL string // serviceurl
	Expires    time.Time
}

// Validator checks the JWTs that the Bot Connector service sends with each
// activity, against keys from the OpenID metadata. Keys are cached for
// KeyTTL and fetched again, at most once per MinRefetch, when a token names
// an unknown key. It is safe for concurrent use.
type Validator struct {
	appID       string
	metadataURL string
	client      *http.Client
	// Issuer is the iss every token must carry (the public cloud's Issuer
	// by default; e.g. https://api.botframework.us in US Government
	// clouds). Now is the clock (time.Now by default); KeyTTL is how long
	// fetched keys are trusted (5 days); MinRefetch rate-limits fetches
	// caused by unknown key ids (1 minute). Set them before the first
	// Validate.
	Issuer     string
	Now        func() time.Time
	KeyTTL     time.Duration
	MinRefetch time.Duration
	// Timeout bounds one fetch of the keys, the OpenID metadata and the
	// JWKS it names together (NewValidator's timeout: TEAMS_TIMEOUT). Set
	// it before the first Validate.
	Timeout time.Duration

	fetchMu sync.Mutex // one fetch at a time
	mu      sync.RWMutex
	keys    map[string]signingKey
	fetched time.Time // when keys were fetched
	tried   time.Time // when a fetch was last attempted
}

// signingKey is one key of the JWKS with the channels it may sign for.
type signingKey struct {
	pub          *rsa.PublicKey
	endorsements []string
}

// NewValidator returns a Validator for the bot appID with keys from
// metadataURL (DefaultOpenIDMetadataURL when ""), fetched with client (a
// new client when nil, whose fetches only the Timeout bounds) within
// timeout (the Timeout: TEAMS_TIMEOUT, whose default is config's); one
// that is not positive panics. An empty appID makes every token fail:
// auth is never disabled.
func NewValidator(appID, metadataURL string, client *http.Client, timeout time.Duration) *Validator {
	if timeout <= 0 {
		panic("teams: NewValidator: the timeout must be positive")
	}
	if metadataURL == "" {
		metadataURL = DefaultOpenIDMetadataURL
	}
	if client == nil {
		client = &http.Client{}
	}
	return &Validator{appID: appID, metadataURL: metadataURL, client: client,
		Issuer: Issuer, Now: time.Now, KeyTTL: 5 * 24 * time.Hour, MinRefetch: time.Minute, Timeout: timeout}
}

// unauthorized and forbidden are the two ways a token fails: 401 for a
// missing, malformed, unsigned, expired or foreign token, 403 for a valid
// Bot Framework token that is not meant for this bot or this activity.
func unauthorized(format string, args ...any) error {
	return handoff.Errorf(handoff.EUNAUTHORIZED, "teams auth: "+format, args...)
}

func forbidden(format string, args ...any) error {
	return handoff.Errorf(handoff.EFORBIDDEN, "teams auth: "+format, args...)
}

// Token is an inbound token whose signature, issuer, expiry and audience
// Validator.Authenticate checked, all of which it can do without the
// activity; what the token says of the activity it came with (the channel
// its key is endorsed for, its serviceurl claim) Token.CheckActivity checks
// once the activity is decoded.
type Token struct {
	claims       Claims
	endorsements []string // the channels the signing key may sign for
}

// Validate checks the Authorization header of an activity from channelID
// (e.g. "msteams") whose serviceUrl is serviceURL: Authenticate, then
// Token.CheckActivity. It returns the claims or either one's error.
func (v *Validator) Validate(ctx context.Context, authorization, channelID, serviceURL string) (*Claims, error) {
	tok, err := v.Authenticate(ctx, authorization)
	if err != nil {
		return nil, err
	}
	return tok.CheckActivity(channelID, serviceURL)
}

// Authenticate checks the token of an Authorization header by itself,
// before anything of the request's body is read into an activity. It
// returns the token, or an error coded handoff.EUNAUTHORIZED (no token,
// bad signature, unknown key, wrong issuer, expired) or handoff.EFORBIDDEN
// (wrong audience); any other error means the keys could not be fetched.
// It never panics on odd claims.
func (v *Validator) Authenticate(ctx context.Context, authorization string) (*Token, error) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(authorization), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return nil, unauthorized("missing bearer token")
	}
	token = strings.TrimSpace(token)
	if len(token) > maxTokenBytes {
		return nil, unauthorized("token too large")
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, unauthorized("malformed token")
	}
	var header struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}
	if err := decodeSegment(parts[0], &header); err != nil {
		return nil, unauthorized("malformed token header")
	}
	if header.Alg != "RS256" {
		return nil, unauthorized("unexpected signing algorithm %q", header.Alg)
	}
	if header.Kid == "" {
		return nil, unauthorized("token names no key")
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, unauthorized("malformed token signature")
	}
	key, err := v.key(ctx, header.Kid)
	if err != nil {
		return nil, err
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(key.pub, crypto.SHA256, digest[:], sig); err != nil {
		return nil, unauthorized("bad signature")
	}
	var claims map[string]any
	if err := decodeSegment(parts[1], &claims); err != nil {
		return nil, unauthorized("malformed token claims")
	}
	if iss := stringClaim(claims, "iss"); iss != v.Issuer {
		return nil, unauthorized("unexpected issuer %q", iss)
	}
	now := v.Now()
	exp, ok := timeClaim(claims, "exp")
	if !ok {
		return nil, unauthorized("token has no expiry")
	}
	if now.After(exp.Add(clockSkew)) {
		return nil, unauthorized("token expired at %s", exp.UTC().Format(time.RFC3339))
	}
	if nbf, ok := timeClaim(claims, "nbf"); ok && now.Add(clockSkew).Before(nbf) {
		return nil, unauthorized("token not valid before %s", nbf.UTC().Format(time.RFC3339))
	}
	if v.appID == "" || !audienceMatches(claims["aud"], v.appID) {
		return nil, forbidden("token is not for this bot")
	}
	return &Token{claims: Claims{AppID: v.appID, ServiceURL: stringClaim(claims, "serviceurl"), Expires: exp},
		endorsements: key.endorsements}, nil
}

// CheckActivity checks the token against the activity it came with, from
// channelID (e.g. "msteams") with serviceUrl serviceURL. It returns the
// claims, or an error coded handoff.EFORBIDDEN when the signing key is not
// endorsed for the channel or the serviceurl claim differs from the
// activity's serviceUrl (or either is missing).
func (t *Token) CheckActivity(channelID, serviceURL string) (*Claims, error) {
	if channelID == "" || !slices.Contains(t.endorsements, channelID) {
		return nil, forbidden("signing key is not endorsed for channel %q", channelID)
	}
	claimURL := t.claims.ServiceURL
	if claimURL == "" || serviceURL == "" || strings.TrimSuffix(claimURL, "/") != strings.TrimSuffix(serviceURL, "/") {
		return nil, forbidden("serviceurl claim does not match the activity's serviceUrl")
	}
	c := t.claims
	return &c, nil
}

// decodeSegment decodes one base64url JSON part of a JWT.
func decodeSegment(seg string, v any) error {
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(seg, "="))
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, v)
}

// stringClaim returns the claim as a string, or "" when it is missing or
// not a string.
func stringClaim(claims map[string]any, name string) string {
	s, _ := claims[name].(string)
	return s
}

// timeClaim returns a NumericDate claim, or false when it is missing or not
// a number.
func timeClaim(claims map[string]any, name string) (time.Time, bool) {
	f, ok := claims[name].(float64)
	if !ok {
		return time.Time{}, false
	}
	sec := int64(f)
	return time.Unix(sec, int64((f-float64(sec))*1e9)), true
}

// audienceMatches reports whether aud (a string or an array of strings)
// names appID.
func audienceMatches(aud any, appID string) bool {
	switch a := aud.(type) {
	case string:
		return a == appID
	case []any:
		for _, x := range a {
			if s, ok := x.(string); ok && s == appID {
				return true
			}
		}
	}
	return false
}

// key returns the signing key kid, fetching the keys when the cache is
// empty or stale, or when kid is unknown and no fetch happened within
// MinRefetch. The fetch runs to its end (within its own Timeout) even
// when ctx is cancelled. An unknown kid is EUNAUTHORIZED.
func (v *Validator) key(ctx context.Context, kid string) (signingKey, error) {
	v.mu.RLock()
	k, ok := v.keys[kid]
	fresh := v.keys != nil && v.Now().Sub(v.fetched) < v.KeyTTL
	v.mu.RUnlock()
	if ok && fresh {
		return k, nil
	}
	v.fetchMu.Lock()
	defer v.fetchMu.Unlock()
	// Another request may have fetched while this one waited.
	v.mu.RLock()
	k, ok = v.keys[kid]
	fresh = v.keys != nil && v.Now().Sub(v.fetched) < v.KeyTTL
	recent := !v.tried.IsZero() && v.Now().Sub(v.tried) < v.MinRefetch
	haveKeys := v.keys != nil
	v.mu.RUnlock()
	if ok && fresh {
		return k, nil
	}
	if !fresh || !recent {
		// Detached from the request: a client that hangs up must not
		// cancel the fetch, or key rotation could be held off for ever.
		err := v.fetch(context.WithoutCancel(ctx))
		switch {
		case err != nil && !haveKeys:
			return signingKey{}, err
		case err != nil && ok:
			// Keep trusting a known key while the metadata is unreachable.
			return k, nil
		case err != nil:
			return signingKey{}, unauthorized("unknown signing key %q (and the keys cannot be fetched: %v)", kid, err)
		}
	}
	v.mu.RLock()
	k, ok = v.keys[kid]
	v.mu.RUnlock()
	if !ok {
		return signingKey{}, unauthorized("unknown signing key %q", kid)
	}
	return k, nil
}

// jwk is one key of a JSON Web Key Set as Bot Framework publishes it.
type jwk struct {
	Kty          string   `json:"kty"`
	Kid          string   `json:"kid"`
	N            string   `json:"n"`
	E            string   `json:"e"`
	X5c          []string `json:"x5c"`
	Endorsements []string `json:"endorsements"`
}

// fetch reads the OpenID metadata and its JWKS and replaces the cached
// keys. A failed fetch keeps the old keys.
func (v *Validator) fetch(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, v.Timeout) // one wait for both
	defer cancel()
	v.mu.Lock()
	v.tried = v.Now()
	v.mu.Unlock()
	var meta struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := v.getJSON(ctx, v.metadataURL, &meta); err != nil {
		return fmt.Errorf("teams auth: openid metadata: %w", err)
	}
	if meta.JWKSURI == "" {
		return errors.New("teams auth: openid metadata has no jwks_uri")
	}
	var set struct {
		Keys []jwk `json:"keys"`
	}
	if err := v.getJSON(ctx, meta.JWKSURI, &set); err != nil {
		return fmt.Errorf("teams auth: jwks: %w", err)
	}
	keys := map[string]signingKey{}
	for _, k := range set.Keys {
		pub, err := k.publicKey()
		if err != nil || k.Kid == "" {
			continue // skip keys we cannot use; others may still sign
		}
		keys[k.Kid] = signingKey{pub: pub, endorsements: k.Endorsements}
	}
	if len(keys) == 0 {
		return errors.New("teams auth: jwks has no usable RSA key")
	}
	v.mu.Lock()
	v.keys, v.fetched = keys, v.Now()
	v.mu.Unlock()
	return nil
}

// publicKey returns the RSA key from n and e, or from the first x5c
// certificate.
func (k jwk) publicKey() (*rsa.PublicKey, error) {
	if k.Kty != "" && k.Kty != "RSA" {
		return nil, fmt.Errorf("key type %q", k.Kty)
	}
	if k.N != "" && k.E != "" {
		n, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(k.N, "="))
		if err != nil {
			return nil, err
		}
		e, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(k.E, "="))
		if err != nil || len(e) == 0 || len(e) > 4 {
			return nil, errors.New("bad exponent")
		}
		exp := 0
		for _, b := range e {
			exp = exp<<8 | int(b)
		}
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: exp}
		if pub.N.BitLen() < 2048 {
			return nil, errors.New("key too short")
		}
		return pub, nil
	}
	if len(k.X5c) > 0 {
		der, err := base64.StdEncoding.DecodeString(k.X5c[0])
		if err != nil {
			return nil, err
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, err
		}
		pub, ok := cert.PublicKey.(*rsa.PublicKey)
		if !ok {
			return nil, errors.New("certificate key is not RSA")
		}
		return pub, nil
	}
	return nil, errors.New("no key material")
}

// getJSON GETs url within ctx's deadline (fetch's) and decodes at most
// 1 MiB of JSON.
func (v *Validator) getJSON(ctx context.Context, url string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := v.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return fmt.Errorf("GET %s: HTTP %d", url, resp.StatusCode)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(out); err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	return nil
}
