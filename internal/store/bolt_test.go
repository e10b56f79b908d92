package store_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wsbbot/wsbbot/internal/store"
	"github.com/wsbbot/wsbbot/internal/store/storetest"
	bolt "go.etcd.io/bbolt"
)

func finding(target, text string) store.Event {
	return store.Event{Kind: store.KindAuditFinding, Target: target, Actor: "scheduler",
		Data: json.RawMessage(fmt.Sprintf(`{"note":%q}`, text))}
}

func TestReopenKeepsEverything(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "wsbbot.db")
	b := mustOpen(t, path, nil)
	id, err := b.NewRunID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	storetest.MustAppend(t, b, store.RunStarted{Runbook: "vss-restart", PlanHash: "p"}.Event(id, "fs01", "U1"))
	storetest.MustAppend(t, b, store.RunFinished{Status: store.StatusSucceeded, Summary: "<ok> & 完了"}.Event(id, "fs01", "wsbbot"))
	keyed := finding("fs01", "keyed <&> \u2028")
	keyed.Key = "slack:Ev1"
	storetest.MustAppend(t, b, keyed)
	storetest.MustAppend(t, b, store.RestoreTestOn(time.Date(2026, 2, 3, 0, 0, 0, 0, time.UTC)).Event("fs01", "U1"))
	before := storetest.MustEvents(t, b, store.Filter{})
	runsBefore, err := b.Runs(ctx, store.RunFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}

	b2 := mustOpen(t, path, nil)
	if got := b2.Interrupted(); len(got) != 0 {
		t.Errorf("Interrupted() = %v after a clean close, want none", got)
	}
	after := storetest.MustEvents(t, b2, store.Filter{})
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("events changed across reopen (-before +after):\n%s", diff)
	}
	runsAfter, err := b2.Runs(ctx, store.RunFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(runsBefore, runsAfter); diff != "" {
		t.Errorf("runs changed across reopen (-before +after):\n%s", diff)
	}
	if d, ok, err := b2.LastRestoreTest(ctx, "fs01"); err != nil || !ok || d.Format(time.DateOnly) != "2026-02-03" {
		t.Errorf("LastRestoreTest after reopen = %v, %v, %v", d, ok, err)
	}
	// The idempotency index survives: a redelivered event is still a no-op.
	dup := storetest.MustAppend(t, b2, keyed)
	if dup.Seq != 3 {
		t.Errorf("redelivered keyed event after reopen got Seq %d, want 3", dup.Seq)
	}
	// The chain continues.
	next := storetest.MustAppend(t, b2, finding("fs02", "next"))
	if next.Seq != 5 || next.PrevHash != before[3].Hash {
		t.Errorf("after reopen: Seq %d PrevHash %s, want 5 linked to %s", next.Seq, next.PrevHash, before[3].Hash)
	}
	storetest.MustVerify(t, b2, 5)
	// Run ids stay unique across restarts.
	id2, err := b2.NewRunID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if id2 <= id {
		t.Errorf("NewRunID after reopen = %q, want after %q", id2, id)
	}
}

func TestRunLeftOpenIsInterruptedOnce(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "wsbbot.db")
	b := mustOpen(t, path, nil)
	storetest.MustAppend(t, b, store.RunStarted{Runbook: "usn-cleanup", PlanHash: "p"}.Event("r2", "fs02", "U1"))
	storetest.MustAppend(t, b, store.StepStarted{Step: "assign-letter"}.Event("r2", "fs02", "wsbbot"))
	storetest.MustAppend(t, b, store.RunStarted{Runbook: "vss-restart", PlanHash: "p"}.Event("r1", "fs01", "U1"))
	storetest.MustAppend(t, b, store.RunStarted{Runbook: "vss-restart", PlanHash: "p"}.Event("r3", "fs03", "U1"))
	storetest.MustAppend(t, b, store.RunFinished{Status: store.StatusSucceeded}.Event("r3", "fs03", "wsbbot"))
	// Simulate a crash: the process dies without finishing r1 and r2.
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}

	b2 := mustOpen(t, path, nil)
	if diff := cmp.Diff([]string{"r1", "r2"}, b2.Interrupted()); diff != "" {
		t.Errorf("Interrupted() (-want +got):\n%s", diff)
	}
	marks := storetest.MustEvents(t, b2, store.Filter{Kinds: []store.Kind{store.KindRunInterrupted}})
	if len(marks) != 2 {
		t.Fatalf("%d run.interrupted events, want 2: %+v", len(marks), marks)
	}
	for _, m := range marks {
		p, err := store.Decode[store.RunInterrupted](m)
		if err != nil {
			t.Fatal(err)
		}
		if m.Actor != "wsbbot" || p.Reason != "wsbbot stopped while the run was in progress" {
			t.Errorf("interrupted event %+v (reason %q), want actor wsbbot and the standard reason", m, p.Reason)
		}
	}
	if marks[1].RunID != "r2" || marks[1].Target != "fs02" {
		t.Errorf("second mark is for run %s on %s, want r2 on fs02", marks[1].RunID, marks[1].Target)
	}
	runs, err := b2.Runs(ctx, store.RunFilter{Status: store.StatusInterrupted})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || runs[0].ID != "r1" || runs[1].ID != "r2" || runs[0].Finished.IsZero() {
		t.Errorf("interrupted runs = %+v, want r1 and r2 with a finish time", runs)
	}
	// The interrupted run cannot be finished or continued afterwards.
	if _, err := b2.Append(ctx, store.RunFinished{Status: store.StatusSucceeded}.Event("r1", "fs01", "wsbbot")); !errors.Is(err, store.ErrRunState) {
		t.Errorf("finishing an interrupted run: %v, want ErrRunState", err)
	}
	storetest.MustVerify(t, b2, 7)
	if err := b2.Close(); err != nil {
		t.Fatal(err)
	}

	b3 := mustOpen(t, path, nil)
	if got := b3.Interrupted(); len(got) != 0 {
		t.Errorf("third Open Interrupted() = %v, want none", got)
	}
	if n := len(storetest.MustEvents(t, b3, store.Filter{Kinds: []store.Kind{store.KindRunInterrupted}})); n != 2 {
		t.Errorf("after the third Open: %d run.interrupted events, want still 2", n)
	}
	storetest.MustVerify(t, b3, 7)
}

// rawUpdate changes the file underneath the store, as an intruder or a
// disk fault would.
func rawUpdate(t *testing.T, path string, fn func(tx *bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(fn); err != nil {
		t.Fatal(err)
	}
}

func seqKey(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

func TestVerifyDetectsTampering(t *testing.T) {
	// Each case builds five events, closes the store, changes the file and
	// expects Verify to point at the right event.
	rewrite := func(seq uint64, change func(e *store.Event), rehash bool) func(tx *bolt.Tx) error {
		return func(tx *bolt.Tx) error {
			events := tx.Bucket([]byte("events"))
			var e store.Event
			if err := json.Unmarshal(events.Get(seqKey(seq)), &e); err != nil {
				return err
			}
			change(&e)
			if rehash {
				e.Hash = e.ComputeHash()
			}
			v, err := json.Marshal(e)
			if err != nil {
				return err
			}
			return events.Put(seqKey(seq), v)
		}
	}
	tests := []struct {
		name    string
		tamper  func(tx *bolt.Tx) error
		seq     uint64
		problem store.Problem
	}{
		{"flip a byte of Data", func(tx *bolt.Tx) error {
			events := tx.Bucket([]byte("events"))
			v := bytes.Clone(events.Get(seqKey(3)))
			i := bytes.Index(v, []byte("note 3"))
			if i < 0 {
				return fmt.Errorf("payload not found in %s", v)
			}
			v[i+5] ^= 0x01 // "note 3" -> "note 2": still valid JSON
			return events.Put(seqKey(3), v)
		}, 3, store.ProblemTampered},
		{"change the actor", rewrite(2, func(e *store.Event) { e.Actor = "U-evil" }, false), 2, store.ProblemTampered},
		{"replace an event with a fresh hash", rewrite(2, func(e *store.Event) { e.Data = json.RawMessage(`{"note":"forged"}`) }, true), 3, store.ProblemLink},
		{"renumber an event", rewrite(4, func(e *store.Event) { e.Seq = 40 }, true), 4, store.ProblemTampered},
		{"delete an event", func(tx *bolt.Tx) error { return tx.Bucket([]byte("events")).Delete(seqKey(2)) }, 2, store.ProblemGap},
		{"delete the last event", func(tx *bolt.Tx) error { return tx.Bucket([]byte("events")).Delete(seqKey(5)) }, 5, store.ProblemTruncated},
		{"garble a record", func(tx *bolt.Tx) error { return tx.Bucket([]byte("events")).Put(seqKey(4), []byte("{not json")) }, 4, store.ProblemDecode},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "wsbbot.db")
			b := mustOpen(t, path, nil)
			for i := 1; i <= 5; i++ {
				storetest.MustAppend(t, b, finding("fs01", fmt.Sprint("note ", i)))
			}
			storetest.MustVerify(t, b, 5)
			b.Close()
			rawUpdate(t, path, tc.tamper)

			b2 := mustOpen(t, path, nil)
			rep, err := b2.Verify(context.Background())
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if rep.OK || rep.BrokenSeq != tc.seq || rep.Problem != tc.problem || rep.Checked != tc.seq-1 {
				t.Errorf("Verify = %+v, want broken at %d (%s) after %d intact", rep, tc.seq, tc.problem, tc.seq-1)
			}
			if !strings.Contains(rep.String(), fmt.Sprint("seq ", tc.seq)) {
				t.Errorf("report %q does not name seq %d", rep, tc.seq)
			}
		})
	}
}

// TestVerifyCannotDetectFullRewrite pins down the limit doc.go states: a
// chain rewritten from the changed event to the end with fresh hashes
// passes Verify; only an anchor kept elsewhere (a head hash published
// earlier) reveals it.
func TestVerifyCannotDetectFullRewrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wsbbot.db")
	b := mustOpen(t, path, nil)
	for i := 1; i <= 3; i++ {
		storetest.MustAppend(t, b, finding("fs01", fmt.Sprint("note ", i)))
	}
	anchor := storetest.MustVerify(t, b, 3)
	b.Close()
	rawUpdate(t, path, func(tx *bolt.Tx) error {
		events, meta := tx.Bucket([]byte("events")), tx.Bucket([]byte("meta"))
		prev := ""
		for seq := uint64(1); seq <= 3; seq++ {
			var e store.Event
			if err := json.Unmarshal(events.Get(seqKey(seq)), &e); err != nil {
				return err
			}
			if seq == 2 {
				e.Data = json.RawMessage(`{"note":"forged"}`)
			}
			e.PrevHash = prev
			e.Hash = e.ComputeHash()
			prev = e.Hash
			v, _ := json.Marshal(e)
			if err := events.Put(seqKey(seq), v); err != nil {
				return err
			}
		}
		return meta.Put([]byte("head_hash"), []byte(prev))
	})
	b2 := mustOpen(t, path, nil)
	rep := storetest.MustVerify(t, b2, 3)
	if rep.HeadHash == anchor.HeadHash {
		t.Fatalf("rewritten chain kept the head hash %s", rep.HeadHash)
	}
}

func TestNewerSchemaRefusesToOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wsbbot.db")
	b := mustOpen(t, path, nil)
	storetest.MustAppend(t, b, finding("fs01", "x"))
	b.Close()
	rawUpdate(t, path, func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("meta")).Put([]byte("schema_version"), seqKey(99))
	})
	_, err := store.OpenBolt(path, store.Options{Timeout: time.Second})
	if !errors.Is(err, store.ErrSchemaTooNew) {
		t.Fatalf("Open = %v, want ErrSchemaTooNew", err)
	}
	t.Log(err)
	for _, want := range []string{"99", fmt.Sprintf("version %d", store.SchemaVersion()), path} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	// The file was not changed: the version is still 99.
	rawUpdate(t, path, func(tx *bolt.Tx) error {
		if v := tx.Bucket([]byte("meta")).Get([]byte("schema_version")); !bytes.Equal(v, seqKey(99)) {
			t.Errorf("schema version now %x, want 99 kept", v)
		}
		return nil
	})
}

func TestSchemaVersionRecorded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wsbbot.db")
	b := mustOpen(t, path, nil)
	b.Close()
	rawUpdate(t, path, func(tx *bolt.Tx) error {
		v := tx.Bucket([]byte("meta")).Get([]byte("schema_version"))
		if len(v) != 8 || binary.BigEndian.Uint64(v) != store.SchemaVersion() || store.SchemaVersion() == 0 {
			t.Errorf("schema_version = %x, want %d", v, store.SchemaVersion())
		}
		for _, name := range []string{"events", "keys", "runs", "restore_tests"} {
			if tx.Bucket([]byte(name)) == nil {
				t.Errorf("bucket %s missing", name)
			}
		}
		return nil
	})
}

func TestSecondOpenFailsOnLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wsbbot.db")
	mustOpen(t, path, nil)
	// The lock wait ends at Options.Timeout; the error says why.
	b2, err := store.OpenBolt(path, store.Options{Timeout: 100 * time.Millisecond})
	if err == nil {
		b2.Close()
		t.Fatal("second Open of a locked file succeeded")
	}
	t.Log(err)
	if !errors.Is(err, store.ErrLocked) || !strings.Contains(err.Error(), path) {
		t.Errorf("Open error = %q, want ErrLocked naming %s", err, path)
	}
}

func TestOpenBadPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing-dir", "wsbbot.db")
	_, err := store.OpenBolt(path, store.Options{})
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("Open(%s) = %v, want an error naming the path", path, err)
	}
}

// BenchmarkAppend measures one Append: one bbolt write transaction, which
// bbolt fsyncs (twice: data pages, then meta page) before commit returns,
// so the figure is dominated by the disk's fsync latency.
func BenchmarkAppend(b *testing.B) {
	s := mustOpen(b, filepath.Join(b.TempDir(), "bench.db"), nil)
	ctx := context.Background()
	out := strings.Repeat("Writer name: 'System Writer' State: [1] Stable\n", 20)
	if _, err := s.Append(ctx, store.RunStarted{Runbook: "vss-restart", PlanHash: "p"}.Event("r1", "fs01", "U1")); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		e := store.StepFinished{Step: fmt.Sprint("s", i), Status: "ok", Output: out}.Event("r1", "fs01", "wsbbot")
		e.Key = fmt.Sprint("k", i)
		if _, err := s.Append(ctx, e); err != nil {
			b.Fatal(err)
		}
	}
}
