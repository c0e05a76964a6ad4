package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/internal/fixtures"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// reportNow is Friday 20 November 2026, 10:00 in Copenhagen.
var reportNow = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

// reportPolicy is the agreement of bot/report's tests: Copenhagen, with
// targets in DKK.
var reportPolicy = fixtures.ReportPolicy

// octoberCounts is bot/report's full month, whose table is its golden
// file last_month.txt.
var octoberCounts = fixtures.OctoberCounts

// fakeCounter is the store at the edge of the command: it records the
// filter it was asked for and answers fixed counts.
type fakeCounter struct {
	got    handoff.FunnelFilter
	counts handoff.FunnelCounts
	err    error
}

func (f *fakeCounter) FunnelCounts(ctx context.Context, filter handoff.FunnelFilter) (handoff.FunnelCounts, error) {
	f.got = filter
	return f.counts, f.err
}

// parseInto parses args onto o's flags as the command table does.
func parseInto(o interface{ declare(*flag.FlagSet) }, args []string) error {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	o.declare(fs)
	_, err := parseArgs(fs, args)
	return err
}

// funnelCommand runs `handoff funnel` with args against store.
func funnelCommand(ctx context.Context, args []string, store funnelStore, policy handoff.Policy, now time.Time, out io.Writer) error {
	var o funnelOptions
	if err := parseInto(&o, args); err != nil {
		return err
	}
	return o.run(ctx, store, policy, now, out)
}

// digestCommand runs `handoff digest` with args against store.
func digestCommand(ctx context.Context, args []string, store digestStore, policy handoff.Policy, now time.Time, out io.Writer) error {
	var o digestOptions
	if err := parseInto(&o, args); err != nil {
		return err
	}
	return o.run(ctx, store, policy, now, out)
}

func TestFunnelCommand(t *testing.T) {
	ctx := context.Background()
	policy := reportPolicy(t)

	t.Run("TableIsTheDefault", func(t *testing.T) {
		store := &fakeCounter{counts: octoberCounts}
		var out bytes.Buffer
		if err := funnelCommand(ctx, []string{"--period", "last-month"}, store, policy, reportNow, &out); err != nil {
			t.Fatal(err)
		}
		if store.got.Period.Label != "2026-10" || !store.got.Now.Equal(reportNow) {
			t.Errorf("filter = %+v", store.got)
		}
		// The same text as report.FunnelReport's golden file.
		want, err := os.ReadFile("../../bot/report/testdata/last_month.txt")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), want) {
			t.Errorf("table = %s, want %s", out.Bytes(), want)
		}
	})

	t.Run("DefaultPeriodIsThisMonth", func(t *testing.T) {
		store := &fakeCounter{}
		if err := funnelCommand(ctx, nil, store, policy, reportNow, &bytes.Buffer{}); err != nil {
			t.Fatal(err)
		}
		if store.got.Period.Label != "2026-11" {
			t.Errorf("period = %s, want 2026-11", store.got.Period.Label)
		}
	})

	t.Run("FiltersAndCSVWithoutHeader", func(t *testing.T) {
		store := &fakeCounter{counts: octoberCounts}
		var out bytes.Buffer
		args := []string{"-period=2026-W47", "-source", "organic", "--owner", "U1", "--format", "csv", "--header=false"}
		if err := funnelCommand(ctx, args, store, policy, reportNow, &out); err != nil {
			t.Fatal(err)
		}
		if store.got.Source != "organic" || store.got.Owner != "U1" || store.got.Period.Label != "2026-W47" {
			t.Errorf("filter = %+v", store.got)
		}
		if !strings.HasPrefix(out.String(), "2026-W47,2026-11-16,2026-11-22,organic,U1,DKK,") || strings.Count(out.String(), "\n") != 1 {
			t.Errorf("csv = %q", out.String())
		}
	})

	t.Run("JSON", func(t *testing.T) {
		var out bytes.Buffer
		if err := funnelCommand(ctx, []string{"--format", "json"}, &fakeCounter{}, policy, reportNow, &out); err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(out.Bytes(), &m); err != nil || m["leads"] != 0.0 || m["lead_to_mql"] != nil {
			t.Errorf("json = %s (%v)", out.String(), err)
		}
	})

	t.Run("Help", func(t *testing.T) {
		e, out, _ := testEnv(nil, "funnel", "-h")
		if code := run(ctx, e); code != 0 || !strings.Contains(out.String(), "usage: handoff funnel") ||
			!strings.Contains(out.String(), "-period") || !strings.Contains(out.String(), "last-month") {
			t.Errorf("exit %d, help = %s", code, out.String())
		}
	})

	t.Run("BadInput", func(t *testing.T) {
		for _, args := range [][]string{
			{"--period", "fortnight"},
			{"--format", "xlsx"},
		} {
			var out bytes.Buffer
			err := funnelCommand(ctx, args, &fakeCounter{}, policy, reportNow, &out)
			if handoff.ErrorCode(err) != handoff.EINVALID {
				t.Errorf("%v: error %v, want EINVALID", args, err)
			}
			if out.Len() != 0 {
				t.Errorf("%v wrote %q", args, out.String())
			}
		}
		err := funnelCommand(ctx, []string{"--period", "fortnight"}, &fakeCounter{}, policy, reportNow, &bytes.Buffer{})
		if !strings.Contains(err.Error(), "last-month") {
			t.Errorf("error %q does not list the periods", err)
		}
	})

	t.Run("StoreFailure", func(t *testing.T) {
		boom := errors.New("database is gone")
		err := funnelCommand(ctx, nil, &fakeCounter{err: boom}, policy, reportNow, &bytes.Buffer{})
		if !errors.Is(err, boom) {
			t.Errorf("error %v, want it to wrap the store's", err)
		}
	})
}

func TestDigestCommand(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		p := handoff.DefaultPolicy()
		p.Targets = handoff.Targets{SQLsPerMonth: 20, Currency: "DKK"}
		// One SQL in week 47 (UTC), claimed after 30 min and contacted
		// after 3 h, within its 48 h deadline (Wed 18 Nov 10:00Z).
		sqlAt := time.Date(2026, 11, 16, 10, 0, 0, 0, time.UTC)
		res, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: "d1", Company: "Delta ApS", Stage: handoff.StageSQL, OccurredAt: &sqlAt}, p, sqlAt, handoff.ActorAPI)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.ClaimLead(ctx, res.Lead.ID, handoff.Owner{Platform: "slack", UserID: "U1", Email: "ann@delta.dk"}, sqlAt.Add(30*time.Minute), handoff.Policy{}, "slack:U1"); err != nil {
			t.Fatal(err)
		}
		contacted := sqlAt.Add(3 * time.Hour)
		if _, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: "d1", Stage: handoff.StageContacted, OccurredAt: &contacted}, p, contacted, handoff.ActorAPI); err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC) // Wednesday of week 48

		var out bytes.Buffer
		if err := digestCommand(ctx, []string{"--print"}, s, p, now, &out); err != nil {
			t.Fatal(err)
		}
		got := out.String()
		// Last week is 2026-W47, 7/30 of November: 4.67 SQLs were due.
		for _, want := range []string{
			"📬 Weekly SLA digest · 2026-W47",
			"Contacted in time          100% (1 of 1)",
			"Median time to claim       30 min",
			"Median time to contact     3 h",
			"Marketing: SQLs delivered  1 (target 4.7) ⚠️",
			"ann@delta.dk        1          1   1 of 1         0  3 h",
			"W47  ██████████████████████████████ 1",
		} {
			if !strings.Contains(got, want) {
				t.Errorf("digest lacks %q:\n%s", want, got)
			}
		}

		out.Reset()
		if err := digestCommand(ctx, []string{"--week", "2026-W46"}, s, p, now, &out); err != nil {
			t.Fatal(err)
		}
		msgs, err := s.TakeOutbox(ctx, now.Add(time.Second), 50, time.Minute, "test")
		if err != nil {
			t.Fatal(err)
		}
		var queued []handoff.DigestRequest
		for _, m := range msgs {
			if m.Kind == handoff.OutboxDigest {
				var req handoff.DigestRequest
				if err := json.Unmarshal([]byte(m.Payload), &req); err != nil {
					t.Fatal(err)
				}
				queued = append(queued, req)
			}
		}
		if len(queued) != 1 || queued[0].Week != "2026-W46" || !queued[0].Start.Equal(time.Date(2026, 11, 9, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("queued = %+v, want one digest for 2026-W46", queued)
		}

		for _, args := range [][]string{{"--week", "2026-11"}, {"--week", "2026-W60"}} {
			if err := digestCommand(ctx, args, s, p, now, &out); handoff.ErrorCode(err) != handoff.EINVALID {
				t.Errorf("%v: err = %v, want EINVALID", args, err)
			}
		}
	})
}

// `handoff funnel` on a store with a routed week: one rep passes a lead,
// lets one run out, accepts one after 3 minutes and is away while a fourth
// waits. The table shows the rep's routing and the team's line apart from
// claim-to-contact; a week without routing shows none.
func TestFunnelCommandRouting(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		ann := handoff.RepRef{Platform: "slack", ID: "U0ANN0001"}
		policy := reportPolicy(t)
		policy.Routing = handoff.Routing{Mode: handoff.RouteRoundRobin, OfferFor: 15 * time.Minute, OfferRounds: 1,
			Reps: []handoff.Rep{{Ref: ann, Weight: 1}}}
		at := time.Date(2026, 11, 17, 9, 0, 0, 0, time.UTC) // Tuesday of 2026-W47
		step := func(id string, r handoff.RouteRequest, when time.Time) int64 {
			t.Helper()
			l, err := s.LeadByExternalID(ctx, id)
			if err != nil {
				res, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: id, Company: id, Email: "x@" + id + ".example", Stage: handoff.StageSQL},
					policy, when, handoff.ActorAPI)
				if err != nil {
					t.Fatal(err)
				}
				l = res.Lead
			}
			r.Routing = policy.Routing
			if _, _, ok, err := s.RouteLead(ctx, l.ID, r, when); err != nil || !ok {
				t.Fatalf("route %s: %v %v", id, ok, err)
			}
			return l.ID
		}
		step("passed", handoff.RouteRequest{}, at)
		step("passed", handoff.RouteRequest{Pass: ann, Reason: "on a call"}, at.Add(time.Minute))
		step("ran-out", handoff.RouteRequest{}, at)
		step("ran-out", handoff.RouteRequest{}, at.Add(16*time.Minute))
		accepted := step("accepted", handoff.RouteRequest{}, at.Add(time.Hour))
		if _, won, err := s.ClaimLead(ctx, accepted, handoff.Owner{Platform: ann.Platform, UserID: ann.ID}, at.Add(time.Hour+3*time.Minute), handoff.Policy{}, ann.Key()); err != nil || !won {
			t.Fatalf("accept: %v %v", won, err)
		}
		step("waits", handoff.RouteRequest{States: map[string]handoff.RepState{ann.Key(): {Away: &handoff.Away{}}}}, at.Add(2*time.Hour))

		var out bytes.Buffer
		if err := funnelCommand(ctx, []string{"--period", "2026-W47"}, s, policy, reportNow, &out); err != nil {
			t.Fatal(err)
		}
		got := out.String()
		for _, want := range []string{
			"Leads nobody could take  2 opened to the channel (nobody accepted) · 1 waited (nobody available)",
			"Rep        Offers  Accepted  Passed  Timed out  Median offer to accept",
			"U0ANN0001       3         1       1          1  3m 0s",
			"Median time to contact     –", // claim-to-contact stays apart
		} {
			if !strings.Contains(got, want) {
				t.Errorf("funnel lacks %q:\n%s", want, got)
			}
		}

		out.Reset()
		if err := funnelCommand(ctx, []string{"--period", "2026-W46"}, s, policy, reportNow, &out); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(out.String(), "Routing") || strings.Contains(out.String(), "nobody could take") {
			t.Errorf("a week without routing shows routing:\n%s", out.String())
		}
	})
}

// TestDigestNeedsAManagersChannel runs `handoff digest` with and without a
// chat platform and a managers' channel: without one that could post it,
// the digest is refused with the variable to set and nothing is queued;
// --print needs no platform.
func TestDigestNeedsAManagersChannel(t *testing.T) {
	teams := map[string]string{"TEAMS_APP_ID": "00000000-1111-2222-3333-444444444444", "TEAMS_APP_PASSWORD": "pw", "TEAMS_TENANT_ID": "tenant"}
	with := func(base map[string]string, kv ...string) map[string]string {
		vars := map[string]string{"HANDOFF_CONFIG": os.DevNull}
		for k, v := range base {
			vars[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			vars[kv[i]] = kv[i+1]
		}
		return vars
	}
	slack := map[string]string{"SLACK_BOT_TOKEN": "xoxb-test"}
	tests := []struct {
		name       string
		vars       map[string]string
		args       []string
		wantCode   int
		wantOut    string
		wantQueued int
	}{
		{"NoPlatform", with(nil), nil, 1, "set SLACK_BOT_TOKEN and SLACK_MANAGER_CHANNEL (or TEAMS_APP_ID and TEAMS_MANAGER_CHANNEL)", 0},
		{"ChannelWithoutPlatform", with(nil, "SLACK_MANAGER_CHANNEL", e2eManager), nil, 1, "no chat platform", 0},
		{"SlackWithoutChannel", with(slack), nil, 1, "set SLACK_MANAGER_CHANNEL (channels.slack.managers in the agreement), or", 0},
		{"TeamsWithoutChannel", with(teams), nil, 1, "set TEAMS_MANAGER_CHANNEL (channels.teams.managers in the agreement), or", 0},
		{"BothWithoutChannel", with(teams, "SLACK_BOT_TOKEN", "xoxb-test"), nil, 1, "set SLACK_MANAGER_CHANNEL (channels.slack.managers in the agreement) or TEAMS_MANAGER_CHANNEL", 0},
		{"Slack", with(slack, "SLACK_MANAGER_CHANNEL", e2eManager), nil, 0, "Queued the SLA digest", 1},
		{"Teams", with(teams, "TEAMS_MANAGER_CHANNEL", "19:managers@thread.tacv2"), nil, 0, "Queued the SLA digest", 1},
		{"PrintWithoutPlatform", with(nil), []string{"--print"}, 0, "Weekly SLA digest", 0},
	}
	for _, dialect := range storagetest.Dialects {
		for _, tc := range tests {
			t.Run(dialect+"/"+tc.name, func(t *testing.T) {
				tc.vars["DATABASE_URL"] = storagetest.URL(t, dialect)
				e, out, errOut := testEnv(tc.vars, append([]string{"digest"}, tc.args...)...)
				code := run(context.Background(), e)
				if all := out.String() + errOut.String(); code != tc.wantCode || !strings.Contains(all, tc.wantOut) {
					t.Fatalf("exit %d, output %q; want exit %d containing %q", code, all, tc.wantCode, tc.wantOut)
				}
				s := storagetest.OpenURL(t, tc.vars["DATABASE_URL"], storage.Options{})
				msgs, err := s.TakeOutbox(context.Background(), time.Now().Add(time.Minute), 50, time.Minute, "test")
				if err != nil {
					t.Fatal(err)
				}
				if len(msgs) != tc.wantQueued {
					t.Errorf("queued %d messages, want %d", len(msgs), tc.wantQueued)
				}
			})
		}
	}
}
