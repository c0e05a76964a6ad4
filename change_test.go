package handoff

import (
	"fmt"
	"testing"
	"time"
)

func TestNewChange(t *testing.T) {
	at := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	due := at.Add(2 * time.Hour)
	stage := func(s Stage) Event { return Event{Kind: EventStage, Stage: s, At: at} }
	tests := []struct {
		name     string
		sqlAt    *time.Time
		claimDue *time.Time
		events   []Event
		want     string // the outbox kind, "" for none
	}{
		{"NoEvents", &at, &due, nil, ""},
		{"NeverAnSQL", nil, nil, []Event{stage(StageMQL)}, ""},
		{"BecameAnSQL", &at, &due, []Event{stage(StageLead), stage(StageMQL), stage(StageSQL)}, OutboxAnnounceLead},
		{"BecameAnSQLFromHistory", &at, nil, []Event{stage(StageLead), stage(StageMQL), stage(StageSQL)}, ""},
		{"ChangedAfterwards", &at, &due, []Event{stage(StageContacted)}, OutboxRefreshLead},
		{"Released", &at, &due, []Event{{Kind: EventRelease, Stage: StageSQL, At: at}}, OutboxRefreshLead},
		{"Erased", &at, &due, []Event{{Kind: EventErased, Stage: StageClaimed, At: at}}, OutboxEraseLead},
		{"ErasedNeverAnSQL", nil, nil, []Event{{Kind: EventErased, Stage: StageMQL, At: at}}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := &Lead{ID: 7, SQLAt: tc.sqlAt, ClaimDueAt: tc.claimDue}
			c := NewChange(l, tc.events)
			if len(c.Events) != len(tc.events) {
				t.Fatalf("events = %d, want %d", len(c.Events), len(tc.events))
			}
			got := ""
			if len(c.Outbox) > 1 {
				t.Fatalf("outbox = %+v, want at most one message", c.Outbox)
			}
			if len(c.Outbox) == 1 {
				got = c.Outbox[0].Kind
				if c.Outbox[0].LeadID != 7 {
					t.Errorf("outbox lead = %d, want 7", c.Outbox[0].LeadID)
				}
			}
			if got != tc.want {
				t.Errorf("outbox kind = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestLeadClaim(t *testing.T) {
	sqlAt := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	owner := Owner{Platform: "slack", UserID: "U1"}
	for _, st := range AllStages {
		t.Run(string(st), func(t *testing.T) {
			due := sqlAt.Add(2 * time.Hour)
			l := &Lead{ID: 3, Stage: st, Reached: StageSQL.Rank(), SQLAt: &sqlAt, ClaimDueAt: &due}
			change, ok := l.Claim(owner, sqlAt.Add(3*time.Hour), Policy{}, "slack:U1")
			if ok != (st == StageSQL) {
				t.Fatalf("Claim of a %s lead won = %v", st, ok)
			}
			if !ok {
				if l.Stage != st || !l.Owner.IsZero() || len(change.Events) != 0 {
					t.Fatalf("a lost claim changed the lead: %+v %+v", l, change)
				}
				return
			}
			if l.Stage != StageClaimed || l.Owner != owner || !l.SLABreached || l.Reached != StageClaimed.Rank() {
				t.Fatalf("claimed lead = %+v", l)
			}
			if len(change.Events) != 1 || change.Events[0].Stage != StageClaimed || len(change.Outbox) != 1 || change.Outbox[0].Kind != OutboxRefreshLead {
				t.Fatalf("change = %+v", change)
			}
		})
	}
}

func TestRecordOwnerEmail(t *testing.T) {
	owner := Owner{Platform: "slack", UserID: "U1"}
	both := []string{"slack", "teams"}
	tests := []struct {
		name      string
		has       Owner
		email     string
		wantEmail string
		refresh   []string // platforms whose cards are refreshed
	}{
		{"StillTheOwner", owner, "ann@example.com", "ann@example.com", []string{"teams"}},
		{"AlreadyKnown", Owner{Platform: "slack", UserID: "U1", Email: "ann@example.com"}, "ann@example.com", "ann@example.com", nil},
		{"ChangedHands", Owner{Platform: "slack", UserID: "U2"}, "ann@example.com", "", nil},
		{"SameUserIDOtherPlatform", Owner{Platform: "teams", UserID: "U1"}, "ann@example.com", "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := &Lead{ID: 4, Owner: tc.has}
			c := l.RecordOwnerEmail(Owner{Platform: owner.Platform, UserID: owner.UserID, Email: tc.email}, both)
			if l.Owner.Email != tc.wantEmail {
				t.Errorf("owner email = %q, want %q", l.Owner.Email, tc.wantEmail)
			}
			var got []string
			for _, m := range c.Outbox {
				if m.Kind != OutboxRefreshLead || m.LeadID != 4 {
					t.Errorf("outbox message %+v, want a refresh of lead 4", m)
				}
				got = append(got, m.Platform)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.refresh) {
				t.Errorf("refreshed on %v, want %v", got, tc.refresh)
			}
		})
	}
}

// A release on breach takes the lead out of its owner's home as well as
// refreshing its card; escalations without a release leave homes alone.
func TestFireSLAReleaseRefreshesTheOwnersHome(t *testing.T) {
	sqlAt := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	p := DefaultPolicy()
	for _, release := range []bool{false, true} {
		p.ReleaseOnBreach = release
		due := p.ContactDue(sqlAt)
		l := &Lead{ID: 7, Stage: StageClaimed, SQLAt: &sqlAt, ContactDueAt: &due, Owner: Owner{Platform: "slack", UserID: "U1"}}
		change, _, err := l.FireSLA(due.Add(time.Minute), p)
		if err != nil {
			t.Fatal(err)
		}
		homes := 0
		for _, m := range change.Outbox {
			if m.Kind == OutboxHome {
				homes++
				if m.Platform != "slack" || m.Payload != `{"user":"U1"}` {
					t.Errorf("home message = %+v", m)
				}
			}
		}
		if want := map[bool]int{false: 0, true: 1}[release]; homes != want {
			t.Errorf("release %v: %d home messages in %+v, want %d", release, homes, change.Outbox, want)
		}
	}
}
