package standardwebhooks_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff/standardwebhooks"
)

// The specification's published test vector.
const (
	specSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	specID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	specBody   = `{"test": 2432232314}`
	specSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

var specTime = time.Unix(1614265330, 0)

func TestSpecificationVector(t *testing.T) {
	s, err := standardwebhooks.NewSigner(specSecret)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Sign(specID, specTime, []byte(specBody)); got != specSig {
		t.Fatalf("Sign = %s, the specification says %s", got, specSig)
	}
	h := http.Header{}
	s.SetHeaders(h, specID, specTime, []byte(specBody))
	if h.Get("webhook-id") != specID || h.Get("webhook-timestamp") != "1614265330" || h.Get("webhook-signature") != specSig {
		t.Fatalf("headers = %v", h)
	}
}

func TestVerify(t *testing.T) {
	s, _ := standardwebhooks.NewSigner(specSecret)
	other, _ := standardwebhooks.NewSigner("whsec_" + strings.Repeat("A", 32))
	signed := func(signer *standardwebhooks.Signer, at time.Time) http.Header {
		h := http.Header{}
		signer.SetHeaders(h, specID, at, []byte(specBody))
		return h
	}
	tests := []struct {
		name   string
		h      http.Header
		body   string
		now    time.Time
		wantOK bool
	}{
		{"valid", signed(s, specTime), specBody, specTime.Add(time.Minute), true},
		{"rotated: second signature matches", func() http.Header {
			h := signed(s, specTime)
			h.Set("webhook-signature", other.Sign(specID, specTime, []byte(specBody))+" "+h.Get("webhook-signature"))
			return h
		}(), specBody, specTime, true},
		{"body changed", signed(s, specTime), `{"test": 1}`, specTime, false},
		{"other secret", signed(other, specTime), specBody, specTime, false},
		{"too old", signed(s, specTime), specBody, specTime.Add(6 * time.Minute), false},
		{"no headers", http.Header{}, specBody, specTime, false},
	}
	for _, tt := range tests {
		err := s.Verify(tt.h, []byte(tt.body), tt.now)
		if (err == nil) != tt.wantOK {
			t.Errorf("%s: Verify = %v", tt.name, err)
		}
	}
	for _, bad := range []string{"", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_!!!"} {
		if _, err := standardwebhooks.NewSigner(bad); err == nil {
			t.Errorf("NewSigner(%q) accepted", bad)
		}
	}
}
