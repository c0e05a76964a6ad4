// Package storage keeps leads, their events and the outbox in SQLite or
// PostgreSQL through GORM. It is the only package that knows SQL.
package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/handoff/handoff"
	"github.com/mattn/go-sqlite3"
	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Dialects a Store can run on.
const (
	DialectSQLite   = "sqlite"
	DialectPostgres = "postgres"
)

// Store is the durable state of Handoff. Its methods are safe for concurrent use.
type Store struct {
	// db serves reads; write is the handle for transactions that write. On
	// SQLite write holds a single connection so that writers queue in process
	// instead of spinning on the file lock; on PostgreSQL both are the same pool.
	db      *gorm.DB
	write   *gorm.DB
	dialect string
	// group batches concurrent write transactions into shared commits on SQLite.
	group *groupCommitter
	// checkpoint copies SQLite's WAL into the database file off the
	// writer's path, every checkpointEvery commits of group.
	checkpoint *checkpointer
	// enqueuer batches concurrent Enqueue calls into shared commits: group
	// on SQLite, a committer of its own on PostgreSQL.
	enqueuer *groupCommitter
	// intake batches concurrent SaveLead calls into shared transactions:
	// group on SQLite, a committer of its own on PostgreSQL.
	intake *groupCommitter
	// claims batches concurrent claims (claimJobs): group on SQLite, a
	// committer of its own on PostgreSQL, on claimConn.
	claims *groupCommitter
	// claimConn is PostgreSQL's claims committer's pool of one
	// connection, outside db's: a burst of clicks holds every connection
	// of db for its reads of the leads, and the claims that those reads
	// queue must not wait behind them for a connection. nil on SQLite,
	// where the claims commit on the one writer.
	claimConn *gorm.DB
	// warmedClaims counts the claims Warm won to ready the claims
	// committer (warmClaims).
	warmedClaims atomic.Int64
	// onQueued is the hook called after outbox messages were committed.
	onQueued atomic.Pointer[func()]
	// hooks route lead events to webhook endpoints (RouteWebhooks).
	hooks []handoff.WebhookRoute
	// known are the external ids SaveLead saved lately, which it does not
	// decide for a new lead (intakeItem).
	known *knownLeads
	// claiming are the leads ClaimLeadIf is claiming (claimsInFlight).
	claiming claimsInFlight
	// leadReads coalesces the reads of leads by id that ClaimLeadIf makes
	// at once on PostgreSQL; nil on SQLite.
	leadReads *leadReads
	// claimInTx makes ClaimLead claim in a transaction of its own (not
	// in claimJobs' batch), for tests comparing the paths.
	claimInTx bool
	// clock is the offset of the database's clock from this process's,
	// which Clock adds (dbclock.go).
	clock dbClock
	// servers is when this process last recorded the platforms each of
	// its outbox workers serves (outbox_servers.go).
	servers outboxServers
	// stageTimesBatch is how many lead ids a batch of BackfillStageTimes
	// spans (stageTimesBatch when 0), and afterStageTimesBatch, when set,
	// is called after each batch's commit with the leads dated so far:
	// for tests and benchmarks.
	stageTimesBatch      int64
	afterStageTimesBatch func(dated int64)
	// countCap, when above 0, is where OutboxStats stops counting in place
	// of handoff.OutboxCountCap: for tests.
	countCap int64
}

// pgIntakeWorkers is how many intake groups commit at once on PostgreSQL.
// One: a group of new leads is one statement (saveOneStatement), and the
// saves that arrive during its commit make the next group bigger, which
// costs less CPU per lead than a second worker committing them early.
const pgIntakeWorkers = 1

// Options tune Open. The zero value is fine.
type Options struct {
	Logger *slog.Logger
	// MaxConns bounds the connection pool (default 16 on PostgreSQL, 8 readers on SQLite).
	MaxConns int
	// OnGroupCommit, when set, is called once for each group of writes
	// that a group committer commits (GroupCommit): by the committer's
	// goroutine, after every write of the group is answered, so it delays
	// no acknowledgement, but the committer takes its next group only
	// when it returns: it must be quick. PostgreSQL's committers call it
	// concurrently. Nil calls nothing.
	OnGroupCommit func(GroupCommit)
	// Clock is this process's clock (time.Now when nil), from which the
	// store measures the database's for Store.Clock (dbclock.go). Tests
	// set it to play a replica whose clock is wrong.
	Clock func() time.Time
	// checkpointRan receives a value after each background checkpoint (tests).
	checkpointRan chan<- struct{}
}

// Open connects to the database named by url: a PostgreSQL URL
// (postgres://…), a "sqlite:" or "file:" DSN, or a plain file path (the
// default "handoff.db" when empty). It does not migrate; call Migrate.
func Open(ctx context.Context, dbURL string, opts Options) (*Store, error) {
	gcfg := &gorm.Config{
		Logger:         logger.Discard,
		TranslateError: true,
		NowFunc:        func() time.Time { return time.Now().UTC() },
	}
	dialect, dsn, err := ParseURL(dbURL)
	if err != nil {
		return nil, err
	}
	s := &Store{dialect: dialect, known: newKnownLeads(), clock: dbClock{wall: opts.Clock}}
	switch dialect {
	case DialectPostgres:
		s.db, err = gorm.Open(postgres.Open(dsn), gcfg)
		if err != nil {
			return nil, fmt.Errorf("storage: open postgres: %w", err)
		}
		s.write = s.db
		sqlDB, err := s.db.DB()
		if err != nil {
			return nil, fmt.Errorf("storage: open postgres: %w", err)
		}
		n := opts.MaxConns
		if n <= 0 {
			n = 16
		}
		// Idle connections stay open: a new one is a new server process
		// that loads the catalog on first use, and a burst of clicks
		// after a quiet spell should not pay for that (Warm).
		sqlDB.SetMaxOpenConns(n)
		sqlDB.SetMaxIdleConns(n)
		if s.claimConn, err = gorm.Open(postgres.Open(dsn), gcfg); err != nil {
			sqlDB.Close()
			return nil, fmt.Errorf("storage: open postgres: %w", err)
		}
		claimDB, err := s.claimConn.DB()
		if err != nil {
			sqlDB.Close()
			return nil, fmt.Errorf("storage: open postgres: %w", err)
		}
		claimDB.SetMaxOpenConns(1)
		claimDB.SetMaxIdleConns(1)
		s.enqueuer = newGroupCommitter(s.write, 1, false)
		s.intake = newGroupCommitter(s.write, pgIntakeWorkers, true)
		s.leadReads = newLeadReads(s.db, leadReadWorkers)
		s.claims = newGroupCommitterOf(s.claimConn, 1, false, maxClaimGroupPG)
		s.enqueuer.name, s.intake.name, s.claims.name = CommitterOutbox, CommitterIntake, CommitterClaims
	default:
		if dir := filepath.Dir(sqlitePath(dsn)); dir != "" {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, fmt.Errorf("storage: create database directory: %w", err)
			}
		}
		if err := createSQLite(dsn); err != nil {
			return nil, err
		}
		if s.db, err = gorm.Open(sqlite.Open(dsn), gcfg); err != nil {
			return nil, fmt.Errorf("storage: open sqlite %s: %w", dsn, err)
		}
		if s.write, err = gorm.Open(sqlite.New(sqlite.Config{DriverName: writerDriver, DSN: dsn}), gcfg); err != nil {
			return nil, fmt.Errorf("storage: open sqlite %s: %w", dsn, err)
		}
		readers, err := s.db.DB()
		if err != nil {
			return nil, fmt.Errorf("storage: open sqlite: %w", err)
		}
		n := opts.MaxConns
		if n <= 0 {
			n = 8
		}
		readers.SetMaxOpenConns(n)
		readers.SetMaxIdleConns(n)
		writer, err := s.write.DB()
		if err != nil {
			return nil, fmt.Errorf("storage: open sqlite: %w", err)
		}
		writer.SetMaxOpenConns(1)
		writer.SetMaxIdleConns(1)
		writer.SetConnMaxLifetime(0)
		s.checkpoint = newCheckpointer(readers, opts.checkpointRan)
		s.group = newGroupCommitter(s.write, 1, false)
		s.group.after = s.checkpoint.committed
		s.group.gather, s.group.gatherMax = saveGather, saveGatherMax
		s.group.name = CommitterSQLite
		s.enqueuer = s.group
		s.intake = s.group
		s.claims = s.group
	}
	for _, g := range []*groupCommitter{s.enqueuer, s.intake, s.claims} {
		g.observer = opts.OnGroupCommit // before any write is queued
	}
	if err := s.Ping(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// ParseURL maps a DATABASE_URL to a dialect and a driver DSN. SQLite DSNs
// get WAL mode, a busy timeout, immediate write transactions, foreign keys
// and synchronous=FULL, so a committed lead survives a crash or power loss,
// a statement cache and connections without a mutex of their own; a
// parameter the URL gives is kept.
func ParseURL(dbURL string) (dialect, dsn string, err error) {
	switch {
	case strings.HasPrefix(dbURL, "postgres://"), strings.HasPrefix(dbURL, "postgresql://"):
		if _, err := url.Parse(dbURL); err != nil {
			return "", "", fmt.Errorf("storage: DATABASE_URL: %w", err)
		}
		return DialectPostgres, dbURL, nil
	case dbURL == "":
		dbURL = "handoff.db"
	}
	path := strings.TrimPrefix(strings.TrimPrefix(dbURL, "sqlite://"), "sqlite:")
	path = strings.TrimPrefix(path, "file:")
	query := ""
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path, query = path[:i], path[i+1:]
	}
	if path == "" {
		return "", "", errors.New("storage: DATABASE_URL: empty SQLite path")
	}
	values, err := url.ParseQuery(query)
	if err != nil {
		return "", "", fmt.Errorf("storage: DATABASE_URL: %w", err)
	}
	defaults := map[string]string{
		"_journal_mode": "WAL",
		"_busy_timeout": "10000",
		"_txlock":       "immediate",
		"_foreign_keys": "on",
		"_synchronous":  "FULL",
		// Each connection keeps its recent statements prepared: intake
		// runs the same few statements for every group it commits.
		"_stmt_cache_size": "64",
		// No mutex per connection (SQLITE_OPEN_NOMUTEX): database/sql
		// never uses one connection from two goroutines at once, and the
		// driver's interrupt on a cancelled context (sqlite3_interrupt)
		// needs none. SQLite's serialized mode locked and unlocked it
		// around every call, about 2.5 % of the writer's instructions.
		"_mutex": "no",
	}
	for k, v := range defaults {
		if values.Get(k) == "" {
			values.Set(k, v)
		}
	}
	return DialectSQLite, "file:" + path + "?" + values.Encode(), nil
}

// writerDriver is the SQLite driver of the single writer connection: it
// checkpoints the WAL only past walBackstop pages (checkpoint.go) and
// keeps temporary files in memory (PRAGMA temp_store = MEMORY). Inside a
// write transaction every statement and savepoint journals the pages it
// changes, and SQLite spills such journals over 64 KiB to a temporary file:
// with the default, a group commit of intake paid tens of write(2) calls
// to that file per lead. The readers keep the default so that a large sort
// in a report may still spill to disk.
const writerDriver = "sqlite3_handoff_writer"

func init() {
	sql.Register(writerDriver, &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
		if _, err := c.Exec("PRAGMA temp_store = MEMORY", nil); err != nil {
			return fmt.Errorf("storage: sqlite temp_store: %w", err)
		}
		if _, err := c.Exec("PRAGMA wal_autocheckpoint = "+strconv.Itoa(walBackstop), nil); err != nil {
			return fmt.Errorf("storage: sqlite wal_autocheckpoint: %w", err)
		}
		return nil
	}})
}

func sqlitePath(dsn string) string {
	p := strings.TrimPrefix(dsn, "file:")
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	return p
}

// Dialect returns DialectSQLite or DialectPostgres.
func (s *Store) Dialect() string { return s.dialect }

// Ping checks that the database answers; /readyz calls it.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return fmt.Errorf("storage: ping: %w", err)
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		return fmt.Errorf("storage: ping: %w", err)
	}
	return nil
}

// Close releases the database connections.
func (s *Store) Close() error {
	for _, g := range []*groupCommitter{s.enqueuer, s.intake, s.claims} {
		if g != nil && g != s.group {
			g.stop()
		}
	}
	s.enqueuer, s.intake, s.claims = nil, nil, nil
	if s.leadReads != nil {
		s.leadReads.stop()
		s.leadReads = nil
	}
	if s.group != nil {
		s.group.stop()
		s.group = nil
	}
	if s.checkpoint != nil {
		s.checkpoint.stop()
		s.checkpoint = nil
	}
	var errs []error
	for _, g := range s.pools() {
		if sqlDB, err := g.DB(); err == nil {
			errs = append(errs, sqlDB.Close())
		}
	}
	return errors.Join(errs...)
}

// pools are the store's connection pools: the readers' (also the
// writers' on PostgreSQL), SQLite's writer and PostgreSQL's claims
// committer's.
func (s *Store) pools() []*gorm.DB {
	var out []*gorm.DB
	for _, g := range []*gorm.DB{s.db, s.write, s.claimConn} {
		if g != nil && (len(out) == 0 || g != out[0]) {
			out = append(out, g)
		}
	}
	return out
}

// Migrate creates or updates the tables. It is safe to run on every start
// and by several replicas at once on PostgreSQL (an advisory lock serialises them).
// The data migrations it runs are quick; dating the stage times of earlier
// leads, which takes minutes over a million on PostgreSQL, is
// BackfillStageTimes', in transactions of its own after it.
func (s *Store) Migrate(ctx context.Context) error {
	queued := 0
	err := s.write.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if s.dialect == DialectPostgres {
			if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", migrateLockKey).Error; err != nil {
				return fmt.Errorf("storage: migrate lock: %w", err)
			}
		}
		if err := tx.AutoMigrate(allModels...); err != nil {
			return fmt.Errorf("storage: migrate: %w", err)
		}
		if err := createKPIIndexes(tx); err != nil {
			return err
		}
		for _, ddl := range slaIndexes {
			if err := tx.Exec(ddl).Error; err != nil {
				return fmt.Errorf("storage: migrate SLA indexes: %w", err)
			}
		}
		for _, ddl := range sparseIndexes {
			if err := tx.Exec(ddl).Error; err != nil {
				return fmt.Errorf("storage: migrate sparse indexes: %w", err)
			}
		}
		for _, ddl := range outboxIndexes {
			if err := tx.Exec(ddl).Error; err != nil {
				return fmt.Errorf("storage: migrate outbox indexes: %w", err)
			}
		}
		for _, ddl := range crmVersionIndexes {
			if err := tx.Exec(ddl).Error; err != nil {
				return fmt.Errorf("storage: migrate crm_versions indexes: %w", err)
			}
		}
		if err := migrateRollup(tx, s.dialect); err != nil {
			return err
		}
		if err := migrateReturnedSQLs(tx); err != nil {
			return err
		}
		if err := migrateDeletedRecords(tx); err != nil {
			return err
		}
		if err := migrateReopenedReasons(tx); err != nil {
			return err
		}
		n, err := migrateErasedOffers(tx)
		queued = n
		return err
	})
	if err == nil {
		s.queued(queued)
	}
	return err
}

const migrateLockKey = 0x48414e44 // "HAND"

func ms(t time.Time) int64 { return t.UnixMilli() }

func msPtr(t *time.Time) *int64 {
	if t == nil {
		return nil
	}
	v := t.UnixMilli()
	return &v
}

func fromMs(v int64) time.Time { return time.UnixMilli(v).UTC() }

// fromMsOrZero is fromMs of *v, or the zero time for nil.
func fromMsOrZero(v *int64) time.Time {
	if v == nil {
		return time.Time{}
	}
	return fromMs(*v)
}

func fromMsPtr(v *int64) *time.Time {
	if v == nil {
		return nil
	}
	t := fromMs(*v)
	return &t
}
