package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// Bucket names and meta keys of the bbolt file.
var (
	bucketMeta    = []byte("meta")
	bucketEvents  = []byte("events")        // big-endian Seq -> event JSON
	bucketKeys    = []byte("keys")          // idempotency key -> big-endian Seq
	bucketRuns    = []byte("runs")          // run id -> RunSummary JSON
	bucketRestore = []byte("restore_tests") // target -> latest YYYY-MM-DD
	bucketSeen    = []byte("seen")          // chat dedupe key -> first seen (seenLayout); made by the first MarkSeen

	metaSchema   = []byte("schema_version") // big-endian uint64
	metaHeadSeq  = []byte("head_seq")       // big-endian uint64
	metaHeadHash = []byte("head_hash")      // hex
	metaRunSeq   = []byte("run_counter")    // big-endian uint64
)

// DefaultLockTimeout is how long Open waits for the file lock when
// Options.Timeout is zero.
const DefaultLockTimeout = 5 * time.Second

// Options configure Open.
type Options struct {
	Clock   func() time.Time // stamps events; time.Now when nil
	Timeout time.Duration    // wait for the file lock (bbolt) or another writer (SQLite); DefaultLockTimeout when zero
	Backend Backend          // for Open: BackendSQLite when empty

	readOnly bool // OpenBolt: only read (the source of a migration)
}

// migration upgrades the file by one schema version, inside the Open
// transaction.
type migration func(tx *bolt.Tx) error

// migrations lists every schema change in order; the schema version of a
// file is the number of them applied. Append, never edit or reorder.
func migrations() []migration {
	return []migration{
		// 1: the event log and its views.
		func(tx *bolt.Tx) error {
			for _, name := range [][]byte{bucketEvents, bucketKeys, bucketRuns, bucketRestore} {
				if _, err := tx.CreateBucketIfNotExists(name); err != nil {
					return fmt.Errorf("create bucket %s: %w", name, err)
				}
			}
			return nil
		},
	}
}

// SchemaVersion is the schema version this code writes.
func SchemaVersion() uint64 { return uint64(len(migrations())) }

// Bolt is the Store kept in one bbolt file. Every append is one bbolt
// write transaction, fsynced before Append returns.
type Bolt struct {
	fileState
	db    *bolt.DB
	clock func() time.Time
}

var _ Store = (*Bolt)(nil)

// OpenBolt opens (creating if needed) the bbolt store file at path, applies pending
// schema migrations, and marks every run left running by a previous
// process as interrupted (see Interrupted).
func OpenBolt(path string, opts Options) (*Bolt, error) {
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultLockTimeout
	}
	clock := opts.Clock
	if clock == nil {
		clock = time.Now
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout, ReadOnly: opts.readOnly})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, fmt.Errorf("open store %s: %w (waited %s; is another wsbbot running?): %w", path, ErrLocked, timeout, err)
		}
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	b := &Bolt{fileState: fileState{path: path}, db: db, clock: clock}
	if opts.readOnly {
		if err := b.checkSchema(); err != nil {
			db.Close()
			return nil, fmt.Errorf("open store %s: %w", path, err)
		}
		return b, nil
	}
	if err := b.migrate(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if err := b.markInterrupted(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return b, nil
}

// migrate applies the pending migrations and records the version, all in
// one transaction.
func (b *Bolt) migrate() error {
	return b.db.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return fmt.Errorf("create bucket meta: %w", err)
		}
		have := getU64(meta, metaSchema)
		all := migrations()
		if have > uint64(len(all)) {
			return fmt.Errorf("%w: file has schema version %d, this wsbbot knows up to version %d; use a newer wsbbot", ErrSchemaTooNew, have, len(all))
		}
		for v := have; v < uint64(len(all)); v++ {
			if err := all[v](tx); err != nil {
				return fmt.Errorf("migrate schema to version %d: %w", v+1, err)
			}
		}
		return putU64(meta, metaSchema, uint64(len(all)))
	})
}

// checkSchema refuses a file this code cannot read without migrating it.
func (b *Bolt) checkSchema() error {
	return b.db.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil {
			return fmt.Errorf("%w: not a wsbbot record (no meta bucket)", ErrInvalid)
		}
		if have := getU64(meta, metaSchema); have != SchemaVersion() {
			if have > SchemaVersion() {
				return fmt.Errorf("%w: file has schema version %d, this wsbbot knows up to version %d; use a newer wsbbot", ErrSchemaTooNew, have, SchemaVersion())
			}
			return fmt.Errorf("bbolt schema version %d: open it with the bbolt backend once to upgrade it", have)
		}
		return nil
	})
}

// markInterrupted marks the runs left running by a process that is gone.
func (b *Bolt) markInterrupted() error {
	return b.db.Update(func(tx *bolt.Tx) error {
		ids, err := markInterrupted(newBoltState(tx), b.clock, ownerAlive)
		b.interrupted = ids
		return err
	})
}

// closedErr maps bbolt's "not open" to ErrClosed for a Close that raced.
func closedErr(err error) error {
	if errors.Is(err, bolterrors.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	return err
}

// Append implements Store.
func (b *Bolt) Append(ctx context.Context, e Event) (Event, error) {
	e, err := prepare(e)
	if err != nil {
		return Event{}, fmt.Errorf("append: %w", err)
	}
	if err := b.ready(ctx); err != nil {
		return Event{}, fmt.Errorf("append: %w", err)
	}
	var out Event
	err = b.db.Update(func(tx *bolt.Tx) error {
		var err error
		out, err = appendEvent(newBoltState(tx), b.clock, e)
		return err
	})
	if err != nil {
		return Event{}, fmt.Errorf("append %s: %w", e.Kind, closedErr(err))
	}
	return out, nil
}

// AppendMany implements Store: one bbolt transaction, one fsync.
func (b *Bolt) AppendMany(ctx context.Context, events []Event) ([]Event, error) {
	events, err := prepareAll(events)
	if err != nil {
		return nil, fmt.Errorf("append: %w", err)
	}
	if err := b.ready(ctx); err != nil {
		return nil, fmt.Errorf("append: %w", err)
	}
	var out []Event
	err = b.db.Update(func(tx *bolt.Tx) error {
		var err error
		out, err = appendAll(newBoltState(tx), b.clock, events)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("append %d events: %w", len(events), closedErr(err))
	}
	return out, nil
}

// Events implements Store.
func (b *Bolt) Events(ctx context.Context, f Filter) ([]Event, error) {
	if err := f.validate(); err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	if err := b.ready(ctx); err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	var out []Event
	err := b.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketEvents).Cursor()
		if f.Last > 0 {
			for k, v := c.Last(); k != nil && binary.BigEndian.Uint64(k) > f.AfterSeq && len(out) < f.Last; k, v = c.Prev() {
				e, err := decodeEvent(v)
				if err != nil {
					return fmt.Errorf("event %d: %w", binary.BigEndian.Uint64(k), err)
				}
				if f.match(e) {
					out = append(out, e)
				}
			}
			slices.Reverse(out)
			return nil
		}
		for k, v := c.Seek(u64Key(f.AfterSeq + 1)); k != nil; k, v = c.Next() {
			e, err := decodeEvent(v)
			if err != nil {
				return fmt.Errorf("event %d: %w", binary.BigEndian.Uint64(k), err)
			}
			if f.match(e) {
				out = append(out, e)
				if f.Limit > 0 && len(out) == f.Limit {
					return nil
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("events: %w", closedErr(err))
	}
	return out, nil
}

// Runs implements Store.
func (b *Bolt) Runs(ctx context.Context, f RunFilter) ([]RunSummary, error) {
	if err := f.validate(); err != nil {
		return nil, fmt.Errorf("runs: %w", err)
	}
	if err := b.ready(ctx); err != nil {
		return nil, fmt.Errorf("runs: %w", err)
	}
	var out []RunSummary
	err := b.db.View(func(tx *bolt.Tx) error {
		runs := tx.Bucket(bucketRuns)
		if f.ID != "" {
			v := runs.Get([]byte(f.ID))
			if v == nil {
				return nil
			}
			var r RunSummary
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("decode run %s: %w", f.ID, err)
			}
			if f.match(r) {
				out = append(out, r)
			}
			return nil
		}
		return runs.ForEach(func(k, v []byte) error {
			var r RunSummary
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("decode run %s: %w", k, err)
			}
			if f.match(r) {
				out = append(out, r)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("runs: %w", closedErr(err))
	}
	return newestFirst(out, f.Limit), nil
}

// NewRunID implements Store. The counter is persisted, so ids stay unique
// across restarts.
func (b *Bolt) NewRunID(ctx context.Context) (string, error) {
	if err := b.ready(ctx); err != nil {
		return "", fmt.Errorf("new run id: %w", err)
	}
	var id string
	err := b.db.Update(func(tx *bolt.Tx) error {
		meta, runs := tx.Bucket(bucketMeta), tx.Bucket(bucketRuns)
		n := getU64(meta, metaRunSeq)
		for {
			n++
			id = formatRunID(n)
			if runs.Get([]byte(id)) == nil {
				break
			}
		}
		return putU64(meta, metaRunSeq, n)
	})
	if err != nil {
		return "", fmt.Errorf("new run id: %w", closedErr(err))
	}
	return id, nil
}

// LastRestoreTest implements Store.
func (b *Bolt) LastRestoreTest(ctx context.Context, target string) (time.Time, bool, error) {
	return lastRestoreTest(ctx, b, target)
}

// LastRestoreTests implements Store: one read transaction for them all.
func (b *Bolt) LastRestoreTests(ctx context.Context, targets []string) (map[string]time.Time, error) {
	if err := b.ready(ctx); err != nil {
		return nil, fmt.Errorf("last restore test: %w", err)
	}
	var out map[string]time.Time
	err := b.db.View(func(tx *bolt.Tx) error {
		var err error
		out, err = lastRestoreTests(newBoltState(tx), targets)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("last restore test: %w", closedErr(err))
	}
	return out, nil
}

// Verify implements Store. It reads the whole log in one read transaction,
// so appends wait for no one while it runs.
func (b *Bolt) Verify(ctx context.Context) (VerifyReport, error) {
	if err := b.ready(ctx); err != nil {
		return VerifyReport{}, fmt.Errorf("verify: %w", err)
	}
	var rep VerifyReport
	err := b.db.View(func(tx *bolt.Tx) error {
		v := newVerifier()
		c := tx.Bucket(bucketEvents).Cursor()
		for k, raw := c.First(); k != nil; k, raw = c.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			if len(k) != 8 {
				v.fail(v.expect, ProblemDecode, "stored key %x is not a sequence number", k)
				break
			}
			e, decErr := decodeEvent(raw)
			if !v.check(binary.BigEndian.Uint64(k), e, decErr) {
				break
			}
		}
		meta := tx.Bucket(bucketMeta)
		rep = v.finish(getU64(meta, metaHeadSeq), string(meta.Get(metaHeadHash)))
		return nil
	})
	if err != nil {
		return VerifyReport{}, fmt.Errorf("verify: %w", closedErr(err))
	}
	return rep, nil
}

// Close implements Store. Closing twice is not an error.
func (b *Bolt) Close() error { return b.close(b.db) }

// encodeEvent is the stored form of an event: its JSON, without HTML
// escaping so that Data comes back byte for byte (the hash covers it).
func encodeEvent(e Event) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(e); err != nil {
		return nil, fmt.Errorf("encode event %d: %w", e.Seq, err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func decodeEvent(v []byte) (Event, error) {
	var e Event
	if err := json.Unmarshal(v, &e); err != nil {
		return Event{}, fmt.Errorf("decode event: %w", err)
	}
	if len(e.Data) == 0 || string(e.Data) == "null" {
		e.Data = nil
	}
	return e, nil
}

func u64Key(n uint64) []byte {
	return binary.BigEndian.AppendUint64(nil, n)
}

func getU64(b *bolt.Bucket, key []byte) uint64 {
	v := b.Get(key)
	if len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

func putU64(b *bolt.Bucket, key []byte, n uint64) error {
	if err := b.Put(key, u64Key(n)); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	return nil
}

// boltState is the state of a Bolt inside one transaction.
type boltState struct {
	meta, events, keys, runs, restore *bolt.Bucket
}

func newBoltState(tx *bolt.Tx) boltState {
	return boltState{
		meta:    tx.Bucket(bucketMeta),
		events:  tx.Bucket(bucketEvents),
		keys:    tx.Bucket(bucketKeys),
		runs:    tx.Bucket(bucketRuns),
		restore: tx.Bucket(bucketRestore),
	}
}

func (s boltState) head() (uint64, string, error) {
	return getU64(s.meta, metaHeadSeq), string(s.meta.Get(metaHeadHash)), nil
}

func (s boltState) seqForKey(key string) (uint64, bool, error) {
	v := s.keys.Get([]byte(key))
	if v == nil {
		return 0, false, nil
	}
	if len(v) != 8 {
		return 0, false, fmt.Errorf("key index entry for %q is corrupt", key)
	}
	return binary.BigEndian.Uint64(v), true, nil
}

func (s boltState) event(seq uint64) (Event, error) {
	v := s.events.Get(u64Key(seq))
	if v == nil {
		return Event{}, fmt.Errorf("event %d not found", seq)
	}
	e, err := decodeEvent(v)
	if err != nil {
		return Event{}, fmt.Errorf("event %d: %w", seq, err)
	}
	return e, nil
}

func (s boltState) run(id string) (RunSummary, bool, error) {
	v := s.runs.Get([]byte(id))
	if v == nil {
		return RunSummary{}, false, nil
	}
	var r RunSummary
	if err := json.Unmarshal(v, &r); err != nil {
		return RunSummary{}, false, fmt.Errorf("decode run %s: %w", id, err)
	}
	return r, true, nil
}

func (s boltState) running() ([]RunSummary, error) {
	var open []RunSummary
	err := s.runs.ForEach(func(k, v []byte) error {
		var r RunSummary
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("decode run %s: %w", k, err)
		}
		if r.Status == StatusRunning {
			open = append(open, r)
		}
		return nil
	})
	return open, err
}

func (s boltState) restoreTest(target string) (time.Time, bool, error) {
	v := s.restore.Get([]byte(target))
	if v == nil {
		return time.Time{}, false, nil
	}
	d, err := time.Parse(time.DateOnly, string(v))
	if err != nil {
		return time.Time{}, false, fmt.Errorf("restore test index for %s: %w", target, err)
	}
	return d, true, nil
}

func (s boltState) putEvent(e Event) error {
	v, err := encodeEvent(e)
	if err != nil {
		return err
	}
	if err := s.events.Put(u64Key(e.Seq), v); err != nil {
		return fmt.Errorf("put event %d: %w", e.Seq, err)
	}
	if err := putU64(s.meta, metaHeadSeq, e.Seq); err != nil {
		return err
	}
	if err := s.meta.Put(metaHeadHash, []byte(e.Hash)); err != nil {
		return fmt.Errorf("put head hash: %w", err)
	}
	return nil
}

func (s boltState) putKey(key string, seq uint64) error {
	if err := s.keys.Put([]byte(key), u64Key(seq)); err != nil {
		return fmt.Errorf("put key %q: %w", key, err)
	}
	return nil
}

func (s boltState) putRun(r RunSummary) error {
	v, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode run %s: %w", r.ID, err)
	}
	if err := s.runs.Put([]byte(r.ID), v); err != nil {
		return fmt.Errorf("put run %s: %w", r.ID, err)
	}
	return nil
}

func (s boltState) putRestoreTest(target string, day time.Time) error {
	if err := s.restore.Put([]byte(target), []byte(day.Format(time.DateOnly))); err != nil {
		return fmt.Errorf("put restore test %s: %w", target, err)
	}
	return nil
}
