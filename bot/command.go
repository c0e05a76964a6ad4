package bot

import (
	"context"
)

// Command is a slash command (/funnel, /sla, /leads, /away, /back,
// /routing) typed by a user.
type Command struct {
	Platform string
	Name     string // without the slash: "funnel"
	Text     string // what followed the command
	UserID   string
	Channel  string
	// SeesLeads says that the user may see leads' personal data (see
	// Bot.ReadsLeads and Bot.Readers); without it, commands answer with
	// aggregates only.
	SeesLeads bool
}

// CommandAnswerer answers the reporting commands. Answers are private to
// the user who asked. It returns EINVALID (with a usage message) for bad
// arguments.
type CommandAnswerer interface {
	Answer(ctx context.Context, cmd Command) (Message, error)
}

// Commands lists the slash commands Handoff registers, without the slash.
var Commands = []string{"funnel", "sla", "leads", "away", "back", "routing"}
