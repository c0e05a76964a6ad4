package report_test

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/outbox"
	"github.com/handoff/handoff/bot/report"
	slackbot "github.com/handoff/handoff/bot/slack"
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/internal/testkit"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// w45 is ISO week 45 of 2026 in Copenhagen: Mon 2 Nov to Mon 9 Nov local,
// [1 Nov 23:00Z, 8 Nov 23:00Z).
func w45(t *testing.T, p handoff.Policy) handoff.DigestRequest {
	t.Helper()
	week, err := handoff.ParsePeriod("2026-W45", reportNow, p.Location)
	if err != nil {
		t.Fatal(err)
	}
	return handoff.DigestRequest{Week: week.Label, Start: week.Start, End: week.End}
}

func TestBuildDigest(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		p := buildReportLog(t, s)
		m, err := report.BuildDigest(context.Background(), s, p, w45(t, p), reportNow)
		if err != nil {
			t.Fatal(err)
		}
		if m.Header != "📬 Weekly SLA digest · 2026-W45" || m.Private {
			t.Errorf("header = %q, private = %v", m.Header, m.Private)
		}
		// In week 45: acme and berg became SQLs, were claimed (1 h, 3 h)
		// and contacted (4 h, 72 h); acme's deadline was met, berg's
		// breached; acme was won for DKK 60,000. The week is 7/30 of
		// November: 4.67 SQLs and 1.17 customers were due, shown to a decimal.
		for key, want := range map[string]string{
			"Contacted in time":         "50% (1 of 2)",
			"Open breaches now":         "⚠️ 1", // gorm
			"Median time to claim":      "2 h",
			"Median time to contact":    "1 d 14 h",
			"Marketing: SQLs delivered": "2 (target 4.7) ⚠️",
			"Sales: customers won":      "1 (target 1.2) ⚠️ · DKK 60,000",
		} {
			if got := fieldOf(t, m, key); got != want {
				t.Errorf("%s = %q, want %q", key, got, want)
			}
		}
		wantRows(t, tableOf(t, m, "Per rep"), [][]string{
			{rep2Ref, "1", "1", "0 of 1", "1", "3 d"},
			{rep1Ref, "1", "1", "1 of 1", "0", "4 h"},
		})
		wantRows(t, tableOf(t, m, "Breached"), [][]string{{"Gorm &amp; Co (gorm)", "unclaimed", "contact by Thu 12 Nov 01:00", "8 d 9 h"}})
		if len(m.Charts) != 3 {
			t.Fatalf("charts = %+v, want volume and SLA trends and speed to lead", m.Charts)
		}
		// acme, contacted after 4 h, was won; berg, after 72 h, lost.
		// Only the buckets with leads are drawn, each with how many.
		if speed := m.Charts[2]; !strings.HasPrefix(speed.Title, "Won by speed of first contact") ||
			!reflect.DeepEqual(speed.Categories, []string{"4h-24h (1)", ">24h (1)"}) || !reflect.DeepEqual(speed.Series[0].Values, []float64{100, 0}) {
			t.Errorf("speed chart = %+v", speed)
		}
		volume, sla := m.Charts[0], m.Charts[1]
		wantCats := []string{"W38", "W39", "W40", "W41", "W42", "W43", "W44", "W45"}
		if !reflect.DeepEqual(volume.Categories, wantCats) || !reflect.DeepEqual(sla.Categories, []string{"W45"}) {
			t.Errorf("categories = %q / %q, want %q / only W45 (the weeks before had no deadline settled)", volume.Categories, sla.Categories, wantCats)
		}
		if got := volume.Series[0].Values; !reflect.DeepEqual(got, []float64{0, 0, 0, 0, 0, 0, 0, 2}) {
			t.Errorf("SQL trend = %v", got)
		}
		if got := volume.Series[1].Values; !reflect.DeepEqual(got, []float64{0, 0, 0, 0, 0, 0, 0, 1}) {
			t.Errorf("won trend = %v", got)
		}
		if got := sla.Series[0].Values; !reflect.DeepEqual(got, []float64{50}) {
			t.Errorf("in-time trend = %v", got)
		}
	})
}

func TestBuildDigestTrendCountsEachWeek(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		p := buildReportLog(t, s)
		// Week 47 (16–22 Nov): dansk and fyn became SQLs; their contact
		// deadlines (21 and 22 Nov) are still ahead at now, so pending.
		// Week 46 (9–15 Nov): gorm's SQL (10 Nov) and its breach (12 Nov).
		week, err := handoff.ParsePeriod("2026-W47", reportNow, p.Location)
		if err != nil {
			t.Fatal(err)
		}
		m, err := report.BuildDigest(context.Background(), s, p, handoff.DigestRequest{Week: week.Label}, reportNow)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.Charts[0].Series[0].Values[5:]; !reflect.DeepEqual(got, []float64{2, 1, 2}) {
			t.Errorf("SQLs in W45–W47 = %v, want [2 1 2]", got)
		}
		// W46's 0 % is gorm's breach; W47, only pending, has no share and
		// no point (nor have the weeks before W45).
		sla := m.Charts[1]
		if !reflect.DeepEqual(sla.Categories, []string{"W45", "W46"}) || !reflect.DeepEqual(sla.Series[0].Values, []float64{50, 0}) {
			t.Errorf("in time = %q %v, want W45 50 and W46 0 only", sla.Categories, sla.Series[0].Values)
		}
		if want := "Contacted in time, 2 of the last 8 weeks"; sla.Title != want {
			t.Errorf("in-time chart title = %q, want %q", sla.Title, want)
		}
		if got := fieldOf(t, m, "Contacted in time"); got != "– · 2 pending" {
			t.Errorf("W47 SLA = %q, want only pending", got)
		}
	})
}

const botToken = "xoxb-test"

// quiet and drain are the shared rig pieces.
var (
	quiet = testkit.Quiet
	drain = testkit.Drain
)

// recorder is a bot.Platform that records posts.
type recorder struct {
	mu    sync.Mutex
	name  string
	posts map[string][]bot.Message
}

func (r *recorder) Name() string { return r.name }
func (r *recorder) Post(ctx context.Context, channel string, msg bot.Message) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.posts == nil {
		r.posts = map[string][]bot.Message{}
	}
	r.posts[channel] = append(r.posts[channel], msg)
	return "id-1", nil
}
func (r *recorder) Update(context.Context, string, string, bot.Message) error      { return nil }
func (r *recorder) PostPrivate(context.Context, string, string, bot.Message) error { return nil }
func (r *recorder) DirectMessage(context.Context, string, bot.Message) (string, string, error) {
	return "", "", nil
}
func (r *recorder) Reply(context.Context, string, bot.Message) error { return nil }

func TestDispatchDigestToEveryManagersChannel(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		p := buildReportLog(t, s)
		fake := slacktest.New(botToken)
		t.Cleanup(fake.Close)
		teams := &recorder{name: "teams"}
		disp := outbox.New(outbox.Config{
			Store: s, Policy: p, Now: func() time.Time { return reportNow }, Logger: quiet(),
			Targets: []bot.Target{
				{Platform: slackbot.NewPlatform(slackbot.NewClient(botToken, "", fake.APIURL(), slacktest.ClientTimeout)), SalesChannel: "CSALES", ManagerChannel: "CMANAGERS"},
				{Platform: teams, SalesChannel: "19:sales", ManagerChannel: "19:managers"},
			},
		})
		drain(t, disp) // the leads' own announcements
		before := len(fake.Calls("chat.postMessage"))
		payload, _ := json.Marshal(w45(t, p))
		if err := s.Enqueue(context.Background(), reportNow, handoff.OutboxMessage{Kind: handoff.OutboxDigest, Payload: string(payload)}); err != nil {
			t.Fatal(err)
		}
		drain(t, disp)
		var digests []slacktest.Call
		for _, c := range fake.Calls("chat.postMessage")[before:] {
			if c.Param("channel") == "CMANAGERS" {
				digests = append(digests, c)
			}
		}
		if len(digests) != 1 {
			t.Fatalf("slack digests = %d, want 1", len(digests))
		}
		blocks := digests[0].Param("blocks")
		for _, want := range []string{`"data_table"`, `"data_visualization"`, "2026-W45"} {
			if !strings.Contains(blocks, want) {
				t.Errorf("slack digest blocks lack %s: %s", want, blocks)
			}
		}
		if got := teams.posts["19:managers"]; len(got) != 1 || got[0].Header != "📬 Weekly SLA digest · 2026-W45" {
			t.Errorf("teams digests = %+v, want one", got)
		}
		if st, err := s.OutboxStats(context.Background()); err != nil || st.Dead != 0 || st.Pending != 0 {
			t.Errorf("outbox = %+v, want everything sent", st)
		}
	})
}

// TestDigestAndFunnelAgree is the "one set of numbers" check: a week whose
// SQLs were all contacted in time, their deadlines falling next week. The
// digest, /funnel for that week and the terminal rendering of the digest
// show the same compliance, with its definition, and name every rep.
func TestDigestAndFunnelAgree(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		l := reportLog{t: t, s: s, p: reportPolicy(t)}
		// Week 47 (Mon 16 – Mon 23 Nov, Copenhagen). Four SQLs on Friday
		// and Saturday, due 48 h later (Sunday to Monday, next week), all
		// contacted within hours; one on Sunday not contacted yet.
		teamsRep := handoff.Owner{Platform: "teams", UserID: "29:rita", Email: "rita@example.com"}
		for _, c := range []struct {
			ext, sql, claimed, contacted string
			rep                          handoff.Owner
		}{
			{"w1", "2026-11-20T09:00:00Z", "2026-11-20T09:10:00Z", "2026-11-20T10:00:00Z", rep1},
			{"w2", "2026-11-20T15:00:00Z", "2026-11-20T15:30:00Z", "2026-11-20T18:00:00Z", rep2},
			{"w3", "2026-11-21T08:00:00Z", "2026-11-21T08:20:00Z", "2026-11-21T12:00:00Z", teamsRep},
			{"w4", "2026-11-21T20:00:00Z", "2026-11-21T20:30:00Z", "2026-11-22T09:00:00Z", rep1},
			{"w5", "2026-11-22T12:00:00Z", "", "", handoff.Owner{}},
		} {
			l.move(c.ext, "sql", c.sql, map[string]any{"company": "Co " + c.ext})
			if c.claimed != "" {
				l.claim(c.ext, c.rep, c.claimed)
				l.move(c.ext, "contacted", c.contacted, nil)
			}
		}
		now := time.Date(2026, 11, 23, 7, 0, 0, 0, time.UTC) // Monday 08:00 in Copenhagen
		week, err := handoff.ParsePeriod("2026-W47", now, l.p.Location)
		if err != nil {
			t.Fatal(err)
		}
		digest, err := report.BuildDigest(context.Background(), s, l.p, handoff.DigestRequest{Week: week.Label, Start: week.Start, End: week.End}, now)
		if err != nil {
			t.Fatal(err)
		}
		r := &report.Reports{Store: s, Policy: l.p, Now: func() time.Time { return now }}
		funnel := ask(t, r, "funnel", "2026-W47")
		want := "100% (4 of 4) · 1 pending"
		if got := fieldOf(t, digest, "Contacted in time"); got != want {
			t.Errorf("digest: contacted in time = %q, want %q", got, want)
		}
		if got := fieldOf(t, funnel, "SLA: contacted in time"); got != want {
			t.Errorf("/funnel: contacted in time = %q, want %q", got, want)
		}
		for name, m := range map[string]bot.Message{"digest": digest, "/funnel": funnel} {
			if !slices.Contains(m.Context, handoff.SLAComplianceDefinition) {
				t.Errorf("%s does not state the definition: %q", name, m.Context)
			}
		}
		terminal := report.Render(digest)
		for _, name := range []string{"rep1@example.com", "rep2@example.com", "rita@example.com"} {
			if !strings.Contains(terminal, name) {
				t.Errorf("terminal digest lacks rep %q:\n%s", name, terminal)
			}
		}
		// w5, unclaimed and not yet due, is the header's "1 pending": a row of
		// zeros for nobody would say nothing more, so the reps' three are all.
		if rows := tableOf(t, digest, "Per rep").Rows; len(rows) != 3 {
			t.Errorf("the digest's per-rep table has %d rows, want the 3 reps':\n%s", len(rows), terminal)
		}
		var row string
		for _, line := range strings.Split(terminal, "\n") {
			if strings.Contains(line, "rep1@example.com") {
				row = strings.Join(strings.Fields(line), " ")
			}
		}
		// w1 after 1 h and w4 after 13 h: a median of 7 h.
		if want := "rep1@example.com 2 2 2 of 2 0 7 h"; row != want {
			t.Errorf("terminal digest: rep1's row = %q, want %q", row, want)
		}
	})
}
