package teams

import (
	"context"
	"sync"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
)

// NotRecorded is what the sender of an Action.Submit (a card's button, or
// a form sent as one) is told, in their chat with the bot, when Handoff
// failed on its side (its database) and did nothing: an Action.Execute
// click is told so on its card ("Sorry, that did not work").
const NotRecorded = "Sorry, Handoff could not record that just now, so it did nothing. Please try again."

// toldFor is how long a replica remembers the Action.Submit deliveries
// whose sender was told NotRecorded (told): Bot Framework delivers an
// activity again within minutes, if at all.
const toldFor = time.Hour

// toldKeys are the Action.Submit deliveries (activityKey) whose sender
// was told NotRecorded, and when: a delivery again of one is dropped, even
// while the store, where deliveries are recorded, still fails. It is safe
// for concurrent use.
type toldKeys struct {
	mu   sync.Mutex
	keys map[string]time.Time
}

// add remembers key, told at now, and forgets the keys told more than
// toldFor before.
func (t *toldKeys) add(key string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.keys == nil {
		t.keys = map[string]time.Time{}
	}
	for k, at := range t.keys {
		if now.Sub(at) > toldFor {
			delete(t.keys, k)
		}
	}
	t.keys[key] = now
}

// has reports whether key was told.
func (t *toldKeys) has(key string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	_, ok := t.keys[key]
	return ok
}

// unrecorded ends an Action.Submit whose handling failed with err. A
// failure of Handoff's own (EINTERNAL: the store's, most often) is told
// to the sender in their chat with the bot (NotRecorded), through the Bot
// Connector alone (Platform.tellSender: the outbox is in the store), and
// logged once, at FailureLevel; the activity is then answered 200 (nil),
// not 500: the sender was told to try again, and a delivery again by Bot
// Framework, which might succeed too, would make two of one click. Its
// deliveries again are dropped: remembered here (App.told) and, when the
// store takes it, recorded as a delivery (Deduper.MarkProcessed), which a
// Claim's delivery again also finds on another replica. When the sender
// cannot be told either, err is returned, for a 500 that Bot Framework
// delivers again. Any other error is returned as it is.
func (a *App) unrecorded(ctx context.Context, act *Activity, err error) error {
	if err == nil || handoff.ErrorCode(err) != handoff.EINTERNAL {
		return err
	}
	if terr := a.cfg.Platform.tellSender(ctx, act, bot.Notice(NotRecorded)); terr != nil {
		a.logger.Log(ctx, bot.FailureLevel(terr), "teams: the sender of a card action that failed was not told; Bot Framework delivers it again",
			"action", act.ActionID(), "user", act.From.ID, "err", terr)
		return err
	}
	a.logger.Log(ctx, bot.FailureLevel(err), "teams: card action failed; the sender was told to try again", "action", act.ActionID(), "user", act.From.ID, "err", err)
	if act.ID == "" {
		return nil
	}
	a.told.add(activityKey(act), a.cfg.Now())
	if key := a.deliveryKey(act); key != "" {
		if _, merr := a.cfg.Dedup.MarkProcessed(context.WithoutCancel(ctx), Name, key, a.cfg.Now().UTC()); merr != nil {
			// The store failing still, as err said: told drops the
			// deliveries again that reach this replica.
			a.logger.DebugContext(ctx, "teams: card action's delivery not recorded", "activity", act.ID, "err", merr)
		}
	}
	return nil
}

// toldAlready reports whether act is a delivery again of an Action.Submit
// whose sender was told NotRecorded (unrecorded), to be dropped.
func (a *App) toldAlready(ctx context.Context, act *Activity) bool {
	if act.ID == "" || !a.told.has(activityKey(act)) {
		return false
	}
	a.logger.DebugContext(ctx, "teams: activity delivered again, ignored", "type", act.Type, "activity", act.ID)
	return true
}
