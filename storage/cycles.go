package storage

import (
	"github.com/handoff/handoff"
	"gorm.io/gorm"
)

// The finished SQL cycles of leads that became SQLs again
// (handoff.SLACycle, carried by the new SQL's event as Event.Ends), one row
// each, written with the events on every path that saves them. Their
// columns are named as the leads' columns the SLA compliance SQL reads
// (compliance.go), so that the same fragments count sla_cycles aliased l:
// every SLA figure adds the finished cycles to the leads' current ones, as
// the digest's per-rep claims and contacts do (rep_sla.go). A
// row holds the rep and the times, no personal data of the lead, and
// stays when the lead is erased, as its settled deadline does on the lead.
type slaCycleRow struct {
	ID            int64  `gorm:"primaryKey"`
	LeadID        int64  `gorm:"not null;index"`
	OwnerPlatform string `gorm:"size:20;not null;default:''"`
	OwnerUserID   string `gorm:"size:100;not null;default:''"`
	OwnerEmail    string `gorm:"size:500;not null;default:''"`
	SQLMs         int64  `gorm:"column:sql_ms;not null"`
	ClaimedMs     *int64 `gorm:"index"`
	ContactDueMs  int64  `gorm:"not null;index"`
	ContactedMs   *int64 `gorm:"index"`
}

func (slaCycleRow) TableName() string { return "sla_cycles" }

// slaSources are the tables whose rows the SLA figures count with
// compliance.go's fragments: the leads' current cycles and the finished ones.
var slaSources = []string{"leads", "sla_cycles"}

// cycleRows are the finished cycles that events of lead leadID end.
func cycleRows(leadID int64, events []handoff.Event) []slaCycleRow {
	var rows []slaCycleRow
	for _, e := range events {
		if c := e.Ends; c != nil {
			rows = append(rows, slaCycleRow{LeadID: leadID, OwnerPlatform: c.Owner.Platform, OwnerUserID: c.Owner.UserID,
				OwnerEmail: c.Owner.Email, SQLMs: ms(c.SQLAt), ClaimedMs: msPtr(c.ClaimedAt), ContactDueMs: ms(c.ContactDueAt), ContactedMs: msPtr(c.ContactedAt)})
		}
	}
	return rows
}

// cyclesWrite inserts finished cycles (none, and no statement, for no rows).
func cyclesWrite(rows []slaCycleRow) tableWrite {
	w := tableWrite{what: "sla cycles", table: "sla_cycles",
		cols: []string{"lead_id", "owner_platform", "owner_user_id", "owner_email", "sql_ms", "claimed_ms", "contact_due_ms", "contacted_ms"}}
	for _, r := range rows {
		w.rows = append(w.rows, []any{r.LeadID, r.OwnerPlatform, r.OwnerUserID, r.OwnerEmail, r.SQLMs, r.ClaimedMs, r.ContactDueMs, r.ContactedMs})
	}
	return w
}

// slaFilter is the condition, " AND …" or "", that narrows table (one of
// slaSources, aliased l) to a funnel's source and owner (named parameters
// added to args): a lead's own, or a finished cycle's rep and the source of
// its lead now, as the rollup moves a lead's history to its new source.
func slaFilter(table, source, owner string, args map[string]any) string {
	if table == "leads" {
		return leadCondNamed(source, owner, args)
	}
	cond := leadCondNamed("", owner, args)
	if source != "" {
		cond += " AND l.lead_id IN (SELECT s.id FROM leads s WHERE s.source = @source)"
		args["source"] = source
	}
	return cond
}

// cyclesSLA counts the finished cycles' SLA outcome for period [from, to)
// as seen at now (in Unix milliseconds), narrowed to source and owner.
func cyclesSLA(db *gorm.DB, from, to, now int64, source, owner string) (met, breached, pending int64, err error) {
	args := map[string]any{"from": from, "to": to, "now": now}
	q := "SELECT " + slaSums + " FROM sla_cycles l WHERE " + slaCandidates + slaFilter("sla_cycles", source, owner, args)
	err = db.Raw(q, args).Row().Scan(&met, &breached, &pending)
	return met, breached, pending, err
}
