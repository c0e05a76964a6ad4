package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"
)

// burstConfig is what `burst` does: per round, take in Leads new leads
// (which the server's outbox then announces), and at once fire Clicks
// concurrent Claim clicks spread over them, so the clicks meet the outbox
// delivering.
type burstConfig struct {
	runConfig             // the server: url, token, secret, channel
	leads, clicks, rounds int
}

func parseBurst(args []string) (*burstConfig, error) {
	fs := flag.NewFlagSet("burst", flag.ContinueOnError)
	c := &burstConfig{}
	c.serverFlags(fs, "the server's SLACK_SIGNING_SECRET (default SLACK_SIGNING_SECRET or SLACK_SIGNING_SECRET_FILE)")
	fs.IntVar(&c.leads, "leads", 200, "new leads per round")
	fs.IntVar(&c.clicks, "clicks", 200, "concurrent Claim clicks per round, spread evenly over the round's leads (more clicks than leads: the rest lose)")
	fs.IntVar(&c.rounds, "rounds", 5, "rounds")
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	if err := c.secretsFromEnv(); err != nil {
		return nil, err
	}
	var err error
	switch {
	case c.secret == "":
		err = errors.New("-slack-secret (or SLACK_SIGNING_SECRET) is required")
	case c.leads < 1 || c.clicks < 1 || c.rounds < 1:
		err = errors.New("-leads, -clicks and -rounds must be at least 1")
	case c.clicks/c.leads > 20:
		err = errors.New("at most 20 clicks per lead (the stand-in Slack's 20 clickers)")
	}
	if err != nil {
		return nil, &usageError{err: err, fs: fs}
	}
	return c, nil
}

// burst runs the rounds and returns the clicks' acknowledgement latencies,
// round by round, and how long the bursts took in all.
func (c *burstConfig) burst(ctx context.Context) (rounds [][]time.Duration, errs int, took time.Duration, err error) {
	client := &http.Client{Timeout: c.timeout, Transport: &http.Transport{MaxIdleConnsPerHost: c.clicks}}
	run := &c.runConfig
	// Dial the clicks' connections before the first burst, as a warm
	// server would have them.
	c.together(c.clicks, func(int) { _ = run.get(ctx, client, "/healthz") })
	runID := strconv.FormatInt(time.Now().UnixNano(), 36)
	seed := uint64(time.Now().UnixNano())
	var mu sync.Mutex
	for round := range c.rounds {
		ids := make([]int64, c.leads)
		var ierr error
		c.together(8, func(w int) {
			rng := rand.New(rand.NewPCG(uint64(w), seed)) // one per client: a Rand is not safe for concurrent use
			for i := w; i < c.leads; i += 8 {
				id, err := run.intake(ctx, client, fmt.Sprintf("burst-%s-%d-%d", runID, round, i), rng)
				mu.Lock()
				ids[i] = id
				if err != nil && ierr == nil {
					ierr = err
				}
				mu.Unlock()
			}
		})
		if ierr != nil {
			return nil, 0, 0, fmt.Errorf("round %d: %w", round+1, ierr)
		}
		var lat []time.Duration
		start := time.Now()
		c.together(c.clicks, func(i int) {
			t0 := time.Now()
			err := run.claim(ctx, client, ids[i%c.leads], fmt.Sprintf("ULOAD%d", i/c.leads))
			d := time.Since(t0)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs++
				return
			}
			lat = append(lat, d)
		})
		took += time.Since(start)
		if ctx.Err() != nil {
			return nil, 0, 0, ctx.Err()
		}
		rounds = append(rounds, lat)
	}
	return rounds, errs, took, nil
}

// together runs f(0) … f(n-1) at once, released together, and waits.
func (c *burstConfig) together(n int, f func(i int)) {
	var wg sync.WaitGroup
	gate := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			f(i)
		}()
	}
	close(gate)
	wg.Wait()
}

// print writes the clicks' figures over all rounds, then round by round:
// the first round meets a server that has not yet served a burst.
func (c *burstConfig) print(w io.Writer, rounds [][]time.Duration, errs int, took time.Duration) {
	fmt.Fprintf(w, "%d rounds of %d concurrent claim clicks on %d new leads against %s\n", c.rounds, c.clicks, c.leads, c.url)
	fmt.Fprintf(w, "%-8s %9s %7s %10s %9s %9s %9s\n", "op", "requests", "errors", "per sec", "p50 ms", "p99 ms", "max ms")
	all := slices.Concat(rounds...)
	slices.Sort(all)
	fmt.Fprintf(w, "%-8s %9d %7d %10.0f %9.2f %9.2f %9.2f\n", "claim", len(all), errs, float64(len(all))/took.Seconds(), pct(all, 0.50), pct(all, 0.99), top(all))
	for i, lat := range rounds {
		slices.Sort(lat)
		fmt.Fprintf(w, "%-8s %9d %7s %10s %9.2f %9.2f %9.2f\n", fmt.Sprintf("round%d", i+1), len(lat), "", "", pct(lat, 0.50), pct(lat, 0.99), top(lat))
	}
}

// top is the largest of sorted in milliseconds, 0 when it is empty.
func top(sorted []time.Duration) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return float64(sorted[len(sorted)-1].Microseconds()) / 1000
}
