package bot

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/handoff/handoff"
)

// RepStore keeps what changes about reps (time off, deactivation);
// *storage.Store implements it.
type RepStore interface {
	SetAway(ctx context.Context, key string, a handoff.Away, now time.Time) error
	ClearAway(ctx context.Context, key, source string, now time.Time) (bool, error)
	SetDeactivated(ctx context.Context, key string, deactivated bool, now time.Time) (bool, error)
	// OpenLeads returns the open leads a platform user id owns.
	OpenLeads(ctx context.Context, owner string, limit int) ([]*handoff.Lead, error)
	// TeamsUser finds a Teams user by Bot Framework id (for the Entra
	// object id a Teams rep may be configured with).
	TeamsUser(ctx context.Context, id string) (handoff.TeamsUser, error)
}

// RepCommands wraps next so that /away and /back (Teams: away, back) are
// answered by the bot and every other command by next.
func (b *Bot) RepCommands(next CommandAnswerer) CommandAnswerer {
	return repCommands{b: b, next: next}
}

type repCommands struct {
	b    *Bot
	next CommandAnswerer
}

func (r repCommands) Answer(ctx context.Context, cmd Command) (Message, error) {
	switch cmd.Name {
	case "away":
		return r.b.Away(ctx, cmd)
	case "back":
		return r.b.Back(ctx, cmd)
	}
	return r.next.Answer(ctx, cmd)
}

// slackMention is a Slack user mention as a slash command's text carries it.
var slackMention = regexp.MustCompile(`^<@([UW][A-Z0-9]+)(\|[^>]*)?>$`)

// awayRequest is a parsed /away or /back.
type awayRequest struct {
	// Key is the rep's key; Self says the asker is the rep.
	Key  string
	Self bool
	Away handoff.Away
}

// Away answers `/away [@rep] [until 2026-12-24 [13:00]] [reason]`: the rep
// (the asker, or for a manager the rep named) is offered no leads until
// then, or until /back. The answer is private.
func (b *Bot) Away(ctx context.Context, cmd Command) (Message, error) {
	req, err := b.repRequest(ctx, cmd, true)
	if err != nil {
		return Message{}, err
	}
	if err := b.cfg.Reps.SetAway(ctx, req.Key, req.Away, b.now()); err != nil {
		return Message{}, fmt.Errorf("bot: away %s: %w", handoff.RepLogKey(req.Key), err)
	}
	loc := b.cfg.Policy.Location
	text := "🌴 " + b.repWho(req, "You are", "is") + " away"
	if !req.Away.Until.IsZero() {
		text += " until " + req.Away.Until.In(locOrUTC(loc)).Format("Mon 02 Jan 2006 15:04")
	}
	if req.Away.Reason != "" {
		text += " (" + Escape(req.Away.Reason) + ")"
	}
	text += ": no leads are offered meanwhile."
	if req.Away.Until.IsZero() {
		text += " " + commandWord(cmd.Platform, "back") + " ends it."
	}
	return b.repNotice(req, text), nil
}

// Back answers `/back [@rep]`: the rep's time off ends now.
func (b *Bot) Back(ctx context.Context, cmd Command) (Message, error) {
	req, err := b.repRequest(ctx, cmd, false)
	if err != nil {
		return Message{}, err
	}
	was, err := b.cfg.Reps.ClearAway(ctx, req.Key, "", b.now())
	if err != nil {
		return Message{}, fmt.Errorf("bot: back %s: %w", handoff.RepLogKey(req.Key), err)
	}
	if !was {
		return b.repNotice(req, b.repWho(req, "You were not marked away; leads are offered to you", "was not marked away; leads are offered to them")+" as usual."), nil
	}
	if b.cfg.RepBack != nil {
		b.cfg.RepBack(ctx, req.Key)
	}
	return b.repNotice(req, "👋 "+b.repWho(req, "Welcome back: leads are offered to you", "is back: leads are offered to them")+" again."), nil
}

// repWho words the rep for an answer: "You are …" to the rep themselves,
// "<@U…> is …" to a manager.
func (b *Bot) repWho(req awayRequest, self, other string) string {
	if req.Self {
		return self
	}
	ref, _ := parseRepKey(req.Key)
	return RepName(ref) + " " + other
}

// repNotice is the private answer, with a note when the rep is not in the
// routing rotation (their time off then changes no offer).
func (b *Bot) repNotice(req awayRequest, text string) Message {
	r := b.cfg.Policy.Routing
	if _, ok := r.Rep(req.Key); !ok && len(r.Reps) > 0 {
		text += "\n_Note: " + b.repWho(req, "you are", "is") + " not in the routing rotation (routing.reps of the agreement)._"
	}
	return Notice(text)
}

// repRequest parses the text of /away (withUntil) or /back: an optional
// rep (a Slack mention; in Teams an email or Entra object id) that only a
// manager may name, then for /away an optional "until DATE [HH:MM]" and
// the reason.
func (b *Bot) repRequest(ctx context.Context, cmd Command, withUntil bool) (awayRequest, error) {
	if b.cfg.Reps == nil {
		return awayRequest{}, handoff.Errorf(handoff.EINVALID, "%s is not available yet.", commandWord(cmd.Platform, cmd.Name))
	}
	words := strings.Fields(cmd.Text)
	if len(words) > 0 && isHelpWord(words[0]) {
		return awayRequest{}, awayUsage(cmd, "")
	}
	req := awayRequest{Self: true}
	if len(words) > 0 {
		key, ok, err := b.namedRepKey(ctx, cmd.Platform, words[0])
		if err != nil {
			return awayRequest{}, err
		}
		if ok {
			if p := handoff.CheckLen(words[0], handoff.MaxChatIDLen); p != "" {
				// The store keeps a rep's key in a column of 350.
				return awayRequest{}, awayUsage(cmd, "A rep's mention, email or id is "+p+".")
			}
			req.Key, words = key, words[1:]
		}
	}
	actor := Actor{Platform: cmd.Platform, UserID: cmd.UserID, Channel: cmd.Channel}
	own, err := b.RepKey(ctx, cmd.Platform, cmd.UserID)
	if err != nil {
		return awayRequest{}, err
	}
	if req.Key == "" || strings.EqualFold(req.Key, own) || req.Key == cmd.Platform+":"+cmd.UserID {
		req.Key = own
	} else {
		manager, err := b.isManager(ctx, actor)
		if err != nil {
			return awayRequest{}, err
		}
		if !manager {
			return awayRequest{}, handoff.Errorf(handoff.EFORBIDDEN, "Only sales managers can set someone else's time off; %s sets your own.", commandWord(cmd.Platform, cmd.Name))
		}
		req.Self = false
	}
	if !withUntil {
		if len(words) > 0 {
			return awayRequest{}, awayUsage(cmd, "I don't understand `"+Escape(strings.Join(words, " "))+"`.")
		}
		return req, nil
	}
	now := b.now()
	req.Away = handoff.Away{Source: handoff.AwayByCommand, SetBy: actor.String()}
	if len(words) > 0 && strings.EqualFold(words[0], "until") {
		if len(words) < 2 {
			return awayRequest{}, awayUsage(cmd, "Until when?")
		}
		loc := locOrUTC(b.cfg.Policy.Location)
		day, err := time.ParseInLocation("2006-01-02", words[1], loc)
		if err != nil {
			return awayRequest{}, awayUsage(cmd, "`"+Escape(words[1])+"` is not a date like 2026-12-24.")
		}
		words = words[2:]
		if len(words) > 0 {
			if clock, err := time.Parse("15:04", words[0]); err == nil {
				day = time.Date(day.Year(), day.Month(), day.Day(), clock.Hour(), clock.Minute(), 0, 0, loc)
				words = words[1:]
			}
		}
		if !day.After(now) {
			return awayRequest{}, awayUsage(cmd, day.Format("Mon 02 Jan 2006 15:04")+" has already passed.")
		}
		req.Away.Until = day.UTC()
	}
	reason := strings.Join(words, " ")
	if len([]rune(reason)) > 200 {
		return awayRequest{}, awayUsage(cmd, "Please keep the reason under 200 characters.")
	}
	req.Away.Reason = reason
	return req, nil
}

func awayUsage(cmd Command, problem string) error {
	if problem != "" {
		problem += " "
	}
	if cmd.Platform == "teams" {
		return handoff.Errorf(handoff.EINVALID, "%sUse *away [until 2026-12-24 [13:00]] [reason]* and *back* when you return. "+
			"A manager can name the rep first by @mention, display name or email: *away ann@example.com until 2026-12-24 parental leave*.", problem)
	}
	return handoff.Errorf(handoff.EINVALID, "%sUse `/away [until 2026-12-24 [13:00]] [reason]` and `/back` when you return. "+
		"A manager can name the rep first: `/away @ann until 2026-12-24 parental leave`.", problem)
}

// repKeyOf reads a named rep: a Slack mention in Slack, an email or Entra
// object id in Teams.
func repKeyOf(platform, word string) (string, bool) {
	switch platform {
	case "slack":
		if m := slackMention.FindStringSubmatch(word); m != nil {
			return "slack:" + m[1], true
		}
	case "teams":
		ref := handoff.RepRef{Platform: "teams", ID: strings.ToLower(word)}
		if strings.Contains(word, "@") || handoff.IsEntraID(word) {
			return ref.Key(), true
		}
	}
	return "", false
}

// namedRepKey reads a named rep: repKeyOf's forms, and in Teams a Bot
// Framework user id ("29:…", as the Teams app writes a rep named by
// @mention or display name), whose key RepKey finds.
func (b *Bot) namedRepKey(ctx context.Context, platform, word string) (string, bool, error) {
	if key, ok := repKeyOf(platform, word); ok {
		return key, true, nil
	}
	if platform == "teams" && strings.HasPrefix(word, "29:") {
		key, err := b.RepKey(ctx, platform, word)
		return key, err == nil, err
	}
	return "", false, nil
}

// RepKey returns the routing key of a platform user: "slack:U…"; in Teams
// the key the agreement's routing.reps names them by (Entra object id or
// email), else the Entra object id, else the email.
func (b *Bot) RepKey(ctx context.Context, platform, userID string) (string, error) {
	if platform != "teams" {
		return platform + ":" + userID, nil
	}
	var candidates []string
	if b.cfg.Reps != nil {
		u, err := b.cfg.Reps.TeamsUser(ctx, userID)
		if err != nil && handoff.ErrorCode(err) != handoff.ENOTFOUND {
			return "", fmt.Errorf("bot: teams user %s: %w", userID, err)
		}
		if u.AADObjectID != "" {
			candidates = append(candidates, "teams:"+strings.ToLower(u.AADObjectID))
		}
	}
	if email := b.email(ctx, platform, userID); email != "" {
		candidates = append(candidates, "teams:"+strings.ToLower(email))
	}
	for _, c := range candidates {
		if _, ok := b.cfg.Policy.Routing.Rep(c); ok {
			return c, nil
		}
	}
	if len(candidates) > 0 {
		return candidates[0], nil
	}
	return "teams:" + strings.ToLower(userID), nil
}

// parseRepKey splits "slack:U…" into a RepRef.
func parseRepKey(key string) (handoff.RepRef, bool) {
	platform, id, ok := strings.Cut(key, ":")
	return handoff.RepRef{Platform: platform, ID: id}, ok
}

// RepName renders a rep of the rotation in a message: a mention in Slack,
// the email or Entra object id as text for a Teams rep.
func RepName(ref handoff.RepRef) string {
	if ref.Platform == "slack" {
		return MentionOn("slack", ref.ID, ref.ID)
	}
	return Escape(ref.ID)
}

// commandWord is how a command is typed on the platform: "/back" in
// Slack, "*back*" in Teams.
func commandWord(platform, name string) string {
	if platform == "teams" {
		return "*" + name + "*"
	}
	return "`/" + name + "`"
}

func isHelpWord(w string) bool { return strings.EqualFold(w, "help") || w == "?" }

func locOrUTC(loc *time.Location) *time.Location {
	if loc == nil {
		return time.UTC
	}
	return loc
}
