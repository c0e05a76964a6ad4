// Package standardwebhooks signs and verifies webhook messages as the
// Standard Webhooks specification says: headers webhook-id,
// webhook-timestamp (Unix seconds) and webhook-signature ("v1,<base64 of
// HMAC-SHA256(key, id.timestamp.body)>", space-separated), the key being the
// base64-decoded part of a "whsec_" secret.
package standardwebhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Header names.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// Tolerance is how far from now a receiver accepts a timestamp.
const Tolerance = 5 * time.Minute

// Signer signs with one secret.
type Signer struct{ key []byte }

// NewSigner reads a "whsec_<base64>" secret.
func NewSigner(secret string) (*Signer, error) {
	rest, ok := strings.CutPrefix(secret, "whsec_")
	if !ok {
		return nil, fmt.Errorf("standardwebhooks: secret must start with whsec_")
	}
	key, err := base64.StdEncoding.DecodeString(rest)
	if err != nil || len(key) == 0 {
		return nil, fmt.Errorf("standardwebhooks: secret is not whsec_ followed by base64")
	}
	return &Signer{key: key}, nil
}

// Sign returns the signature of a message: "v1," and the base64
// HMAC-SHA256 of id.timestamp.body.
func (s *Signer) Sign(id string, ts time.Time, body []byte) string {
	mac := hmac.New(sha256.New, s.key)
	mac.Write([]byte(id + "." + strconv.FormatInt(ts.Unix(), 10) + "."))
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// SetHeaders sets the three headers of a message sent at ts on h.
func (s *Signer) SetHeaders(h http.Header, id string, ts time.Time, body []byte) {
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(HeaderSignature, s.Sign(id, ts, body))
}

// Verify checks a received message's headers against body at time now: the
// timestamp within Tolerance, and one of the v1 signatures matching
// (compared in constant time).
func (s *Signer) Verify(h http.Header, body []byte, now time.Time) error {
	id, tsText, sigs := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if id == "" || tsText == "" || sigs == "" {
		return fmt.Errorf("standardwebhooks: missing %s, %s or %s", HeaderID, HeaderTimestamp, HeaderSignature)
	}
	sec, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return fmt.Errorf("standardwebhooks: %s is not Unix seconds", HeaderTimestamp)
	}
	ts := time.Unix(sec, 0)
	if d := now.Sub(ts); d > Tolerance || d < -Tolerance {
		return fmt.Errorf("standardwebhooks: timestamp too far from now")
	}
	want := []byte(s.Sign(id, ts, body))
	for _, sig := range strings.Fields(sigs) {
		if hmac.Equal([]byte(sig), want) {
			return nil
		}
	}
	return fmt.Errorf("standardwebhooks: no matching signature")
}
