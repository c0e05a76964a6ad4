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
// outbox to ride out (scripts/outage.sh).
func fakeSlack(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("fake-slack", flag.ContinueOnError)
	token := fs.String("token", "xoxb-load", "the bot token the stand-in accepts")
	channel := fs.String("channel", "CSALES", "the sales channel; the load's clickers (ULOAD0 … ULOAD19) are its members")
	down := fs.String("down", "", "while this file exists, every call answers 503 Service Unavailable")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	fake := slacktest.New(*token)
	defer fake.Close()
	var members []string
	for i := range 20 {
		members = append(members, fmt.Sprintf("ULOAD%d", i))
	}
	fake.SetMembers(*channel, members...)
	apiURL := fake.APIURL()
	if *down != "" {
		front, err := serveOutage(*down, strings.TrimSuffix(apiURL, "/api/"))
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

// serveOutage serves, on a port of its own, a proxy to the stand-in at
// base that answers 503 while the file down exists.
func serveOutage(down, base string) (*http.Server, error) {
	target, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("fake-slack: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("fake-slack: %w", err)
	}
	srv := &http.Server{Addr: ln.Addr().String(), Handler: outage(down, httputil.NewSingleHostReverseProxy(target)), ReadHeaderTimeout: 5 * time.Second}
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
