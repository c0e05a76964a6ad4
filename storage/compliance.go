package storage

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
