package storage_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestLostCommitAnswerWritesOnce: when the connection to PostgreSQL is
// lost with the answer to a commit the database made (the one statement
// of intake's new leads, a group's COMMIT), the group is answered as
// committed, not run again: run again on its lead as stored, a new SQL
// returned in the same group came back as an SQL and was announced twice,
// each notice of a group was queued twice, and a lone save or notice (or
// an import's batch) was answered as not created or failed. Each case runs once as a control,
// answered, and once with the answer lost; both must write and answer the
// same.
func TestLostCommitAnswerWritesOnce(t *testing.T) {
	u := storagetest.URL(t, storage.DialectPostgres)
	cutter, through := newAnswerCutter(t, u)
	s := storagetest.OpenURL(t, through, storage.Options{})
	raw, err := sql.Open("pgx", u)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	ctx := context.Background()
	policy := handoff.DefaultPolicy()
	saves := func(results []handoff.SaveResult, errs []error) []string {
		out := make([]string, len(errs))
		for i := range errs {
			out[i] = fmt.Sprintf("created %v, error %v", results[i].Created, errs[i])
		}
		return out
	}
	// A new SQL, returned in the same group.
	sqlReturned := func(ext string) []handoff.LeadInput {
		return []handoff.LeadInput{{ExternalID: ext, Company: "Acme", Stage: handoff.StageSQL}, {ExternalID: ext, Stage: handoff.StageRecycled, Reason: "no budget"}}
	}
	isCommit := func(q string) bool { return strings.EqualFold(q, "commit") }
	isNewLeads := func(q string) bool { return strings.HasPrefix(q, "WITH w0 AS (INSERT INTO leads ") }
	for _, tc := range []struct {
		name  string
		cut   func(query string) bool
		write func(key string) []string
	}{
		{"intake's one statement", isNewLeads, func(key string) []string {
			return saves(s.SaveAsIntakeGroup(sqlReturned(key), policy, t0, handoff.ActorAPI))
		}},
		{"intake's transaction", isCommit, func(key string) []string {
			return saves(s.SaveGroup(sqlReturned(key), policy, t0, handoff.ActorAPI, true))
		}},
		{"notices", isCommit, func(key string) []string {
			notice := []handoff.OutboxMessage{{Kind: handoff.OutboxDirect, Platform: "slack", Payload: key}}
			return strings.Fields(fmt.Sprint(s.EnqueueGroup([][]handoff.OutboxMessage{notice, notice}, t0)))
		}},
		{"a lone save, through SaveLead", isNewLeads, func(key string) []string {
			res, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: key, Company: "Acme"}, policy, t0, handoff.ActorAPI)
			return saves([]handoff.SaveResult{res}, []error{err})
		}},
		{"an import's batch", isCommit, func(key string) []string {
			results, errs, err := s.SaveLeads(ctx, sqlReturned(key), policy, t0, handoff.ActorImport)
			if err != nil {
				return []string{err.Error()}
			}
			return saves(results, errs)
		}},
		{"a lone notice, through Enqueue", isCommit, func(key string) []string {
			return []string{fmt.Sprint(s.Enqueue(ctx, t0, handoff.OutboxMessage{Kind: handoff.OutboxDirect, Platform: "slack", Payload: key}))}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := strings.ReplaceAll(tc.name, " ", "-")
			want, wantRows := tc.write("answered-"+key), outboxOf(t, raw, "answered-"+key)
			cuts := cutter.cut.Load()
			cutter.arm(tc.cut)
			got, gotRows := tc.write("lost-"+key), outboxOf(t, raw, "lost-"+key)
			if cutter.cut.Load() != cuts+1 {
				t.Fatalf("no answer was lost")
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("answered %q, want %q as when the answer came back", got, want)
			}
			if gotRows != wantRows {
				t.Errorf("outbox %s, want %s as when the answer came back", gotRows, wantRows)
			}
		})
	}
}

// outboxOf counts the outbox messages of the lead whose external id is
// key, or whose payload is key, by kind.
func outboxOf(t *testing.T, raw *sql.DB, key string) string {
	t.Helper()
	rows, err := raw.Query(`SELECT kind, count(*) FROM outbox
		WHERE lead_id IN (SELECT id FROM leads WHERE external_id = $1) OR payload = $1 GROUP BY kind ORDER BY kind`, key)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var kind string
		var n int
		if err := rows.Scan(&kind, &n); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s×%d ", kind, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if b.Len() == 0 {
		t.Fatalf("no outbox message of %s", key)
	}
	return b.String()
}
