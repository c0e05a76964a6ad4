package handoff

// The rows of the reports and the digest, as the store computes them.

// OpenSQLs are the SQLs sales still has to act on at one moment, split into
// three disjoint groups. Each list holds at most the limit asked for; the
// totals count them all.
type OpenSQLs struct {
	// Unclaimed are SQLs nobody has claimed yet, within their deadlines,
	// soonest claim deadline first.
	Unclaimed []*Lead
	// Waiting are claimed SQLs not yet contacted whose contact deadline is
	// still ahead, soonest deadline first.
	Waiting []*Lead
	// Breached are unclaimed or uncontacted SQLs past their claim or contact
	// deadline (or already flagged as breached), most overdue first.
	Breached []*Lead

	UnclaimedTotal, WaitingTotal, BreachedTotal int64
}

// RepSLA is how one sales rep kept the contact promise over a period: the
// SLA outcome (SLAStats) of the SQLs they own, in that period. The
// zero Owner collects the SQLs nobody owns (never claimed, or released).
type RepSLA struct {
	Owner Owner
	SLAStats
}

// RepActivity is what one sales rep did in a period: SQLs claimed and
// contacted in it (by each SQL cycle's claim and first contact, a lead's
// earlier cycles too), the SLA outcome (SLAStats) of their SQLs in it, and
// the median time from SQL to first contact of the cycles contacted in it. The zero Owner
// collects the SQLs nobody owns (never claimed, or released).
type RepActivity struct {
	Owner     Owner
	Claimed   int64
	Contacted int64
	SLAStats
	// MedianContactMs is nil when the rep contacted nobody in the period
	// (first contacts at the very moment of the SQL, implied by an import,
	// are left out, as in the funnel).
	MedianContactMs *float64
}

// TrendPoint is one period of a trend: the SQLs and customers won in it
// (distinct leads entering the stage) and the SLA outcome (SLAStats) in it.
type TrendPoint struct {
	Period Period
	SQLs   int64
	Won    int64
	SLAStats
}
