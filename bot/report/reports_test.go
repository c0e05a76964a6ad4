package report_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/report"
	"github.com/handoff/handoff/internal/fixtures"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// The report tests write a small month through the real write path
// (SaveLead with occurred_at, ClaimLead) and check every number against an
// answer worked out by hand. The agreement is kept in Europe/Copenhagen
// (UTC+1 in November), 24/7: claim within 2 h, contact within 48 h; targets
// 20 SQLs, 5 customers and DKK 40,000 a month.
//
//	acme  webinar. SQL Mon 2 Nov 09:00Z, claimed by rep1 at 10:00 (1 h),
//	      contacted 13:00 (4 h; due Wed 4 Nov 09:00: met), opportunity
//	      Thu 5 Nov, won Fri 6 Nov 12:00 for DKK 60,000.
//	berg  SQL Tue 3 Nov 09:00Z, claimed by rep2 at 12:00 (3 h), contacted
//	      Fri 6 Nov 09:00 (72 h; due Thu 5 Nov 09:00: breached), lost Sun 8 Nov.
//	dansk SQL Thu 19 Nov 12:00Z, claimed by rep1 at 12:30 (30 min), not
//	      contacted; due Sat 21 Nov 12:00Z: pending, 27 h left at now.
//	fyn   SQL Fri 20 Nov 08:30Z, unclaimed: claim due 10:30Z, 1 h 30 min
//	      left; contact due Sun 22 Nov 08:30Z: pending.
//	gorm  SQL Tue 10 Nov 00:00Z, never claimed; contact due Thu 12 Nov
//	      00:00Z: breached, 8 d 9 h late at now.
//	hav   MQL Wed 4 Nov 10:00Z (lead implied).
//
// Now is Fri 20 Nov 2026 09:00Z (10:00 in Copenhagen).
var (
	reportNow = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	rep1      = handoff.Owner{Platform: "slack", UserID: "U1", Email: "rep1@example.com"}
	rep2      = handoff.Owner{Platform: "slack", UserID: "U2", Email: "rep2@example.com"}
	rep1Ref   = bot.MentionOn("slack", "U1", "rep1@example.com")
	rep2Ref   = bot.MentionOn("slack", "U2", "rep2@example.com")
)

// reportPolicy is Copenhagen with targets in DKK.
var reportPolicy = fixtures.ReportPolicy

type reportLog struct {
	t *testing.T
	s *storage.Store
	p handoff.Policy
}

func (l reportLog) move(ext, stage, at string, extra map[string]any) {
	l.t.Helper()
	raw := map[string]any{"external_id": ext, "stage": stage, "occurred_at": at}
	for k, v := range extra {
		raw[k] = v
	}
	when, _ := time.Parse(time.RFC3339, at)
	in, err := handoff.ParseLeadInput(raw, when)
	if err != nil {
		l.t.Fatalf("ParseLeadInput(%v): %v", raw, err)
	}
	if _, err := l.s.SaveLead(context.Background(), in, l.p, when, handoff.ActorAPI); err != nil {
		l.t.Fatalf("SaveLead %s %s: %v", ext, stage, err)
	}
}

func (l reportLog) claim(ext string, o handoff.Owner, at string) {
	l.t.Helper()
	ctx := context.Background()
	lead, err := l.s.LeadByExternalID(ctx, ext)
	if err != nil {
		l.t.Fatal(err)
	}
	when, _ := time.Parse(time.RFC3339, at)
	if _, won, err := l.s.ClaimLead(ctx, lead.ID, o, when, handoff.Policy{}, o.Platform+":"+o.UserID); err != nil || !won {
		l.t.Fatalf("ClaimLead %s: won=%v err=%v", ext, won, err)
	}
}

func buildReportLog(t *testing.T, s *storage.Store) handoff.Policy {
	t.Helper()
	l := reportLog{t: t, s: s, p: reportPolicy(t)}
	l.move("acme", "sql", "2026-11-02T09:00:00Z", map[string]any{"company": "Acme A/S", "name": "Ann", "source": "webinar"})
	l.claim("acme", rep1, "2026-11-02T10:00:00Z")
	l.move("acme", "contacted", "2026-11-02T13:00:00Z", nil)
	l.move("acme", "opportunity", "2026-11-05T10:00:00Z", nil)
	l.move("acme", "won", "2026-11-06T12:00:00Z", map[string]any{"amount": 60000.0})
	l.move("berg", "sql", "2026-11-03T09:00:00Z", map[string]any{"company": "Berg ApS"})
	l.claim("berg", rep2, "2026-11-03T12:00:00Z")
	l.move("berg", "contacted", "2026-11-06T09:00:00Z", nil)
	l.move("berg", "lost", "2026-11-08T10:00:00Z", map[string]any{"reason": "No budget"})
	l.move("dansk", "sql", "2026-11-19T12:00:00Z", map[string]any{"company": "Dansk Data"})
	l.claim("dansk", rep1, "2026-11-19T12:30:00Z")
	l.move("fyn", "sql", "2026-11-20T08:30:00Z", map[string]any{"company": "Fyn Fisk"})
	l.move("gorm", "sql", "2026-11-10T00:00:00Z", map[string]any{"company": "Gorm & Co"})
	l.move("hav", "mql", "2026-11-04T10:00:00Z", map[string]any{"company": "Hav"})
	return l.p
}

func reports(s *storage.Store, p handoff.Policy) *report.Reports {
	return &report.Reports{Store: s, Policy: p, Now: func() time.Time { return reportNow }}
}

func ask(t *testing.T, r *report.Reports, name, text string) bot.Message {
	t.Helper()
	m, err := r.Answer(context.Background(), bot.Command{Platform: "slack", Name: name, Text: text, UserID: "U1", Channel: "CMKT", SeesLeads: true})
	if err != nil {
		t.Fatalf("/%s %s: %v", name, text, err)
	}
	return m
}

// tableOf returns the message's table whose title starts with prefix.
func tableOf(t *testing.T, m bot.Message, prefix string) bot.Table {
	t.Helper()
	for _, tb := range m.Tables {
		if strings.HasPrefix(tb.Title, prefix) {
			return tb
		}
	}
	t.Fatalf("no table %q in %+v", prefix, m.Tables)
	return bot.Table{}
}

func fieldOf(t *testing.T, m bot.Message, key string) string {
	t.Helper()
	for _, s := range m.Sections {
		for _, f := range s.Fields {
			if f.Key == key {
				return f.Value
			}
		}
	}
	t.Fatalf("no field %q in %+v", key, m.Sections)
	return ""
}

func wantRows(t *testing.T, tb bot.Table, want [][]string) {
	t.Helper()
	if !reflect.DeepEqual(tb.Rows, want) {
		t.Errorf("table %q rows:\n got %q\nwant %q", tb.Title, tb.Rows, want)
	}
}

func TestReportsFunnel(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		p := buildReportLog(t, s)
		r := reports(s, p)

		t.Run("Month", func(t *testing.T) {
			m := ask(t, r, "funnel", "")
			if !m.Private || m.Header != "📊 Funnel 2026-11" {
				t.Errorf("private = %v, header = %q; want a private answer for 2026-11", m.Private, m.Header)
			}
			// Six leads (every one's lead stage is implied in November),
			// five SQLs, three claimed, two contacted, one opportunity, won.
			wantRows(t, tableOf(t, m, "Funnel"), [][]string{
				{"Leads", "6", ""},
				{"MQLs", "6", "100%"},
				{"SQLs", "5", "83%"},
				{"Claimed", "3", "60%"},
				{"Contacted", "2", "67%"},
				{"Opportunities", "1", "50%"},
				{"Won", "1", "100%"},
			})
			for key, want := range map[string]string{
				"Revenue":                "DKK 60,000",
				"Average deal size":      "DKK 60,000",
				"Median time to claim":   "1 h",      // of 1 h, 3 h, 30 min
				"Median time to contact": "1 d 14 h", // mean of 4 h and 72 h
				"SLA: contacted in time": "33% (1 of 3) · 2 pending",
				"Lost / recycled":        "1 / 0",
			} {
				if got := fieldOf(t, m, key); got != want {
					t.Errorf("%s = %q, want %q", key, got, want)
				}
			}
			// 19 days 10 hours of November's 30 days have passed: 466/720
			// of the month, so 12.94 SQLs and 3.24 customers are due by now.
			wantRows(t, tableOf(t, m, "Targets"), [][]string{
				{"Marketing: SQLs delivered", "20", "12.9", "5", "⚠️ behind"},
				{"Sales: customers won", "5", "3.2", "1", "⚠️ behind"},
				{"Sales: average deal size", "DKK 40,000", "DKK 40,000", "DKK 60,000", "✅ on track"},
			})
			if len(m.Charts) != 2 || !reflect.DeepEqual(m.Charts[0].Series[0].Values, []float64{6, 6, 5, 3, 2, 1, 1}) ||
				!reflect.DeepEqual(m.Charts[1].Categories, []string{"4h-24h (1)", ">24h (1)"}) || !reflect.DeepEqual(m.Charts[1].Series[0].Values, []float64{100, 0}) {
				t.Errorf("charts = %+v, want the funnel as bars and won by speed of first contact", m.Charts)
			}
			// Marketing's side: acme (webinar) won; berg lost for "No
			// budget" (a reason of the list); dansk, fyn and gorm open.
			wantRows(t, tableOf(t, m, "Marketing: SQLs by source and campaign"), [][]string{
				{"(no source)", "4", "2", "0", "0", "0", "DKK 0", "no budget (1)"},
				{"webinar", "1", "1", "0", "0", "1", "DKK 60,000", "–"},
			})
			if !slices.Contains(m.Context, "Leads contacted after a day won 0% (of 1). Speed of first contact counts around the clock from becoming an SQL.") {
				t.Errorf("context = %q, want the speed-to-lead sentence and how speed is counted", m.Context)
			}
		})

		t.Run("SourceAndPublic", func(t *testing.T) {
			m := ask(t, r, "funnel", "2026-11 webinar public")
			if m.Private || m.Header != "📊 Funnel 2026-11 · webinar" {
				t.Errorf("private = %v, header = %q; want a public answer for webinar", m.Private, m.Header)
			}
			if got := tableOf(t, m, "Funnel").Rows[2]; !reflect.DeepEqual(got, []string{"SQLs", "1", "100%"}) {
				t.Errorf("SQLs row = %q, want 1 SQL from webinar", got)
			}
			for _, tb := range m.Tables {
				if strings.HasPrefix(tb.Title, "Targets") {
					t.Errorf("targets shown for one source: %+v", tb)
				}
			}
		})

		t.Run("LastMonthIsEmpty", func(t *testing.T) {
			m := ask(t, r, "funnel", "last-month")
			if m.Header != "📊 Funnel 2026-10" || fieldOf(t, m, "Average deal size") != "–" || fieldOf(t, m, "SLA: contacted in time") != "– (nothing settled)" {
				t.Errorf("empty October = %q / %q / %q", m.Header, fieldOf(t, m, "Average deal size"), fieldOf(t, m, "SLA: contacted in time"))
			}
		})

		t.Run("Help", func(t *testing.T) {
			m := ask(t, r, "funnel", "help")
			if !m.Private || !strings.Contains(m.Sections[0].Text, "2026-W47") {
				t.Errorf("help = %+v, want the period forms, privately", m)
			}
		})

		t.Run("BadArguments", func(t *testing.T) {
			for _, text := range []string{"2026-13", "lastmonth", "month week", "webinar paid"} {
				_, err := r.Answer(context.Background(), bot.Command{Name: "funnel", Text: text, UserID: "U1"})
				if handoff.ErrorCode(err) != handoff.EINVALID || !strings.Contains(handoff.ErrorMessage(err), "/funnel help") {
					t.Errorf("/funnel %s: err = %v, want EINVALID pointing to /funnel help", text, err)
				}
			}
		})
	})
}

func TestReportsSLA(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		p := buildReportLog(t, s)
		m := ask(t, reports(s, p), "sla", "")
		if !m.Private {
			t.Error("/sla is not private")
		}
		wantRows(t, tableOf(t, m, "Unclaimed"), [][]string{{"Fyn Fisk (fyn)", "30 min", "Fri 11:30", "1 h 30 min"}})
		wantRows(t, tableOf(t, m, "Claimed, not yet contacted"), [][]string{{"Dansk Data (dansk)", rep1Ref, "Sat 13:00", "1 d 3 h"}})
		wantRows(t, tableOf(t, m, "Breached"), [][]string{{"Gorm &amp; Co (gorm)", "unclaimed", "contact by Thu 12 Nov 01:00", "8 d 9 h"}})
		// November's deadlines: acme met, dansk pending (rep1); berg
		// breached (rep2); gorm breached and fyn pending (nobody).
		wantRows(t, tableOf(t, m, "Compliance per rep, 2026-11"), [][]string{
			{"nobody (unclaimed)", "2", "0", "1", "1", "0%"},
			{rep2Ref, "1", "0", "1", "0", "0%"},
			{rep1Ref, "2", "1", "0", "1", "100%"},
		})
		if fieldOf(t, m, "Breached") != "⚠️ 1" {
			t.Errorf("breached = %q", fieldOf(t, m, "Breached"))
		}

		// Another period changes only the compliance per rep: October had
		// no deadlines; the week of 2 Nov had acme's (met) and berg's
		// (breached).
		r := reports(s, p)
		wantRows(t, tableOf(t, ask(t, r, "sla", "last-month"), "Compliance per rep, 2026-10"), nil)
		week := ask(t, r, "sla", "2026-W45")
		wantRows(t, tableOf(t, week, "Compliance per rep, 2026-W45"), [][]string{
			{rep2Ref, "1", "0", "1", "0", "0%"},
			{rep1Ref, "1", "1", "0", "0", "100%"},
		})
		wantRows(t, tableOf(t, week, "Breached"), [][]string{{"Gorm &amp; Co (gorm)", "unclaimed", "contact by Thu 12 Nov 01:00", "8 d 9 h"}})
		if m := ask(t, r, "sla", "help"); !strings.Contains(m.Sections[0].Text, "/sla [period]") {
			t.Errorf("/sla help = %+v", m)
		}
		for _, text := range []string{"2026-13", "month week", "webinar"} {
			_, err := r.Answer(context.Background(), bot.Command{Name: "sla", Text: text, UserID: "U1"})
			if handoff.ErrorCode(err) != handoff.EINVALID || !strings.Contains(handoff.ErrorMessage(err), "/sla [period]") {
				t.Errorf("/sla %s: err = %v, want EINVALID with the usage", text, err)
			}
		}
	})
}

func TestReportsLeads(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		p := buildReportLog(t, s)
		r := reports(s, p)

		wantRows(t, tableOf(t, ask(t, r, "leads", ""), "Your open leads"), [][]string{
			{"Dansk Data (dansk)", "claimed", "contact by Sat 13:00 (1 d 3 h left)"},
		})
		wantRows(t, tableOf(t, ask(t, r, "leads", "open"), "Open leads"), [][]string{
			{"Gorm &amp; Co (gorm)", "sql", "unclaimed", "⚠️ claim overdue by 10 d 7 h"},
			{"Dansk Data (dansk)", "claimed", rep1Ref, "contact by Sat 13:00 (1 d 3 h left)"},
			{"Fyn Fisk (fyn)", "sql", "unclaimed", "claim by Fri 11:30 (1 h 30 min left)"},
		})

		breached := ask(t, r, "leads", "breached")
		if breached.Header != "🚨 Breached leads" || !breached.Private {
			t.Errorf("/leads breached header = %q, private = %v", breached.Header, breached.Private)
		}
		wantRows(t, tableOf(t, breached, "Breached (1)"), [][]string{{"Gorm &amp; Co (gorm)", "unclaimed", "contact by Thu 12 Nov 01:00", "8 d 9 h"}})

		m := ask(t, r, "leads", "acme")
		if m.Header != "📜 Acme A/S (acme)" {
			t.Errorf("header = %q", m.Header)
		}
		var what []string
		for _, row := range tableOf(t, m, "History").Rows {
			what = append(what, row[0]+" "+row[1]+" "+row[2])
		}
		want := []string{
			"Mon 2 Nov 2026 10:00 → lead (implied) api",
			"Mon 2 Nov 2026 10:00 → mql (implied) api",
			"Mon 2 Nov 2026 10:00 → sql api",
			"Mon 2 Nov 2026 11:00 → claimed " + bot.MentionOn("slack", "U1", ""),
			"Mon 2 Nov 2026 14:00 → contacted api",
			"Thu 5 Nov 2026 11:00 → opportunity api",
			"Fri 6 Nov 2026 13:00 → won api",
		}
		if !reflect.DeepEqual(what, want) {
			t.Errorf("history:\n got %q\nwant %q", what, want)
		}

		_, err := r.Answer(context.Background(), bot.Command{Name: "leads", Text: "nope", UserID: "U1", SeesLeads: true})
		if handoff.ErrorCode(err) != handoff.ENOTFOUND || !strings.Contains(handoff.ErrorMessage(err), "`nope`") {
			t.Errorf("unknown lead: err = %v, want ENOTFOUND naming it", err)
		}
	})
}

// TestReportsWithoutLeadAccess: someone outside the sales channel gets
// /funnel and the /sla totals, but no lead: /leads in every form is
// refused politely and /sla names none.
func TestReportsWithoutLeadAccess(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		p := buildReportLog(t, s)
		r := reports(s, p)
		ctx := context.Background()
		outsider := func(name, text string) (bot.Message, error) {
			return r.Answer(ctx, bot.Command{Platform: "slack", Name: name, Text: text, UserID: "UMKT", Channel: "CMKT"})
		}
		for _, text := range []string{"", "mine", "open", "acme", "nope"} {
			if _, err := outsider("leads", text); handoff.ErrorCode(err) != handoff.EFORBIDDEN || !strings.Contains(handoff.ErrorMessage(err), "sales channel") {
				t.Errorf("/leads %s by an outsider: %v, want a polite refusal", text, err)
			}
		}
		if _, err := outsider("funnel", "month"); err != nil {
			t.Errorf("/funnel month by an outsider: %v", err)
		}
		m, err := outsider("sla", "")
		if err != nil {
			t.Fatalf("/sla by an outsider: %v", err)
		}
		if fieldOf(t, m, "Unclaimed") != "1" || fieldOf(t, m, "Breached") != "⚠️ 1" {
			t.Errorf("/sla totals = %+v", m.Sections)
		}
		raw := fmt.Sprintf("%+v", m)
		for _, company := range []string{"Fyn Fisk", "Dansk Data", "Gorm", "fyn", "dansk"} {
			if strings.Contains(raw, company) {
				t.Errorf("/sla for an outsider shows the lead %q: %s", company, raw)
			}
		}
	})
}
