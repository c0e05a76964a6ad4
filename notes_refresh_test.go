package handoff

import (
	"testing"
	"time"
)

// TestNotesRefresh: an input that changes, without an event, what a
// managers' note shows of a lead in chat (its owner, name or company)
// refreshes its chat messages; one that queued chat work already, changed
// something else, or changed a lead never in chat does not.
func TestNotesRefresh(t *testing.T) {
	sqlAt := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	rep := Owner{Platform: "slack", UserID: "UREP1"}
	refresh := []OutboxMessage{{Kind: OutboxRefreshLead, LeadID: 7}}
	tests := []struct {
		name   string
		change func(l *Lead)
		sqlAt  *time.Time
		queued []OutboxMessage
		want   bool
	}{
		{"owner_email", func(l *Lead) { l.Owner = Owner{Email: "bo@acme.dk"} }, &sqlAt, nil, true},
		{"renamed", func(l *Lead) { l.Name = "Bo Berg" }, &sqlAt, nil, true},
		{"another company", func(l *Lead) { l.Company = "Berg & Co" }, &sqlAt, nil, true},
		{"a title", func(l *Lead) { l.Title = "CTO" }, &sqlAt, nil, false},
		{"a stage's work queued", func(l *Lead) { l.Owner = Owner{} }, &sqlAt, refresh, false},
		{"never in chat", func(l *Lead) { l.Company = "Berg & Co" }, nil, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := Lead{ID: 7, Name: "Ann", Company: "Acme", Owner: rep, SQLAt: tt.sqlAt}
			l := before
			tt.change(&l)
			m := NotesRefresh(&before, &l, tt.queued)
			if (m != nil) != tt.want {
				t.Fatalf("NotesRefresh = %+v, want a message: %v", m, tt.want)
			}
			if m != nil && *m != (OutboxMessage{Kind: OutboxRefreshLead, LeadID: 7}) {
				t.Errorf("NotesRefresh = %+v, want the refresh of lead 7 on every platform", m)
			}
		})
	}
}
