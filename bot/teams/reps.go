package teams

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/handoff/handoff"
)

// Mention is a mention entity of an inbound activity: the text that
// stands for it ("<at>Ann Berg</at>") and the user mentioned.
type Mention struct {
	Text     string
	ID, Name string
}

// Mentions returns the activity's mention entities; entities of other
// types, or that cannot be read, are left out.
func (a *Activity) Mentions() []Mention {
	var raw []json.RawMessage
	if json.Unmarshal(a.Entities, &raw) != nil {
		return nil
	}
	var out []Mention
	for _, r := range raw {
		var e struct {
			Type      string `json:"type"`
			Text      string `json:"text"`
			Mentioned struct {
				ID   string `json:"id"`
				Name string `json:"name"`
			} `json:"mentioned"`
		}
		if json.Unmarshal(r, &e) == nil && e.Type == "mention" && e.Mentioned.ID != "" && e.Text != "" {
			out = append(out, Mention{Text: e.Text, ID: e.Mentioned.ID, Name: e.Mentioned.Name})
		}
	}
	return out
}

// repNamingCommand reports whether the command may name a rep first: away
// and back, for a manager.
func repNamingCommand(name string) bool { return name == "away" || name == "back" }

// namedRep returns the text of away or back after the command word, with
// a rep a manager named by @mention or by display name written as their
// Bot Framework id, which bot.Bot reads: a mention of someone other than
// the bot becomes the mentioned user's id; else leading words (up to four)
// that are the display name of exactly one member of the sales channel's
// team become that member's id. Either is remembered as a Teams user with
// the Entra id the team knows, so that their key in the agreement is
// found. A name two members share is an EINVALID error.
func (a *App) namedRep(ctx context.Context, act *Activity) (string, error) {
	text := act.Text
	for _, m := range act.Mentions() {
		if m.ID != act.Recipient.ID && strings.Contains(text, m.Text) {
			a.rememberMember(ctx, m.ID, m.Name)
			text = strings.Replace(text, m.Text, " "+m.ID+" ", 1)
		}
	}
	text = strings.Join(strings.Fields(mentionTag.ReplaceAllString(text, " ")), " ")
	_, rest, _ := strings.Cut(text, " ")
	words := strings.Fields(rest)
	if len(words) == 0 || isRepID(words[0]) || strings.EqualFold(words[0], "until") || strings.EqualFold(words[0], "help") {
		return rest, nil
	}
	for n := min(4, len(words)); n >= 1; n-- {
		name := strings.Join(words[:n], " ")
		members, err := a.cfg.Platform.Roster.Named(ctx, name)
		if err != nil {
			a.logger.WarnContext(ctx, "teams: members of the sales team", "err", err)
			return rest, nil
		}
		switch len(members) {
		case 0:
			continue
		case 1:
			a.rememberMember(ctx, members[0].ID, members[0].Name)
			return strings.Join(append([]string{members[0].ID}, words[n:]...), " "), nil
		}
		return "", handoff.Errorf(handoff.EINVALID, "%d members of the team are called %s: name the rep with an @mention or their email.",
			len(members), name)
	}
	return rest, nil
}

// isRepID reports whether word names a Teams user by id: a Bot Framework
// id, an Entra object id or an email.
func isRepID(word string) bool {
	return strings.HasPrefix(word, "29:") || strings.Contains(word, "@") || handoff.IsEntraID(word)
}

// rememberMember records a user a manager named, with the Entra object id
// the sales team's roster has for them when it has one.
func (a *App) rememberMember(ctx context.Context, id, name string) {
	u := handoff.TeamsUser{ID: id, Name: name}
	if m, err := a.cfg.Platform.Roster.Find(ctx, id); err == nil {
		u.AADObjectID, u.Name = m.AADObjectID, m.Name
	}
	if err := a.cfg.Platform.RememberUser(ctx, u); err != nil {
		a.logger.WarnContext(ctx, "teams: remember a named user", "user", id, "err", err)
	}
}
