package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// sqliteMigrations lists every schema change of the SQLite store in
// order; the schema version of a file is the number applied (meta row
// schema_version). Append, never edit or reorder. The SQL is kept to what
// PostgreSQL reads the same way (TEXT, BIGINT, INTEGER, UNIQUE, ON
// CONFLICT upserts; no rowid, no PRAGMA), so the schema can be shared.
var sqliteMigrations = []string{
	// 1: the event log and its views.
	`CREATE TABLE events (
		seq       BIGINT PRIMARY KEY,
		time      TEXT NOT NULL,   -- RFC 3339, UTC, nanoseconds
		kind      TEXT NOT NULL,
		run_id    TEXT NOT NULL,
		target    TEXT NOT NULL,
		actor     TEXT NOT NULL,
		idem_key  TEXT UNIQUE,     -- NULL for none
		data      TEXT,            -- compacted JSON object, byte for byte as hashed; NULL for none
		prev_hash TEXT NOT NULL,
		hash      TEXT NOT NULL
	);
	CREATE INDEX events_run ON events (run_id, seq);
	CREATE INDEX events_target ON events (target, seq);
	CREATE TABLE runs (
		id        TEXT PRIMARY KEY,
		runbook   TEXT NOT NULL,
		target    TEXT NOT NULL,
		actor     TEXT NOT NULL,
		status    TEXT NOT NULL,
		summary   TEXT NOT NULL,
		started   TEXT NOT NULL,
		finished  TEXT NOT NULL,   -- '' while running
		steps     INTEGER NOT NULL,
		start_seq BIGINT NOT NULL,
		last_seq  BIGINT NOT NULL,
		owner     TEXT             -- JSON of the owner process; NULL when not recorded
	);
	CREATE INDEX runs_status ON runs (status);
	CREATE TABLE restore_tests (
		target TEXT PRIMARY KEY,
		day    TEXT NOT NULL       -- YYYY-MM-DD
	);`,
	// 2: the chat's dedupe keys, a set beside the log (see MarkSeen),
	// with the keys the log's chat.received events recorded before.
	`CREATE TABLE chat_seen (
		key  TEXT PRIMARY KEY,
		seen TEXT NOT NULL         -- when first seen, UTC, to the second (seenLayout)
	);
	CREATE INDEX chat_seen_time ON chat_seen (seen);
	` + sqlSeenFromEvents + `;`,
	// 3: events by kind, so that reading one kind (every audit's summary,
	// the start of each delta) does not scan the whole log, and a
	// target's events of a kind (the backup watch's last look at a
	// server) without the target's other events (its audit findings).
	// The target's index now leads with the kind: every read by target
	// names kinds, and each index costs every append (an audit of 1,000
	// servers appends 5,001 events at once).
	`CREATE INDEX events_kind ON events (kind, seq);
	CREATE INDEX events_target_kind ON events (target, kind, seq);
	DROP INDEX events_target;`,
}

// Meta rows of the SQLite store.
const (
	sqlMetaSchema   = "schema_version"
	sqlMetaHeadSeq  = "head_seq"
	sqlMetaHeadHash = "head_hash"
	sqlMetaRunSeq   = "run_counter"
)

// SQLite is the Store kept in one SQLite file in WAL mode (pure Go,
// modernc.org/sqlite). Readers never wait for the writer, so `history`
// works beside a running bot; writers of several processes take turns,
// each waiting up to the busy timeout. Every append is one transaction,
// synced to disk (synchronous=FULL) before Append returns.
type SQLite struct {
	fileState
	db      *sql.DB
	clock   func() time.Time
	timeout time.Duration // busy timeout: how long a write waits for another process's
	// wmu keeps this process's writers in line, so they queue here
	// rather than in SQLite's busy-wait, which sleeps between tries.
	wmu   sync.Mutex
	stmts *stmtCache
	// seenDB is one connection for MarkSeen and ForgetSeen whose commits
	// are not synced (synchronous=NORMAL) and never checkpoint the WAL
	// (wal_autocheckpoint 0); markSeen is prepared on it by the first
	// MarkSeen (under wmu). seenCommits
	// counts its commits (under wmu); every seenCheckpointEvery of them a
	// checkpoint runs beside the writers (checkpointing, ckpt).
	seenDB        *sql.DB
	markSeen      *sql.Stmt
	seenCommits   int
	closing       bool // under wmu: Close has begun, no more checkpoints
	checkpointing atomic.Bool
	ckpt          sync.WaitGroup
}

// stmtCache holds the fixed statements of sqlState, each prepared once
// for the pool: database/sql keeps a statement prepared on each
// connection that ran it, and a transaction on that connection reuses it
// (Tx.Stmt). Preparing them in every transaction instead parsed and
// planned the same SQL again each time (about 0.13 ms for a chat event's
// dedupe write). Queries built from a filter (Events, Runs) are not
// cached: they are prepared by the call that runs them.
type stmtCache struct {
	db *sql.DB
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

// get returns q prepared for the pool.
func (c *stmtCache) get(q string) (*sql.Stmt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[q]; ok {
		return st, nil
	}
	st, err := c.db.Prepare(q)
	if err != nil {
		return nil, err
	}
	c.m[q] = st
	return st, nil
}

// close closes the statements; get prepares them again if asked.
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.m {
		st.Close()
		delete(c.m, q)
	}
}

var _ Store = (*SQLite)(nil)

// OpenSQLite opens (creating if needed) the SQLite store file at path,
// applies pending schema migrations, and marks the runs left running by a
// process that is gone as interrupted (see Interrupted). It does not
// migrate a bbolt file: Open does.
func OpenSQLite(path string, opts Options) (*SQLite, error) {
	s, err := openSQLite(path, opts)
	if err != nil {
		return nil, err
	}
	if err := s.markInterrupted(); err != nil {
		s.closeDBs()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return s, nil
}

// markInterrupted marks the runs left running by a process that is gone.
// It looks in a read transaction first and takes the write lock only when
// there is a run to mark, so opening the record beside a busy writer (the
// CLI beside the bot) does not wait for it.
func (s *SQLite) markInterrupted() error {
	ctx := context.Background()
	var stale bool
	err := s.read(ctx, func(st sqlState) error {
		open, err := st.running()
		for _, r := range open {
			stale = stale || r.Owner == nil || !ownerAlive(*r.Owner)
		}
		return err
	})
	if err != nil || !stale {
		return err
	}
	return s.write(ctx, func(st sqlState) error {
		ids, err := markInterrupted(st, s.clock, ownerAlive)
		s.interrupted = ids
		return err
	})
}

// openSQLite opens and migrates the file without touching its runs.
func openSQLite(path string, opts Options) (*SQLite, error) {
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("open store %s: %w: the path must not contain ? or #", path, ErrInvalid)
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultLockTimeout
	}
	clock := opts.Clock
	if clock == nil {
		clock = time.Now
	}
	q := url.Values{}
	q.Set("_busy_timeout", strconv.FormatInt(timeout.Milliseconds(), 10))
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "FULL")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	s := &SQLite{fileState: fileState{path: path}, db: db, clock: clock, timeout: timeout, stmts: &stmtCache{db: db, m: map[string]*sql.Stmt{}}}
	if err := s.migrate(); err != nil {
		s.stmts.close()
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, sqliteErr(err, timeout))
	}
	q.Set("_synchronous", "NORMAL")
	q.Set("_pragma", "wal_autocheckpoint(0)")
	// Opened here, connected by the first MarkSeen (the CLI never does).
	if s.seenDB, err = sql.Open("sqlite", path+"?"+q.Encode()); err == nil {
		s.seenDB.SetMaxOpenConns(1)
	}
	if err != nil {
		s.closeDBs()
		return nil, fmt.Errorf("open store %s: %w", path, sqliteErr(err, timeout))
	}
	return s, nil
}

// sqliteErr names a lock wait that ran out as ErrLocked.
func sqliteErr(err error, waited time.Duration) error {
	var se *sqlite.Error
	if errors.As(err, &se) && (se.Code()&0xff == sqlite3.SQLITE_BUSY || se.Code()&0xff == sqlite3.SQLITE_LOCKED) {
		return fmt.Errorf("%w (waited %s for another wsbbot writing to it): %w", ErrLocked, waited, err)
	}
	if errors.Is(err, sql.ErrConnDone) || (err != nil && strings.Contains(err.Error(), "sql: database is closed")) {
		return ErrClosed
	}
	return err
}

// migrate applies the pending migrations and records the version, in one
// transaction.
func (s *SQLite) migrate() error {
	ctx := context.Background()
	var have uint64
	err := s.read(ctx, func(st sqlState) error {
		var err error
		have, err = st.metaU64(sqlMetaSchema)
		return err
	})
	if err == nil && have == uint64(len(sqliteMigrations)) {
		return nil // up to date: no write lock needed
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("create table meta: %w", err)
	}
	st := newSQLState(tx, nil) // the tables may not exist outside tx yet
	have, err = st.metaU64(sqlMetaSchema)
	if err != nil {
		return err
	}
	all := uint64(len(sqliteMigrations))
	if have > all {
		return fmt.Errorf("%w: file has schema version %d, this wsbbot knows up to version %d; use a newer wsbbot", ErrSchemaTooNew, have, all)
	}
	for v := have; v < all; v++ {
		if _, err := tx.Exec(sqliteMigrations[v]); err != nil {
			return fmt.Errorf("migrate schema to version %d: %w", v+1, err)
		}
	}
	if have < all {
		if err := st.putMeta(sqlMetaSchema, strconv.FormatUint(all, 10)); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// write runs fn in one write transaction (BEGIN IMMEDIATE: the write lock
// is taken first, waiting up to the busy timeout for another process).
func (s *SQLite) write(ctx context.Context, fn func(st sqlState) error) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	// The write is not cut short by the caller's cancellation once begun:
	// a half-sent commit is SQLite's to finish or roll back.
	tx, err := s.db.BeginTx(context.WithoutCancel(ctx), nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	st := newSQLState(tx, s.stmts)
	if err := fn(st); err != nil {
		return err
	}
	if err := st.flush(); err != nil {
		return err
	}
	return tx.Commit()
}

// read runs fn in one read transaction: a consistent snapshot that no
// writer waits for.
func (s *SQLite) read(ctx context.Context, fn func(st sqlState) error) error {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	return fn(newSQLState(tx, s.stmts))
}

// Append implements Store.
func (s *SQLite) Append(ctx context.Context, e Event) (Event, error) {
	e, err := prepare(e)
	if err != nil {
		return Event{}, fmt.Errorf("append: %w", err)
	}
	if err := s.ready(ctx); err != nil {
		return Event{}, fmt.Errorf("append: %w", err)
	}
	var out Event
	err = s.write(ctx, func(st sqlState) error {
		var err error
		out, err = appendEvent(st, s.clock, e)
		return err
	})
	if err != nil {
		return Event{}, fmt.Errorf("append %s: %w", e.Kind, sqliteErr(err, s.timeout))
	}
	return out, nil
}

// AppendMany implements Store: one transaction, one sync.
func (s *SQLite) AppendMany(ctx context.Context, events []Event) ([]Event, error) {
	events, err := prepareAll(events)
	if err != nil {
		return nil, fmt.Errorf("append: %w", err)
	}
	if err := s.ready(ctx); err != nil {
		return nil, fmt.Errorf("append: %w", err)
	}
	var out []Event
	err = s.write(ctx, func(st sqlState) error {
		var err error
		out, err = appendAll(st, s.clock, events)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("append %d events: %w", len(events), sqliteErr(err, s.timeout))
	}
	return out, nil
}

// eventColumns are the events table's columns in scan order.
const eventColumns = `seq, time, kind, run_id, target, actor, idem_key, data, prev_hash, hash`

// eventsQuery is the SELECT for Events(f). It names the index SQLite is
// to search, the most selective filter's, rather than leave the choice to
// the query planner, which without statistics (the record never runs
// ANALYZE) took the kind index for a run's findings, a walk through every
// finding ever recorded: a run or audit id (events_run), else a target
// (events_target_kind; without kinds its events are sorted by seq, a read
// no caller makes), else the kinds (events_kind), else the sequence. The
// other filters' columns are written with a unary + (the same value, no
// longer a term an index can serve), both in SQLite and PostgreSQL.
func eventsQuery(f Filter) (string, []any) {
	var where []string
	var args []any
	// indexed are the columns the chosen index serves, in its order.
	var indexed []string
	switch {
	case f.RunID != "":
		indexed = []string{"run_id"}
	case f.Target != "" && len(f.Kinds) > 0:
		indexed = []string{"target", "kind"}
	case f.Target != "":
		indexed = []string{"target"}
	case len(f.Kinds) > 0:
		indexed = []string{"kind"}
	default:
		indexed = []string{"seq"}
	}
	term := func(col, cond string, vs ...any) {
		if !slices.Contains(indexed, col) {
			col = "+" + col
		}
		where, args = append(where, col+cond), append(args, vs...)
	}
	if f.RunID != "" {
		term("run_id", " = ?", f.RunID)
	}
	if f.Target != "" {
		term("target", " = ?", f.Target)
	}
	switch len(f.Kinds) {
	case 0:
	case 1: // "= ?", not "IN (?)": an IN reads the index out of seq order
		term("kind", " = ?", string(f.Kinds[0]))
	default:
		marks := make([]string, len(f.Kinds))
		kinds := make([]any, len(f.Kinds))
		for i, k := range f.Kinds {
			marks[i], kinds[i] = "?", string(k)
		}
		term("kind", " IN ("+strings.Join(marks, ",")+")", kinds...)
	}
	if f.AfterSeq > 0 || indexed[0] == "seq" {
		term("seq", " > ?", int64(f.AfterSeq))
	}
	q := "SELECT " + eventColumns + " FROM events WHERE " + strings.Join(where, " AND ")
	switch {
	case f.Last > 0:
		q = "SELECT * FROM (" + q + " ORDER BY seq DESC LIMIT " + strconv.Itoa(f.Last) + ") AS last ORDER BY seq"
	case f.Limit > 0:
		q += " ORDER BY seq LIMIT " + strconv.Itoa(f.Limit)
	default:
		q += " ORDER BY seq"
	}
	return q, args
}

// Events implements Store.
func (s *SQLite) Events(ctx context.Context, f Filter) ([]Event, error) {
	if err := f.validate(); err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	if err := s.ready(ctx); err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	q, args := eventsQuery(f)
	var out []Event
	err := s.read(ctx, func(st sqlState) error {
		rows, err := st.tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			e, err := scanEvent(rows)
			if err != nil {
				return err
			}
			out = append(out, e)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("events: %w", sqliteErr(err, s.timeout))
	}
	return out, nil
}

// runColumns are the runs table's columns in scan order.
const runColumns = `id, runbook, target, actor, status, summary, started, finished, steps, start_seq, last_seq, owner`

// Runs implements Store.
func (s *SQLite) Runs(ctx context.Context, f RunFilter) ([]RunSummary, error) {
	if err := f.validate(); err != nil {
		return nil, fmt.Errorf("runs: %w", err)
	}
	if err := s.ready(ctx); err != nil {
		return nil, fmt.Errorf("runs: %w", err)
	}
	where, args := []string{"1 = 1"}, []any{}
	for _, c := range []struct{ col, v string }{{"id", f.ID}, {"target", f.Target}, {"runbook", f.Runbook}, {"status", f.Status}} {
		if c.v != "" {
			where, args = append(where, c.col+" = ?"), append(args, c.v)
		}
	}
	q := "SELECT " + runColumns + " FROM runs WHERE " + strings.Join(where, " AND ") + " ORDER BY start_seq DESC"
	if f.Limit > 0 {
		q += " LIMIT " + strconv.Itoa(f.Limit)
	}
	var out []RunSummary
	err := s.read(ctx, func(st sqlState) error {
		var err error
		out, err = scanRuns(st.tx.QueryContext(ctx, q, args...))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("runs: %w", sqliteErr(err, s.timeout))
	}
	return newestFirst(out, f.Limit), nil
}

// NewRunID implements Store. The counter is persisted, so ids stay unique
// across restarts and across the processes sharing the file.
func (s *SQLite) NewRunID(ctx context.Context) (string, error) {
	if err := s.ready(ctx); err != nil {
		return "", fmt.Errorf("new run id: %w", err)
	}
	var id string
	err := s.write(ctx, func(st sqlState) error {
		n, err := st.metaU64(sqlMetaRunSeq)
		if err != nil {
			return err
		}
		for {
			n++
			id = formatRunID(n)
			_, used, err := st.run(id)
			if err != nil {
				return err
			}
			if !used {
				break
			}
		}
		return st.putMeta(sqlMetaRunSeq, strconv.FormatUint(n, 10))
	})
	if err != nil {
		return "", fmt.Errorf("new run id: %w", sqliteErr(err, s.timeout))
	}
	return id, nil
}

// LastRestoreTest implements Store.
func (s *SQLite) LastRestoreTest(ctx context.Context, target string) (time.Time, bool, error) {
	return lastRestoreTest(ctx, s, target)
}

// LastRestoreTests implements Store: one read transaction for them all.
func (s *SQLite) LastRestoreTests(ctx context.Context, targets []string) (map[string]time.Time, error) {
	if err := s.ready(ctx); err != nil {
		return nil, fmt.Errorf("last restore test: %w", err)
	}
	var out map[string]time.Time
	err := s.read(ctx, func(st sqlState) error {
		var err error
		out, err = lastRestoreTests(st, targets)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("last restore test: %w", sqliteErr(err, s.timeout))
	}
	return out, nil
}

// Verify implements Store. It reads the whole log in one read
// transaction, which no writer waits for.
func (s *SQLite) Verify(ctx context.Context) (VerifyReport, error) {
	if err := s.ready(ctx); err != nil {
		return VerifyReport{}, fmt.Errorf("verify: %w", err)
	}
	var rep VerifyReport
	err := s.read(ctx, func(st sqlState) error {
		v := newVerifier()
		rows, err := st.tx.QueryContext(ctx, "SELECT "+eventColumns+" FROM events ORDER BY seq")
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var raw rawEvent
			if err := raw.scan(rows); err != nil {
				return err
			}
			e, decErr := raw.event()
			if !v.check(uint64(raw.seq), e, decErr) {
				break
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		seq, hash, err := st.head()
		if err != nil {
			return err
		}
		rep = v.finish(seq, hash)
		return nil
	})
	if err != nil {
		return VerifyReport{}, fmt.Errorf("verify: %w", sqliteErr(err, s.timeout))
	}
	return rep, nil
}

// Close implements Store. Closing twice is not an error.
func (s *SQLite) Close() error {
	if s.closed.Load() {
		return nil
	}
	s.wmu.Lock()
	s.closing = true
	if s.markSeen != nil {
		s.markSeen.Close()
		s.markSeen = nil
	}
	s.wmu.Unlock()
	s.ckpt.Wait()
	s.stmts.close()
	if s.seenDB != nil {
		s.seenDB.Close()
	}
	return s.close(s.db)
}

// closeDBs closes what a failed open had opened.
func (s *SQLite) closeDBs() {
	s.stmts.close()
	if s.seenDB != nil {
		s.seenDB.Close()
	}
	s.db.Close()
}

// rawEvent is one events row as stored.
type rawEvent struct {
	seq                                       int64
	time, kind, runID, target, actor, prev, h string
	key, data                                 sql.NullString
}

func (r *rawEvent) scan(rows interface{ Scan(...any) error }) error {
	return rows.Scan(&r.seq, &r.time, &r.kind, &r.runID, &r.target, &r.actor, &r.key, &r.data, &r.prev, &r.h)
}

// event decodes the row; an error means the row cannot be read as an
// event (Verify reports it as undecodable).
func (r *rawEvent) event() (Event, error) {
	t, err := time.Parse(time.RFC3339Nano, r.time)
	if err != nil {
		return Event{}, fmt.Errorf("decode event %d: time: %w", r.seq, err)
	}
	e := Event{Seq: uint64(r.seq), Time: t.UTC(), Kind: Kind(r.kind), RunID: r.runID, Target: r.target, Actor: r.actor,
		Key: r.key.String, PrevHash: r.prev, Hash: r.h}
	if r.data.Valid && r.data.String != "" {
		if !json.Valid([]byte(r.data.String)) {
			return Event{}, fmt.Errorf("decode event %d: data is not JSON", r.seq)
		}
		e.Data = json.RawMessage(r.data.String)
	}
	return e, nil
}

func scanEvent(rows *sql.Rows) (Event, error) {
	var raw rawEvent
	if err := raw.scan(rows); err != nil {
		return Event{}, err
	}
	return raw.event()
}

// sqlState is the state of a SQLite store inside one transaction. It
// keeps the transaction's statements (from the store's stmtCache), and
// the head of the chain,
// which a batch moves many times, is written once, by flush, before
// commit.
type sqlState struct{ *sqlTx }

type sqlTx struct {
	tx       *sql.Tx
	cache    *stmtCache
	stmts    map[string]*sql.Stmt
	headRead bool
	headSeq  uint64
	headHash string
	dirty    bool
}

// newSQLState begins the state of tx, taking its statements from cache
// (nil: prepared in tx).
func newSQLState(tx *sql.Tx, cache *stmtCache) sqlState {
	return sqlState{&sqlTx{tx: tx, cache: cache, stmts: map[string]*sql.Stmt{}}}
}

// stmt returns q, one of the fixed statements (a constant: each is
// cached for the life of the store), for this transaction; without a
// cache, prepared in it.
func (s sqlState) stmt(q string) (*sql.Stmt, error) {
	if st, ok := s.stmts[q]; ok {
		return st, nil
	}
	var st *sql.Stmt
	if s.cache == nil {
		var err error
		if st, err = s.tx.Prepare(q); err != nil {
			return nil, err
		}
	} else {
		shared, err := s.cache.get(q)
		if err != nil {
			return nil, err
		}
		st = s.tx.Stmt(shared)
	}
	s.stmts[q] = st
	return st, nil
}

func (s sqlState) exec(q string, args ...any) error {
	st, err := s.stmt(q)
	if err == nil {
		_, err = st.Exec(args...)
	}
	return err
}

func (s sqlState) queryRow(q string, args ...any) *sql.Row {
	st, err := s.stmt(q)
	if err != nil {
		return s.tx.QueryRow(q, args...) // reports the same error on Scan
	}
	return st.QueryRow(args...)
}

// flush writes the head moved by the transaction's appends.
func (s sqlState) flush() error {
	if !s.dirty {
		return nil
	}
	if err := s.putMeta(sqlMetaHeadSeq, strconv.FormatUint(s.headSeq, 10)); err != nil {
		return err
	}
	if err := s.putMeta(sqlMetaHeadHash, s.headHash); err != nil {
		return err
	}
	s.dirty = false
	return nil
}

func (s sqlState) metaU64(name string) (uint64, error) {
	var v string
	err := s.queryRow(`SELECT value FROM meta WHERE name = ?`, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", name, err)
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("read %s: %q is not a number", name, v)
	}
	return n, nil
}

func (s sqlState) putMeta(name, value string) error {
	err := s.exec(`INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, value)
	if err != nil {
		return fmt.Errorf("put %s: %w", name, err)
	}
	return nil
}

func (s sqlState) head() (uint64, string, error) {
	if s.headRead {
		return s.headSeq, s.headHash, nil
	}
	seq, err := s.metaU64(sqlMetaHeadSeq)
	if err != nil {
		return 0, "", err
	}
	var hash string
	err = s.queryRow(`SELECT value FROM meta WHERE name = ?`, sqlMetaHeadHash).Scan(&hash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, "", fmt.Errorf("read head hash: %w", err)
	}
	s.headRead, s.headSeq, s.headHash = true, seq, hash
	return seq, hash, nil
}

func (s sqlState) seqForKey(key string) (uint64, bool, error) {
	var seq int64
	err := s.queryRow(`SELECT seq FROM events WHERE idem_key = ?`, key).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("look up key %q: %w", key, err)
	}
	return uint64(seq), true, nil
}

func (s sqlState) event(seq uint64) (Event, error) {
	var raw rawEvent
	err := raw.scan(s.queryRow(`SELECT `+eventColumns+` FROM events WHERE seq = ?`, int64(seq)))
	if errors.Is(err, sql.ErrNoRows) {
		return Event{}, fmt.Errorf("event %d not found", seq)
	}
	if err != nil {
		return Event{}, fmt.Errorf("event %d: %w", seq, err)
	}
	return raw.event()
}

// queryRuns runs q, a fixed statement, and reads the runs it selects.
func (s sqlState) queryRuns(q string, args ...any) ([]RunSummary, error) {
	st, err := s.stmt(q)
	if err != nil {
		return nil, err
	}
	return scanRuns(st.Query(args...))
}

// scanRuns reads the runs of a query of runColumns.
func scanRuns(rows *sql.Rows, err error) ([]RunSummary, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []RunSummary
	for rows.Next() {
		var (
			r                 RunSummary
			started, finished string
			steps             int
			startSeq, lastSeq int64
			owner             sql.NullString
		)
		if err := rows.Scan(&r.ID, &r.Runbook, &r.Target, &r.Actor, &r.Status, &r.Summary, &started, &finished, &steps, &startSeq, &lastSeq, &owner); err != nil {
			return nil, fmt.Errorf("read run: %w", err)
		}
		r.Steps, r.StartSeq, r.LastSeq = steps, uint64(startSeq), uint64(lastSeq)
		if r.Started, err = time.Parse(time.RFC3339Nano, started); err != nil {
			return nil, fmt.Errorf("run %s: started: %w", r.ID, err)
		}
		if finished != "" {
			if r.Finished, err = time.Parse(time.RFC3339Nano, finished); err != nil {
				return nil, fmt.Errorf("run %s: finished: %w", r.ID, err)
			}
		}
		if owner.Valid {
			r.Owner = &Owner{}
			if err := json.Unmarshal([]byte(owner.String), r.Owner); err != nil {
				return nil, fmt.Errorf("run %s: owner: %w", r.ID, err)
			}
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s sqlState) run(id string) (RunSummary, bool, error) {
	runs, err := s.queryRuns(`SELECT `+runColumns+` FROM runs WHERE id = ?`, id)
	if err != nil || len(runs) == 0 {
		return RunSummary{}, false, err
	}
	return runs[0], true, nil
}

func (s sqlState) running() ([]RunSummary, error) {
	return s.queryRuns(`SELECT `+runColumns+` FROM runs WHERE status = ? ORDER BY id`, StatusRunning)
}

func (s sqlState) restoreTest(target string) (time.Time, bool, error) {
	var v string
	err := s.queryRow(`SELECT day FROM restore_tests WHERE target = ?`, target).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("restore test index for %s: %w", target, err)
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("restore test index for %s: %w", target, err)
	}
	return d, true, nil
}

func (s sqlState) putEvent(e Event) error {
	var key, data any
	if e.Key != "" {
		key = e.Key
	}
	if len(e.Data) > 0 {
		data = string(e.Data)
	}
	err := s.exec(`INSERT INTO events (`+eventColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		int64(e.Seq), e.Time.UTC().Format(time.RFC3339Nano), string(e.Kind), e.RunID, e.Target, e.Actor, key, data, e.PrevHash, e.Hash)
	if err != nil {
		return fmt.Errorf("put event %d: %w", e.Seq, err)
	}
	s.headRead, s.headSeq, s.headHash, s.dirty = true, e.Seq, e.Hash, true
	if k, ok := strings.CutPrefix(e.Key, ChatReceivedKeyPrefix); ok && e.Kind == KindChatReceived {
		// chat_seen holds the keys of chat.received events too.
		if err := s.exec(sqlMarkSeen, k, e.Time.UTC().Format(seenLayout)); err != nil {
			return fmt.Errorf("put event %d: dedupe key: %w", e.Seq, err)
		}
	}
	return nil
}

// putKey: the key is a column of the event itself, written by putEvent.
func (s sqlState) putKey(string, uint64) error { return nil }

func (s sqlState) putRun(r RunSummary) error {
	var owner any
	if r.Owner != nil {
		b, err := json.Marshal(r.Owner)
		if err != nil {
			return fmt.Errorf("encode run %s owner: %w", r.ID, err)
		}
		owner = string(b)
	}
	finished := ""
	if !r.Finished.IsZero() {
		finished = r.Finished.UTC().Format(time.RFC3339Nano)
	}
	err := s.exec(`INSERT INTO runs (`+runColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET runbook = excluded.runbook, target = excluded.target, actor = excluded.actor,
			status = excluded.status, summary = excluded.summary, started = excluded.started, finished = excluded.finished,
			steps = excluded.steps, start_seq = excluded.start_seq, last_seq = excluded.last_seq, owner = excluded.owner`,
		r.ID, r.Runbook, r.Target, r.Actor, r.Status, r.Summary, r.Started.UTC().Format(time.RFC3339Nano), finished,
		r.Steps, int64(r.StartSeq), int64(r.LastSeq), owner)
	if err != nil {
		return fmt.Errorf("put run %s: %w", r.ID, err)
	}
	return nil
}

func (s sqlState) putRestoreTest(target string, day time.Time) error {
	err := s.exec(`INSERT INTO restore_tests (target, day) VALUES (?, ?) ON CONFLICT (target) DO UPDATE SET day = excluded.day`,
		target, day.Format(time.DateOnly))
	if err != nil {
		return fmt.Errorf("put restore test %s: %w", target, err)
	}
	return nil
}
