package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	bolt "go.etcd.io/bbolt"
)

// Backend names how a record is kept.
type Backend string

// The backends. SQLite is the default: readers never wait for a writer,
// so the CLI works beside a running bot (see docs/STORE.md).
const (
	BackendSQLite Backend = "sqlite"
	BackendBolt   Backend = "bbolt"
)

// Backends returns the backends Open knows, the default first.
func Backends() []Backend { return []Backend{BackendSQLite, BackendBolt} }

// File is a Store kept in a file: what Open returns.
type File interface {
	Store
	// Interrupted returns the runs this Open found left running by a
	// process that is gone, and marked interrupted, in id order.
	Interrupted() []string
	// Path returns the file the store is kept in.
	Path() string
}

// Suffixes of the files a migration from bbolt leaves beside the record.
const (
	// BoltBackupSuffix: the bbolt file, kept as it was after its content
	// was copied into the SQLite record.
	BoltBackupSuffix = ".bbolt"
	// migratingSuffix: the SQLite file being filled; it replaces the
	// record only once complete and verified.
	migratingSuffix = ".migrating"
)

// Open opens the record at path with the backend opts.Backend names
// (SQLite when empty), creating it if needed. A bbolt file found where a
// SQLite record is wanted (a record written by an older wsbbot) is
// migrated first: its events (same sequence numbers, times and hashes),
// idempotency keys, runs, restore tests and run counter are copied into a
// new SQLite file, the copy's chain is verified against the original's,
// the bbolt file is kept beside it as path+".bbolt", and the SQLite file
// takes its place. A migration cut short by a crash is redone on the next
// Open.
func Open(path string, opts Options) (File, error) {
	backend := opts.Backend
	if backend == "" {
		backend = BackendSQLite
	}
	kind, err := fileKind(path)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	switch backend {
	case BackendBolt:
		if kind == BackendSQLite {
			return nil, fmt.Errorf("open store %s: %w: the file is a SQLite record, and the bbolt backend was asked for (store.backend: sqlite opens it)", path, ErrInvalid)
		}
		return OpenBolt(path, opts)
	case BackendSQLite:
		from := ""
		switch {
		case kind == BackendBolt:
			from = path
		case kind == "" && exists(path+migratingSuffix) && exists(path+BoltBackupSuffix):
			from = path + BoltBackupSuffix // a migration cut short between its two renames
		}
		if from != "" {
			if err := migrateBolt(from, path, opts); err != nil {
				return nil, fmt.Errorf("open store %s: migrate from bbolt: %w", path, err)
			}
		}
		return OpenSQLite(path, opts)
	}
	return nil, fmt.Errorf("open store %s: %w: unknown backend %q (want one of %v)", path, ErrInvalid, backend, Backends())
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// sqliteMagic starts every SQLite 3 database file.
var sqliteMagic = []byte("SQLite format 3\x00")

// boltMagic is the magic number in a bbolt meta page (after the page
// header of 16 bytes).
const boltMagic = 0xED0CDAED

// fileKind tells the backend of an existing file by its first bytes: ""
// for a missing or empty file, an error for a file that is neither.
func fileKind(path string) (Backend, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	defer f.Close()
	head := make([]byte, 32)
	n, err := io.ReadFull(f, head)
	switch {
	case n == 0:
		return "", nil
	case err != nil && !errors.Is(err, io.ErrUnexpectedEOF):
		return "", err
	case bytes.HasPrefix(head[:n], sqliteMagic):
		return BackendSQLite, nil
	case n >= 20 && binary.LittleEndian.Uint32(head[16:20]) == boltMagic:
		return BackendBolt, nil
	}
	return "", fmt.Errorf("%w: the file is neither a SQLite nor a bbolt record of wsbbot", ErrInvalid)
}

// migrateBolt copies the bbolt record at from into a new SQLite record at
// to (from is path itself, or its backup when redoing a migration).
func migrateBolt(from, to string, opts Options) error {
	tmp := to + migratingSuffix
	for _, f := range []string{tmp, tmp + "-wal", tmp + "-shm"} {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	src, err := OpenBolt(from, Options{Clock: opts.Clock, Timeout: opts.Timeout, readOnly: true})
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := openSQLite(tmp, opts)
	if err != nil {
		return err
	}
	ctx := context.Background()
	err = copyBolt(ctx, src, dst)
	if err == nil {
		err = sameChain(ctx, src, dst)
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if err := src.Close(); err != nil {
		return err
	}
	if from == to {
		if err := os.Rename(to, to+BoltBackupSuffix); err != nil {
			return err
		}
	}
	return os.Rename(tmp, to)
}

// copyBolt writes every event and view of src into dst in one
// transaction, as stored: nothing is re-hashed or re-derived.
func copyBolt(ctx context.Context, src *Bolt, dst *SQLite) error {
	return src.db.View(func(btx *bolt.Tx) error {
		return dst.write(ctx, func(st sqlState) error {
			c := btx.Bucket(bucketEvents).Cursor()
			for k, v := c.First(); k != nil; k, v = c.Next() {
				e, err := decodeEvent(v)
				if err != nil {
					return fmt.Errorf("event %x: %w", k, err)
				}
				if err := st.putEvent(e); err != nil {
					return err
				}
			}
			if err := btx.Bucket(bucketRuns).ForEach(func(k, v []byte) error {
				var r RunSummary
				if err := json.Unmarshal(v, &r); err != nil {
					return fmt.Errorf("run %s: %w", k, err)
				}
				return st.putRun(r)
			}); err != nil {
				return err
			}
			if err := btx.Bucket(bucketRestore).ForEach(func(k, v []byte) error {
				_, err := st.tx.Exec(`INSERT INTO restore_tests (target, day) VALUES (?, ?)`, string(k), string(v))
				return err
			}); err != nil {
				return err
			}
			if err := copySeen(btx, st); err != nil {
				return fmt.Errorf("dedupe keys: %w", err)
			}
			// The recorded head is copied as it is (not taken from the
			// last event), so Verify judges the copy as it judged the file.
			st.dirty = false
			meta := btx.Bucket(bucketMeta)
			for name, v := range map[string]string{
				sqlMetaHeadSeq:  fmt.Sprint(getU64(meta, metaHeadSeq)),
				sqlMetaHeadHash: string(meta.Get(metaHeadHash)),
				sqlMetaRunSeq:   fmt.Sprint(getU64(meta, metaRunSeq)),
			} {
				if err := st.putMeta(name, v); err != nil {
					return err
				}
			}
			// Every idempotency key must have come along with its event.
			return btx.Bucket(bucketKeys).ForEach(func(k, v []byte) error {
				seq, ok, err := st.seqForKey(string(k))
				if err != nil {
					return err
				}
				if !ok || len(v) != 8 || seq != binary.BigEndian.Uint64(v) {
					return fmt.Errorf("idempotency key %q: the bbolt index and its event disagree", k)
				}
				return nil
			})
		})
	})
}

// sameChain checks that the copy verifies exactly as the original does.
func sameChain(ctx context.Context, src *Bolt, dst *SQLite) error {
	want, err := src.Verify(ctx)
	if err != nil {
		return err
	}
	got, err := dst.Verify(ctx)
	if err != nil {
		return err
	}
	// A chain broken in the original is copied as it is: Verify keeps
	// reporting the same break.
	if got != want {
		return fmt.Errorf("the copy does not verify as the original does: copy %q, original %q", got, want)
	}
	return nil
}
