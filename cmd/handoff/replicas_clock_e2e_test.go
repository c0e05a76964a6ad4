package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestReplicasKeepTheDatabasesTime: two replicas on one PostgreSQL, the
// clock of one 5 minutes ahead of the database's and the other's. Both
// keep the database's time: a lead posted to the one ahead is stamped an
// SQL, given its deadlines and its card queued at the database's time. On
// its own clock they were 5 minutes ahead: the other replica's SLA clock
// escalated the lead 5 minutes late (a replica behind reminded early), and
// its card was not due for the other replica until 5 minutes later.
func TestReplicasKeepTheDatabasesTime(t *testing.T) {
	const skew = 5 * time.Minute
	slack := slacktest.New(e2eToken)
	defer slack.Close()
	policy := filepath.Join(t.TempDir(), "handoff.yml")
	if err := os.WriteFile(policy, []byte("sla:\n  claim_within: 1h\n  contact_within: 4h\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{
		"DATABASE_URL": storagetest.URL(t, storage.DialectPostgres), "HANDOFF_API_TOKEN": "tok", "HANDOFF_CONFIG": policy,
		"SLACK_BOT_TOKEN": e2eToken, "SLACK_SIGNING_SECRET": e2eSecret, "SLACK_API_URL": slack.APIURL(),
		"SLACK_SALES_CHANNEL": e2eSales, "SLACK_MANAGER_CHANNEL": e2eManager,
	}
	ahead := startServerAt(t, vars, &testClock{off: skew})
	right := startServer(t, vars)
	// PostgreSQL runs on this machine: its clock is this test's.
	before := time.Now()
	ahead.postLead(t, `{"external_id":"skew-1","name":"Ann Berg","company":"Berg ApS","score":80}`)
	after := time.Now()
	onDBClock := func(what string, at time.Time) {
		t.Helper()
		if at.Before(before.Add(-time.Second)) || at.After(after.Add(time.Second)) {
			t.Errorf("%s = %s, %s from the database's clock; want it on the database's clock", what, at.Format(time.RFC3339Nano), at.Sub(after).Round(time.Second))
		}
	}
	db := storagetest.OpenURL(t, vars["DATABASE_URL"], storage.Options{})
	l := lead1(t, db)
	if l.SQLAt == nil || l.ClaimDueAt == nil {
		t.Fatalf("lead = %+v, want an SQL with a claim deadline", l)
	}
	onDBClock("the SQL time", *l.SQLAt)
	msgs, err := db.OutboxMessages(context.Background(), l.ID)
	if err != nil || len(msgs) == 0 {
		t.Fatalf("the lead's outbox messages = %+v (%v), want its card", msgs, err)
	}
	onDBClock("the card's queue time", msgs[0].Created)
	if gap := ahead.app.now().Sub(right.app.now()).Abs(); gap > time.Second {
		t.Errorf("the replicas' clocks are %s apart, want the database's on both", gap.Round(time.Second))
	}
}
