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
// Replicas need not share the managers' channel setting (one added to
// them one at a time, Teams added on one replica first): each records,
// with the platforms it serves (outbox_servers), whether it has a
// managers' channel there (the outbox's dispatcher, Store.ManagersChannels).
// Escalations are dropped only when neither this replica nor any replica
// serving now, or lately (Store.ManagersChannelServed), has one on any
// platform; a replica that did not say (one from before the record) may
// have one, so during a rolling deploy nothing is dropped.
func (a *app) unsent(ctx context.Context, now time.Time) ([]string, error) {
	if hasManagersChannel(a.cfg) {
		return nil, nil
	}
	served, err := a.store.ManagersChannelServed(ctx, now)
	if err != nil || served {
		return nil, err
	}
	return []string{handoff.OutboxEscalate}, nil
}

// hasManagersChannel reports whether a chat platform cfg enables has a
// managers' channel: SLACK_MANAGER_CHANNEL, TEAMS_MANAGER_CHANNEL.
func hasManagersChannel(cfg config.Config) bool {
	return cfg.Slack.Enabled() && cfg.Slack.ManagerChannel != "" || cfg.Teams.Enabled() && cfg.Teams.ManagerChannel != ""
}
