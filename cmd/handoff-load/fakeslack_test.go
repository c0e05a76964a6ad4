package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/outbox"
	slackbot "github.com/handoff/handoff/bot/slack"
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/internal/testkit"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// fake-slack -down answers every call 503 while its file exists, and
// passes calls to the stand-in otherwise.
func TestFakeSlackOutage(t *testing.T) {
	down := filepath.Join(t.TempDir(), "down")
	ctx, cancel := context.WithCancel(context.Background())
	r, w := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- fakeSlack(ctx, []string{"-down", down}, w) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		w.Close()
	}()
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = io.Copy(io.Discard, r) }()
	apiURL := strings.TrimPrefix(strings.Fields(line)[0], "SLACK_API_URL=")
	post := func() int {
		t.Helper()
		form := url.Values{"channel": {"CSALES"}, "text": {"hello"}}
		req, _ := http.NewRequest("POST", apiURL+"chat.postMessage", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "Bearer xoxb-load")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode == 200 && !strings.Contains(string(body), `"ok":true`) {
			t.Fatalf("200 without ok: %s", body)
		}
		return resp.StatusCode
	}
	if got := post(); got != 200 {
		t.Fatalf("before the outage: %d, want 200", got)
	}
	if err := os.WriteFile(down, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if got := post(); got != http.StatusServiceUnavailable {
		t.Fatalf("during the outage: %d, want 503", got)
	}
	if err := os.Remove(down); err != nil {
		t.Fatal(err)
	}
	if got := post(); got != 200 {
		t.Fatalf("after the outage: %d, want 200", got)
	}
}

// answered is a chat.postMessage call the rate limit answered: when, with
// what status and what Retry-After.
type answered struct {
	at         time.Time
	status     int
	retryAfter string
}

// statusWriter keeps the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// TestFakeSlackRateLimitHonoured: fake-slack's -post-rate answers a
// channel's posts beyond its burst with 429 and a Retry-After, as Slack
// does, and the real outbox, on the same test clock, waits as long as
// each asks: five new SQLs' cards under a limit of two at once and one a
// second are each posted once, after 429s, and no post comes before the
// Retry-After of the 429 before it has passed.
func TestFakeSlackRateLimitHonoured(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		clock := testkit.NewClock(testkit.T0)
		fake := slacktest.New("xoxb-load")
		defer fake.Close()
		target, err := url.Parse(strings.TrimSuffix(fake.APIURL(), "/api/"))
		if err != nil {
			t.Fatal(err)
		}
		limited := newPostLimit(1, 2, clock.Now).handler(httputil.NewSingleHostReverseProxy(target))
		var (
			mu   sync.Mutex
			seen []answered
		)
		front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
			limited.ServeHTTP(sw, r)
			if strings.HasSuffix(r.URL.Path, "/chat.postMessage") {
				mu.Lock()
				seen = append(seen, answered{at: clock.Now(), status: sw.status, retryAfter: w.Header().Get("Retry-After")})
				mu.Unlock()
			}
		}))
		defer front.Close()
		p := slackbot.NewPlatform(slackbot.NewClient("xoxb-load", "", front.URL+"/api/", slacktest.ClientTimeout))
		disp := outbox.New(outbox.Config{Store: s, Targets: []bot.Target{{Platform: p, SalesChannel: "CSALES"}},
			Policy: handoff.DefaultPolicy(), Now: clock.Now, Logger: testkit.Quiet(), Worker: "w1", Lease: time.Minute})
		const cards = 5
		for i := range cards {
			testkit.SaveSQL(t, s, fmt.Sprintf("rl-%d", i))
		}
		for range 30 {
			testkit.Drain(t, disp)
			if len(fake.Calls("chat.postMessage")) == cards {
				break
			}
			clock.Advance(500 * time.Millisecond)
		}
		if n := len(fake.Calls("chat.postMessage")); n != cards {
			t.Fatalf("%d cards posted, want %d", n, cards)
		}
		mu.Lock()
		defer mu.Unlock()
		limits := 0
		for i, a := range seen {
			if a.status != http.StatusTooManyRequests {
				continue
			}
			limits++
			wait, err := strconv.Atoi(a.retryAfter)
			if err != nil || wait < 1 {
				t.Fatalf("post %d: 429 with Retry-After %q, want whole seconds, at least 1", i+1, a.retryAfter)
			}
			if i+1 < len(seen) && seen[i+1].at.Before(a.at.Add(time.Duration(wait)*time.Second)) {
				t.Fatalf("post %d came %s after a 429 asking for %d s", i+2, seen[i+1].at.Sub(a.at), wait)
			}
		}
		if limits == 0 || len(seen) != cards+limits {
			t.Fatalf("posts answered %+v: want %d cards after at least one 429", seen, cards)
		}
	})
}
