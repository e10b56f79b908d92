package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The chat's dedupe keys (MarkSeen, ForgetSeen) are a set beside the log,
// not events of it: a key is a few bytes in one table, written without
// hashing, JSON or a sync of its own, since the bot waits for it before
// every reply. Older wsbbots recorded each key as a chat.received event
// keyed ChatReceivedKeyPrefix+key; those keys count as seen (SQLite puts
// them in the set, at the schema migration or with the event; Bolt and
// Memory look them up in the log's idempotency index).

// ChatReceivedKeyPrefix starts the idempotency Key of a chat.received
// event: the prefix, then the dedupe key it recorded.
const ChatReceivedKeyPrefix = "chat:"

// seenLayout is how the SQLite and bbolt stores write the time a key was
// first seen: fixed width, so that the text sorts as the time does.
const seenLayout = "2006-01-02T15:04:05Z"

// sqlSeenFromEvents copies the keys of chat.received events into
// chat_seen, stamped with the event's time cut to the second (the events
// table's time is RFC 3339 UTC: its first 19 characters are seenLayout's
// but for the Z).
const sqlSeenFromEvents = `INSERT INTO chat_seen (key, seen)
	SELECT substr(idem_key, 6), substr(time, 1, 19) || 'Z' FROM events
	WHERE kind = 'chat.received' AND substr(idem_key, 1, 5) = 'chat:'
	ON CONFLICT (key) DO NOTHING`

// SQL of MarkSeen and ForgetSeen.
const (
	sqlMarkSeen = `INSERT INTO chat_seen (key, seen) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`
	// sqlForgetSeen deletes a bounded batch, so that the write lock is
	// never held long (replies wait on MarkSeen behind it).
	sqlForgetSeen = `DELETE FROM chat_seen WHERE key IN (SELECT key FROM chat_seen WHERE seen < ? LIMIT 500)`
)

// checkSeenKeys refuses an empty key.
func checkSeenKeys(keys []string) error {
	for i, k := range keys {
		if k == "" {
			return fmt.Errorf("%w: key %d of %d is empty", ErrInvalid, i+1, len(keys))
		}
	}
	return nil
}

// MarkSeen implements Store: one transaction on the connection kept for
// it, whose commits are not synced (synchronous=NORMAL in WAL mode: the
// commit is in the WAL, in the operating system's cache, when MarkSeen
// returns; the WAL is synced at the next checkpoint, or by the next
// commit of the record's other connections, which sync each one).
func (s *SQLite) MarkSeen(ctx context.Context, keys []string) ([]bool, error) {
	if err := checkSeenKeys(keys); err != nil {
		return nil, fmt.Errorf("mark seen: %w", err)
	}
	if err := s.ready(ctx); err != nil {
		return nil, fmt.Errorf("mark seen: %w", err)
	}
	at := s.clock().UTC().Format(seenLayout)
	fresh := make([]bool, len(keys))
	err := s.seenWrite(ctx, func(tx *sql.Tx) error {
		st := tx.Stmt(s.markSeen)
		defer st.Close()
		for i, k := range keys {
			res, err := st.Exec(k, at)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			fresh[i] = n == 1
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("mark seen: %w", sqliteErr(err, s.timeout))
	}
	return fresh, nil
}

// ForgetSeen implements Store, a batch per transaction.
func (s *SQLite) ForgetSeen(ctx context.Context, before time.Time) error {
	if err := s.ready(ctx); err != nil {
		return fmt.Errorf("forget seen: %w", err)
	}
	cut := before.UTC().Format(seenLayout)
	for {
		var n int64
		err := s.seenWrite(ctx, func(tx *sql.Tx) error {
			res, err := tx.Exec(sqlForgetSeen, cut)
			if err == nil {
				n, err = res.RowsAffected()
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("forget seen: %w", sqliteErr(err, s.timeout))
		}
		if n == 0 {
			return nil
		}
		if err := s.ready(ctx); err != nil {
			return fmt.Errorf("forget seen: %w", err)
		}
	}
}

// seenCheckpointEvery is how many MarkSeen commits pass between two
// checkpoints of the WAL. SQLite's own, after 1,000 pages of WAL (about
// 200 commits of a few keys), runs in the commit that crosses the mark and
// syncs the WAL and the database file there: one reply in 200 waited for
// two syncs. The checkpoint runs beside the writers instead (PASSIVE: it
// copies what no reader needs, never waiting for a writer), and keeps the
// WAL short.
const seenCheckpointEvery = 100

// seenWrite runs fn in one write transaction on the unsynced connection,
// in line with this process's other writers, and starts a checkpoint
// every seenCheckpointEvery commits, unless one is still running.
func (s *SQLite) seenWrite(ctx context.Context, fn func(tx *sql.Tx) error) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.closing {
		return ErrClosed
	}
	if s.markSeen == nil {
		st, err := s.seenDB.Prepare(sqlMarkSeen)
		if err != nil {
			return err
		}
		s.markSeen = st
	}
	tx, err := s.seenDB.BeginTx(context.WithoutCancel(ctx), nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	s.seenCommits++
	if s.seenCommits%seenCheckpointEvery == 0 && !s.closing && s.checkpointing.CompareAndSwap(false, true) {
		s.ckpt.Go(func() {
			defer s.checkpointing.Store(false)
			// A checkpoint that fails (the record closing, another
			// process's checkpoint under way) leaves the WAL to the next.
			_, _ = s.db.Exec(`PRAGMA wal_checkpoint(PASSIVE)`)
		})
	}
	return nil
}

// MarkSeen implements Store, in one bbolt transaction (synced, as all of
// bbolt's are).
func (b *Bolt) MarkSeen(ctx context.Context, keys []string) ([]bool, error) {
	if err := checkSeenKeys(keys); err != nil {
		return nil, fmt.Errorf("mark seen: %w", err)
	}
	if err := b.ready(ctx); err != nil {
		return nil, fmt.Errorf("mark seen: %w", err)
	}
	at := []byte(b.clock().UTC().Format(seenLayout))
	fresh := make([]bool, len(keys))
	err := b.db.Update(func(tx *bolt.Tx) error {
		seen, err := tx.CreateBucketIfNotExists(bucketSeen)
		if err != nil {
			return err
		}
		old := tx.Bucket(bucketKeys)
		for i, k := range keys {
			if seen.Get([]byte(k)) != nil || old.Get([]byte(ChatReceivedKeyPrefix+k)) != nil {
				continue
			}
			if err := seen.Put([]byte(k), at); err != nil {
				return err
			}
			fresh[i] = true
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("mark seen: %w", closedErr(err))
	}
	return fresh, nil
}

// ForgetSeen implements Store.
func (b *Bolt) ForgetSeen(ctx context.Context, before time.Time) error {
	if err := b.ready(ctx); err != nil {
		return fmt.Errorf("forget seen: %w", err)
	}
	cut := []byte(before.UTC().Format(seenLayout))
	err := b.db.Update(func(tx *bolt.Tx) error {
		seen := tx.Bucket(bucketSeen)
		if seen == nil {
			return nil
		}
		var old [][]byte
		if err := seen.ForEach(func(k, v []byte) error {
			if string(v) < string(cut) {
				old = append(old, k)
			}
			return nil
		}); err != nil {
			return err
		}
		for _, k := range old {
			if err := seen.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("forget seen: %w", closedErr(err))
	}
	return nil
}

// copySeen copies the dedupe set of a bbolt record into the SQLite copy
// (within copyBolt; the keys of its chat.received events came with them).
func copySeen(btx *bolt.Tx, st sqlState) error {
	seen := btx.Bucket(bucketSeen)
	if seen == nil {
		return nil
	}
	return seen.ForEach(func(k, v []byte) error {
		_, err := st.tx.Exec(sqlMarkSeen, string(k), string(v))
		return err
	})
}

// MarkSeen implements Store.
func (m *Memory) MarkSeen(ctx context.Context, keys []string) ([]bool, error) {
	if err := checkSeenKeys(keys); err != nil {
		return nil, fmt.Errorf("mark seen: %w", err)
	}
	if err := m.lock(ctx); err != nil {
		return nil, fmt.Errorf("mark seen: %w", err)
	}
	defer m.mu.Unlock()
	at := m.clock()
	fresh := make([]bool, len(keys))
	for i, k := range keys {
		if _, ok := m.seen[k]; ok {
			continue
		}
		if _, ok := m.keys[ChatReceivedKeyPrefix+k]; ok {
			continue
		}
		m.seen[k] = at
		fresh[i] = true
	}
	return fresh, nil
}

// ForgetSeen implements Store.
func (m *Memory) ForgetSeen(ctx context.Context, before time.Time) error {
	if err := m.lock(ctx); err != nil {
		return fmt.Errorf("forget seen: %w", err)
	}
	defer m.mu.Unlock()
	// Cut to the second, as the files keep the time.
	cut := before.Truncate(time.Second)
	for k, at := range m.seen {
		if at.Truncate(time.Second).Before(cut) {
			delete(m.seen, k)
		}
	}
	return nil
}
