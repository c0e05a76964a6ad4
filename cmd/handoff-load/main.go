// Command handoff-load replays a realistic mix of Handoff traffic (lead
// intake, claim clicks signed as Slack signs them, /api/funnel) against a
// running server and prints throughput and p50/p99 latency per operation.
//
//	handoff-load fake-slack                    # a stand-in Slack for the server to post to
//	handoff-load fake-slack -down FILE         # … that answers 503 while FILE exists (an outage)
//	handoff-load fake-slack -post-rate 1       # … that rate-limits posts per channel as Slack does (429, Retry-After)
//	handoff-load run -url http://127.0.0.1:8080 -token T -slack-secret S
//	handoff-load burst -url http://127.0.0.1:8080 -token T -slack-secret S -leads 200 -clicks 200
//
// It only sends to the URL it is given, stops by itself after -duration or
// -requests, and is meant for servers on this machine.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/config"
)

const usage = `usage: handoff-load fake-slack | run | burst [flags]

  fake-slack  run a stand-in Slack for the server to post to (-down FILE: 503 while FILE exists;
              -post-rate N: posts over N a second a channel answer 429 with Retry-After)
  run         replay intake, signed claims and /api/funnel; print throughput and p50/p99
  burst       take in new leads and fire concurrent Claim clicks at them; print the clicks' p50/p99

handoff-load SUBCOMMAND -h lists its flags.`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if code := exit(run(ctx, os.Args[1:], os.Stdout), os.Stdout, os.Stderr); code != 0 {
		os.Exit(code)
	}
}

// usageError is a wrong use of the command line: exit 2, with the usage of
// fs (nil: of handoff-load) after the message. With flag.ErrHelp it is -h
// or --help: the usage on stdout, exit 0.
type usageError struct {
	err error
	fs  *flag.FlagSet
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// exit reports run's error and returns the exit code: 0, 2 for a wrong use
// (the usage follows the message on stderr), 1 for any other failure.
func exit(err error, stdout, stderr io.Writer) int {
	var u *usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp) && errors.As(err, &u):
		printUsage(stdout, u.fs)
		return 0
	case errors.As(err, &u):
		fmt.Fprintf(stderr, "handoff-load: %v\n\n", err)
		printUsage(stderr, u.fs)
		return 2
	}
	fmt.Fprintln(stderr, "handoff-load:", err)
	return 1
}

// printUsage writes the usage of a subcommand's flags fs, or of handoff-load
// when fs is nil.
func printUsage(w io.Writer, fs *flag.FlagSet) {
	if fs == nil {
		fmt.Fprintln(w, usage)
		return
	}
	fmt.Fprintf(w, "usage: handoff-load %s [flags]\n\nflags:\n", fs.Name())
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

// parseFlags parses a subcommand's flags, which take no arguments after
// them; -h, --help and a bad flag or argument return a usageError.
func parseFlags(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard) // exit prints the usage, on the right stream
	if err := fs.Parse(args); err != nil {
		return &usageError{err: err, fs: fs}
	}
	if fs.NArg() > 0 {
		return &usageError{err: fmt.Errorf("unexpected argument %q", fs.Arg(0)), fs: fs}
	}
	return nil
}

// run runs the subcommand args name; a wrong use returns a usageError.
func run(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		return &usageError{err: errors.New("no subcommand")}
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		return &usageError{err: flag.ErrHelp}
	case "fake-slack":
		return fakeSlack(ctx, args[1:], out)
	case "run":
		cfg, err := parseRun(args[1:])
		if err != nil {
			return err
		}
		res := cfg.load(ctx)
		res.print(out, cfg)
		return nil
	case "burst":
		cfg, err := parseBurst(args[1:])
		if err != nil {
			return err
		}
		lat, errs, took, err := cfg.burst(ctx)
		if err != nil {
			return err
		}
		cfg.print(out, lat, errs, took)
		return nil
	}
	return &usageError{err: fmt.Errorf("unknown subcommand %q", args[0])}
}

// runConfig is what `run` does.
type runConfig struct {
	url, token, secret, channel string
	clients                     int
	duration                    time.Duration
	timeout                     time.Duration // of one request
	requests                    int64
	mix                         map[string]int
}

func parseRun(args []string) (*runConfig, error) {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	c := &runConfig{}
	c.serverFlags(fs, "the server's SLACK_SIGNING_SECRET (default SLACK_SIGNING_SECRET or SLACK_SIGNING_SECRET_FILE; claims are skipped without it)")
	fs.IntVar(&c.clients, "clients", 8, "concurrent clients")
	fs.DurationVar(&c.duration, "duration", 20*time.Second, "how long to run")
	fs.Int64Var(&c.requests, "requests", 100_000, "stop after this many requests")
	mix := fs.String("mix", "intake=70,claim=20,funnel=10", "relative weights of the operations")
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	if err := c.secretsFromEnv(); err != nil {
		return nil, err
	}
	c.mix = map[string]int{}
	for _, part := range strings.Split(*mix, ",") {
		name, w, ok := strings.Cut(part, "=")
		n, err := strconv.Atoi(w)
		if !ok || err != nil || n < 0 || (name != "intake" && name != "claim" && name != "funnel") {
			return nil, &usageError{err: fmt.Errorf("-mix: bad part %q (want intake=N,claim=N,funnel=N)", part), fs: fs}
		}
		c.mix[name] = n
	}
	if c.secret == "" {
		c.mix["claim"] = 0
	}
	if c.mix["intake"]+c.mix["claim"]+c.mix["funnel"] == 0 {
		return nil, &usageError{err: errors.New("-mix: all weights are zero"), fs: fs}
	}
	return c, nil
}

// serverFlags declares the flags that name the server and its secrets;
// secrets not given are read after the flags (secretsFromEnv), so that no
// usage text shows them.
func (c *runConfig) serverFlags(fs *flag.FlagSet, secretUsage string) {
	fs.StringVar(&c.url, "url", "http://127.0.0.1:8080", "the server's base URL")
	fs.StringVar(&c.token, "token", "", "the server's HANDOFF_API_TOKEN (default HANDOFF_API_TOKEN or HANDOFF_API_TOKEN_FILE)")
	fs.StringVar(&c.secret, "slack-secret", "", secretUsage)
	fs.StringVar(&c.channel, "channel", "CSALES", "the sales channel id the clicks come from")
	fs.DurationVar(&c.timeout, "timeout", 10*time.Second, "how long one request may take before it counts as an error")
}

// secretsFromEnv fills the token and the signing secret the flags did not
// give from HANDOFF_API_TOKEN and SLACK_SIGNING_SECRET, or their _FILE
// forms.
func (c *runConfig) secretsFromEnv() error {
	getenv, err := config.SecretEnv(os.Getenv, "HANDOFF_API_TOKEN", "SLACK_SIGNING_SECRET")
	if err != nil {
		return err
	}
	if c.token == "" {
		c.token = getenv("HANDOFF_API_TOKEN")
	}
	if c.secret == "" {
		c.secret = getenv("SLACK_SIGNING_SECRET")
	}
	return nil
}

// results collects latencies and errors per operation.
type results struct {
	mu      sync.Mutex
	lat     map[string][]time.Duration
	errs    map[string]int
	elapsed time.Duration
}

func (r *results) add(op string, d time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.errs[op]++
		return
	}
	r.lat[op] = append(r.lat[op], d)
}

func (c *runConfig) load(ctx context.Context) *results {
	ctx, cancel := context.WithTimeout(ctx, c.duration)
	defer cancel()
	res := &results{lat: map[string][]time.Duration{}, errs: map[string]int{}}
	client := &http.Client{Timeout: c.timeout, Transport: &http.Transport{MaxIdleConnsPerHost: c.clients}}
	var (
		sent  atomic.Int64
		seq   atomic.Int64
		mu    sync.Mutex
		leads []int64 // ids created in this run and not claimed yet
		wg    sync.WaitGroup
	)
	runID := strconv.FormatInt(time.Now().UnixNano(), 36)
	total := c.mix["intake"] + c.mix["claim"] + c.mix["funnel"]
	start := time.Now()
	for w := 0; w < c.clients; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), uint64(start.UnixNano())))
			for ctx.Err() == nil && sent.Add(1) <= c.requests {
				pick := rng.IntN(total)
				op := "intake"
				switch {
				case pick < c.mix["intake"]:
				case pick < c.mix["intake"]+c.mix["claim"]:
					op = "claim"
				default:
					op = "funnel"
				}
				if op == "claim" {
					mu.Lock()
					if len(leads) == 0 {
						op = "intake"
					}
					mu.Unlock()
				}
				t0 := time.Now()
				var err error
				switch op {
				case "intake":
					var id int64
					id, err = c.intake(ctx, client, fmt.Sprintf("load-%s-%d", runID, seq.Add(1)), rng)
					if err == nil {
						mu.Lock()
						leads = append(leads, id)
						mu.Unlock()
					}
				case "claim":
					mu.Lock()
					i := rng.IntN(len(leads))
					id := leads[i]
					leads[i] = leads[len(leads)-1]
					leads = leads[:len(leads)-1]
					mu.Unlock()
					err = c.claim(ctx, client, id, fmt.Sprintf("ULOAD%d", rng.IntN(20)))
				case "funnel":
					err = c.get(ctx, client, "/api/funnel?period=month")
				}
				if ctx.Err() != nil {
					return
				}
				res.add(op, time.Since(t0), err)
			}
		}(w)
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	return res
}

var titles = []string{"IT-chef", "CFO", "Head of Sales", "Indkøbschef", "CTO", "Marketing Manager"}
var sources = []string{"web", "linkedin", "webinar", "partner", "organic"}

func (c *runConfig) intake(ctx context.Context, client *http.Client, ext string, rng *rand.Rand) (int64, error) {
	body := fmt.Sprintf(`{"external_id":%q,"name":"Load Person","email":"%s@example.com","company":"Load Co %s","title":%q,"source":%q,"score":%d}`,
		ext, ext, ext, titles[rng.IntN(len(titles))], sources[rng.IntN(len(sources))], 40+rng.IntN(60))
	req, _ := http.NewRequestWithContext(ctx, "POST", c.url+"/api/leads", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return 0, fmt.Errorf("intake: status %d", resp.StatusCode)
	}
	var lead struct {
		ID int64 `json:"id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&lead); err != nil {
		return 0, fmt.Errorf("intake: %w", err)
	}
	return lead.ID, nil
}

func (c *runConfig) claim(ctx context.Context, client *http.Client, leadID int64, user string) error {
	body := slacktest.ClickPayload(user, c.channel, "1700000000.000100", "lead.claim", strconv.FormatInt(leadID, 10), "")
	req := slacktest.SignedRequest(c.url+"/slack/interactions", c.secret, time.Now(), body).WithContext(ctx)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("claim: status %d", resp.StatusCode)
	}
	return nil
}

func (c *runConfig) get(ctx context.Context, client *http.Client, path string) error {
	req, _ := http.NewRequestWithContext(ctx, "GET", c.url+path, nil)
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: status %d", path, resp.StatusCode)
	}
	return nil
}

func (r *results) print(w io.Writer, c *runConfig) {
	fmt.Fprintf(w, "%d clients for %s against %s\n", c.clients, r.elapsed.Round(time.Millisecond), c.url)
	fmt.Fprintf(w, "%-8s %9s %7s %10s %9s %9s\n", "op", "requests", "errors", "per sec", "p50 ms", "p99 ms")
	var all int
	for _, op := range []string{"intake", "claim", "funnel"} {
		lat := r.lat[op]
		if len(lat) == 0 && r.errs[op] == 0 {
			continue
		}
		all += len(lat)
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		fmt.Fprintf(w, "%-8s %9d %7d %10.0f %9.2f %9.2f\n", op, len(lat), r.errs[op], float64(len(lat))/r.elapsed.Seconds(), pct(lat, 0.50), pct(lat, 0.99))
	}
	fmt.Fprintf(w, "%-8s %9d %7s %10.0f\n", "total", all, "", float64(all)/r.elapsed.Seconds())
}

func pct(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return float64(sorted[int(p*float64(len(sorted)-1))].Microseconds()) / 1000
}
