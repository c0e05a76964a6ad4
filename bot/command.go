package bot

import (
	"context"
)

// Command is a slash command (/funnel, /sla, /leads) typed by a user.
type Command struct {
	Platform string
	Name     string // without the slash: "funnel"
	Text     string // what followed the command
	UserID   string
	Channel  string
}

// CommandAnswerer answers the reporting commands. Answers are private to
// the user who asked. It returns EINVALID (with a usage message) for bad
// arguments.
type CommandAnswerer interface {
	Answer(ctx context.Context, cmd Command) (Message, error)
}

// Commands lists the slash commands Handoff registers, without the slash.
var Commands = []string{"funnel", "sla", "leads"}
