package standardwebhooks_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff/standardwebhooks"
)

// FuzzVerify gives Verify arbitrary headers and bodies, some signed with
// the right key over other parts than those sent: it never panics, and
// accepts a message only when its timestamp is within Tolerance of now
// and one of its signatures is the v1 HMAC-SHA256, under the receiver's
// key, of exactly the id, timestamp and body received (computed here
// apart from Sign); a message signed with another key is refused.
func FuzzVerify(f *testing.F) {
	f.Add(specID, "1614265330", specSig, specBody, int64(60), "")
	f.Add(specID, "1614265330", "v1,"+strings.Repeat("A", 43)+"= "+specSig, specBody, int64(0), "")
	f.Add(specID, "1614265330", specSig, `{"test": 1}`, int64(0), "")
	f.Add(specID, "+1614265330", specSig, specBody, int64(0), "")
	f.Add("msg.1614265330", "1614265330", specSig, specBody, int64(-400), "")
	f.Add("", "", "", "", int64(0), "body")
	f.Add(specID, "99999999999999999999", "v1,", specBody, int64(0), "sign")
	f.Add(specID, "1614265330", "v2,"+specSig[3:], specBody, int64(0), "sign")
	f.Add("a\x00b", "-1", "v1,\xff", "\xff", int64(1<<62), "sign")
	s, err := standardwebhooks.NewSigner(specSecret)
	if err != nil {
		f.Fatal(err)
	}
	other, err := standardwebhooks.NewSigner("whsec_" + base64.StdEncoding.EncodeToString([]byte("not the receiver's key")))
	if err != nil {
		f.Fatal(err)
	}
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(specSecret, "whsec_"))
	f.Fuzz(func(t *testing.T, id, ts, sigs, body string, skew int64, mode string) {
		// mode "sign" appends the signature, with the right key, of what
		// is sent; "body" signs it over another body.
		switch mode {
		case "sign":
			sigs += " " + v1(key, id, ts, body)
		case "body":
			sigs += " " + v1(key, id, ts, body+"x")
		}
		h := http.Header{}
		h.Set(standardwebhooks.HeaderID, id)
		h.Set(standardwebhooks.HeaderTimestamp, ts)
		h.Set(standardwebhooks.HeaderSignature, sigs)
		now := specTime.Add(time.Duration(skew % int64(24*time.Hour)))
		err := s.Verify(h, []byte(body), now)
		if err != nil {
			return
		}
		// What was sent is what the headers carry (Set keeps the text as
		// it is; Get returns it).
		id, ts, sigs = h.Get(standardwebhooks.HeaderID), h.Get(standardwebhooks.HeaderTimestamp), h.Get(standardwebhooks.HeaderSignature)
		sec, perr := strconv.ParseInt(ts, 10, 64)
		if perr != nil {
			t.Fatalf("verified a timestamp %q that is not Unix seconds", ts)
		}
		if d := now.Sub(time.Unix(sec, 0)); d > standardwebhooks.Tolerance || d < -standardwebhooks.Tolerance {
			t.Fatalf("verified a timestamp %q %v from now", ts, d)
		}
		canonical := strconv.FormatInt(sec, 10) // the timestamp as signed
		want := v1(key, id, canonical, body)
		found := false
		for _, sig := range strings.Fields(sigs) {
			found = found || sig == want
		}
		if !found {
			t.Fatalf("verified id %q ts %q body %q with signatures %q, none of them %s", id, ts, body, sigs, want)
		}
		if other.Verify(h, []byte(body), now) == nil {
			t.Fatalf("a receiver with another key verified id %q ts %q body %q", id, ts, body)
		}
	})
}

// v1 is the Standard Webhooks signature of id.ts.body under key, computed
// from the specification rather than with Sign.
func v1(key []byte, id, ts, body string) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "." + body))
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
