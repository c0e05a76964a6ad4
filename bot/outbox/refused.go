package outbox

import (
	"context"
	"maps"
	"slices"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
)

// ChannelBack queues again the messages given up because place refused
// them (bot.ChannelRefused: the app removed from a channel, the channel
// archived or deleted, the app removed from a Teams team), now that the
// platform says the app is back there, and wakes the worker: cards reach
// the channel without anyone running handoff outbox retry, and a card's
// note to the managers that it was given up says when it was posted at
// last. Messages refused elsewhere, or for another reason, stay dead.
func (d *Dispatcher) ChannelBack(ctx context.Context, platform, place string) {
	d.mu.Lock()
	d.back[place] = d.cfg.Now().UTC()
	d.mu.Unlock()
	d.requeueRefused(ctx, platform, place, "the app is back where messages were refused")
}

// requeueRefused queues again what place refused (for one of platforms,
// or any platform when none is given), saying why in the log, and wakes
// the worker.
func (d *Dispatcher) requeueRefused(ctx context.Context, platform, place, why string, platforms ...string) {
	d.mu.Lock()
	delete(d.refused, place)
	d.mu.Unlock()
	n, err := d.cfg.Store.RetryRefusedOutbox(ctx, place, d.cfg.Now().UTC(), platforms...)
	if err != nil {
		d.logger.ErrorContext(ctx, "outbox: queue again what a channel refused, now that the app is back there (handoff outbox retry does it by hand)",
			"platform", platform, "place", place, "err", err)
		return
	}
	if n > 0 {
		d.logger.InfoContext(ctx, "outbox: "+why+"; they are queued again", "platform", platform, "place", place, "messages", n)
		d.Wake()
	}
}

// readRefused reads the places whose refusals gave up messages still
// dead, before the first round and every Idle since (another replica's
// refusals among them), so that a post that goes through there queues them
// again even when the platform's word that the app is back was missed (the
// server down when the bot was invited back, its events not subscribed).
// At the first read, what a place refused that is none of the channels
// Handoff posts to now (a channel's setting corrected, and Handoff
// restarted) is queued again at once, for the channel now set.
func (d *Dispatcher) readRefused(ctx context.Context) {
	now := d.cfg.Now().UTC()
	d.mu.Lock()
	first, due := d.refusedRead.IsZero(), now.Sub(d.refusedRead) >= d.cfg.Idle
	d.mu.Unlock()
	if !first && !due {
		return
	}
	places, err := d.cfg.Store.RefusedPlaces(ctx)
	if err != nil {
		d.logger.WarnContext(ctx, "outbox: cannot read the places that refused messages; tried again next round", "err", err)
		return
	}
	d.mu.Lock()
	d.refusedRead = now
	for _, p := range places {
		d.refused[p] = true
	}
	d.mu.Unlock()
	if !first {
		return
	}
	current, err := d.currentPlaces(ctx)
	if err != nil {
		d.logger.WarnContext(ctx, "outbox: cannot tell the places of the channels set; what a former channel refused waits for handoff outbox retry", "err", err)
		return
	}
	enabled := slices.Collect(maps.Keys(d.platforms))
	for _, p := range places {
		if !current[p] { // a platform no longer enabled keeps its messages dead
			d.requeueRefused(ctx, "", p, "the channel that refused messages is no longer one Handoff posts to (its setting changed)", enabled...)
		}
	}
}

// currentPlaces is the places of the channels set for every platform: the
// channels' settings, and what the platform names them (bot.PlacesOf).
func (d *Dispatcher) currentPlaces(ctx context.Context) (map[string]bool, error) {
	current := map[string]bool{}
	for _, t := range d.cfg.Targets {
		for _, channel := range []string{t.SalesChannel, t.ManagerChannel} {
			if channel == "" {
				continue
			}
			places, err := bot.PlacesOf(ctx, t.Platform, channel)
			if err != nil {
				return nil, err
			}
			for _, p := range places {
				current[p] = true
			}
		}
	}
	return current, nil
}

// noteRefusals learns from recorded outcomes: a message a place refused
// marks the place (and is queued again at once when the app came back
// there since the round took it), and a post that went through in a
// marked place (the channel, or what its platform names it: a Teams
// channel's team) queues again what that place refused before
// (requeueRefused).
func (d *Dispatcher) noteRefusals(ctx context.Context, o handoff.OutboxOutcome) {
	if o.Dead && o.RefusedBy != "" {
		d.mu.Lock()
		d.refused[o.RefusedBy] = true
		back, ok := d.back[o.RefusedBy]
		cameBack := ok && !back.Before(d.taken) // while this round refused it: ChannelBack found nothing dead yet
		if cameBack {
			delete(d.back, o.RefusedBy)
		}
		d.mu.Unlock()
		if cameBack {
			d.requeueRefused(ctx, o.Message.Platform, o.RefusedBy, "the app came back while messages were being refused")
		}
		return
	}
	for _, p := range o.Posts {
		for _, place := range d.refusedPlaces(ctx, p.Platform, p.Channel) {
			d.requeueRefused(ctx, p.Platform, place, "a post went through where messages had been refused")
		}
	}
}

// refusedPlaces is the places of channel on platform (bot.PlacesOf) that
// refused messages still dead; nothing is asked of the platform while no
// place has.
func (d *Dispatcher) refusedPlaces(ctx context.Context, platform, channel string) []string {
	d.mu.Lock()
	none := len(d.refused) == 0
	d.mu.Unlock()
	if none {
		return nil
	}
	places, err := bot.PlacesOf(ctx, d.platforms[platform].Platform, channel)
	if err != nil {
		d.logger.WarnContext(ctx, "outbox: cannot tell where a post went", "platform", platform, "channel", channel, "err", err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.DeleteFunc(places, func(p string) bool { return !d.refused[p] })
}
