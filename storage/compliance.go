package storage

import "strings"

// handoff.SettleSLA in SQL: the one definition of SLA compliance, over
// leads aliased l, with the named parameters @from and @to (the period, in
// Unix milliseconds) and @now. A lead counts in the period in which it was
// settled: met when it was contacted by its deadline (at the contact),
// breached when the deadline passed without contact in time (at the
// deadline); a lead not yet settled is pending in the period in which it
// became an SQL. storage's tests check these against handoff.CountSLA.
const (
	// slaMetIn: contacted by the deadline, the contact in the period.
	slaMetIn = "(l.contacted_ms <= l.contact_due_ms AND l.contacted_ms >= @from AND l.contacted_ms < @to)"
	// slaNotMet: not contacted by the deadline (yet).
	slaNotMet = "(l.contacted_ms IS NULL OR l.contacted_ms > l.contact_due_ms)"
	// slaBreachedIn: the deadline passed by now, in the period, without contact in time.
	slaBreachedIn = "(" + slaNotMet + " AND l.contact_due_ms <= @now AND l.contact_due_ms >= @from AND l.contact_due_ms < @to)"
	// slaPendingIn: became an SQL in the period, the deadline still ahead.
	slaPendingIn = "(" + slaNotMet + " AND l.contact_due_ms > @now AND l.sql_ms >= @from AND l.sql_ms < @to)"
	// slaCandidates narrows leads to those that may count, along the
	// contacted, due and due-ahead index ranges.
	slaCandidates = "((l.contacted_ms >= @from AND l.contacted_ms < @to) OR (l.contact_due_ms >= @from AND l.contact_due_ms < @to)" +
		" OR (l.contact_due_ms > @now AND l.sql_ms >= @from AND l.sql_ms < @to))"
	// Each count alone reads one covering index range; slaSums and
	// slaCandidates count all three at once, grouped.
	//
	// slaSums is the SELECT list of the three counts: met, breached, pending.
	slaSums = "COALESCE(SUM(CASE WHEN " + slaMetIn + " THEN 1 ELSE 0 END), 0) AS met," +
		" COALESCE(SUM(CASE WHEN " + slaBreachedIn + " THEN 1 ELSE 0 END), 0) AS breached," +
		" COALESCE(SUM(CASE WHEN " + slaPendingIn + " THEN 1 ELSE 0 END), 0) AS pending"
	// slaSettledMs is the time a lead was settled, NULL while pending.
	slaSettledMs = "CASE WHEN l.contacted_ms <= l.contact_due_ms THEN l.contacted_ms WHEN l.contact_due_ms <= @now THEN l.contact_due_ms END"
)

// slaOwnerCol is handoff.SLAOwner in SQL over l (leads or sla_cycles):
// column col ("platform", "user_id" or "email") of the rep the row's
// contact promise counts for. The rep recorded when the lead changed
// hands after the promise was settled (sla_held); else nobody when the
// lead was claimed only once its deadline had passed without contact in
// time; else the owner.
func slaOwnerCol(col string) string {
	return "(CASE WHEN l.sla_held THEN l.sla_holder_" + col +
		" WHEN l.claimed_ms >= l.contact_due_ms AND " + slaNotMet + " THEN ''" +
		" ELSE COALESCE(l.owner_" + col + ", '') END)"
}

// slaOwnerCond narrows l to the promises that count for owner (a user id
// or an email, named parameters added to args): " AND …", or "" for every
// owner.
func slaOwnerCond(owner string, args map[string]any) string {
	if owner == "" {
		return ""
	}
	args["owner"], args["owner_email"] = owner, strings.ToLower(owner)
	return " AND (" + slaOwnerCol("user_id") + " = @owner OR LOWER(" + slaOwnerCol("email") + ") = @owner_email)"
}
