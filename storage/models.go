package storage

// Rows as stored. Times are Unix milliseconds (UTC), so that period and
// duration arithmetic is the same integer SQL on SQLite and PostgreSQL.

type leadRow struct {
	ID           int64  `gorm:"primaryKey"`
	ExternalID   string `gorm:"size:500;not null;uniqueIndex"`
	Email        string `gorm:"size:500;index"`
	Name         string `gorm:"size:500"`
	Company      string `gorm:"size:500"`
	Title        string `gorm:"size:500"`
	Phone        string `gorm:"size:500"`
	Source       string `gorm:"size:500;index"`
	Campaign     string `gorm:"size:500"`
	Score        int
	ScoreReasons string `gorm:"size:1000"`
	// NextDecayMs is Lead.NextDecayAt: the scheduler rescores the lead then.
	NextDecayMs *int64 // indexed where set, in sparseIndexes
	Stage       string `gorm:"size:20;not null;index"`
	// StageMs is handoff.Lead.StageAt: when the lead entered its stage, as
	// its history dates it. Store.BackfillStageTimes fills it in from the
	// events for the leads last moved before it was kept; NULL for one
	// whose history does not say, or until the backfill reaches it:
	// EnteredStageAt falls back to updated_ms.
	StageMs       *int64 `gorm:"column:stage_ms"`
	Reached       int
	AmountMinor   int64
	Reason        string `gorm:"size:500"`
	Attributes    string `gorm:"type:text"`
	OwnerPlatform string `gorm:"size:20"`
	// The user ids here and in sla_cycles, and lead_events.actor, were
	// narrower in earlier versions (see actorColumnLen). Here they are
	// text, bounded by the store (handoff.MaxChatIDLen): as varchar(300)
	// they made PostgreSQL's estimate of a row wider, and its plans of an
	// unanalysed leads table took other indexes than the sparse ones
	// (TestSparseIndexesServeTheirQueries, TestPGIDListStatementsUseIndexes).
	OwnerUserID string `gorm:"type:text"` // indexed where set, in sparseIndexes
	OwnerEmail  string `gorm:"size:500"`
	// SLAHeld says that the SLAHolder columns hold handoff.Lead.SLAHolder
	// (who held the lead when its contact promise was settled, recorded as
	// it changed hands after that), read with the owner by slaOwnerCol.
	SLAHeld           bool   `gorm:"column:sla_held;not null;default:false"`
	SLAHolderPlatform string `gorm:"column:sla_holder_platform;size:20;not null;default:''"`
	SLAHolderUserID   string `gorm:"column:sla_holder_user_id;type:text;not null;default:''"`
	SLAHolderEmail    string `gorm:"column:sla_holder_email;size:500;not null;default:''"`
	SQLMs             *int64
	// SLAFromMs is handoff.Lead.SLAFrom: when the SQL cycle's SLA clock
	// started (NULL for a cycle begun before it was kept: at sql_ms).
	SLAFromMs   *int64 `gorm:"column:sla_from_ms"`
	ClaimedMs   *int64
	ContactedMs *int64
	ClaimDueMs  *int64 // read through idx_leads_sla_claim
	// ShownMs is when the lead's card was first shown in chat in its
	// latest SQL cycle (the system's part of the wait ends there).
	ShownMs      *int64
	ContactDueMs *int64 // indexed with contacted_ms in createKPIIndexes
	SLABreached  bool   `gorm:"column:sla_breached"`
	// SLASetMs is handoff.Lead.SLASetAt: when Handoff last set one of the
	// SLA deadlines above or below (NULL for a lead that has had none set
	// since it was kept: the clock judges by updated_ms, see slaSetAt).
	SLASetMs     *int64 `gorm:"column:sla_set_ms"`
	NextRemindMs *int64 // indexed in slaIndexes
	ClaimEscMs   *int64 `gorm:"column:claim_escalated_ms"`
	ContactEscMs *int64 `gorm:"column:contact_escalated_ms"`
	ErasedMs     *int64
	// ErasedKey is the keyed hash of an erased lead's external id (see
	// secretRow), by which the erased view is found.
	ErasedKey string `gorm:"size:64"` // indexed where set, in sparseIndexes
	// ParkedMs is set when the SLA clock could not process the lead (see
	// FireSLA); its timers are skipped until the lead changes (any update
	// rewrites the row and clears it, giving the lead another chance).
	// Indexed where set, in sparseIndexes, for ParkedLeads.
	ParkedMs    *int64
	ParkedError string `gorm:"type:text"`
	// The offer columns keep handoff.Offer (round-robin routing): its
	// state, the offered rep's key, when routing next looks at the lead
	// (indexed, so the scheduler finds due offers without a scan), the
	// routing step count the conditional write compares, the reps tried
	// and the current offer's credits as JSON.
	OfferState   string `gorm:"size:20;not null;default:''"`
	OfferRep     string `gorm:"size:300;not null;default:''"`
	OfferDueMs   *int64 // indexed where set, in sparseIndexes
	OfferSeq     int    `gorm:"not null;default:0"`
	OfferTried   string `gorm:"type:text"`
	OfferCredits string `gorm:"type:text"`
	CreatedMs    int64  `gorm:"not null"`
	UpdatedMs    int64  `gorm:"not null;index"`
}

func (leadRow) TableName() string { return "leads" }

type eventRow struct {
	ID      int64  `gorm:"primaryKey"`
	LeadID  int64  `gorm:"not null;index"`
	Kind    string `gorm:"size:20;not null"` // indexed with stage and at_ms in createKPIIndexes
	Stage   string `gorm:"size:20;not null"`
	AtMs    int64  `gorm:"not null"`
	Actor   string `gorm:"size:320"`
	Details string `gorm:"type:text"`
	// ReasonCode and NotAFit repeat the details' reason_code and not_a_fit
	// as columns, for the funnel's per-campaign aggregates.
	ReasonCode string `gorm:"size:100;not null;default:''"`
	NotAFit    bool   `gorm:"not null;default:false"`
}

func (eventRow) TableName() string { return "lead_events" }

// outboxRow is an outbox message. Its index on (status, due_ms, id) gives
// the due pending messages in the order the outbox takes them
// (inIndexOrder), and the done ones in the order PruneOutbox deletes them.
type outboxRow struct {
	ID            int64  `gorm:"primaryKey;index:idx_outbox_status_due_id,priority:3"`
	Kind          string `gorm:"size:40;not null"`
	LeadID        int64  `gorm:"index"`
	Platform      string `gorm:"size:20"`
	Payload       string `gorm:"type:text"`
	Status        string `gorm:"size:10;not null;index:idx_outbox_status_due_id,priority:1"`
	DueMs         int64  `gorm:"not null;index:idx_outbox_status_due_id,priority:2"`
	LockedUntilMs int64  `gorm:"not null;default:0"`
	LockedBy      string `gorm:"size:100"`
	Attempts      int    `gorm:"not null;default:0"`
	LastError     string `gorm:"type:text"`
	Result        string `gorm:"size:200"`
	CreatedMs     int64  `gorm:"not null"`
	RequeuedMs    *int64
	DoneMs        *int64
	// RefusedBy is the place (a channel, a Teams team) whose refusal
	// gave a dead message up, "" for any other: the message is queued
	// again when the app is back there (RetryRefusedOutbox).
	RefusedBy string `gorm:"size:300;not null;default:''"`
	// NotBeforeMs, of a pending message, is the end of the wait its
	// platform asked for (handoff.OutboxOutcome.RetryAsked: a
	// Retry-After), NULL when its due time is the outbox's own backoff:
	// HastenOutbox leaves a message alone until then.
	NotBeforeMs *int64
	// FailingSinceMs is handoff.OutboxMessage.FailingSince, NULL while
	// no attempt of the current run has failed.
	FailingSinceMs *int64
}

func (outboxRow) TableName() string { return "outbox" }

type chatPostRow struct {
	ID        int64  `gorm:"primaryKey"`
	LeadID    int64  `gorm:"not null;uniqueIndex:idx_posts_lead_platform,priority:1"`
	Platform  string `gorm:"size:20;not null;uniqueIndex:idx_posts_lead_platform,priority:2"`
	Channel   string `gorm:"size:300;not null"`
	MessageID string `gorm:"size:300;not null"`
	// SQLMs is when the lead had become the SQL this card announces; NULL
	// for cards posted before it was recorded.
	SQLMs     *int64 `gorm:"column:sql_ms"`
	CreatedMs int64  `gorm:"not null"`
	UpdatedMs int64  `gorm:"not null"`
}

func (chatPostRow) TableName() string { return "chat_posts" }

// leadMessageRow is a chat message that showed a lead other than its
// current card: an earlier card (the lead came back as an SQL and was
// announced anew), the owner's direct message, a reminder, an escalation.
// Erasing the lead updates each of them. message_id is indexed for the
// records of one managers' note (Store.NoteShown, Store.SetNoteShown).
type leadMessageRow struct {
	ID        int64  `gorm:"primaryKey"`
	LeadID    int64  `gorm:"not null;index"`
	Kind      string `gorm:"size:40;not null"`
	Platform  string `gorm:"size:20;not null"`
	Channel   string `gorm:"size:300;not null"`
	MessageID string `gorm:"size:300;not null;index"`
	CreatedMs int64  `gorm:"not null"`
	// ExpiresMs is ChatPost.ExpiresAt.
	ExpiresMs *int64
	// Notice is ChatPost.Notice: no personal data.
	Notice string `gorm:"type:text;not null;default:''"`
	// Shown is ChatPost.Shown: a managers' note's fingerprint as shown.
	Shown string `gorm:"size:80;not null;default:''"`
}

func (leadMessageRow) TableName() string { return "lead_messages" }

// sparseIndexes index columns that a new lead leaves NULL or empty only
// where they are set, so that saving a new lead writes none of them (each
// index a lead is in costs every intake commit a page). A query reading
// one must say the column is set: a comparison with a value (offer_due_ms
// <= ?) implies IS NOT NULL to both databases, an equality with a bound
// value does not imply that it is not empty (see erasedKeyWhere,
// teamsOwnersWhere).
// next_remind_ms is read through idx_leads_sla_remind_set alone.
// claim_due_ms is read through idx_leads_sla_claim; its whole index served
// no query (the open SQLs' list reads by stage) and cost every new lead
// and every claim an entry.
// Earlier versions indexed each column whole: Migrate drops those. The
// routing clock's index holds only open SQLs, as its queries ask (stage =
// 'sql' literally): with the stage outside the index, PostgreSQL with stale
// statistics read every open SQL through the index on stage instead.
var sparseIndexes = []string{
	"DROP INDEX IF EXISTS idx_leads_next_decay_ms",
	"CREATE INDEX IF NOT EXISTS idx_leads_next_decay_set ON leads (next_decay_ms) WHERE next_decay_ms IS NOT NULL",
	"DROP INDEX IF EXISTS idx_leads_offer_due_ms",
	"DROP INDEX IF EXISTS idx_leads_offer_due_set",
	"CREATE INDEX IF NOT EXISTS idx_leads_route_due ON leads (offer_due_ms) WHERE offer_due_ms IS NOT NULL AND stage = 'sql'",
	"DROP INDEX IF EXISTS idx_leads_erased_key",
	"CREATE INDEX IF NOT EXISTS idx_leads_erased_key_set ON leads (erased_key) WHERE erased_key <> ''",
	"DROP INDEX IF EXISTS idx_leads_owner_user_id",
	"CREATE INDEX IF NOT EXISTS idx_leads_owner_set ON leads (owner_user_id) WHERE owner_user_id <> ''",
	"DROP INDEX IF EXISTS idx_leads_next_remind_ms",
	"DROP INDEX IF EXISTS idx_leads_claim_due_ms",
	"CREATE INDEX IF NOT EXISTS idx_leads_parked_set ON leads (parked_ms) WHERE parked_ms IS NOT NULL",
}

// outboxIndexes drops the index on (status, due_ms) of earlier versions,
// which idx_outbox_status_due_id replaces (outboxRow), and makes the
// partial indexes that keep the outbox's other reads from reading every
// pending message at a large backlog: idx_outbox_pending_queued, the
// pending messages by when they were queued (OutboxStats' oldest), and
// indexes of the webhook messages alone, which a chat backlog does not
// enter: idx_outbox_webhook_due, the pending ones in the order
// TakeWebhooks takes them, and idx_outbox_webhook_queue, all by lead,
// endpoint and status (queueHead). The first two start with status so
// that SQLite, planning on no statistics, prefers them to
// idx_outbox_status_due_id (and a sort). queueHead's lookup, correlated
// on status, cannot use idx_outbox_webhook_due, of pending messages
// alone: PostgreSQL, planning on no statistics, chose it when it could,
// and read every pending webhook for each (BENCHMARKS.md, "The outbox
// draining a large backlog").
var outboxIndexes = []string{
	"DROP INDEX IF EXISTS idx_outbox_status_due",
	"CREATE INDEX IF NOT EXISTS idx_outbox_pending_queued ON outbox (status, " + queuedMs + ") WHERE " + pendingOutbox,
	"CREATE INDEX IF NOT EXISTS idx_outbox_webhook_due ON outbox (status, due_ms, id) WHERE " + webhookMessage + " AND " + pendingOutbox,
	"CREATE INDEX IF NOT EXISTS idx_outbox_webhook_queue ON outbox (lead_id, platform, status, id) WHERE " + webhookMessage,
}

var allModels = []any{&leadRow{}, &eventRow{}, &outboxRow{}, &chatPostRow{}, &leadMessageRow{}, &leaseRow{}, &scheduleRunRow{}, &trafficRow{}, &processedEventRow{}, &teamsConversationRow{}, &teamsUserRow{}, &teamsPinRow{}, &crmVersionRow{}, &activityRow{}, &secretRow{}, &dataMigrationRow{}, &slaCycleRow{}, &outboxServerRow{}, &memberStampRow{}, &memberChangeRow{}}
