package bot_test

import (
	"strings"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/internal/fixtures"
)

// copenhagen is the default agreement in Copenhagen.
var copenhagen = fixtures.Policy

func ptr(t time.Time) *time.Time { return &t }

// sqlLead is a new SQL that became one at sqlAt under policy p.
func sqlLead(p handoff.Policy, sqlAt time.Time) *handoff.Lead {
	return &handoff.Lead{
		ID: 7, ExternalID: "hs-7", Name: "Ann Jensen", Title: "IT manager", Company: "Acme A/S",
		Email: "ann@acme.dk", Phone: "+45 12 34 56 78", Source: "webinar", Campaign: "Q4 ERP", Score: 82,
		Stage: handoff.StageSQL, Reached: handoff.StageSQL.Rank(), SQLAt: ptr(sqlAt),
		ClaimDueAt: ptr(p.ClaimDue(sqlAt)), ContactDueAt: ptr(p.ContactDue(sqlAt)),
		CreatedAt: sqlAt, UpdatedAt: sqlAt,
	}
}

func TestNewLeadCardSLA(t *testing.T) {
	p := copenhagen(t)
	sqlAt := time.Date(2026, 11, 23, 11, 0, 0, 0, time.UTC) // Monday 12:00 in Copenhagen
	tests := []struct {
		name string
		now  time.Time
		want string
	}{
		{"JustArrived", sqlAt, "⏱ Claim within 2 h (by Mon 14:00) · contact by Wed 12:00"},
		{"HalfWay", sqlAt.Add(75 * time.Minute), "⏱ Claim within 45 min (by Mon 14:00) · contact by Wed 12:00"},
		{"Overdue", sqlAt.Add(2*time.Hour + 20*time.Minute), "⚠️ Claim was due Mon 14:00 · contact by Wed 12:00"},
		// Days later the card still says when, not how long ago as of its last update.
		{"OverdueLongAgo", sqlAt.Add(4 * 24 * time.Hour), "⚠️ Claim was due Mon 14:00 · contact by Wed 12:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := bot.NewLeadCard(sqlLead(p, sqlAt), tt.now, p)
			if len(m.Context) == 0 || m.Context[0] != tt.want {
				t.Fatalf("context = %q, want %q", m.Context, tt.want)
			}
		})
	}
}

func TestLeadCardByStage(t *testing.T) {
	p := copenhagen(t)
	sqlAt := time.Date(2026, 11, 23, 11, 0, 0, 0, time.UTC)
	now := sqlAt.Add(time.Hour)
	owner := handoff.Owner{Platform: "slack", UserID: "U42"}
	tests := []struct {
		stage       handoff.Stage
		wantButtons []string
		wantText    string
	}{
		{handoff.StageSQL, []string{bot.ActionClaim, bot.ActionNotAFit}, "Ann Jensen"},
		{handoff.StageClaimed, []string{bot.ActionLogContact, bot.ActionRelease, bot.ActionReassign}, "Claimed by <@slack:U42|"},
		{handoff.StageContacted, []string{bot.ActionOpportunity, bot.ActionWon, bot.ActionLost, bot.ActionRecycle, bot.ActionReassign}, "Contacted by <@slack:U42|"},
		{handoff.StageOpportunity, []string{bot.ActionWon, bot.ActionLost, bot.ActionRecycle, bot.ActionReassign}, "Opportunity worked by <@slack:U42|"},
		{handoff.StageWon, nil, "DKK 40,000"},
		{handoff.StageLost, nil, "went elsewhere"},
		{handoff.StageRecycled, nil, "no budget"},
	}
	for _, tt := range tests {
		t.Run(string(tt.stage), func(t *testing.T) {
			l := sqlLead(p, sqlAt)
			l.Stage = tt.stage
			if tt.stage != handoff.StageSQL {
				l.Owner, l.ClaimedAt, l.ContactedAt = owner, ptr(sqlAt.Add(10*time.Minute)), ptr(sqlAt.Add(30*time.Minute))
			}
			l.AmountMinor = 4_000_000
			l.Reason = map[handoff.Stage]string{handoff.StageLost: "went elsewhere", handoff.StageRecycled: "no budget"}[tt.stage]
			m := bot.LeadCard(l, now, p)
			var got []string
			for _, b := range m.Buttons {
				got = append(got, b.ActionID)
				if b.Value != "7" {
					t.Errorf("button %s value = %q, want 7", b.ActionID, b.Value)
				}
			}
			if strings.Join(got, ",") != strings.Join(tt.wantButtons, ",") {
				t.Errorf("buttons = %v, want %v", got, tt.wantButtons)
			}
			if all := allText(m); !strings.Contains(all, tt.wantText) {
				t.Errorf("card text %q does not contain %q", all, tt.wantText)
			}
		})
	}
}

// TestRecycledCardNamesWhoWorkedIt: marketing sees which rep sent a lead
// back after working it, and no rep for a Not a fit before any claim (an
// owner the CRM named does not count).
func TestRecycledCardNamesWhoWorkedIt(t *testing.T) {
	p := copenhagen(t)
	sqlAt := time.Date(2026, 11, 23, 11, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		owner   handoff.Owner
		claimed *time.Time
		want    bool
	}{
		{"ClaimedThenRecycled", handoff.Owner{Platform: "slack", UserID: "U42"}, ptr(sqlAt.Add(10 * time.Minute)), true},
		{"NotAFitUnclaimed", handoff.Owner{}, nil, false},
		{"NotAFitWithTheCRMsOwner", handoff.Owner{Email: "rep@example.com"}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := sqlLead(p, sqlAt)
			l.Stage, l.Reason, l.Owner, l.ClaimedAt = handoff.StageRecycled, "no budget", tt.owner, tt.claimed
			all := allText(bot.LeadCard(l, sqlAt.Add(time.Hour), p))
			if got := strings.Contains(all, "Worked by"); got != tt.want || !strings.Contains(all, "no budget") {
				t.Errorf("card text %q: names who worked it %v, want %v (and the reason)", all, got, tt.want)
			}
			if tt.want && !strings.Contains(all, "<@slack:U42|") {
				t.Errorf("card text %q does not name the rep", all)
			}
		})
	}
}

func TestCardEscapesLeadData(t *testing.T) {
	p := handoff.DefaultPolicy()
	at := time.Date(2026, 11, 23, 11, 0, 0, 0, time.UTC)
	l := sqlLead(p, at)
	l.Name, l.Company = "<@U999> & co", "<!channel>"
	m := bot.NewLeadCard(l, at, p)
	m.Header = "" // plain text: shown literally, never parsed
	all := allText(m)
	if strings.Contains(all, "<@U999>") || strings.Contains(all, "<!channel>") {
		t.Fatalf("lead data not escaped: %q", all)
	}
	if !strings.Contains(all, "&lt;@U999&gt; &amp; co") {
		t.Fatalf("escaped name missing: %q", all)
	}
}

func allText(m bot.Message) string {
	parts := []string{m.Summary, m.Header}
	for _, s := range m.Sections {
		parts = append(parts, s.Text)
		for _, f := range s.Fields {
			parts = append(parts, f.Key, f.Value)
		}
	}
	parts = append(parts, m.Context...)
	for _, b := range m.Buttons {
		parts = append(parts, b.Text)
	}
	return strings.Join(parts, "\n")
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{20 * time.Second, "less than a minute"},
		{45 * time.Minute, "45 min"},
		{2 * time.Hour, "2 h"},
		{90 * time.Minute, "1 h 30 min"},
		{52 * time.Hour, "2 d 4 h"},
		{48 * time.Hour, "2 d"},
	}
	for _, tt := range tests {
		if got := bot.FormatDuration(tt.d); got != tt.want {
			t.Errorf("FormatDuration(%s) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestFormatAmount(t *testing.T) {
	tests := []struct {
		minor    int64
		currency string
		want     string
	}{
		{0, "DKK", "DKK 0"},
		{4_000_000, "DKK", "DKK 40,000"},
		{125_050, "EUR", "EUR 1,250.50"},
		{123_456_789_00, "", "DKK 123,456,789"},
		{-150, "USD", "USD -1.50"},
	}
	for _, tt := range tests {
		if got := bot.FormatAmount(tt.minor, tt.currency); got != tt.want {
			t.Errorf("FormatAmount(%d, %q) = %q, want %q", tt.minor, tt.currency, got, tt.want)
		}
	}
}

func TestParseAmount(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{"40000", 4_000_000, false},
		{"40 000", 4_000_000, false},
		{"1250.5", 125_050, false},
		{"1250,50", 125_050, false},
		{"0", 0, false},
		{"", 0, true},
		{"abc", 0, true},
		{"-5", 0, true},
		{"1.234", 0, true},
		{"1e20", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := bot.ParseAmount(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("ParseAmount(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestPermanentAndRetryAfter(t *testing.T) {
	base := &bot.RetryAfterError{After: 3 * time.Second}
	if bot.IsPermanent(base) {
		t.Fatal("RetryAfterError is not permanent")
	}
	if !bot.IsPermanent(bot.Permanent(base)) {
		t.Fatal("Permanent(err) is not permanent")
	}
	if bot.Permanent(nil) != nil {
		t.Fatal("Permanent(nil) != nil")
	}
}

func TestCount(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want string
	}{{0, "0 open breaches"}, {1, "1 open breach"}, {2, "2 open breaches"}, {1250, "1250 open breaches"}} {
		if got := bot.Count(tc.n, "open breach", "open breaches"); got != tc.want {
			t.Errorf("Count(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}

// The card of an erased lead, in every stage it can be erased in, says
// that its personal data was erased, where it named the person, rather
// than "Unknown person", which reads like a lead that came without a name.
// Its buttons let nobody take it up (no Claim, Release or Reassign), and
// every open stage keeps a way to close it: Not a fit for an unclaimed
// SQL, Lost from the claimed card on, so that a lead whose owner left can
// be closed by a manager.
func TestErasedLeadCardSaysErased(t *testing.T) {
	p := copenhagen(t)
	owner := handoff.Owner{Platform: "slack", UserID: "U0REP42"}
	tests := []struct {
		stage       handoff.Stage
		wantButtons []string
	}{
		{handoff.StageSQL, []string{bot.ActionNotAFit}},
		{handoff.StageClaimed, []string{bot.ActionLogContact, bot.ActionLost}},
		{handoff.StageContacted, []string{bot.ActionOpportunity, bot.ActionWon, bot.ActionLost, bot.ActionRecycle}},
		{handoff.StageOpportunity, []string{bot.ActionWon, bot.ActionLost, bot.ActionRecycle}},
		{handoff.StageWon, nil},
		{handoff.StageLost, nil},
		{handoff.StageRecycled, nil},
	}
	for _, tt := range tests {
		t.Run(string(tt.stage), func(t *testing.T) {
			m := bot.LeadCard(fixtures.Erased(fixtures.OwnedLead(p, tt.stage, owner)), fixtures.Now, p)
			if got := m.Sections[0].Text; got != bot.ErasedPerson || strings.Contains(got, "Unknown person") {
				t.Errorf("person line %q, want %q", got, bot.ErasedPerson)
			}
			var got []string
			for _, b := range m.Buttons {
				got = append(got, b.ActionID)
			}
			if strings.Join(got, ",") != strings.Join(tt.wantButtons, ",") {
				t.Errorf("buttons = %v, want %v", got, tt.wantButtons)
			}
		})
	}
}
