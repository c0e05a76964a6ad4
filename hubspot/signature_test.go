package hubspot_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff/hubspot"
)

// HubSpot's documented example (request validation, v2): client secret
// yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy, GET https://www.example.com/webhook_uri,
// no body, hex SHA-256 of secret + source string. v3 signs the same source
// string (plus the timestamp), so this pins how it is built.
const (
	docSecret = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"
	docURI    = "https://www.example.com/webhook_uri"
	docV2Hash = "eee2dddcc73c94d699f5e395f4b9d454a069a6855fbfa152e91e88823087200e"
	// The documented v1 example: hex SHA-256 of secret + body.
	docBody   = `[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM","changeFlag":"NEW","appId":54321}]`
	docV1Hash = "232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de"
)

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestSourceStringMatchesHubSpotsDocumentedExamples(t *testing.T) {
	if got := sha256Hex(docSecret + hubspot.SourceString("GET", docURI, nil)); got != docV2Hash {
		t.Errorf("v2 example: got %s, HubSpot documents %s", got, docV2Hash)
	}
	// The body goes into the source string byte for byte.
	if got := sha256Hex(docSecret + hubspot.SourceString("", "", []byte(docBody))); got != docV1Hash {
		t.Errorf("v1 example: got %s, HubSpot documents %s", got, docV1Hash)
	}
}

// hmacV3 is the v3 algorithm as HubSpot's documentation states it, written
// out here independently of the package.
func hmacV3(secret, source string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(source))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func TestSignV3(t *testing.T) {
	ts := "1700000000000"
	want := hmacV3(docSecret, "POST"+docURI+docBody+ts)
	if got := hubspot.SignV3(docSecret, "POST", docURI, []byte(docBody), ts); got != want {
		t.Fatalf("SignV3 = %s, want %s", got, want)
	}
	// HubSpot decodes these characters in the URI before signing.
	encoded := "https://www.example.com/webhook_uri?a=%3A%2F%3F%40%21%24%27%28%29%2A%2C%3B&b=%20"
	decoded := "https://www.example.com/webhook_uri?a=:/?@!$'()*,;&b=%20"
	if got, want := hubspot.SignV3(docSecret, "POST", encoded, nil, ts), hmacV3(docSecret, "POST"+decoded+ts); got != want {
		t.Fatalf("encoded URI: SignV3 = %s, want the signature of the decoded URI %s", got, want)
	}
}

func TestVerify(t *testing.T) {
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	body := []byte(`{"hs_object_id":"101"}`)
	tests := []struct {
		name      string
		target    string // URL the server sees
		publicURL string
		signedURI string // URL HubSpot signed
		age       time.Duration
		secret    string
		wantErr   string
	}{
		{name: "own URL", target: "http://handoff.local/hooks/hubspot?x=1", signedURI: "http://handoff.local/hooks/hubspot?x=1", secret: docSecret},
		{name: "behind a proxy", target: "http://10.0.0.7:8080/hooks/hubspot?portal=62515", publicURL: "https://handoff.example.com/",
			signedURI: "https://handoff.example.com/hooks/hubspot?portal=62515", secret: docSecret},
		{name: "proxy without public URL", target: "http://10.0.0.7:8080/hooks/hubspot", signedURI: "https://handoff.example.com/hooks/hubspot",
			secret: docSecret, wantErr: "does not match"},
		{name: "four minutes old", target: "http://h/hooks/hubspot", signedURI: "http://h/hooks/hubspot", age: 4 * time.Minute, secret: docSecret},
		{name: "six minutes old", target: "http://h/hooks/hubspot", signedURI: "http://h/hooks/hubspot", age: 6 * time.Minute, secret: docSecret, wantErr: "from now"},
		{name: "from the future", target: "http://h/hooks/hubspot", signedURI: "http://h/hooks/hubspot", age: -6 * time.Minute, secret: docSecret, wantErr: "from now"},
		{name: "other secret", target: "http://h/hooks/hubspot", signedURI: "http://h/hooks/hubspot", secret: "other", wantErr: "does not match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", tt.target, nil)
			ts := strconv.FormatInt(now.Add(-tt.age).UnixMilli(), 10)
			r.Header.Set(hubspot.HeaderTimestamp, ts)
			r.Header.Set(hubspot.HeaderSignature, hmacV3(tt.secret, "POST"+tt.signedURI+string(body)+ts))
			err := hubspot.Verify(r, body, docSecret, tt.publicURL, now)
			if tt.wantErr == "" && err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("Verify = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
	t.Run("missing headers", func(t *testing.T) {
		if err := hubspot.Verify(httptest.NewRequest("POST", "/hooks/hubspot", nil), body, docSecret, "", now); err == nil {
			t.Fatal("a request without a signature passed")
		}
	})
	t.Run("no secret configured", func(t *testing.T) {
		r := httptest.NewRequest("POST", "http://h/hooks/hubspot", nil)
		ts := strconv.FormatInt(now.UnixMilli(), 10)
		r.Header.Set(hubspot.HeaderTimestamp, ts)
		r.Header.Set(hubspot.HeaderSignature, hmacV3("", "POSThttp://h/hooks/hubspot"+string(body)+ts))
		if err := hubspot.Verify(r, body, "", "", now); err == nil {
			t.Fatal("an empty secret accepted a request signed with the empty key")
		}
	})
}
