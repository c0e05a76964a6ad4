package bot

import (
	"time"

	"github.com/handoff/handoff"
)

// ChannelCheck is the message handoff chat test posts to one of Handoff's
// channels, to show the admin (and the channel) that the app can post
// there: which channel it is to Handoff and what will appear in it. sales
// is the sales channel; otherwise it is the managers' channel.
func ChannelCheck(sales bool, now time.Time, p handoff.Policy) Message {
	what := "Handoff's managers' channel: leads past their claim or contact deadline are escalated here, and the weekly SLA digest is posted here."
	if sales {
		what = "Handoff's sales channel: every new SQL is posted here with a Claim button, and the first click wins."
	}
	return Message{
		Summary:  "Handoff can post here",
		Header:   "👋 Handoff can post here",
		Sections: []Section{{Text: "This is " + what}},
		Context:  []string{"An admin sent this with handoff chat test (" + Clock(now, now, p) + "); it is not a lead."},
	}
}
