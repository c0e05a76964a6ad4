package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff/bot/slack/slacktest"
)

func TestParseRun(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr bool
		claims  int
	}{
		{[]string{"-slack-secret", "s"}, false, 20},
		{[]string{}, false, 0}, // no secret: no claims
		{[]string{"-mix", "intake=1,bogus=2"}, true, 0},
		{[]string{"-mix", "intake=0,claim=0,funnel=0"}, true, 0},
	}
	for _, tc := range tests {
		t.Setenv("SLACK_SIGNING_SECRET", "")
		c, err := parseRun(tc.args)
		if (err != nil) != tc.wantErr {
			t.Fatalf("%v: err = %v", tc.args, err)
		}
		if err == nil && c.mix["claim"] != tc.claims {
			t.Fatalf("%v: claim weight %d, want %d", tc.args, c.mix["claim"], tc.claims)
		}
	}
}

// TestSecretsFromEnv: the API token and the signing secret come from the
// environment (or its _FILE forms) when no flag gives them, a flag wins,
// and no usage text shows them.
func TestSecretsFromEnv(t *testing.T) {
	t.Setenv("HANDOFF_API_TOKEN", "tok-from-env")
	t.Setenv("SLACK_SIGNING_SECRET", "")
	secretFile := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secretFile, []byte("sec-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SLACK_SIGNING_SECRET_FILE", secretFile)
	for _, tc := range []struct {
		args               []string
		wantToken, wantSec string
	}{
		{nil, "tok-from-env", "sec-from-file"},
		{[]string{"-token", "flag-tok", "-slack-secret", "flag-sec"}, "flag-tok", "flag-sec"},
	} {
		run, err := parseRun(tc.args)
		if err != nil || run.token != tc.wantToken || run.secret != tc.wantSec {
			t.Errorf("run %v: token %q, secret %q, %v; want %q and %q", tc.args, run.token, run.secret, err, tc.wantToken, tc.wantSec)
		}
		burst, err := parseBurst(tc.args)
		if err != nil || burst.token != tc.wantToken || burst.secret != tc.wantSec {
			t.Errorf("burst %v: token %q, secret %q, %v; want %q and %q", tc.args, burst.token, burst.secret, err, tc.wantToken, tc.wantSec)
		}
	}
	for _, sub := range []string{"run", "burst"} {
		var out bytes.Buffer
		err := run(context.Background(), []string{sub, "-h"}, &out)
		var usage *usageError
		if !errors.As(err, &usage) {
			t.Fatalf("%s -h: %v, want its usage", sub, err)
		}
		var text bytes.Buffer
		usage.fs.SetOutput(&text)
		usage.fs.PrintDefaults()
		if shown := text.String(); strings.Contains(shown, "tok-from-env") || strings.Contains(shown, "sec-from-file") || !strings.Contains(shown, "HANDOFF_API_TOKEN_FILE") {
			t.Errorf("%s -h shows:\n%s\nwant the variables named and no secret", sub, shown)
		}
	}
}

// TestExitCodes runs the built handoff-load as README's rules for every
// command say: -h or --help prints the usage on stdout and exits 0, doing
// nothing; a wrong use exits 2 with the usage on stderr.
func TestExitCodes(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "handoff-load")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	// A run that is not refused ends at once against a closed port.
	quick := []string{"-url", "http://127.0.0.1:1", "-duration", "1ms"}
	tests := []struct {
		args     []string
		wantCode int
		wantOut  string // on stdout for exit 0, on stderr otherwise
	}{
		{[]string{"-h"}, 0, "usage: handoff-load fake-slack | run | burst"},
		{[]string{"--help"}, 0, "usage: handoff-load fake-slack | run | burst"},
		{[]string{"help"}, 0, "usage: handoff-load fake-slack | run | burst"},
		{[]string{"run", "-h"}, 0, "-mix string"},
		{[]string{"run", "--help"}, 0, "-mix string"},
		{[]string{"burst", "-h"}, 0, "-clicks int"},
		{[]string{"fake-slack", "--help"}, 0, "-down string"},
		{nil, 2, "usage: handoff-load"},
		{[]string{"bogus"}, 2, `unknown subcommand "bogus"`},
		{[]string{"run", "-bogus"}, 2, "flag provided but not defined: -bogus"},
		{[]string{"run", "-timeout", "soon"}, 2, "usage: handoff-load run"},
		{append([]string{"run", "-mix", "intake=x"}, quick...), 2, "-mix: bad part"},
		{append(append([]string{"run"}, quick...), "extra"), 2, `unexpected argument "extra"`},
		{[]string{"burst"}, 2, "-slack-secret (or SLACK_SIGNING_SECRET) is required"},
		{[]string{"burst", "-slack-secret", "s", "-leads", "0"}, 2, "usage: handoff-load burst"},
		{[]string{"fake-slack", "-down"}, 2, "flag needs an argument"},
		{[]string{"fake-slack", "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"fake-slack", "-post-rate", "1", "-post-burst", "0"}, 2, "-post-burst at least 1"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.args), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, tc.args...)
			cmd.Env = append(os.Environ(), "SLACK_SIGNING_SECRET=", "HANDOFF_API_TOKEN=")
			var out, errOut bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errOut
			cmd.Run()
			code := cmd.ProcessState.ExitCode()
			shown, other := out.String(), errOut.String()
			if tc.wantCode != 0 {
				shown, other = other, shown
			}
			if code != tc.wantCode || !strings.Contains(shown, tc.wantOut) || other != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit %d with %q", code, out.String(), errOut.String(), tc.wantCode, tc.wantOut)
			}
		})
	}
}

// TestLoadAgainstRealServer builds handoff, runs it against a fake Slack,
// and replays 300 requests of the mix: every operation must succeed. The
// run ends by count, not by time, and a request may take 2 minutes, so a
// loaded machine sends the same mix more slowly instead of failing.
func TestLoadAgainstRealServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "handoff")
	if out, err := exec.Command("go", "build", "-o", bin, "../handoff").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	slack := slacktest.New("xoxb-load")
	defer slack.Close()
	var reps []string // the load's clickers are in the sales channel
	for i := range 20 {
		reps = append(reps, fmt.Sprintf("ULOAD%d", i))
	}
	slack.SetMembers("CSALES", reps...)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), "HANDOFF_ADDR="+addr, "HANDOFF_METRICS_ADDR=off", "DATABASE_URL="+filepath.Join(dir, "h.db"), "HANDOFF_API_TOKEN=tok",
		"HANDOFF_API_RATE_LIMIT=0", "SLACK_BOT_TOKEN=xoxb-load", "SLACK_SIGNING_SECRET=sec", "SLACK_API_URL="+slack.APIURL(),
		"SLACK_SALES_CHANNEL=CSALES", "HANDOFF_CONFIG="+os.DevNull)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	base := "http://" + addr
	for start := time.Now(); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(base + "/readyz"); err == nil && resp.StatusCode == 200 {
			resp.Body.Close()
			break
		}
		if time.Since(start) > time.Minute { // patience for a loaded machine, not a speed
			t.Fatalf("server not ready:\n%s", logs.String())
		}
	}
	var out bytes.Buffer
	err = run(context.Background(), []string{"run", "-url", base, "-token", "tok", "-slack-secret", "sec",
		"-requests", "300", "-duration", "10m", "-timeout", "2m", "-clients", "4"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range []string{"intake", "claim", "funnel"} {
		m := regexp.MustCompile(`(?m)^` + op + `\s+(\d+)\s+(\d+)`).FindStringSubmatch(out.String())
		if m == nil {
			t.Fatalf("no %s line in:\n%s", op, out.String())
		}
		if n, _ := strconv.Atoi(m[1]); n == 0 {
			t.Errorf("%s: no successful requests:\n%s", op, out.String())
		}
		if e, _ := strconv.Atoi(m[2]); e != 0 {
			t.Errorf("%s: %d errors:\n%s\n%s", op, e, out.String(), logs.String())
		}
	}

	// A burst: 8 concurrent clicks on 4 new leads (4 win, 4 lose), twice.
	out.Reset()
	err = run(context.Background(), []string{"burst", "-url", base, "-token", "tok", "-slack-secret", "sec", "-leads", "4", "-clicks", "8", "-rounds", "2", "-timeout", "2m"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if m := regexp.MustCompile(`(?m)^claim\s+(\d+)\s+(\d+)`).FindStringSubmatch(out.String()); m == nil || m[1] != "16" || m[2] != "0" {
		t.Fatalf("burst: want 16 acknowledged clicks and no errors:\n%s\n%s", out.String(), logs.String())
	}
	// Then each round's 8 clicks: the first round meets a server that has
	// served no burst yet.
	rounds := regexp.MustCompile(`(?m)^round(\d)\s+(\d+)\s`).FindAllStringSubmatch(out.String(), -1)
	if len(rounds) != 2 || rounds[0][1] != "1" || rounds[0][2] != "8" || rounds[1][1] != "2" || rounds[1][2] != "8" {
		t.Fatalf("burst: want a line for each of 2 rounds of 8 clicks:\n%s", out.String())
	}
}
