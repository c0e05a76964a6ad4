package bot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Platform is what the bot needs from a chat platform (Slack, Teams). Every
// method is called only by the Dispatcher, one outbox message at a time.
//
// Errors tell the Dispatcher what to do next: a *RetryAfterError means the
// platform asked to wait; an error marked with Permanent will never succeed
// and is not retried; anything else (5xx, network) is retried with backoff.
type Platform interface {
	// Name is the platform's short name ("slack", "teams"), stored with
	// chat posts and outbox messages.
	Name() string
	// Post sends msg to channel and returns the new message's id (a Slack
	// ts, a Teams activity id), with which Update can change it.
	Post(ctx context.Context, channel string, msg Message) (messageID string, err error)
	// Update replaces the message messageID in channel with msg.
	Update(ctx context.Context, channel, messageID string, msg Message) error
	// PostPrivate shows msg to userID only, in channel.
	PostPrivate(ctx context.Context, channel, userID string, msg Message) error
	// DirectMessage sends msg to userID in a one-to-one conversation and
	// returns where it is and its id, with which Update can change it.
	DirectMessage(ctx context.Context, userID string, msg Message) (channel, messageID string, err error)
	// Reply answers privately through a reply handle that came with a
	// command or click (a Slack response_url); it is opaque to the bot.
	Reply(ctx context.Context, replyTo string, msg Message) error
}

// ReplyReplacer is a Platform whose answers through a reply handle can be
// replaced for a while afterwards (Slack's response_url: 30 minutes, at
// most 5 uses), so that erasing a lead can replace an answer that showed it.
type ReplyReplacer interface {
	// ReplaceReply replaces the answer sent through replyTo with msg.
	ReplaceReply(ctx context.Context, replyTo string, msg Message) error
	// ReplyLifetime is how long after the handle was issued it can be used.
	ReplyLifetime() time.Duration
}

// PrivateMessenger is a Platform whose private notices are messages with
// an id that Update can change (Teams: in the user's one-to-one chat with
// the bot), so that erasing a lead can update a notice that showed it.
type PrivateMessenger interface {
	// PostPrivateMessage shows msg to userID only and returns where it is
	// and its id.
	PostPrivateMessage(ctx context.Context, channel, userID string, msg Message) (string, string, error)
}

// PostFinder is a Platform that can tag a post with a key and list its
// keyed posts, so that a post whose earlier attempt may have reached the
// channel (the process stopped before recording it, or the platform's
// answer was lost) is found rather than posted a second time.
type PostFinder interface {
	// PostKeyed posts msg to channel as Post does, tagged with key.
	PostKeyed(ctx context.Context, channel, key string, msg Message) (messageID string, err error)
	// KeyedPosts returns the posts tagged with a key in channel since
	// since, by key. An error marked with Permanent says the platform
	// cannot look (a scope not granted).
	KeyedPosts(ctx context.Context, channel string, since time.Time) (map[string]KeyedPost, error)
}

// KeyedPost is a post PostFinder found by its key.
type KeyedPost struct {
	ID string    // the message id, as Post returns it
	At time.Time // when it was posted; zero if the platform does not say
}

// MessageLinker is a Platform that can link to a message it posted, so
// that a card can point to another (a lead's earlier card to its new one).
type MessageLinker interface {
	// MessageLink returns the URL of message messageID in channel, or ""
	// when the platform cannot tell (what the link needs is not known);
	// an error when asking for it failed.
	MessageLink(ctx context.Context, channel, messageID string) (string, error)
}

// DirectOpener is a Platform whose one-to-one conversation with a user is a
// channel it can post to and read (Slack: a DM's channel id), so that a
// direct message, too, can be posted once (PostFinder).
type DirectOpener interface {
	// DirectChannel opens (or finds) the one-to-one conversation with
	// userID and returns its channel.
	DirectChannel(ctx context.Context, userID string) (string, error)
}

// HomePublisher is a Platform with a per-user home (Slack's App Home tab).
type HomePublisher interface {
	// PublishHome shows h as userID's home, replacing what was there.
	PublishHome(ctx context.Context, userID string, h Home) error
}

// HomeBuilder builds a user's home; *Homes implements it.
type HomeBuilder interface {
	Home(ctx context.Context, platform, userID string) (Home, error)
}

// Placer is a Platform whose refusals (ChannelRefused) name places that its
// channel settings do not: Teams names a channel by its name, and refuses
// by the channel's conversation id or its team's id. Places returns the
// places of a configured channel; a Platform without Placer names its
// channels' places by their settings.
type Placer interface {
	Places(ctx context.Context, channel string) ([]string, error)
}

// PlacesOf is the places of a configured channel on p, sorted: the
// channel's setting, and what p names it when p is a Placer. When p cannot
// tell, the setting is returned with the error.
func PlacesOf(ctx context.Context, p Platform, channel string) ([]string, error) {
	places := []string{channel}
	placer, ok := p.(Placer)
	if !ok {
		return places, nil
	}
	named, err := placer.Places(ctx, channel)
	if err != nil {
		return places, err
	}
	places = append(places, named...)
	slices.Sort(places)
	return slices.Compact(places), nil
}

// Target is one platform and its channels. Configuration decides the
// channels per platform.
type Target struct {
	Platform Platform
	// SalesChannel receives every new SQL.
	SalesChannel string
	// ManagerChannel receives escalations; "" for none.
	ManagerChannel string
}

// RetryAfterError is returned by a Platform when the platform said how
// long to wait before the call is made again: it rate-limited the call
// (HTTP 429), or it is unavailable for a while and said when to come back
// (HTTP 503 with Retry-After; Unavailable). The Dispatcher makes no
// further call to the same platform method until then, and the message
// waits that long whatever else the platform answers meanwhile.
type RetryAfterError struct {
	After time.Duration
	Err   error // the platform's error, if any
	// Unavailable says the platform failed the call (an outage, not a
	// rate limit) and asked for the wait: the call counts as a failure
	// worth a retry, as one without a wait does.
	Unavailable bool
}

// Error describes the wait.
func (e *RetryAfterError) Error() string {
	what := "rate limited"
	if e.Unavailable {
		what = "unavailable"
	}
	if e.Err != nil {
		return fmt.Sprintf("%s, retry after %s: %v", what, e.After, e.Err)
	}
	return fmt.Sprintf("%s, retry after %s", what, e.After)
}

// Unwrap returns the platform's error.
func (e *RetryAfterError) Unwrap() error { return e.Err }

// AskedWait reads an HTTP answer's Retry-After, seconds or an HTTP date
// (a wait from now), and reports whether the answer had one that parses:
// the wait a platform's client puts in a *RetryAfterError.
func AskedWait(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 {
		return time.Duration(s * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// permanentError marks an error that retrying cannot fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as one that will never succeed (an unknown channel, a
// message the platform rejects), so the Dispatcher gives up at once. It
// returns nil for a nil err.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err, or an error it wraps, was marked with
// Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// refusedError marks a permanent error as the platform's refusal of a
// place to post (see ChannelRefused).
type refusedError struct {
	place string
	err   error
}

func (e *refusedError) Error() string { return e.err.Error() }
func (e *refusedError) Unwrap() error { return e.err }

// ChannelRefused marks err, a platform's refusal of a channel itself
// rather than of a message (the app is not a member, the channel is
// archived or unknown), as permanent and names the place that refused:
// the channel, or where the app has to be added back (a Teams team). A
// message given up so is queued again when the platform says the app is
// back there (outbox.Dispatcher.ChannelBack). It returns nil for a nil
// err.
func ChannelRefused(place string, err error) error {
	if err == nil {
		return nil
	}
	return &refusedError{place: place, err: Permanent(err)}
}

// RefusedBy returns the place that refused err (see ChannelRefused), ""
// when err is not such a refusal.
func RefusedBy(err error) string {
	var r *refusedError
	if errors.As(err, &r) {
		return r.place
	}
	return ""
}
