package slack_test

import (
	"testing"

	slackapi "github.com/slack-go/slack"

	"github.com/handoff/handoff/bot"
	slackbot "github.com/handoff/handoff/bot/slack"
)

// TestNativeTableCellsShowDataAsWritten renders lead data with stars in a
// native data table: a raw_text cell is shown as written, so the data's
// stars stay ("A*Star GmbH", a pass reason "on a *call*") while the
// markup's bold stars go.
func TestNativeTableCellsShowDataAsWritten(t *testing.T) {
	for _, tc := range []struct{ cell, want string }{
		{bot.Escape("A*Star GmbH"), "A*Star GmbH"},
		{"passed (" + bot.Escape("on a *call*") + ")", "passed (on a *call*)"},
		{"*" + bot.Escape("Berg & Co") + "*", "Berg & Co"},
		{bot.Escape("spring_sale <beta>"), "spring_sale <beta>"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			msg := bot.Message{Tables: []bot.Table{{Title: "T", Columns: []string{"Lead"}, Rows: [][]string{{tc.cell}}}}}
			blocks := slackbot.RenderBlocks(msg)
			if len(blocks) != 1 {
				t.Fatalf("%d blocks, want the table", len(blocks))
			}
			tb, ok := blocks[0].(*slackapi.DataTableBlock)
			if !ok || len(tb.Rows) != 2 || len(tb.Rows[1]) != 1 {
				t.Fatalf("block = %#v, want a data table of one row", blocks[0])
			}
			cell, ok := tb.Rows[1][0].(*slackapi.DataTableRawTextCell)
			if !ok || cell.Text != tc.want {
				t.Errorf("cell = %#v, want raw text %q", tb.Rows[1][0], tc.want)
			}
		})
	}
}
