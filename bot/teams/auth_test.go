package teams_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot/teams"
	"github.com/handoff/handoff/bot/teams/teamstest"
	"github.com/handoff/handoff/internal/testkit"
)

func TestValidate(t *testing.T) {
	bf := teamstest.New(t)
	now := time.Now()
	svc := bf.ServiceURL()
	v := teams.NewValidator(teamstest.AppID, bf.MetadataURL(), nil, teamstest.ClientTimeout)
	ctx := context.Background()
	valid := func() map[string]any { return teamstest.Claims(teamstest.AppID, svc, now) }
	with := func(k string, val any) map[string]any {
		c := valid()
		if val == nil {
			delete(c, k)
		} else {
			c[k] = val
		}
		return c
	}
	other := teamstest.NewKey(t, "key-1") // same kid, different key
	tests := []struct {
		name       string
		auth       string
		channel    string
		serviceURL string
		want       string // error code, "" for OK
	}{
		{"OK", "Bearer " + teamstest.Sign(t, bf.Key(), valid()), "msteams", svc, ""},
		{"OKWithinSkew", "Bearer " + teamstest.Sign(t, bf.Key(), with("exp", now.Add(-4*time.Minute).Unix())), "msteams", svc, ""},
		{"OKAudienceList", "Bearer " + teamstest.Sign(t, bf.Key(), with("aud", []any{"x", teamstest.AppID})), "msteams", svc, ""},
		{"Missing", "", "msteams", svc, handoff.EUNAUTHORIZED},
		{"NotBearer", "Basic abc", "msteams", svc, handoff.EUNAUTHORIZED},
		{"Garbage", "Bearer a.b", "msteams", svc, handoff.EUNAUTHORIZED},
		{"Expired", "Bearer " + teamstest.Sign(t, bf.Key(), with("exp", now.Add(-6*time.Minute).Unix())), "msteams", svc, handoff.EUNAUTHORIZED},
		{"NoExpiry", "Bearer " + teamstest.Sign(t, bf.Key(), with("exp", nil)), "msteams", svc, handoff.EUNAUTHORIZED},
		{"ExpiryNotANumber", "Bearer " + teamstest.Sign(t, bf.Key(), with("exp", "tomorrow")), "msteams", svc, handoff.EUNAUTHORIZED},
		{"NotYetValid", "Bearer " + teamstest.Sign(t, bf.Key(), with("nbf", now.Add(10*time.Minute).Unix())), "msteams", svc, handoff.EUNAUTHORIZED},
		{"WrongIssuer", "Bearer " + teamstest.Sign(t, bf.Key(), with("iss", "https://sts.windows.net/x/")), "msteams", svc, handoff.EUNAUTHORIZED},
		{"IssuerNotAString", "Bearer " + teamstest.Sign(t, bf.Key(), with("iss", 42)), "msteams", svc, handoff.EUNAUTHORIZED},
		{"BadSignature", "Bearer " + teamstest.Sign(t, other, valid()), "msteams", svc, handoff.EUNAUTHORIZED},
		{"WrongAudience", "Bearer " + teamstest.Sign(t, bf.Key(), with("aud", "another-bot")), "msteams", svc, handoff.EFORBIDDEN},
		{"AudienceNotAString", "Bearer " + teamstest.Sign(t, bf.Key(), with("aud", map[string]any{"a": 1})), "msteams", svc, handoff.EFORBIDDEN},
		{"NotEndorsed", "Bearer " + teamstest.Sign(t, bf.Key(), valid()), "webchat", svc, handoff.EFORBIDDEN},
		{"WrongServiceURL", "Bearer " + teamstest.Sign(t, bf.Key(), valid()), "msteams", "https://evil.example/", handoff.EFORBIDDEN},
		{"NoServiceURLClaim", "Bearer " + teamstest.Sign(t, bf.Key(), with("serviceurl", nil)), "msteams", svc, handoff.EFORBIDDEN},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := v.Validate(ctx, tt.auth, tt.channel, tt.serviceURL)
			if got := handoff.ErrorCode(err); got != tt.want {
				t.Fatalf("Validate: code %q (%v), want %q", got, err, tt.want)
			}
		})
	}
	if n := bf.KeyFetches(); n != 1 {
		t.Errorf("JWKS fetched %d times, want once (cached)", n)
	}
}

func TestValidateEmptyAppIDRefusesAll(t *testing.T) {
	bf := teamstest.New(t)
	v := teams.NewValidator("", bf.MetadataURL(), nil, teamstest.ClientTimeout)
	for _, aud := range []string{"", teamstest.AppID} {
		tok := teamstest.Sign(t, bf.Key(), teamstest.Claims(aud, bf.ServiceURL(), time.Now()))
		if _, err := v.Validate(context.Background(), "Bearer "+tok, "msteams", bf.ServiceURL()); err == nil {
			t.Fatalf("aud %q accepted with an empty app id", aud)
		}
	}
}

func TestValidateKeyRotation(t *testing.T) {
	bf := teamstest.New(t)
	now := time.Now()
	v := teams.NewValidator(teamstest.AppID, bf.MetadataURL(), nil, teamstest.ClientTimeout)
	v.MinRefetch = time.Hour
	ctx := context.Background()
	check := func(k teamstest.Key) error {
		_, err := v.Validate(ctx, "Bearer "+teamstest.Sign(t, k, teamstest.Claims(teamstest.AppID, bf.ServiceURL(), v.Now())), "msteams", bf.ServiceURL())
		return err
	}
	if err := check(bf.Key()); err != nil {
		t.Fatal(err)
	}
	// An unknown key that the metadata does not publish: one refetch at
	// most per MinRefetch, and refused.
	stranger := teamstest.NewKey(t, "stranger")
	for range 3 {
		if err := check(stranger); handoff.ErrorCode(err) != handoff.EUNAUTHORIZED {
			t.Fatalf("unknown key: %v, want EUNAUTHORIZED", err)
		}
	}
	if n := bf.KeyFetches(); n != 1 {
		t.Fatalf("JWKS fetched %d times within MinRefetch, want 1", n)
	}
	// After MinRefetch, a rotated key is fetched and accepted.
	v.Now = func() time.Time { return now.Add(2 * time.Hour) }
	rotated := bf.Rotate(t, "key-2")
	if err := check(rotated); err != nil {
		t.Fatalf("rotated key: %v", err)
	}
	if n := bf.KeyFetches(); n != 2 {
		t.Fatalf("JWKS fetched %d times, want 2", n)
	}
	// After KeyTTL the keys are fetched again.
	v.Now = func() time.Time { return now.Add(6 * 24 * time.Hour) }
	if err := check(rotated); err != nil {
		t.Fatal(err)
	}
	if n := bf.KeyFetches(); n != 3 {
		t.Fatalf("JWKS fetched %d times after the TTL, want 3", n)
	}
}

func TestValidateConcurrent(t *testing.T) {
	bf := teamstest.New(t)
	v := teams.NewValidator(teamstest.AppID, bf.MetadataURL(), &http.Client{Timeout: 30 * time.Second}, teamstest.ClientTimeout) // a bound on a failing test
	tok := "Bearer " + teamstest.Sign(t, bf.Key(), teamstest.Claims(teamstest.AppID, bf.ServiceURL(), time.Now()))
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := v.Validate(context.Background(), tok, "msteams", bf.ServiceURL())
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := bf.KeyFetches(); n != 1 {
		t.Errorf("JWKS fetched %d times by concurrent requests, want 1", n)
	}
}

func TestValidateMetadataDown(t *testing.T) {
	v := teams.NewValidator(teamstest.AppID, "http://127.0.0.1:1/openid", nil, teamstest.ClientTimeout)
	_, err := v.Validate(context.Background(), "Bearer a.b.c", "msteams", "x")
	if err == nil {
		t.Fatal("accepted without keys")
	}
	_, err = v.Validate(context.Background(), "Bearer eyJhbGciOiJSUzI1NiIsImtpZCI6ImsifQ.e30.c2ln", "msteams", "x")
	if code := handoff.ErrorCode(err); code != handoff.EINTERNAL {
		t.Fatalf("metadata unreachable: code %q (%v), want an internal error", code, err)
	}
}

// TestKeyFetchOutlivesTheRequest drops the request that caused a key fetch
// while the OpenID metadata is still on its way: the fetch goes on, the
// keys are cached, and the next request needs no fetch of its own.
func TestKeyFetchOutlivesTheRequest(t *testing.T) {
	bf := teamstest.New(t)
	started, release := make(chan struct{}, 1), make(chan struct{})
	var mu sync.Mutex
	metadataCalls := 0
	meta := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		metadataCalls++
		mu.Unlock()
		select {
		case started <- struct{}{}:
		default:
		}
		<-release
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"issuer": %q, "jwks_uri": %q}`, teamstest.Issuer, bf.URL+"/keys")
	}))
	t.Cleanup(meta.Close)
	v := teams.NewValidator(teamstest.AppID, meta.URL, nil, teamstest.ClientTimeout)
	auth := "Bearer " + teamstest.Sign(t, bf.Key(), teamstest.Claims(teamstest.AppID, bf.ServiceURL(), time.Now()))

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := v.Validate(ctx, auth, "msteams", bf.ServiceURL())
		done <- err
	}()
	<-started
	cancel() // the client hangs up while the keys are being fetched
	close(release)
	<-done
	if _, err := v.Validate(context.Background(), auth, "msteams", bf.ServiceURL()); err != nil {
		t.Fatalf("Validate after the dropped request: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if metadataCalls != 1 || bf.KeyFetches() != 1 {
		t.Fatalf("metadata fetched %d times, keys %d times; want the dropped request's fetch to finish and serve both (1, 1)",
			metadataCalls, bf.KeyFetches())
	}
}

// TestKeyFetchGivesUpAfterTheConfiguredTimeout: TEAMS_TIMEOUT bounds the
// fetch of Microsoft's signing keys, the OpenID metadata and then the JWKS
// it names, as one wait. With the setting at 1s and either held, the fake
// sees the fetch give up, and the token cannot be checked: an internal
// error naming what did not answer (handlers answers the activity 503
// "cannot check the token now" and logs "teams: cannot check token");
// every request of the fetch was sent with at most the setting left, all
// of them with one deadline. The deadlines are read from the requests
// (testkit.Deadlines), never timed.
func TestKeyFetchGivesUpAfterTheConfiguredTimeout(t *testing.T) {
	const setting = time.Second
	tests := []struct {
		name     string
		held     teamstest.Endpoint
		requests int    // of the fetch: the metadata, and the JWKS
		says     string // in the error
	}{
		{name: "metadata held", held: teamstest.MetadataEndpoint, requests: 1, says: "teams auth: openid metadata: "},
		{name: "keys held", held: teamstest.KeysEndpoint, requests: 2, says: "teams auth: jwks: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bf := teamstest.New(t)
			deadlines := &testkit.Deadlines{}
			v := teams.NewValidator(teamstest.AppID, bf.MetadataURL(), &http.Client{Transport: deadlines}, setting)
			gaveUp, release := bf.HoldEndpoint(tt.held)
			t.Cleanup(release)
			auth := "Bearer " + teamstest.Sign(t, bf.Key(), teamstest.Claims(teamstest.AppID, bf.ServiceURL(), time.Now()))
			_, err := v.Validate(context.Background(), auth, "msteams", bf.ServiceURL())
			if code := handoff.ErrorCode(err); code != handoff.EINTERNAL || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("Validate = %v (code %q); want an internal error, the deadline exceeded, saying %q", err, code, tt.says)
			}
			if e := <-gaveUp; e != tt.held { // the fake saw its caller give up
				t.Fatalf("gave up at %s, want %s", e, tt.held)
			}
			seen := deadlines.Seen()
			if len(seen) != tt.requests {
				t.Fatalf("requests = %+v, want %d", seen, tt.requests)
			}
			for _, d := range seen {
				if left := d.Left(); left <= 0 || left > setting {
					t.Errorf("%s was sent with %s left to wait, want at most the setting, %s", d.Path, left, setting)
				}
				if !d.At.Equal(seen[0].At) {
					t.Errorf("%s had the deadline %s, %s %s: want one deadline for the fetch",
						d.Path, d.At.Format(time.RFC3339Nano), seen[0].Path, seen[0].At.Format(time.RFC3339Nano))
				}
			}
		})
	}
}
