package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/handoff/handoff/bot/slack/slacktest"
)

// fakeSlack runs a stand-in Slack until ctx ends and prints the settings
// that point a server at it. With -down FILE, every call answers 503
// Service Unavailable while FILE exists: an outage for the server's
// outbox to ride out (scripts/outage.sh). With -post-rate, chat.postMessage
// is rate-limited per channel as Slack limits it: -post-burst messages at
// once, then -post-rate a second, and a 429 with Retry-After beyond that
// (scripts/alertload.sh).
func fakeSlack(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("fake-slack", flag.ContinueOnError)
	token := fs.String("token", "xoxb-load", "the bot token the stand-in accepts")
	channel := fs.String("channel", "CSALES", "the sales channel; the load's clickers (ULOAD0 … ULOAD19) are its members")
	down := fs.String("down", "", "while this file exists, every call answers 503 Service Unavailable")
	postRate := fs.Float64("post-rate", 0, "chat.postMessage calls a second a channel takes before it answers 429 with Retry-After, as Slack does (about 1); 0 for no limit")
	postBurst := fs.Int("post-burst", 10, "with -post-rate: the calls a channel takes at once before the rate applies")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *postRate < 0 || *postBurst < 1 {
		return &usageError{err: errors.New("-post-rate must be 0 or more and -post-burst at least 1"), fs: fs}
	}
	fake := slacktest.New(*token)
	defer fake.Close()
	var members []string
	for i := range 20 {
		members = append(members, fmt.Sprintf("ULOAD%d", i))
	}
	fake.SetMembers(*channel, members...)
	apiURL := fake.APIURL()
	if *down != "" || *postRate > 0 {
		front, err := serveFront(*down, newPostLimit(*postRate, *postBurst, time.Now), strings.TrimSuffix(apiURL, "/api/"))
		if err != nil {
			return err
		}
		defer front.Close()
		apiURL = "http://" + front.Addr + "/api/"
	}
	fmt.Fprintf(out, "SLACK_API_URL=%s SLACK_BOT_TOKEN=%s\n", apiURL, *token)
	<-ctx.Done()
	return nil
}

// serveFront serves, on a port of its own, a proxy to the stand-in at
// base that answers 503 while the file down exists (when down is not "")
// and rate-limits chat.postMessage with limit (when it is not nil).
func serveFront(down string, limit *postLimit, base string) (*http.Server, error) {
	target, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("fake-slack: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("fake-slack: %w", err)
	}
	var h http.Handler = httputil.NewSingleHostReverseProxy(target)
	if limit != nil {
		h = limit.handler(h)
	}
	if down != "" {
		h = outage(down, h)
	}
	srv := &http.Server{Addr: ln.Addr().String(), Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(os.Stderr, "handoff-load: fake-slack:", err)
		}
	}()
	return srv, nil
}

// outage answers 503 while the file down exists and passes requests to
// next otherwise.
func outage(down string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := os.Stat(down); err == nil {
			http.Error(w, "stand-in outage", http.StatusServiceUnavailable)
			return
		}
		next.ServeHTTP(w, r)
	})
}
