package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/handoff/handoff"
	"gorm.io/gorm"
)

// errRaced means a concurrent writer inserted the same external id first.
var errRaced = errors.New("storage: concurrent insert")

// SaveLead creates or updates the lead named by in.ExternalID in one
// transaction: the lead row, its new events and, when it becomes an SQL, the
// outbox entry that announces it in chat. Repeating the same input changes
// nothing. It returns ECONFLICT for a backwards stage move.
func (s *Store) SaveLead(ctx context.Context, in handoff.LeadInput, policy handoff.Policy, now time.Time, actor string) (handoff.SaveResult, error) {
	var res handoff.SaveResult
	err := againIfRaced(func() (err error) {
		res, err = s.saveLeadOnce(ctx, in, policy, now, actor)
		return err
	})
	if err != nil {
		return handoff.SaveResult{}, fmt.Errorf("storage: save lead: %w", err)
	}
	if res.Lead != nil && res.Lead.ID != 0 {
		s.known.add(in.ExternalID)
	}
	s.queued(queuedBy(res))
	return res, nil
}

// againIfRaced runs save, a transaction that saves leads, again (up to
// three times more) while it fails with errRaced: another writer inserted
// one of its new leads' external ids first, and the next run finds that
// lead and updates it.
func againIfRaced(save func() error) error {
	for attempt := 0; ; attempt++ {
		err := save()
		if !errors.Is(err, errRaced) || attempt == 3 {
			return err
		}
	}
}

func (s *Store) saveLeadOnce(ctx context.Context, in handoff.LeadInput, policy handoff.Policy, now time.Time, actor string) (handoff.SaveResult, error) {
	if s.intake != nil {
		return s.intake.saveLead(ctx, s.intakeItem(in, policy, now, actor))
	}
	var res handoff.SaveResult
	err := s.tx(ctx, func(tx *gorm.DB) error {
		results, errs, err := saveBatchInTx(tx, []saveItem{{in: in, policy: policy, now: now, actor: actor, hooks: s.hooks}})
		if err != nil {
			return err
		}
		res = results[0]
		return errs[0]
	})
	return res, err
}

// SaveLeads saves a batch of inputs in one transaction, for bulk imports.
// Each input's domain error (a backwards move, say) is reported in errs at
// its index and skips only that input, and so is the database's refusal of
// one input's writes (saveBatchOrEach); a database error that every input
// meets fails the batch and writes nothing.
func (s *Store) SaveLeads(ctx context.Context, ins []handoff.LeadInput, policy handoff.Policy, now time.Time, actor string) (results []handoff.SaveResult, errs []error, err error) {
	return s.SaveLeadsChecked(ctx, ins, policy, now, actor, nil)
}

// SaveLeadsChecked is SaveLeads with a last look: check, when not nil,
// sees the batch's results before the commit, and an error from it writes
// nothing of the batch and is returned as it is, with the results of the
// batch as it was not written.
func (s *Store) SaveLeadsChecked(ctx context.Context, ins []handoff.LeadInput, policy handoff.Policy, now time.Time, actor string,
	check func(results []handoff.SaveResult, errs []error) error) (results []handoff.SaveResult, errs []error, err error) {
	items := make([]saveItem, len(ins))
	for i, in := range ins {
		items[i] = saveItem{in: in, policy: policy, now: now, actor: actor, hooks: s.hooks}
	}
	var refused error
	err = againIfRaced(func() error {
		refused = nil
		return s.txSettled(ctx, func(tx *gorm.DB) error {
			if s.dialect == DialectPostgres {
				// A table that grows fast inside one import has no fresh
				// statistics: keep the planner on the external_id index
				// rather than scanning the whole table for every batch.
				if err := tx.Exec("SET LOCAL enable_seqscan = off").Error; err != nil {
					return err
				}
			}
			results, errs, err = saveBatchOrEach(tx, items)
			if err == nil && check != nil {
				refused = check(results, errs)
				err = refused
			}
			return err
		})
	})
	if refused != nil && errors.Is(err, refused) {
		return results, errs, refused
	}
	if err != nil {
		return nil, nil, fmt.Errorf("storage: save %d leads: %w", len(ins), err)
	}
	s.queued(queuedBy(results...))
	return results, errs, nil
}

// intakeItem is SaveLead's item for the intake committer: decided for a
// new lead (decideNew) unless the store saved its external id lately
// (knownLeads), so that an update is decided once, by the writer, on the
// lead as stored.
func (s *Store) intakeItem(in handoff.LeadInput, policy handoff.Policy, now time.Time, actor string) saveItem {
	it := saveItem{in: in, policy: policy, now: now, actor: actor, hooks: s.hooks}
	if !s.known.has(in.ExternalID) {
		it.fresh = decideNew(it)
	}
	return it
}

// saveItem is one intake input with the policy, time and actor it is saved
// under; fresh, when set, is what it does to a lead not yet known
// (decideNew), worked out before it was queued.
type saveItem struct {
	in     handoff.LeadInput
	policy handoff.Policy
	now    time.Time
	actor  string
	hooks  []handoff.WebhookRoute
	fresh  *freshSave
}

// freshSave is what an item decides for a lead that its external id does
// not name yet: decideSaves' work for such a lead, which depends on the
// item alone. SaveLead works it out on the caller's goroutine before the
// save queues, so that the one writer (SQLite's, PostgreSQL's intake
// committer) only uses it when the lead turns out to be new; a known lead
// is decided in the batch as before, and so is a lead SaveLead saved
// lately (knownLeads), for which it does not work this out.
type freshSave struct {
	lead    handoff.Lead // after the item; the zero lead when unchanged
	changed bool
	events  []handoff.Event
	rows    []eventRow // the events' rows, without the lead's id
	outbox  []handoff.OutboxMessage
	err     error
}

// decideNew decides the item for a new lead, as decideSaves does for one
// its batch does not know (no activities: a new lead has none).
func decideNew(it saveItem) *freshSave {
	next, changed, events, err := applyItem(&handoff.Lead{}, it, nil)
	if err != nil {
		return &freshSave{err: err}
	}
	f := &freshSave{changed: changed, events: events}
	if changed {
		f.lead = next
	}
	f.outbox = handoff.NewChange(&f.lead, events).Outbox
	for _, e := range events {
		row, err := newEventRow(0, e)
		if err != nil { // decided again in the batch, which reports it
			return nil
		}
		f.rows = append(f.rows, row)
	}
	return f
}

// applyItem applies an item to a copy of lead and rescores the copy with
// activities (those of the lead that count for scoring).
func applyItem(lead *handoff.Lead, it saveItem, activities []handoff.Activity) (next handoff.Lead, changed bool, events []handoff.Event, err error) {
	// Apply to a copy so that an input rejected half-way leaves the lead as it was.
	next = *lead
	next.Attributes = cloneAttributes(lead.Attributes)
	changed, events, err = it.in.Apply(&next, it.now, it.actor, it.policy)
	if err != nil {
		return next, false, nil, err
	}
	if rescored, more := it.in.Rescore(&next, activities, it.now, it.policy); rescored {
		changed, events = true, append(events, more...)
	}
	return next, changed, events, nil
}

// saveBatchInTx applies the items in order inside tx with a constant number
// of statements per batch: one locking SELECT of the known leads, one
// multi-row INSERT of the new ones, an UPDATE per changed known lead, and
// multi-row INSERTs of the events and outbox entries. An item's domain error
// (conflict, invalid) is reported in errs and leaves that item unwritten; any
// other error fails the batch.
func saveBatchInTx(tx *gorm.DB, items []saveItem) (results []handoff.SaveResult, errs []error, err error) {
	rows, b, err := saveLeadRowsInTx(tx, items)
	if err != nil {
		return nil, nil, err
	}
	return b.write(tx, rows)
}

// saveGroupInTx is saveBatchInTx for the saves of a group of the writer's
// (saveJobs). On SQLite, a batch whose items were all decided as new leads
// before they queued (decidedNew) starts with the INSERT instead of the
// SELECT (saveNewBatchInTx), unless the last such batch named a known
// lead (*metKnown, which it updates): a known lead's INSERT, skipped, costs
// the writer several times what the SELECT saves a lead, so a stream of
// updates of known leads keeps to saveBatchInTx's order.
func saveGroupInTx(tx *gorm.DB, items []saveItem, metKnown *bool) (results []handoff.SaveResult, errs []error, err error) {
	if tx.Dialector.Name() == DialectPostgres || !decidedNew(items) {
		return saveBatchInTx(tx, items)
	}
	if *metKnown {
		rows, b, err := saveLeadRowsInTx(tx, items)
		if err != nil {
			return nil, nil, err
		}
		*metKnown = len(rows) > 0
		return b.write(tx, rows)
	}
	results, errs, *metKnown, err = saveNewBatchInTx(tx, items)
	return results, errs, err
}

// decidedNew reports whether every item was decided before it was queued
// (saveItem.fresh) as creating a lead, so that the batch is new leads
// unless their external ids are known.
func decidedNew(items []saveItem) bool {
	for _, it := range items {
		if it.fresh == nil || it.fresh.err != nil || !it.fresh.changed {
			return false
		}
	}
	return true
}

// saveNewBatchInTx is saveBatchInTx for a batch that decidedNew, as
// SQLite's writer saves intake's new leads: it inserts the leads as the
// items decided them without looking them up first (the SELECT was some
// 4 % of the writer's instructions), the unique index on external_id
// skipping a lead whose external id is known. Only the items of those
// leads are then decided as saveBatchInTx decides them, against the leads
// as stored, and take the place of what was decided for them; metKnown
// reports whether there were such leads.
func saveNewBatchInTx(tx *gorm.DB, items []saveItem) (results []handoff.SaveResult, errs []error, metKnown bool, err error) {
	b := decideSaves(items, map[string]*handoff.Lead{}, nil)
	newRows, err := leadRows(b.created)
	if err != nil {
		return nil, nil, false, err
	}
	known, err := insertNewLeadRows(tx, newRows)
	if err != nil {
		return nil, nil, false, err
	}
	for i, l := range b.created {
		l.ID = newRows[i].ID
	}
	var rows []leadRow
	if len(known) > 0 {
		var idx []int
		var again []saveItem
		for i, it := range items {
			if known[it.in.ExternalID] {
				idx = append(idx, i)
				again = append(again, it)
			}
		}
		var kb *saveBatch
		if rows, kb, err = saveLeadRowsInTx(tx, again); err != nil {
			return nil, nil, false, err
		}
		b.replace(idx, kb)
	}
	results, errs, err = b.write(tx, rows)
	return results, errs, len(known) > 0, err
}

// saveLeadRowsInTx reads the leads the items name (locking them on
// PostgreSQL), decides the items against them and writes the leads: one
// multi-row INSERT of the new ones (errRaced when an external id is taken
// by then), an UPDATE per changed known one. rows are the known leads as
// read.
func saveLeadRowsInTx(tx *gorm.DB, items []saveItem) (rows []leadRow, b *saveBatch, err error) {
	rows, err = selectLeadRows(tx, externalIDs(items), true)
	if err != nil {
		return nil, nil, err
	}
	leads, err := leadsByExternalID(rows)
	if err != nil {
		return nil, nil, err
	}
	activities, err := scoringActivities(tx, items, leads)
	if err != nil {
		return nil, nil, err
	}
	b = decideSaves(items, leads, activities)
	if len(b.created) > 0 {
		newRows, err := leadRows(b.created)
		if err != nil {
			return nil, nil, err
		}
		if err := insertLeadRows(tx, newRows); err != nil {
			return nil, nil, err
		}
		for i, l := range b.created {
			l.ID = newRows[i].ID
		}
	}
	for lead := range b.updated {
		if err := updateLeadRow(tx, lead); err != nil {
			return nil, nil, err
		}
	}
	return rows, b, nil
}

// write writes the batch's balance changes, events, rollup changes and
// outbox rows once its leads are written; rows are the known leads as read.
func (b *saveBatch) write(tx *gorm.DB, rows []leadRow) (results []handoff.SaveResult, errs []error, err error) {
	events, rollups, outbox, err := b.rowsToWrite(rows)
	if err != nil {
		return nil, nil, err
	}
	if err := b.writeCredits(tx); err != nil {
		return nil, nil, err
	}
	if err := updateRollup(tx, rollups); err != nil {
		return nil, nil, err
	}
	if err := execWrites(tx, []tableWrite{eventsWrite(events), b.cyclesWrite(), intakeOutboxWrite(outbox)}); err != nil {
		return nil, nil, err
	}
	return b.done(events), b.errs, nil
}

// writeCredits writes the balance changes of the batch's items in one
// saveCredits, at the latest such item's time; none, and no statement,
// when no item changes a balance.
func (b *saveBatch) writeCredits(tx *gorm.DB) error {
	var sum map[string]int64
	var at time.Time
	for i, c := range b.creditsFor {
		if len(c) > 0 {
			sum, at = sumCredits(sum, c), later(at, b.items[i].now)
		}
	}
	if sum == nil {
		return nil
	}
	return saveCredits(tx, sum, at)
}

func externalIDs(items []saveItem) []string {
	ids := make([]string, 0, len(items))
	for _, it := range items {
		ids = append(ids, it.in.ExternalID)
	}
	return ids
}

// leadsByExternalID turns the known leads' rows into leads.
func leadsByExternalID(rows []leadRow) (map[string]*handoff.Lead, error) {
	leads := make(map[string]*handoff.Lead, len(rows))
	for _, r := range rows {
		l, err := r.toLead()
		if err != nil {
			return nil, err
		}
		leads[r.ExternalID] = l
	}
	return leads, nil
}

// leadRows are the rows of leads.
func leadRows(leads []*handoff.Lead) ([]leadRow, error) {
	rows := make([]leadRow, len(leads))
	for i, l := range leads {
		var err error
		if rows[i], err = leadToRow(l); err != nil {
			return nil, err
		}
	}
	return rows, nil
}

// saveBatch is what saving a batch decided, before it is written.
type saveBatch struct {
	items     []saveItem
	results   []handoff.SaveResult
	errs      []error
	created   []*handoff.Lead // new leads, without ids until inserted
	updated   map[*handoff.Lead]bool
	eventsOf  [][]handoff.Event
	rowsOf    [][]eventRow              // the events' rows when decided before (freshSave), without the lead's id
	outboxFor [][]handoff.OutboxMessage // the chat work per item
	// creditsFor are the balance changes per item: the refund of an offer
	// the item's lead left the SQL stage without (handoff.NewChange).
	creditsFor []map[string]int64
}

// decideSaves applies the items in order to the known leads (by external
// id; leads created by earlier items are added) and to their activities
// that count for scoring. An item for a lead not known, decided before it
// was queued (saveItem.fresh), is not decided again.
func decideSaves(items []saveItem, leads map[string]*handoff.Lead, activities map[int64][]handoff.Activity) *saveBatch {
	b := &saveBatch{items: items, results: make([]handoff.SaveResult, len(items)), errs: make([]error, len(items)),
		updated: map[*handoff.Lead]bool{}, eventsOf: make([][]handoff.Event, len(items)), rowsOf: make([][]eventRow, len(items)),
		outboxFor: make([][]handoff.OutboxMessage, len(items)), creditsFor: make([]map[string]int64, len(items))}
	for i, it := range items {
		lead, known := leads[it.in.ExternalID]
		if !known && it.fresh != nil {
			b.fresh(i, it.fresh, leads)
			continue
		}
		if !known {
			lead = &handoff.Lead{}
		}
		next, changed, events, err := applyItem(lead, it, activities[lead.ID])
		if err != nil {
			b.errs[i] = err
			continue
		}
		var before *handoff.Lead // a stored lead as it was: NotesRefresh
		if known && changed && lead.ID != 0 {
			was := *lead
			before = &was
		}
		if !known && changed {
			lead = &next
			leads[it.in.ExternalID] = lead
			b.created = append(b.created, lead)
		} else if changed {
			*lead = next
			if lead.ID != 0 {
				b.updated[lead] = true
			}
		}
		b.results[i] = handoff.SaveResult{Lead: lead, Changed: changed, Created: !known && changed}
		b.eventsOf[i] = events
		change := handoff.NewChange(lead, events)
		if before != nil {
			if refresh := handoff.NotesRefresh(before, lead, change.Outbox); refresh != nil {
				change.Outbox = append(change.Outbox, *refresh)
			}
		}
		b.outboxFor[i], b.creditsFor[i] = change.Outbox, change.Credits
	}
	return b
}

// fresh records item i, for a lead not known, as f decided it: a lead of
// its own (a batch may run more than once: alone after a failed group, in
// a transaction after PostgreSQL's one statement could not decide).
func (b *saveBatch) fresh(i int, f *freshSave, leads map[string]*handoff.Lead) {
	if f.err != nil {
		b.errs[i] = f.err
		return
	}
	lead := new(handoff.Lead)
	*lead = f.lead
	if f.changed {
		leads[b.items[i].in.ExternalID] = lead
		b.created = append(b.created, lead)
	}
	b.results[i] = handoff.SaveResult{Lead: lead, Changed: f.changed, Created: f.changed}
	b.eventsOf[i] = f.events
	b.rowsOf[i] = f.rows
	b.outboxFor[i] = f.outbox
}

// replace puts what other decided for its items in the place of what b
// decided for items idx (other's items, in order); the leads are written
// by then.
func (b *saveBatch) replace(idx []int, other *saveBatch) {
	for k, i := range idx {
		b.results[i], b.errs[i] = other.results[k], other.errs[k]
		b.eventsOf[i], b.rowsOf[i], b.outboxFor[i], b.creditsFor[i] = other.eventsOf[k], other.rowsOf[k], other.outboxFor[k], other.creditsFor[k]
	}
}

// rowsToWrite are the batch's event rows, rollup changes and outbox rows
// (webhook ones too), once every lead has its id; rows are the known
// leads as read.
func (b *saveBatch) rowsToWrite(rows []leadRow) (events []eventRow, rollups []leadRollup, outbox []outboxRow, err error) {
	oldKeys := make(map[int64]rollupKeys, len(rows))
	for _, r := range rows {
		oldKeys[r.ID] = rowKeys(r)
	}
	rollups = make([]leadRollup, 0, len(b.items))
	for i, it := range b.items {
		lead := b.results[i].Lead
		first := len(events)
		for j, e := range b.eventsOf[i] {
			if b.rowsOf[i] != nil { // decided before it was queued
				row := b.rowsOf[i][j]
				row.LeadID = lead.ID
				events = append(events, row)
				continue
			}
			row, err := newEventRow(lead.ID, e)
			if err != nil {
				return nil, nil, nil, err
			}
			events = append(events, row)
		}
		if lead != nil && b.results[i].Changed {
			r := leadRollup{id: lead.ID, new: leadKeys(lead), events: events[first:]}
			if k, ok := oldKeys[lead.ID]; ok {
				r.old = &k
			}
			rollups = append(rollups, r)
		}
		b.results[i].Queued = len(b.outboxFor[i]) // the rows written next: the OnQueued count (queuedBy)
		for _, m := range b.outboxFor[i] {
			outbox = append(outbox, outboxRow{Kind: m.Kind, LeadID: lead.ID, Platform: m.Platform, Payload: m.Payload,
				Status: OutboxPending, DueMs: ms(it.now), CreatedMs: ms(it.now)})
		}
		if len(b.eventsOf[i]) > 0 {
			hooks, err := webhookMessages(it.hooks, lead.ID, b.eventsOf[i], it.now)
			if err != nil {
				return nil, nil, nil, err
			}
			outbox = append(outbox, hooks...)
		}
	}
	return events, rollups, outbox, nil
}

// cyclesWrite inserts the finished SLA cycles that the batch's events end,
// once every lead has its id.
func (b *saveBatch) cyclesWrite() tableWrite {
	var rows []slaCycleRow
	for i := range b.items {
		if lead := b.results[i].Lead; lead != nil {
			rows = append(rows, cycleRows(lead.ID, b.eventsOf[i])...)
		}
	}
	return cyclesWrite(rows)
}

// done is the batch's results once events were written.
func (b *saveBatch) done(events []eventRow) []handoff.SaveResult {
	// Events saved in a batch are returned without their row ids.
	n := 0
	for i := range b.items {
		for j := range b.eventsOf[i] {
			e := b.eventsOf[i][j]
			e.LeadID = events[n].LeadID
			b.results[i].Events = append(b.results[i].Events, e)
			n++
		}
	}
	return b.results
}

// scoringActivities returns the activities that count now of the known
// leads in a batch whose agreement has scoring, by lead id (nil without
// scoring): one query per batch.
func scoringActivities(tx *gorm.DB, items []saveItem, leads map[string]*handoff.Lead) (map[int64][]handoff.Activity, error) {
	var scoring *handoff.Scoring
	var now time.Time
	for _, it := range items {
		if it.policy.Scoring != nil {
			scoring, now = it.policy.Scoring, it.now
		}
	}
	if scoring == nil || len(leads) == 0 {
		return nil, nil
	}
	ids := make([]int64, 0, len(leads))
	for _, l := range leads {
		ids = append(ids, l.ID)
	}
	return activitiesOf(tx, ids, scoring, now)
}

// updateLeadRow writes every column of a known lead.
func updateLeadRow(tx *gorm.DB, lead *handoff.Lead) error {
	row, err := leadToRow(lead)
	if err != nil {
		return err
	}
	return tx.Model(&leadRow{}).Where("id = ?", row.ID).Select("*").Omit("id", "created_ms", "erased_ms", "erased_key").Updates(&row).Error
}

func cloneAttributes(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// insertEvents records a lead's events (keys: the lead's, unchanged by
// them), counts them in the funnel's rollup and queues the webhook
// messages they cause, in tx.
func (s *Store) insertEvents(tx *gorm.DB, leadID int64, keys rollupKeys, events []handoff.Event, now time.Time) ([]handoff.Event, error) {
	return s.insertChangeEvents(tx, leadID, keys, keys, events, now)
}

// insertChangeEvents is insertEvents for a change that also moved the
// lead's rollup keys from before to after (a claim's time): one update of
// the rollup for both.
func (s *Store) insertChangeEvents(tx *gorm.DB, leadID int64, before, after rollupKeys, events []handoff.Event, now time.Time) ([]handoff.Event, error) {
	if len(events) == 0 {
		if before == after {
			return nil, nil
		}
		return nil, updateRollup(tx, []leadRollup{{id: leadID, old: &before, new: after}})
	}
	rows := make([]eventRow, len(events))
	for i, e := range events {
		var err error
		if rows[i], err = newEventRow(leadID, e); err != nil {
			return nil, err
		}
	}
	if err := updateRollup(tx, []leadRollup{{id: leadID, old: &before, new: after, events: rows}}); err != nil {
		return nil, err
	}
	if err := tx.Create(&rows).Error; err != nil {
		return nil, err
	}
	if err := execWrites(tx, []tableWrite{cyclesWrite(cycleRows(leadID, events))}); err != nil {
		return nil, err
	}
	hooks, err := webhookMessages(s.hooks, leadID, events, now)
	if err != nil {
		return nil, err
	}
	if len(hooks) > 0 {
		if err := tx.Create(&hooks).Error; err != nil {
			return nil, err
		}
	}
	out := make([]handoff.Event, len(events))
	for i, e := range events {
		e.ID, e.LeadID = rows[i].ID, leadID
		out[i] = e
	}
	return out, nil
}

func newEventRow(leadID int64, e handoff.Event) (eventRow, error) {
	if err := checkLen("event actor", e.Actor, actorColumnLen); err != nil {
		return eventRow{}, err
	}
	details := ""
	if len(e.Details) > 0 {
		b, err := json.Marshal(e.Details)
		if err != nil {
			return eventRow{}, fmt.Errorf("event details: %w", err)
		}
		details = string(b)
	}
	return eventRow{LeadID: leadID, Kind: string(e.Kind), Stage: string(e.Stage), AtMs: ms(e.At), Actor: e.Actor, Details: details,
		ReasonCode: e.Details["reason_code"], NotAFit: e.Details["not_a_fit"] == "true"}, nil
}
