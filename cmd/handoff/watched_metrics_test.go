package main

import (
	"os"
	"regexp"
	"testing"

	"github.com/handoff/handoff/bot/outbox"
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/bot/teams/teamstest"
	"github.com/handoff/handoff/connector"
	"github.com/handoff/handoff/storage"
)

// TestServeExportsWatchedCountersAtZero starts a server on Slack and Teams
// and reads /metrics before anything has happened: every series a rule of
// deploy/prometheus/alerts.yml watches with increase() is there at 0, for
// each label value that can occur, so that the first lost channel, refused
// call, parked record or panic after a start is an increase and fires its
// alert (a series that first appears at 1 has increased by nothing).
func TestServeExportsWatchedCountersAtZero(t *testing.T) {
	bf := teamstest.New(t)
	slack := slacktest.New(e2eToken)
	defer slack.Close()
	srv := startServer(t, slackAndTeamsVars(t, storage.DialectSQLite, bf, slack))
	body := srv.metricsContain(t)

	platforms := []string{"slack", "teams"}
	var workers, refused, rateLimited []string
	for _, w := range srv.app.workers {
		workers = append(workers, `worker="`+w.name+`"`)
	}
	for _, p := range platforms {
		for _, m := range outbox.Methods { // labels in the exposition's order, by name
			refused = append(refused, `method="`+m+`",outcome="permanent",platform="`+p+`"`)
			rateLimited = append(rateLimited, `method="`+m+`",outcome="rate_limited",platform="`+p+`"`)
		}
	}
	var crmRefusals []string
	for _, crm := range []string{"hubspot", "salesforce"} {
		for _, r := range connector.Refusals {
			crmRefusals = append(crmRefusals, `crm="`+crm+`",reason="`+r+`"`)
		}
	}
	tests := []struct {
		alert, counter string
		labels         []string
		// startsAt is the most the series may hold already: the
		// replica's own start may have counted (the SLA clock's lease,
		// taken as the server starts, before or after the scrape).
		startsAt float64
	}{
		{"HandoffChannelLost", "handoff_chat_channel_lost_total", []string{`platform="slack"`, `platform="teams"`}, 0},
		{"HandoffChatCallsRefused", "handoff_chat_calls_total", refused, 0},
		{"HandoffChatRateLimited", "handoff_chat_calls_total", rateLimited, 0},
		{"HandoffSLALeaseFlapping", "handoff_scheduler_lease_taken_total", []string{""}, 1},
		{"HandoffWorkerPanics", "handoff_worker_panics_total", workers, 0},
		{"HandoffCRMDeliveriesRefused", "handoff_crm_deliveries_refused_total", crmRefusals, 0},
	}
	checked := map[string]bool{}
	for _, tc := range tests {
		checked[tc.counter] = true
		t.Run(tc.alert, func(t *testing.T) {
			if len(tc.labels) == 0 {
				t.Fatal("no label values to look for")
			}
			for _, l := range tc.labels {
				series := tc.counter
				if l != "" {
					series += "{" + l + "}"
				}
				if v := sampleValue(body, series); v < 0 || v > tc.startsAt {
					t.Errorf("/metrics: %s{%s} = %v, want 0 before any, or at most %v by the start itself (-1: absent)", tc.counter, l, v, tc.startsAt)
				}
			}
		})
	}

	raw, err := os.ReadFile("../../deploy/prometheus/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`increase\((\w+)`).FindAllStringSubmatch(string(raw), -1) {
		if !checked[m[1]] {
			t.Errorf("alerts.yml watches %s with increase(), which this test does not check", m[1])
		}
	}
}
