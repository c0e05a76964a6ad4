package storage

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/handoff/handoff"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// The funnel, SLA and lead-list queries. Every number is an SQL aggregate
// over an index range; nothing loads all leads or events into memory.

// kpiIndexes are the indexes the KPI queries need beyond those declared on
// the models: covering indexes, so that counting reads an index alone, and
// partial expression indexes ordered by the time an SQL waited, so that a
// median over many rows walks an index instead of sorting. The same DDL runs
// on SQLite and PostgreSQL.
var kpiIndexes = []string{
	// Leads entering a stage in a period: a range, for short periods.
	"CREATE INDEX IF NOT EXISTS idx_events_kpi_range ON lead_events (kind, stage, at_ms, lead_id)",
	// The same ordered by lead: distinct leads without sorting, for long
	// periods; also finds a lead's first touch.
	"CREATE INDEX IF NOT EXISTS idx_events_kpi_lead ON lead_events (kind, stage, lead_id, at_ms)",
	// Claims and first contacts in a period (the SLA's met, speed to lead;
	// covering), of the leads that have one: a new lead is in neither.
	// Every query reading them compares claimed_ms or contacted_ms with a
	// value or a column, which implies IS NOT NULL to both databases.
	"CREATE INDEX IF NOT EXISTS idx_leads_kpi_claimed_set ON leads (claimed_ms, sql_ms) WHERE claimed_ms IS NOT NULL",
	"CREATE INDEX IF NOT EXISTS idx_leads_kpi_contacted_set ON leads (contacted_ms, sql_ms, contact_due_ms, reached) WHERE contacted_ms IS NOT NULL",
	// Deadlines in a period: the SLA's breached and pending (covering).
	"CREATE INDEX IF NOT EXISTS idx_leads_kpi_due_v2 ON leads (contact_due_ms, contacted_ms, sql_ms)",
	// A lead's source, campaign and deal value by id, for the revenue and
	// the per-campaign counts.
	"CREATE INDEX IF NOT EXISTS idx_leads_kpi_campaign ON leads (id, source, campaign, amount_minor)",
	// The events that carry a reason (lost, recycled, not a fit): few, so
	// a partial index.
	"CREATE INDEX IF NOT EXISTS idx_events_kpi_reason ON lead_events (at_ms, kind, stage, lead_id, reason_code, not_a_fit) WHERE reason_code <> ''",
	// Claims whose card was shown, for whose delay.
	"CREATE INDEX IF NOT EXISTS idx_leads_kpi_shown ON leads (claimed_ms, sql_ms, shown_ms) WHERE shown_ms IS NOT NULL",
	// sql_ms as a column too, so that PostgreSQL reads a median's bucket
	// of waits from the index alone (it does not take the wait from the
	// index's expression).
	"CREATE INDEX IF NOT EXISTS idx_leads_kpi_claim_wait_v2 ON leads ((claimed_ms - sql_ms), claimed_ms, sql_ms) WHERE claimed_ms > sql_ms",
	"CREATE INDEX IF NOT EXISTS idx_leads_kpi_contact_wait_v2 ON leads ((contacted_ms - sql_ms), contacted_ms, sql_ms) WHERE contacted_ms > sql_ms",
	// Earlier versions' indexes that the ones above make redundant: every
	// index costs each intake write.
	"DROP INDEX IF EXISTS idx_events_kind_stage_at",
	"DROP INDEX IF EXISTS idx_leads_contact_due_ms",
	"DROP INDEX IF EXISTS idx_leads_kpi_contacted",
	"DROP INDEX IF EXISTS idx_leads_kpi_due",
	"DROP INDEX IF EXISTS idx_leads_kpi_claimed",
	"DROP INDEX IF EXISTS idx_leads_kpi_contacted_v2",
	"DROP INDEX IF EXISTS idx_leads_kpi_claim_wait",
	"DROP INDEX IF EXISTS idx_leads_kpi_contact_wait",
}

// createKPIIndexes creates the KPI indexes that do not exist yet; Migrate
// calls it inside its transaction.
func createKPIIndexes(tx *gorm.DB) error {
	for _, ddl := range kpiIndexes {
		if err := tx.Exec(ddl).Error; err != nil {
			return fmt.Errorf("storage: migrate kpi indexes: %w", err)
		}
	}
	return nil
}

// leadCond returns the SQL condition on leads alias l for the funnel's
// source and owner filters ("" when there are none) and its arguments.
func leadCond(source, owner string) (string, []any) {
	var parts []string
	var args []any
	if source != "" {
		parts = append(parts, "l.source = ?")
		args = append(args, source)
	}
	if owner != "" {
		parts = append(parts, "(l.owner_user_id = ? OR LOWER(l.owner_email) = ?)")
		args = append(args, owner, strings.ToLower(owner))
	}
	return strings.Join(parts, " AND "), args
}

// leadCondNamed is leadCond with named parameters (@source, @owner,
// @owner_email), added to args: " AND …", or "" without filters.
func leadCondNamed(source, owner string, args map[string]any) string {
	var cond string
	if source != "" {
		cond += " AND l.source = @source"
		args["source"] = source
	}
	if owner != "" {
		cond += " AND (l.owner_user_id = @owner OR LOWER(l.owner_email) = @owner_email)"
		args["owner"], args["owner_email"] = owner, strings.ToLower(owner)
	}
	return cond
}

// funnelArgs are what the funnel's queries for one filter share: the
// period in Unix milliseconds, and the condition on leads (alias l) for
// the source and owner filters with its arguments.
type funnelArgs struct {
	from, to      int64
	cond, andCond string // andCond is " AND cond", or ""
	condArgs      []any
}

func newFunnelArgs(f handoff.FunnelFilter) funnelArgs {
	a := funnelArgs{from: ms(f.Period.Start), to: ms(f.Period.End)}
	a.cond, a.condArgs = leadCond(f.Source, f.Owner)
	if a.cond != "" {
		a.andCond = " AND " + a.cond
	}
	return a
}

// with returns args followed by the condition's arguments.
func (a funnelArgs) with(args ...any) []any { return append(args, a.condArgs...) }

// countedStages are the stages FunnelCounts counts by distinct lead; won is
// counted with the revenue.
var countedStages = []handoff.Stage{handoff.StageLead, handoff.StageMQL, handoff.StageSQL, handoff.StageClaimed,
	handoff.StageContacted, handoff.StageOpportunity, handoff.StageLost, handoff.StageRecycled}

// FunnelCounts computes the raw funnel aggregates for f: distinct leads
// entering each stage in [f.Period.Start, f.Period.End), the count and
// revenue of the won, the medians, the SLA outcome of the period as seen at
// f.Now (handoff.SettleSLA, in SQL in compliance.go) and the visits
// recorded for it. The independent queries run concurrently on the read
// pool. Stage counts come from the daily rollup where it can answer
// (rollupStages), from the event log otherwise. It returns a wrapped error
// when a query fails.
func (s *Store) FunnelCounts(ctx context.Context, f handoff.FunnelFilter) (handoff.FunnelCounts, error) {
	return s.funnelCounts(ctx, f, true)
}

// funnelCounts is FunnelCounts, with the rollup or (useRollup false) all
// from the event log: the reference the rollup is tested against.
func (s *Store) funnelCounts(ctx context.Context, f handoff.FunnelFilter, useRollup bool) (handoff.FunnelCounts, error) {
	var c handoff.FunnelCounts
	a := newFunnelArgs(f)
	from, to, cond, condArgs, andCond, withCond := a.from, a.to, a.cond, a.condArgs, a.andCond, a.with
	db := s.db.WithContext(ctx)
	stageKind := string(handoff.EventStage)

	var groups []stageGroup
	rolled := false
	if useRollup {
		var err error
		if groups, rolled, err = s.rollupStages(ctx, f); err != nil {
			return handoff.FunnelCounts{}, fmt.Errorf("storage: funnel %s: %w", f.Period.Label, err)
		}
	}
	var tasks []func() error
	var err error
	if rolled {
		fillStages(&c, groups)
	} else if tasks, err = s.eventStageCounts(ctx, f, a, &c); err != nil {
		return handoff.FunnelCounts{}, fmt.Errorf("storage: funnel %s: %w", f.Period.Label, err)
	}
	wonArgs := []any{stageKind, string(handoff.StageWon), from, to}

	// A claim or contact at the very millisecond the lead became an SQL was
	// implied by a later stage (an import), not done by a rep: it is left
	// out of the medians, as are nonsensical negative durations. They
	// measure every SQL cycle claimed or contacted in the period: the
	// leads' current ones and the finished ones (cycles.go).
	claimed := "l.claimed_ms >= ? AND l.claimed_ms < ? AND l.claimed_ms > l.sql_ms"
	claimMedian := func() (err error) {
		c.MedianClaimMs, err = s.median(ctx, medianQuery{
			expr: "l.claimed_ms - l.sql_ms", from: "leads l", walkIndex: "idx_leads_kpi_claim_wait_v2",
			where: claimed + andCond, args: withCond(from, to),
		}.withCycles(claimed, []any{from, to}, f.Source, f.Owner))
		if err != nil {
			return fmt.Errorf("median time to claim: %w", err)
		}
		return nil
	}
	contacted := "l.contacted_ms >= ? AND l.contacted_ms < ? AND l.contacted_ms > l.sql_ms"
	contactMedian := func() (err error) {
		c.MedianContactMs, err = s.median(ctx, medianQuery{
			expr: "l.contacted_ms - l.sql_ms", from: "leads l", walkIndex: "idx_leads_kpi_contact_wait_v2",
			where: contacted + andCond, args: withCond(from, to),
		}.withCycles(contacted, []any{from, to}, f.Source, f.Owner))
		if err != nil {
			return fmt.Errorf("median time to contact: %w", err)
		}
		return nil
	}
	if useRollup && waitsRolled(f) {
		// From the histogram of the waits (rollup_waits.go).
		claimMedian = func() (err error) {
			if c.MedianClaimMs, err = s.rollupMedianWait(ctx, f, claimWait); err != nil {
				return fmt.Errorf("median time to claim: %w", err)
			}
			return nil
		}
		contactMedian = func() (err error) {
			if c.MedianContactMs, err = s.rollupMedianWait(ctx, f, contactWait); err != nil {
				return fmt.Errorf("median time to contact: %w", err)
			}
			return nil
		}
	}
	tasks = append(tasks, claimMedian, contactMedian)
	tasks = append(tasks, func() (err error) {
		// First touch is when the lead first became a lead; the join
		// leaves out a lead without a lead event, and runs as one index
		// probe per won lead.
		eventsFrom := "FROM lead_events e"
		if cond != "" {
			eventsFrom += " JOIN leads l ON l.id = e.lead_id"
		}
		if useRollup {
			c.MedianFirstOrderMs, err = s.medianFirstOrder(ctx, a)
			return err
		}
		won := "(SELECT MIN(e.at_ms) - MIN(t.at_ms) AS d " + eventsFrom +
			" JOIN lead_events t ON t.lead_id = e.lead_id AND t.kind = ? AND t.stage = ?" +
			" WHERE e.kind = ? AND e.stage = ? AND e.at_ms >= ? AND e.at_ms < ?" + andCond + " GROUP BY e.lead_id) w"
		c.MedianFirstOrderMs, err = s.median(ctx, medianQuery{
			expr: "w.d", from: won, where: "TRUE",
			args: append([]any{stageKind, string(handoff.StageLead)}, withCond(wonArgs...)...),
		})
		if err != nil {
			return fmt.Errorf("median time to first order: %w", err)
		}
		return nil
	})

	// The SLA and speed to lead of the leads' current cycles, then of the
	// finished ones (cycles.go).
	leadsSLA := func() (err error) {
		if useRollup {
			r, ok, err := s.rollupSLA(ctx, f)
			if err != nil || ok {
				c.SLAMet, c.SLABreached, c.SLAPending, c.SLADue, c.SpeedToLead = r.SLAMet, r.SLABreached, r.SLAPending, r.SLADue, r.SpeedToLead
				return err
			}
		}
		named := map[string]any{"from": from, "to": to, "now": ms(f.Now)}
		andNamed := slaFilter("leads", f.Source, f.Owner, named)
		q := "SELECT (SELECT COUNT(*) FROM leads l WHERE " + slaMetIn + andNamed + ")," +
			" (SELECT COUNT(*) FROM leads l WHERE " + slaBreachedIn + andNamed + ")," +
			" (SELECT COUNT(*) FROM leads l WHERE " + slaPendingIn + andNamed + ")"
		if err := db.Raw(q, named).Row().Scan(&c.SLAMet, &c.SLABreached, &c.SLAPending); err != nil {
			return fmt.Errorf("sla: %w", err)
		}
		c.SLADue = c.SLAMet + c.SLABreached + c.SLAPending
		c.SpeedToLead, err = s.speedToLead(ctx, f, cond, condArgs)
		return err
	}
	tasks = append(tasks, func() error {
		if err := leadsSLA(); err != nil {
			return err
		}
		met, breached, pending, err := cyclesSLA(db, from, to, ms(f.Now), f.Source, f.Owner)
		if err != nil {
			return fmt.Errorf("sla of finished cycles: %w", err)
		}
		c.SLAMet, c.SLABreached, c.SLAPending = c.SLAMet+met, c.SLABreached+breached, c.SLAPending+pending
		c.SLADue = c.SLAMet + c.SLABreached + c.SLAPending
		speed, err := s.cyclesSpeedToLead(ctx, f.Period, f.Source, f.Owner)
		if err != nil {
			return fmt.Errorf("finished cycles: %w", err)
		}
		if c.SpeedToLead == nil && len(speed) > 0 {
			c.SpeedToLead = map[string]handoff.SpeedToLead{}
		}
		addSpeed(c.SpeedToLead, speed)
		return nil
	}, func() (err error) {
		c.ByCampaign, err = s.campaignCounts(ctx, f, cond, condArgs, groups, rolled)
		return err
	}, func() (err error) {
		c.MedianSystemDelayMs, c.MedianRepDelayMs, err = s.claimDelays(ctx, f, cond, condArgs)
		return err
	}, func() (err error) {
		if f.Owner != "" {
			return nil // traffic has no owner
		}
		c.Visits, err = s.visits(ctx, f.Period, f.Source)
		return err
	}, func() (err error) {
		c.Routing, err = s.routingStats(ctx, from, to)
		return err
	})

	if err := parallel(tasks...); err != nil {
		return handoff.FunnelCounts{}, fmt.Errorf("storage: funnel %s: %w", f.Period.Label, err)
	}
	return c, nil
}

// DefaultListLimit caps lead lists when the caller asks for no limit.
const DefaultListLimit = 50

// breachedSQL is true for an open SQL (stage sql or claimed) that is
// flagged as breached, whose contact deadline has passed, or, unclaimed,
// whose claim deadline has passed and is not excused: handoff's
// Lead.BreachedAt, as the SLA clock ticking at now would judge it
// (TestRulesWrittenTwiceAgree). A deadline breaches at its due time; a
// claim deadline the clock moves on (Lead.ClaimExcused: the policy
// excuses the system's delay, the claim is not escalated, and the card
// was not shown since the SQL time) moves past now, so the lead is still
// unclaimed. Arguments: breachArgs.
const breachedSQL = "(l.sla_breached = ? OR COALESCE(l.contact_due_ms, ?) <= ? OR (l.stage = 'sql' AND COALESCE(l.claim_due_ms, ?) <= ?" +
	" AND NOT " + claimExcusedSQL + "))"

// claimExcusedSQL is Lead.ClaimExcused in SQL over an SQL whose claim
// deadline has passed (the caller's condition): the clock moves it on
// when the policy excuses the system's delay (its one argument,
// Policy.ExcuseSystemDelay), the claim is not escalated and the card was
// not shown since the SQL time (cardNotShown). Its columns are unqualified,
// for breachedSQL's reads of leads alone and the claim's UPDATE
// (claimColumns).
const claimExcusedSQL = "(? AND claim_escalated_ms IS NULL AND sql_ms IS NOT NULL AND (shown_ms IS NULL OR shown_ms < sql_ms))"

// breachArgs are breachedSQL's arguments at now under p.
func breachArgs(now time.Time, p handoff.Policy) []any {
	n := ms(now)
	return []any{true, int64(math.MaxInt64), n, int64(math.MaxInt64), n, p.ExcuseSystemDelay}
}

// heldToAgreement leaves out of the open SQLs the leads recorded as history
// (handoff import --old history), the only SQLs without a contact deadline.
const heldToAgreement = "l.contact_due_ms IS NOT NULL"

// OpenSQLs returns the open SQLs at now (not those from history), judged
// under p as the SLA clock ticking at now would judge them (breachedSQL):
// unclaimed, claimed but not yet contacted with time left, and breached, each list capped at limit
// (DefaultListLimit when limit <= 0). An unclaimed SQL whose passed claim
// deadline the clock excuses (its card not shown yet) is unclaimed, listed
// by the deadline the clock moves it to, p.ClaimDue(now) for each such SQL
// (Policy.ExcusedClaimDue), among the others by theirs. It returns a
// wrapped error when a query fails.
func (s *Store) OpenSQLs(ctx context.Context, now time.Time, p handoff.Policy, limit int) (handoff.OpenSQLs, error) {
	if limit <= 0 {
		limit = DefaultListLimit
	}
	bArgs := breachArgs(now, p)
	db := s.db.WithContext(ctx)
	var out handoff.OpenSQLs

	var totals []struct {
		Grp string
		N   int64
	}
	q := "SELECT CASE WHEN " + breachedSQL + " THEN 'breached' WHEN l.stage = 'sql' THEN 'unclaimed' ELSE 'waiting' END AS grp, COUNT(*) AS n" +
		" FROM leads l WHERE l.stage IN ('sql', 'claimed') AND " + heldToAgreement + " GROUP BY 1"
	if err := db.Raw(q, bArgs...).Scan(&totals).Error; err != nil {
		return handoff.OpenSQLs{}, fmt.Errorf("storage: open sqls: %w", err)
	}
	for _, t := range totals {
		switch t.Grp {
		case "breached":
			out.BreachedTotal = t.N
		case "unclaimed":
			out.UnclaimedTotal = t.N
		case "waiting":
			out.WaitingTotal = t.N
		}
	}

	lists := []struct {
		dst   *[]*handoff.Lead
		where string
		order clause.Expr
	}{
		// An unclaimed SQL past its claim deadline is one the clock
		// excuses: ordered by the deadline the clock holds it to,
		// p.ClaimDue(now) (Lead.ClaimDueAtNow), then, among those the
		// clock holds to the same, by SQL time (the longest waiting
		// first), which the tick that moves the deadline leaves, and id.
		{&out.Unclaimed, "l.stage = 'sql' AND NOT " + breachedSQL,
			clause.Expr{SQL: "CASE WHEN l.claim_due_ms <= ? THEN ? ELSE l.claim_due_ms END, l.sql_ms, l.id", Vars: []any{ms(now), ms(p.ClaimDue(now))}}},
		{&out.Waiting, "l.stage = 'claimed' AND NOT " + breachedSQL, clause.Expr{SQL: "l.contact_due_ms, l.id"}},
		{&out.Breached, "l.stage IN ('sql', 'claimed') AND " + breachedSQL, clause.Expr{SQL: "l.contact_due_ms, l.id"}},
	}
	for _, li := range lists {
		var rows []leadRow
		err := db.Table("leads AS l").Where(li.where+" AND "+heldToAgreement, bArgs...).
			Order(clause.OrderBy{Expression: li.order}).Limit(limit).Find(&rows).Error
		if err != nil {
			return handoff.OpenSQLs{}, fmt.Errorf("storage: open sqls: %w", err)
		}
		leads, err := rowsToLeads(rows)
		if err != nil {
			return handoff.OpenSQLs{}, fmt.Errorf("storage: open sqls: %w", err)
		}
		*li.dst = leads
	}
	return out, nil
}

// SLAByRep returns each owner's SLA outcome for the SQLs settled in period
// (pending relative to now; see handoff.SettleSLA), most breaches first,
// then by owner. It returns a wrapped error when the query fails.
func (s *Store) SLAByRep(ctx context.Context, period handoff.Period, now time.Time) ([]handoff.RepSLA, error) {
	args := map[string]any{"from": ms(period.Start), "to": ms(period.End), "now": ms(now)}
	rows, err := repRows(s.db.WithContext(ctx), repSLASelect, args)
	if err != nil {
		return nil, fmt.Errorf("storage: sla by rep %s: %w", period.Label, err)
	}
	out := make([]handoff.RepSLA, 0, len(rows))
	for _, r := range rows {
		if r.Met+r.Breached+r.Pending == 0 {
			continue
		}
		out = append(out, handoff.RepSLA{
			Owner:    handoff.Owner{Platform: r.OwnerPlatform, UserID: r.OwnerUserID, Email: r.OwnerEmail},
			SLAStats: handoff.NewSLAStats(r.Met, r.Breached, r.Pending),
		})
	}
	sort.Slice(out, func(i, j int) bool {
		return breachesFirst(out[i].SLAStats, out[j].SLAStats, out[i].Owner, out[j].Owner)
	})
	return out, nil
}

// breachesFirst orders reps as SLAByRep and RepActivity list them: the rep
// with more breaches (a's stats and owner against b's) first, then by user
// id and email.
func breachesFirst(a, b handoff.SLAStats, ao, bo handoff.Owner) bool {
	if a.Breached != b.Breached {
		return a.Breached > b.Breached
	}
	if ao.UserID != bo.UserID {
		return ao.UserID < bo.UserID
	}
	return ao.Email < bo.Email
}

// OpenLeads returns the open leads (SQL, claimed, contacted or opportunity)
// owned by owner, a platform user id or an email ("" means every open lead
// held to the agreement: one recorded as history is listed only among its
// owner's): those still awaiting first contact first, by contact deadline,
// then the rest by id. At most limit are returned (DefaultListLimit when
// limit <= 0). It returns a wrapped error when the query fails.
func (s *Store) OpenLeads(ctx context.Context, owner string, limit int) ([]*handoff.Lead, error) {
	leads, err := s.openLeads(ctx, owner, 0, limit)
	if err != nil {
		return nil, fmt.Errorf("storage: %s: %w", openLeadsOf(owner), err)
	}
	return leads, nil
}

// OpenLeadsPage returns the open leads OpenLeads lists, skipping the first
// offset of them and returning at most limit (DefaultListLimit when limit
// <= 0), and how many such leads there are in all, read in one snapshot.
// It returns a wrapped error when a query fails.
func (s *Store) OpenLeadsPage(ctx context.Context, owner string, offset, limit int) ([]*handoff.Lead, int, error) {
	var leads []*handoff.Lead
	var total int64
	err := s.readSnapshot(ctx, func(tx *gorm.DB) error {
		var err error
		if err = openLeadsWhere(tx.Table("leads AS l"), owner).Count(&total).Error; err != nil {
			return err
		}
		leads, err = openLeadsIn(tx, owner, max(offset, 0), limit)
		return err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("storage: %s from %d: %w", openLeadsOf(owner), offset, err)
	}
	return leads, int(max(total, int64(len(leads)+max(offset, 0)))), nil
}

// openLeadsOf words, for an error, the open leads of owner without naming
// the rep: an email or a platform user id identifies a person, and the
// error is logged, where it would outlive them.
func openLeadsOf(owner string) string {
	if owner == "" {
		return "open leads"
	}
	return "open leads of one rep"
}

// openLeads reads a page of OpenLeads' list.
func (s *Store) openLeads(ctx context.Context, owner string, offset, limit int) ([]*handoff.Lead, error) {
	return openLeadsIn(s.db.WithContext(ctx), owner, offset, limit)
}

// openLeadsIn reads a page of OpenLeads' list through db.
func openLeadsIn(db *gorm.DB, owner string, offset, limit int) ([]*handoff.Lead, error) {
	if limit <= 0 {
		limit = DefaultListLimit
	}
	var rows []leadRow
	q := openLeadsWhere(db.Table("leads AS l"), owner).Order("CASE WHEN l.contacted_ms IS NULL THEN 0 ELSE 1 END").
		Order(fmt.Sprintf("COALESCE(l.contact_due_ms, %d)", int64(math.MaxInt64))).Order("l.id").Limit(limit)
	if offset > 0 {
		q = q.Offset(offset)
	}
	if err := q.Find(&rows).Error; err != nil {
		return nil, err
	}
	return rowsToLeads(rows)
}

// openLeadsWhere narrows db (leads AS l) to OpenLeads' leads of owner.
func openLeadsWhere(db *gorm.DB, owner string) *gorm.DB {
	var open []string
	for _, st := range handoff.AllStages {
		if st.Open() {
			open = append(open, string(st))
		}
	}
	db = db.Where("l.stage IN ?", open)
	if cond, args := leadCond("", owner); cond != "" {
		db = db.Where(cond, args...)
	}
	if owner == "" {
		db = db.Where(heldToAgreement)
	}
	return db
}

func rowsToLeads(rows []leadRow) ([]*handoff.Lead, error) {
	out := make([]*handoff.Lead, len(rows))
	for i, r := range rows {
		l, err := r.toLead()
		if err != nil {
			return nil, err
		}
		out[i] = l
	}
	return out, nil
}
