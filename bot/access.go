package bot

import (
	"context"

	"github.com/handoff/handoff"
)

// SalesMembers says who is a member of one platform's sales channel.
type SalesMembers interface {
	// IsSalesMember reports whether the platform user is a member of the
	// sales channel. An EFORBIDDEN error refuses the user whatever else
	// they are (a guest of the tenant: Handoff acts only for full
	// members); an error marked Unanswered means the platform could not
	// tell, and any other that Handoff failed on the way (its store).
	IsSalesMember(ctx context.Context, userID string) (bool, error)
}

// NotALeadReader is the polite private answer to someone who asked for a
// lead's personal data without being allowed to see it.
const NotALeadReader = "Sorry, lead details are only for members of the sales channel and sales managers. " +
	"Reports such as `/funnel` are open to everyone; ask a sales manager if you need more."

// ReadsLeads returns nil when the actor may see leads' personal data (lead
// lists, a lead's history and card, contact details): a member of the
// platform's sales channel, or a manager. Anyone else gets an EFORBIDDEN
// error with NotALeadReader, and someone the platform refuses outright (a
// Teams guest, manager or not) the platform's EFORBIDDEN error; other
// errors are RoleUnknownErrors when the platform did not answer
// (IsUnanswered), else internal errors (the store failed on the way).
func (b *Bot) ReadsLeads(ctx context.Context, a Actor) error {
	var memberErr error
	if sm := b.cfg.SalesMembers[a.Platform]; sm != nil {
		ok, err := sm.IsSalesMember(ctx, a.UserID)
		if err == nil && ok {
			return nil
		}
		if handoff.ErrorCode(err) == handoff.EFORBIDDEN {
			return err
		}
		if err != nil {
			// A manager may still be told apart (the sales channel may
			// not be known yet).
			memberErr = roleUnknown("bot: is %s in the sales channel: %w", a, err)
		}
	}
	manager, err := b.isManager(ctx, a)
	switch {
	case err != nil:
		return err
	case manager:
		return nil
	case memberErr != nil:
		return memberErr
	}
	return handoff.Errorf(handoff.EFORBIDDEN, "%s", NotALeadReader)
}

// Readers wraps the reporting commands' answerer so that each command
// knows whether its user may see leads' personal data
// (Command.SeesLeads): asked of the platform only for the commands that
// show leads (/leads, /sla).
func (b *Bot) Readers(next CommandAnswerer) CommandAnswerer {
	return readers{b: b, next: next}
}

type readers struct {
	b    *Bot
	next CommandAnswerer
}

func (r readers) Answer(ctx context.Context, cmd Command) (Message, error) {
	if cmd.Name == "leads" || cmd.Name == "sla" {
		err := r.b.ReadsLeads(ctx, Actor{Platform: cmd.Platform, UserID: cmd.UserID, Channel: cmd.Channel})
		if err != nil && handoff.ErrorCode(err) != handoff.EFORBIDDEN {
			return Message{}, err
		}
		cmd.SeesLeads = err == nil
	}
	return r.next.Answer(ctx, cmd)
}
