package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/config"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestCommandsKeepTheDatabasesTime: on a machine whose clock is 40 days
// ahead of the database's, handoff funnel and handoff score count "month"
// from the database's day, as serve and /funnel do, and handoff chat test
// queues what a channel refused again due at the database's time, so the
// replicas send it at once. On the machine's clock the funnel and the
// what-if were of the next month, and the message was not due for the
// replicas for 40 days. On SQLite and PostgreSQL.
func TestCommandsKeepTheDatabasesTime(t *testing.T) {
	const skew = 40 * 24 * time.Hour // "month" is another month, whatever the day
	ahead := func() time.Time { return time.Now().Add(skew) }
	dir := t.TempDir()
	scoring := "scoring:\n  mql_at: 40\n  sql_at: 70\n  implicit:\n    - {activity: demo_request, points: 40}\n"
	agreement, whatIf := filepath.Join(dir, "handoff.yml"), filepath.Join(dir, "lower.yml")
	for file, text := range map[string]string{agreement: scoring, whatIf: strings.Replace(scoring, "sql_at: 70", "sql_at: 50", 1)} {
		if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	slack := slacktest.New(e2eToken)
	t.Cleanup(slack.Close)
	// monthIn is the output's line naming "month" as the database's clock
	// (this machine's: the database runs here) had it before or after the
	// command: the two differ only when a month ended while it ran.
	monthIn := func(t *testing.T, loc *time.Location, before, after time.Time, say string) []string {
		var lines []string
		for _, at := range []time.Time{before, after} {
			p, err := handoff.ParsePeriod("month", at, loc)
			if err != nil {
				t.Fatal(err)
			}
			lines = append(lines, strings.ReplaceAll(say, "MONTH", p.Label))
		}
		return lines
	}
	tests := []struct {
		name string
		args []string
		// want is what the output says (one of, as monthIn has it)
		want func(t *testing.T, loc *time.Location, before, after time.Time) []string
		// check, when set, checks the store after the command.
		check func(t *testing.T, s *storage.Store)
	}{
		{"funnel", []string{"funnel", "--period", "month", "--format", "json"},
			func(t *testing.T, loc *time.Location, before, after time.Time) []string {
				return monthIn(t, loc, before, after, `"label": "MONTH"`)
			}, nil},
		{"score what-if", []string{"score", "--what-if", whatIf, "--period", "month"},
			func(t *testing.T, loc *time.Location, before, after time.Time) []string {
				return monthIn(t, loc, before, after, "What-if for the 1 lead that arrived in MONTH")
			}, nil},
		{"chat test", []string{"chat", "test"},
			func(*testing.T, *time.Location, time.Time, time.Time) []string {
				return []string{"slack managers' channel CMGR: posted; 1 message it refused before is queued again\n"}
			},
			func(t *testing.T, s *storage.Store) {
				taken, err := s.TakeOutbox(context.Background(), time.Now(), 10, time.Minute, "test", "slack")
				if err != nil || !slices.ContainsFunc(taken, func(m handoff.OutboxMessage) bool { return m.Kind == handoff.OutboxEscalate }) {
					t.Errorf("due for the replicas at the database's time: %+v (%v), want the message queued again", taken, err)
				}
			}},
	}
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					ctx := context.Background()
					vars := map[string]string{"DATABASE_URL": storagetest.URL(t, dialect), "HANDOFF_CONFIG": agreement,
						"SLACK_BOT_TOKEN": e2eToken, "SLACK_API_URL": slack.APIURL(), "SLACK_SIGNING_SECRET": e2eSecret,
						"SLACK_SALES_CHANNEL": e2eSales, "SLACK_MANAGER_CHANNEL": e2eManager}
					s := storagetest.OpenURL(t, vars["DATABASE_URL"], storage.Options{})
					seedClockCase(t, s)
					cfg, err := config.Load(func(k string) string { return vars[k] })
					if err != nil {
						t.Fatal(err)
					}
					before := time.Now()
					e, out, errOut := testEnv(vars, tt.args...)
					e.wall = ahead
					code := run(ctx, e)
					after := time.Now()
					all := out.String() + errOut.String()
					if code != 0 {
						t.Fatalf("handoff %s: exit %d:\n%s", strings.Join(tt.args, " "), code, all)
					}
					want := tt.want(t, cfg.Policy.Location, before, after)
					found := false
					for _, w := range want {
						found = found || strings.Contains(all, w)
					}
					if !found {
						t.Errorf("handoff %s said:\n%s\nwant %q (on the database's clock)", strings.Join(tt.args, " "), all, want[0])
					}
					if tt.check != nil {
						tt.check(t, s)
					}
				})
			}
		})
	}
}

// seedClockCase gives s a lead that arrives now (on the database's clock)
// and a Slack message the managers' channel refused, given up.
func seedClockCase(t *testing.T, s *storage.Store) {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	if err := s.Enqueue(ctx, now, handoff.OutboxMessage{Kind: handoff.OutboxEscalate, Platform: "slack"}); err != nil {
		t.Fatal(err)
	}
	taken, err := s.TakeOutbox(ctx, now, 1, time.Minute, "test", "slack")
	if err != nil || len(taken) != 1 {
		t.Fatalf("take = %+v, %v", taken, err)
	}
	if errs := s.RecordOutbox(ctx, handoff.OutboxOutcome{Message: taken[0], At: now, Dead: true, Cause: "not_in_channel", RefusedBy: e2eManager}); errs[0] != nil {
		t.Fatal(errs[0])
	}
	if _, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: "clock-1", Company: "Berg ApS"}, handoff.DefaultPolicy(), now, handoff.ActorAPI); err != nil {
		t.Fatal(err)
	}
}
