package hubspot

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

// Signature headers of HubSpot's request signature v3.
const (
	HeaderSignature = "X-HubSpot-Signature-v3"
	HeaderTimestamp = "X-HubSpot-Request-Timestamp"
)

// MaxSkew is how far a request's timestamp may be from now.
const MaxSkew = 5 * time.Minute

// uriDecoder undoes the percent-encodings HubSpot decodes in the URI before
// it signs (its v3 documentation lists exactly these).
var uriDecoder = strings.NewReplacer(
	"%3A", ":", "%3a", ":", "%2F", "/", "%2f", "/", "%3F", "?", "%3f", "?",
	"%40", "@", "%21", "!", "%24", "$", "%27", "'", "%28", "(", "%29", ")",
	"%2A", "*", "%2a", "*", "%2C", ",", "%2c", ",", "%3B", ";", "%3b", ";",
)

// SourceString is what HubSpot signs, before the timestamp v3 appends:
// method, the URI with its few decoded characters, and the raw body.
func SourceString(method, uri string, body []byte) string {
	return method + uriDecoder.Replace(uri) + string(body)
}

// SignV3 returns the v3 signature of a request: base64 of
// HMAC-SHA256(secret, method + URI + body + timestamp).
func SignV3(secret, method, uri string, body []byte, timestamp string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(SourceString(method, uri, body) + timestamp))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// RequestURI is the full URL HubSpot called: publicURL (the server's URL as
// the outside sees it, e.g. "https://handoff.example.com") followed by the
// path and query as received, or, without publicURL, the request's own
// scheme and host.
func RequestURI(r *http.Request, publicURL string) string {
	pathQuery := r.RequestURI
	if pathQuery == "" || !strings.HasPrefix(pathQuery, "/") {
		pathQuery = r.URL.RequestURI()
	}
	if publicURL != "" {
		return strings.TrimRight(publicURL, "/") + pathQuery
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + pathQuery
}

// Verify checks a request's v3 signature over body at time now. It returns
// an error saying what is wrong: a missing header, a timestamp more than
// MaxSkew from now, or a signature that does not match (compared in
// constant time).
func Verify(r *http.Request, body []byte, secret, publicURL string, now time.Time) error {
	if secret == "" {
		return fmt.Errorf("HUBSPOT_CLIENT_SECRET is not set")
	}
	sig, ts := r.Header.Get(HeaderSignature), r.Header.Get(HeaderTimestamp)
	if sig == "" || ts == "" {
		return fmt.Errorf("missing %s or %s header", HeaderSignature, HeaderTimestamp)
	}
	msec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%s is not a number of milliseconds", HeaderTimestamp)
	}
	if age := now.Sub(time.UnixMilli(msec)); age > MaxSkew || age < -MaxSkew {
		return fmt.Errorf("%s is more than %s from now", HeaderTimestamp, MaxSkew)
	}
	want := SignV3(secret, r.Method, RequestURI(r, publicURL), body, ts)
	if !hmac.Equal([]byte(sig), []byte(want)) {
		return fmt.Errorf("%s does not match", HeaderSignature)
	}
	return nil
}
