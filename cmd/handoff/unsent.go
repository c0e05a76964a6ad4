package main

import (
	"context"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/config"
)

// unsent is the SLA clock's Unsent (scheduler.Config): the kinds of chat
// message that no replica of this deployment delivers at now, which the
// clock does not queue. An escalation goes to the managers' channel of
// each platform that has one (bot/outbox's postToManagers), so with none
// it was queued only to be taken and marked "skipped: no managers'
// channel", a row a breach. The breach's event, the card's refresh and
// the owner's reminder are queued all the same.
//
// Every replica that serves a platform is taken to share its managers'
// channel setting, the deployment's configuration (README, "Running in
// production"). Replicas may serve different platforms, though (Teams
// added one replica at a time): while another replica serves, or served
// lately, a platform this one lacks (Store.OtherPlatforms, as the
// outbox's fanOut reads it), that platform may have a managers' channel,
// so every escalation is queued and fanOut gives it its part.
func (a *app) unsent(ctx context.Context, now time.Time) ([]string, error) {
	if hasManagersChannel(a.cfg) {
		return nil, nil
	}
	others, err := a.store.OtherPlatforms(ctx, now, chatPlatforms(a.cfg))
	if err != nil || len(others) > 0 {
		return nil, err
	}
	return []string{handoff.OutboxEscalate}, nil
}

// hasManagersChannel reports whether a chat platform cfg enables has a
// managers' channel: SLACK_MANAGER_CHANNEL, TEAMS_MANAGER_CHANNEL.
func hasManagersChannel(cfg config.Config) bool {
	return cfg.Slack.Enabled() && cfg.Slack.ManagerChannel != "" || cfg.Teams.Enabled() && cfg.Teams.ManagerChannel != ""
}
