package storage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/handoff/handoff"
	"gorm.io/gorm"
)

// The finished SQL cycles of leads that became SQLs again
// (handoff.SLACycle, carried by the new SQL's event as Event.Ends), one row
// each, written with the events on every path that saves them: those
// settled, and those claimed or contacted (their contact_due_ms NULL when
// the promise does not count, as the leads' is for a lead returned in
// time), whose waits the medians count. Their
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
	OwnerUserID   string `gorm:"size:300;not null;default:''"`
	OwnerEmail    string `gorm:"size:500;not null;default:''"`
	// The cycle's SLAHolder, as the leads' columns of that name.
	SLAHeld           bool   `gorm:"column:sla_held;not null;default:false"`
	SLAHolderPlatform string `gorm:"column:sla_holder_platform;size:20;not null;default:''"`
	SLAHolderUserID   string `gorm:"column:sla_holder_user_id;size:300;not null;default:''"`
	SLAHolderEmail    string `gorm:"column:sla_holder_email;size:500;not null;default:''"`
	SQLMs             int64  `gorm:"column:sql_ms;not null"`
	ClaimedMs         *int64 `gorm:"index"`
	// ContactDueMs is NULL for a cycle whose promise the SLA figures do
	// not count (handoff.SLACycle.ContactDueAt), kept for its waits.
	ContactDueMs *int64 `gorm:"index"`
	ContactedMs  *int64 `gorm:"index"`
	// ShownMs is handoff.SLACycle.ShownAt (NULL for the rows written
	// before it was kept: they are left out of the claim's delays).
	ShownMs *int64
	// Reached is handoff.SLACycle.Reached (-1 for the rows written before
	// it was kept: their contacts count in speed to lead as reaching
	// nothing further).
	Reached int `gorm:"not null;default:-1"`
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
			r := slaCycleRow{LeadID: leadID, OwnerPlatform: c.Owner.Platform, OwnerUserID: c.Owner.UserID,
				OwnerEmail: c.Owner.Email, SQLMs: ms(c.SQLAt), ClaimedMs: msPtr(c.ClaimedAt), ContactDueMs: msPtr(c.ContactDueAt), ContactedMs: msPtr(c.ContactedAt), ShownMs: msPtr(c.ShownAt), Reached: c.Reached}
			if h := c.Holder; h != nil {
				r.SLAHeld, r.SLAHolderPlatform, r.SLAHolderUserID, r.SLAHolderEmail = true, h.Platform, h.UserID, h.Email
			}
			rows = append(rows, r)
		}
	}
	return rows
}

// cycle is the handoff.SLACycle that row r keeps.
func (r slaCycleRow) cycle() handoff.SLACycle {
	c := handoff.SLACycle{Owner: handoff.Owner{Platform: r.OwnerPlatform, UserID: r.OwnerUserID, Email: r.OwnerEmail},
		SQLAt: fromMs(r.SQLMs), ClaimedAt: fromMsPtr(r.ClaimedMs), ContactDueAt: fromMsPtr(r.ContactDueMs), ContactedAt: fromMsPtr(r.ContactedMs),
		ShownAt: fromMsPtr(r.ShownMs), Reached: r.Reached}
	if r.SLAHeld {
		c.Holder = &handoff.Owner{Platform: r.SLAHolderPlatform, UserID: r.SLAHolderUserID, Email: r.SLAHolderEmail}
	}
	return c
}

// SLACycle returns lead leadID's finished SQL cycle that began at sqlAt,
// as the store keeps it (handoff.SLACycle: the rep who worked the lead in
// it, its times). It returns ENOTFOUND when none is kept: a cycle that
// nobody claimed or contacted and whose promise was not settled (the
// store keeps no such cycle), or one still running; and a wrapped error
// when the read fails.
func (s *Store) SLACycle(ctx context.Context, leadID int64, sqlAt time.Time) (handoff.SLACycle, error) {
	var row slaCycleRow
	err := s.db.WithContext(ctx).Where("lead_id = ? AND sql_ms = ?", leadID, ms(sqlAt)).Order("id DESC").Take(&row).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		return handoff.SLACycle{}, notFound("no finished SQL cycle of lead %d from %s", leadID, sqlAt.UTC().Format(time.RFC3339))
	case err != nil:
		return handoff.SLACycle{}, fmt.Errorf("storage: SQL cycle of lead %d from %s: %w", leadID, sqlAt.UTC().Format(time.RFC3339), err)
	}
	return row.cycle(), nil
}

// cyclesWrite inserts finished cycles (none, and no statement, for no rows).
func cyclesWrite(rows []slaCycleRow) tableWrite {
	w := tableWrite{what: "sla cycles", table: "sla_cycles",
		cols: []string{"lead_id", "owner_platform", "owner_user_id", "owner_email", "sql_ms", "claimed_ms", "contact_due_ms", "contacted_ms", "reached", "shown_ms",
			"sla_held", "sla_holder_platform", "sla_holder_user_id", "sla_holder_email"}}
	for _, r := range rows {
		w.rows = append(w.rows, []any{r.LeadID, r.OwnerPlatform, r.OwnerUserID, r.OwnerEmail, r.SQLMs, r.ClaimedMs, r.ContactDueMs, r.ContactedMs, r.Reached, r.ShownMs,
			r.SLAHeld, r.SLAHolderPlatform, r.SLAHolderUserID, r.SLAHolderEmail})
	}
	return w
}

// slaFilter is the condition, " AND …" or "", that narrows table (one of
// slaSources, aliased l) to a funnel's source and owner (named parameters
// added to args): a lead's own source, or a finished cycle's lead's source
// now, as the rollup moves a lead's history to its new source; and the rep
// the promise counts for (slaOwnerCond).
func slaFilter(table, source, owner string, args map[string]any) string {
	if table == "leads" {
		return leadCondNamed(source, "", args) + slaOwnerCond(owner, args)
	}
	cond := slaOwnerCond(owner, args)
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

// cycleCond is leadCond for sla_cycles aliased l: the condition ("" when
// there is none) that narrows the finished cycles to a funnel's source
// (their lead's now, as slaFilter) and owner (the cycle's rep), and its
// arguments.
func cycleCond(source, owner string) (string, []any) {
	cond, args := leadCond("", owner)
	if source == "" {
		return cond, args
	}
	bySource := "l.lead_id IN (SELECT s.id FROM leads s WHERE s.source = ?)"
	if cond != "" {
		bySource += " AND " + cond
	}
	return bySource, append([]any{source}, args...)
}

// withCycles adds to m's values those of the finished cycles (sla_cycles
// aliased l) that match where (with args) and the funnel's source and
// owner: a median of waits counts every cycle in its period, a lead's
// earlier ones too.
func (m medianQuery) withCycles(where string, args []any, source, owner string) medianQuery {
	all := append([]any{}, args...)
	if cond, condArgs := cycleCond(source, owner); cond != "" {
		where += " AND " + cond
		all = append(all, condArgs...)
	}
	m.alsoFrom, m.alsoWhere, m.alsoArgs = "sla_cycles l", where, all
	return m
}

// cyclesSpeedToLead is speed to lead over the finished cycles contacted in
// period, narrowed to source and owner (cycleCond); with the leads'
// (speedToLead) it counts every cycle's first contact.
func (s *Store) cyclesSpeedToLead(ctx context.Context, period handoff.Period, source, owner string) (map[string]handoff.SpeedToLead, error) {
	cond, args := cycleCond(source, owner)
	return s.speedToLeadIn(ctx, "sla_cycles", period, cond, args)
}
