package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// handoffBinary builds the handoff command once per test run.
func handoffBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "handoff-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "handoff")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// process is one `handoff serve` running as a child process.
type process struct {
	cmd   *exec.Cmd
	base  string
	log   *os.File
	clock io.WriteCloser // the child's test clock (startClockedProcess); nil for the built binary
}

// clockedChild is the environment variable that makes this test binary,
// started as a child by startClockedProcess, serve on a test clock
// instead of running the tests. The handoff binary knows nothing of it.
const clockedChild = "HANDOFF_TEST_CLOCKED_CHILD"

// TestMain runs the tests, or, in a child process started by
// startClockedProcess, serves (serveClockedChild). It removes the handoff
// binary the tests built, if any.
func TestMain(m *testing.M) {
	if os.Getenv(clockedChild) == "serve" {
		if err := serveClockedChild(); err != nil {
			fmt.Fprintln(os.Stderr, "clocked child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	code := m.Run()
	if binPath != "" {
		_ = os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// serveClockedChild is handoff serve on a testClock: configured from the
// environment as serve is, it serves until its standard input ends (the
// test ended or died). Each line read there is a duration its clock skips:
// the first before it starts, each later one at once, after which its
// workers are woken, as server.skipTo does in process. A test that SIGKILLs
// a replica runs replicas so, and makes the dead one's leases run out by
// skipping a survivor's clock past them instead of waiting for them in
// real time.
func serveClockedChild() error {
	cfg, err := loadConfig(env{getenv: os.Getenv})
	if err != nil {
		return err
	}
	lines := bufio.NewScanner(os.Stdin)
	if !lines.Scan() {
		return errors.New("no first skip on standard input")
	}
	first, err := time.ParseDuration(lines.Text())
	if err != nil {
		return err
	}
	clock := &testClock{skipped: first}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := newApp(ctx, cfg, newLogger(os.Stderr, cfg.LogLevel), clock.Now, clock.Wall)
	if err != nil {
		return err
	}
	defer a.Close()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	go func() {
		defer cancel()
		for lines.Scan() {
			d, err := time.ParseDuration(lines.Text())
			if err != nil {
				fmt.Fprintln(os.Stderr, "clocked child: skip:", err)
				continue
			}
			clock.skipTo(clock.Now().Add(d))
			a.queued()
		}
	}()
	return a.listenAndServe(ctx, ln)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startProcess runs the built handoff serve with vars and waits until
// /readyz answers.
func startProcess(t *testing.T, vars map[string]string) *process {
	t.Helper()
	return startChild(t, exec.Command(handoffBinary(t), "serve"), vars, false, 0)
}

// startClockedProcess runs serve in a child process (this test binary,
// serveClockedChild) with vars, on a test clock that starts skipped ahead
// of the wall clock, and waits until /readyz answers; process.skip moves
// its clock on. Replicas that run together must agree on the time to
// within much less than a lease.
func startClockedProcess(t *testing.T, vars map[string]string, skipped time.Duration) *process {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(cmd.Env, clockedChild+"=serve")
	return startChild(t, cmd, vars, true, skipped)
}

// startChild starts cmd with vars added to its environment and waits until
// /readyz answers. When clocked, cmd is serveClockedChild, told its clock's
// first skip on its standard input.
func startChild(t *testing.T, cmd *exec.Cmd, vars map[string]string, clocked bool, skipped time.Duration) *process {
	t.Helper()
	addr := freeAddr(t)
	cmd.Env = append(append(os.Environ(), cmd.Env...), "HANDOFF_ADDR="+addr, "HANDOFF_METRICS_ADDR=off")
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	logFile, err := os.CreateTemp(t.TempDir(), "serve-*.log")
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	p := &process{cmd: cmd, base: "http://" + addr, log: logFile}
	if clocked {
		if p.clock, err = cmd.StdinPipe(); err != nil {
			t.Fatal(err)
		}
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.kill() })
	if clocked {
		p.skip(t, skipped)
	}
	for start := time.Now(); time.Since(start) < e2ePatience; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(p.base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
	}
	out, _ := os.ReadFile(logFile.Name())
	t.Fatalf("handoff serve did not become ready:\n%s", out)
	return nil
}

func (p *process) kill() {
	if p.cmd.ProcessState == nil {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		_ = p.cmd.Wait()
	}
}

// skip moves the clock of a process started by startClockedProcess on by
// d and wakes its workers.
func (p *process) skip(t *testing.T, d time.Duration) {
	t.Helper()
	if _, err := fmt.Fprintln(p.clock, d); err != nil {
		t.Fatalf("skip the child's clock: %v", err)
	}
}

// postUntilAcked posts a lead to the first base that answers 2xx, trying
// the bases in turn until deadline. It returns false when none acked it.
func postUntilAcked(bases func() []string, body string, deadline time.Time) bool {
	client := &http.Client{Timeout: 5 * time.Second}
	for time.Now().Before(deadline) {
		for _, base := range bases() {
			req, _ := http.NewRequest("POST", base+"/api/leads", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer tok")
			resp, err := client.Do(req)
			if err != nil {
				continue
			}
			resp.Body.Close()
			if resp.StatusCode/100 == 2 {
				return true
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return false
}

var crashCompany = regexp.MustCompile(`Crash Co (\d+)`)

// postsPerLead counts the sales-channel posts of each "Crash Co N".
func postsPerLead(slack *slacktest.Server) map[string]int {
	count := map[string]int{}
	for _, c := range slack.Calls("chat.postMessage") {
		if c.Param("channel") != e2eSales {
			continue
		}
		if m := crashCompany.FindStringSubmatch(c.Param("text")); m != nil {
			count[m[1]]++
		}
	}
	return count
}

// burst sends n leads from 8 clients through bases and calls during once,
// after a third of them were acknowledged. It returns the acknowledged ids.
func burst(t *testing.T, n int, bases func() []string, during func()) []string {
	t.Helper()
	var (
		next    atomic.Int64
		acked   atomic.Int64
		mu      sync.Mutex
		ids     []string
		fired   sync.Once
		wg      sync.WaitGroup
		timeout = time.Now().Add(90 * time.Second)
	)
	for c := 0; c < 8; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				body := fmt.Sprintf(`{"external_id":"crash-%d","company":"Crash Co %d","name":"Person %d","score":50}`, i, i, i)
				if postUntilAcked(bases, body, timeout) {
					mu.Lock()
					ids = append(ids, fmt.Sprint(i))
					mu.Unlock()
					if acked.Add(1) == int64(n/3) {
						fired.Do(func() { go during() })
					}
				}
			}
		}()
	}
	wg.Wait()
	return ids
}

// waitPosted waits until every id has at least one post; it returns the counts.
func waitPosted(t *testing.T, slack *slacktest.Server, ids []string, within time.Duration) map[string]int {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		count := postsPerLead(slack)
		missing := 0
		for _, id := range ids {
			if count[id] == 0 {
				missing++
			}
		}
		if missing == 0 {
			return count
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d acknowledged leads never posted", missing, len(ids))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// checkExactlyOnce fails when any lead is missing from the store, and when
// more than maxRepost leads were posted twice (a post in flight at a
// SIGKILL is found in the fake's history on its retry, so none should be).
func checkExactlyOnce(t *testing.T, dbURL string, ids []string, count map[string]int, maxRepost int) {
	t.Helper()
	s, err := storage.Open(context.Background(), dbURL, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, id := range ids {
		if _, err := s.LeadByExternalID(context.Background(), "crash-"+id); err != nil {
			t.Errorf("acknowledged lead crash-%s lost: %v", id, err)
		}
	}
	reposted := 0
	for id, n := range count {
		if n > 2 {
			t.Errorf("lead %s posted %d times", id, n)
		}
		if n == 2 {
			reposted++
		}
	}
	if reposted > maxRepost {
		t.Errorf("%d leads posted twice, want at most %d", reposted, maxRepost)
	}
	st, err := s.OutboxStats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d leads acknowledged, %d posted twice, outbox pending %d, dead %d", len(ids), reposted, st.Pending, st.Dead)
}

func chatVars(slack *slacktest.Server, dbURL string) map[string]string {
	return map[string]string{
		"DATABASE_URL": dbURL, "HANDOFF_API_TOKEN": "tok", "HANDOFF_API_RATE_LIMIT": "0",
		"SLACK_BOT_TOKEN": e2eToken, "SLACK_SIGNING_SECRET": e2eSecret, "SLACK_API_URL": slack.APIURL(),
		"SLACK_SALES_CHANNEL": e2eSales, "SLACK_MANAGER_CHANNEL": e2eManager, "HANDOFF_CONFIG": os.DevNull,
	}
}

// TestCrashDuringBurst SIGKILLs the server during a burst of 400 leads from
// 8 clients that retry until acknowledged, restarts it, and checks that
// every acknowledged lead is stored and posted once.
func TestCrashDuringBurst(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills real processes")
	}
	slack := slacktest.New(e2eToken)
	defer slack.Close()
	slack.SetLatency(2 * time.Millisecond)
	dbURL := storagetest.URL(t, storage.DialectSQLite)
	vars := chatVars(slack, dbURL)

	var mu sync.Mutex
	current := startProcess(t, vars)
	bases := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return []string{current.base}
	}
	ids := burst(t, 400, bases, func() {
		mu.Lock()
		current.kill()
		mu.Unlock()
		next := startProcess(t, vars)
		mu.Lock()
		current = next
		mu.Unlock()
	})
	if len(ids) != 400 {
		t.Fatalf("%d of 400 leads acknowledged", len(ids))
	}
	count := waitPosted(t, slack, ids, 60*time.Second)
	checkExactlyOnce(t, dbURL, ids, count, 0)
}

// TestTwoReplicasOnPostgres runs two handoff processes on one PostgreSQL,
// sends a burst to both, SIGKILLs one mid-load, and checks that nothing is
// lost, duplicated or stuck, and that a claim clicked on both replicas at
// once has exactly one winner.
func TestTwoReplicasOnPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills real processes")
	}
	slack := slacktest.New(e2eToken)
	defer slack.Close()
	slack.SetLatency(2 * time.Millisecond)
	slack.SetMembers(e2eSales, "UREP0", "UREP1", "UREP2", "UREP3")
	dbURL := storagetest.URL(t, storage.DialectPostgres)
	vars := chatVars(slack, dbURL)
	// Leases as long as serve's default: a replica's lease never runs out
	// while it sends, however slow the machine. The killed replica's run
	// out when the test skips the survivor's clock past them.
	const lease = 2 * time.Minute
	vars["HANDOFF_OUTBOX_LEASE"] = lease.String()

	a, b := startClockedProcess(t, vars, 0), startClockedProcess(t, vars, 0)
	var mu sync.Mutex
	live := []string{a.base, b.base}
	bases := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), live...)
	}
	ids := burst(t, 400, bases, func() {
		a.kill()
		mu.Lock()
		live = []string{b.base}
		mu.Unlock()
	})
	if len(ids) != 400 {
		t.Fatalf("%d of 400 leads acknowledged", len(ids))
	}
	// Every lease the killed replica took ends before now plus a lease on
	// its clock, the wall clock: the survivor's clock skips past that, and
	// it takes over the killed replica's messages.
	const skipped = lease + time.Minute
	b.skip(t, skipped)
	count := waitPosted(t, slack, ids, 60*time.Second)
	checkExactlyOnce(t, dbURL, ids, count, 0)

	// Nothing stuck: the killed replica's leased messages were taken over.
	s, err := storage.Open(context.Background(), dbURL, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for start := time.Now(); ; time.Sleep(200 * time.Millisecond) {
		st, err := s.OutboxStats(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if st.Pending == 0 {
			break
		}
		if time.Since(start) > 30*time.Second {
			t.Fatalf("%d outbox messages stuck", st.Pending)
		}
	}

	// A claim clicked on two replicas at once has one winner.
	c := startClockedProcess(t, vars, skipped) // on b's time
	lead, err := s.LeadByExternalID(context.Background(), "crash-0")
	if err != nil {
		t.Fatal(err)
	}
	posts, err := s.ChatPosts(context.Background(), lead.ID)
	if err != nil || len(posts) != 1 {
		t.Fatalf("chat posts = %v, %v", posts, err)
	}
	var wg sync.WaitGroup
	for i, base := range []string{b.base, c.base, b.base, c.base} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := slacktest.ClickPayload(fmt.Sprintf("UREP%d", i), e2eSales, posts[0].MessageID, "lead.claim", fmt.Sprint(lead.ID), slack.ResponseURL("x"))
			resp, err := http.DefaultClient.Do(slacktest.SignedRequest(base+"/slack/interactions", e2eSecret, time.Now(), body))
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
		}()
	}
	wg.Wait()
	got, err := s.Lead(context.Background(), lead.ID)
	if err != nil || got.Stage != "claimed" || !strings.HasPrefix(got.Owner.UserID, "UREP") {
		t.Fatalf("after concurrent claims on two replicas: %+v, %v", got, err)
	}
	events, _ := s.Events(context.Background(), lead.ID)
	claims := 0
	for _, e := range events {
		if e.Stage == "claimed" && e.Kind == "stage" {
			claims++
		}
	}
	if claims != 1 {
		t.Fatalf("%d claim events, want 1", claims)
	}
}
