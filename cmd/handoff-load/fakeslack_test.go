package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
