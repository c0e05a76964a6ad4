package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/csvimport"
)

// demoHistoryRow is one row of last month's HubSpot export, which the demo
// imports before its week: leads the team worked before Handoff.
type demoHistoryRow struct {
	day                                        int // of last month
	at, id, first, last, company, email, stage string
}

// demoHistory is that export: an SQL and a customer, whose claim
// deadlines passed weeks ago, and an MQL.
var demoHistory = []demoHistoryRow{
	{6, "10:15", "hs-3901", "Lene", "Vestergaard", "Struer Lyd ApS", "lene@struerlyd.dk", "salesqualifiedlead"},
	{8, "13:40", "hs-3902", "Mads", "Bruun", "Nakskov Emballage A/S", "mads.bruun@nakskovemballage.dk", "customer"},
	{9, "09:05", "hs-3903", "Pia", "Toft", "Thisted Træ ApS", "pia@thistedtrae.dk", "marketingqualifiedlead"},
}

// historyExport is demoHistory as HubSpot exports it, dated in the month
// before the demo week's, and that month.
func (d *demo) historyExport() (string, time.Time) {
	y, m, _ := d.monday.Date()
	month := time.Date(y, m-1, 1, 0, 0, 0, 0, d.monday.Location())
	var b strings.Builder
	b.WriteString("Record ID,First Name,Last Name,Company Name,Email,Lifecycle Stage,Create Date\n")
	for _, r := range demoHistory {
		fmt.Fprintf(&b, "%s,%s,%s,%s,%s,%s,%s %s\n", r.id, r.first, r.last, r.company, r.email, r.stage,
			month.AddDate(0, 0, r.day-1).Format("2006-01-02"), r.at)
	}
	return b.String(), month
}

// historyScene imports last month's export as `handoff import` would: a
// dry run stops at the first old SQL, as the import would, and --old
// history records the rows as history, counted in last month's funnel, with
// no card and no deadline.
func (d *demo) historyScene(ctx context.Context) error {
	export, month := d.historyExport()
	file := "hubspot-" + strings.ToLower(month.Format("January")) + ".csv"
	d.printf("%s  Before the week, the admin loads HubSpot's export of %s: %d leads worked before Handoff\n",
		d.when(d.clock.Now()), month.Format("January"), len(demoHistory))
	before := len(d.slack.Messages(demoSales))
	im := &csvimport.Importer{Store: d.app.store, Policy: d.policy, Now: d.clock.Now, DryRun: true}
	stopped := d.importShown(ctx, im, "handoff import --dry-run "+file, export)
	var old *csvimport.OldRowError
	if !errors.As(stopped, &old) {
		return fmt.Errorf("the import of %s did not stop at its old SQLs: %v", file, stopped)
	}
	d.printf("%18shandoff: %s\n", "", oldRowAdvice(old))
	im.DryRun, im.Old = false, csvimport.OldRowsHistory
	if err := d.importShown(ctx, im, "handoff import --old history "+file, export); err != nil {
		return fmt.Errorf("import %s as history: %w", file, err)
	}
	if err := d.settle(ctx); err != nil {
		return err
	}
	if n := len(d.slack.Messages(demoSales)) - before; n > 0 {
		return fmt.Errorf("the history reached %s: %d messages", demoChannelNames[demoSales], n)
	}
	period, err := handoff.ParsePeriod("last-month", d.clock.Now(), d.monday.Location())
	if err != nil {
		return err
	}
	c, err := d.app.store.FunnelCounts(ctx, handoff.FunnelFilter{Period: period, Now: d.clock.Now()})
	if err != nil {
		return err
	}
	d.printf("%18s→ nothing in %s, no deadline runs; /funnel last-month counts them by their dates: %d leads, %d MQLs, %d SQLs, %d won, %d held to the SLA\n\n",
		"", demoChannelNames[demoSales], c.Leads, c.MQLs, c.SQLs, c.Won, c.SLADue+c.SLAPending)
	return nil
}

// importShown runs im over export as the command line shows it, printing
// the command and import's summary, and returns the import's error.
func (d *demo) importShown(ctx context.Context, im *csvimport.Importer, command, export string) error {
	start := time.Now()
	sum, err := im.Import(ctx, strings.NewReader(export), int64(len(export)))
	var out bytes.Buffer
	printSummary(&out, sum, time.Since(start), im.DryRun, err)
	d.shell(command, out.String())
	return err
}
