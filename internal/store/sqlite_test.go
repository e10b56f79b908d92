package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wsbbot/wsbbot/internal/store"
	"github.com/wsbbot/wsbbot/internal/store/storetest"
	bolt "go.etcd.io/bbolt"
	_ "modernc.org/sqlite"
)

// copyFixture copies the bbolt v1 fixture to a fresh folder.
func copyFixture(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(boltV1Fixture)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "wsbbot.db")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// fixtureAsBolt is what the bbolt store itself reads from the fixture.
type fixtureView struct {
	events []store.Event
	runs   []store.RunSummary
	verify store.VerifyReport
}

func readBolt(t *testing.T, path string) fixtureView {
	t.Helper()
	b, err := store.OpenBolt(path, store.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := context.Background()
	v := fixtureView{events: storetest.MustEvents(t, b, store.Filter{})}
	if v.runs, err = b.Runs(ctx, store.RunFilter{}); err != nil {
		t.Fatal(err)
	}
	if v.verify, err = b.Verify(ctx); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestMigrateBoltV1(t *testing.T) {
	ctx := context.Background()
	// What the bbolt store reads (it marks the run left running, as the
	// migration does: both are the first Open after the crash).
	want := readBolt(t, copyFixture(t))

	path := copyFixture(t)
	s, err := store.Open(path, store.Options{Timeout: time.Second})
	if err != nil {
		t.Fatalf("Open of a bbolt v1 file: %v", err)
	}
	defer s.Close()
	if _, ok := s.(*store.SQLite); !ok {
		t.Fatalf("Open returned %T, want the SQLite store", s)
	}
	if diff := cmp.Diff([]string{"r00002"}, s.Interrupted()); diff != "" {
		t.Errorf("Interrupted (-want +got):\n%s", diff)
	}
	got := storetest.MustEvents(t, s, store.Filter{})
	if diff := cmp.Diff(want.events[:8], got[:8]); diff != "" {
		t.Errorf("migrated events differ (-bbolt +sqlite):\n%s", diff)
	}
	if len(got) != 9 || got[8].Kind != store.KindRunInterrupted || got[8].RunID != "r00002" || got[8].PrevHash != got[7].Hash {
		t.Errorf("after the copied chain: %+v, want run.interrupted for r00002 linked to event 8", got[8:])
	}
	runs, err := s.Runs(ctx, store.RunFilter{})
	if err != nil {
		t.Fatal(err)
	}
	opt := cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })
	if diff := cmp.Diff(want.runs[1], runs[1], opt); diff != "" {
		t.Errorf("finished run differs (-bbolt +sqlite):\n%s", diff)
	}
	if runs[0].Status != store.StatusInterrupted || runs[0].Runbook != "usn-journal-cleanup" {
		t.Errorf("run left running = %+v, want usn-journal-cleanup interrupted", runs[0])
	}
	storetest.MustVerify(t, s, 9)
	// Keys: the redelivered Slack event is still a no-op.
	keyed := finding("fs02", "keyed <&> \u2028")
	keyed.Key = "slack:Ev1"
	if e := storetest.MustAppend(t, s, keyed); e.Seq != 5 {
		t.Errorf("redelivered keyed event got Seq %d, want the migrated 5", e.Seq)
	}
	if d, ok, err := s.LastRestoreTest(ctx, "fs01"); err != nil || !ok || d.Format(time.DateOnly) != "2026-02-03" {
		t.Errorf("LastRestoreTest after migration = %v, %v, %v", d, ok, err)
	}
	// The run counter came along: the next id follows the migrated ones.
	if id, err := s.NewRunID(ctx); err != nil || id != "r00003" {
		t.Errorf("NewRunID after migration = %q, %v; want r00003", id, err)
	}
	// The original is kept beside the record, unchanged by the migration.
	if orig := readBolt(t, path+store.BoltBackupSuffix); orig.verify.HeadSeq != want.verify.HeadSeq {
		t.Errorf("kept bbolt file has head %d, want %d", orig.verify.HeadSeq, want.verify.HeadSeq)
	}
	if _, err := os.Stat(path + ".migrating"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the migration's temporary file is left: %v", err)
	}
	s.Close()

	// Opening again finds SQLite and migrates nothing twice.
	s2, err := store.Open(path, store.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if n := len(s2.Interrupted()); n != 0 {
		t.Errorf("second Open interrupted %d runs, want 0", n)
	}
	storetest.MustVerify(t, s2, 9)
}

func TestMigrationCutShortIsRedone(t *testing.T) {
	path := copyFixture(t)
	// A crash between the migration's two renames: the bbolt file already
	// moved aside, the SQLite copy not yet in place.
	if err := os.Rename(path, path+store.BoltBackupSuffix); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path+".migrating", []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := store.Open(path, store.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	storetest.MustVerify(t, s, 9)
}

func TestOpenBackendMismatch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wsbbot.db")
	s := mustOpenSQLite(t, path, nil)
	s.Close()
	if _, err := store.Open(path, store.Options{Backend: store.BackendBolt}); !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), "SQLite") {
		t.Errorf("bbolt backend on a SQLite file: %v, want ErrInvalid naming SQLite", err)
	}
	junk := filepath.Join(t.TempDir(), "junk.db")
	if err := os.WriteFile(junk, []byte(strings.Repeat("not a database ", 10)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Open(junk, store.Options{}); !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), junk) {
		t.Errorf("Open of a junk file: %v, want ErrInvalid naming the file", err)
	}
	if _, err := store.Open(filepath.Join(t.TempDir(), "x.db"), store.Options{Backend: "postgres"}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("unknown backend: %v, want ErrInvalid", err)
	}
	// bbolt stays available when asked for.
	b, err := store.Open(filepath.Join(t.TempDir(), "b.db"), store.Options{Backend: store.BackendBolt, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, ok := b.(*store.Bolt); !ok {
		t.Errorf("Backend bbolt opened %T", b)
	}
}

// TestReaderBesideWriter: a second handle on the file (as `wsbbot history`
// beside the bot) opens and reads while the first holds the file open and
// appends, and is not locked out; its own appends take turns.
func TestReaderBesideWriter(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "wsbbot.db")
	w := mustOpenSQLite(t, path, nil)
	storetest.MustAppend(t, w, store.RunStarted{Runbook: "vss-restart", PlanHash: "p", Owner: store.CurrentOwner()}.Event("r1", "fs01", "U1"))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	var appended int
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond): // a very busy bot, not a tight loop
			}
			if _, err := w.Append(ctx, store.StepFinished{Step: fmt.Sprint("s", i), Status: "passed"}.Event("r1", "fs01", "wsbbot")); err != nil {
				t.Errorf("writer: %v", err)
				return
			}
			appended++
		}
	}()
	stopWriter := sync.OnceFunc(func() { close(stop); wg.Wait() })
	defer stopWriter()
	for range 5 {
		r, err := store.Open(path, store.Options{})
		if err != nil {
			t.Fatalf("second Open beside a writer: %v", err)
		}
		if n := len(r.Interrupted()); n != 0 {
			t.Errorf("second Open marked %d runs interrupted: r1 belongs to a live process", n)
		}
		runs, err := r.Runs(ctx, store.RunFilter{})
		if err != nil || len(runs) != 1 || runs[0].Status != store.StatusRunning {
			t.Errorf("Runs beside a writer = %+v, %v", runs, err)
		}
		if _, err := r.Verify(ctx); err != nil {
			t.Errorf("Verify beside a writer: %v", err)
		}
		if _, err := r.Append(ctx, finding("fs02", "from the second handle")); err != nil {
			t.Errorf("Append from the second handle: %v", err)
		}
		r.Close()
	}
	stopWriter()
	if appended == 0 {
		t.Fatal("the writer appended nothing")
	}
	rep, err := w.Verify(ctx)
	if err != nil || !rep.OK || rep.Checked != uint64(appended+6) {
		t.Errorf("Verify = %+v, %v; want OK with %d events", rep, err, appended+6)
	}
}

// TestOnlyRunsOfDeadOwnersAreInterrupted: a run whose owner process still
// runs is another wsbbot's work in progress; a run whose owner is gone,
// or that has no owner (recorded before owners were), is interrupted.
func TestOnlyRunsOfDeadOwnersAreInterrupted(t *testing.T) {
	live := exec.Command("sleep", "60")
	if err := live.Start(); err != nil {
		t.Skip("no sleep command:", err)
	}
	defer func() { live.Process.Kill(); live.Wait() }()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Skip("no true command:", err)
	}
	me := store.CurrentOwner()
	owner := func(pid int) *store.Owner { return &store.Owner{PID: pid, Host: me.Host} }
	reused := owner(live.Process.Pid)
	reused.Start = "1" // the pid is live, but not the process that started the run
	other := &store.Owner{PID: dead.Process.Pid, Host: "another-host"}

	for _, backend := range store.Backends() {
		t.Run(string(backend), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "wsbbot.db")
			s, err := store.Open(path, store.Options{Backend: backend, Timeout: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			for id, o := range map[string]*store.Owner{"r1": owner(live.Process.Pid), "r2": owner(dead.Process.Pid), "r3": nil, "r4": reused, "r5": other, "r6": me} {
				storetest.MustAppend(t, s, store.RunStarted{Runbook: "usn-journal-cleanup", PlanHash: "p", Owner: o}.Event(id, "fs01", "U1"))
			}
			s.Close()
			s2, err := store.Open(path, store.Options{Backend: backend, Timeout: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			defer s2.Close()
			if diff := cmp.Diff([]string{"r2", "r3", "r4"}, s2.Interrupted()); diff != "" {
				t.Errorf("Interrupted (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSQLiteNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wsbbot.db")
	mustOpenSQLite(t, path, nil).Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE meta SET value = '99' WHERE name = 'schema_version'`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err = store.Open(path, store.Options{Timeout: time.Second})
	if !errors.Is(err, store.ErrSchemaTooNew) || !strings.Contains(err.Error(), "99") || !strings.Contains(err.Error(), path) {
		t.Errorf("Open = %v, want ErrSchemaTooNew naming 99 and the path", err)
	}
}

// TestSQLiteVerifyDetectsTampering: the same chain checks as for bbolt,
// on rows changed underneath the store.
func TestSQLiteVerifyDetectsTampering(t *testing.T) {
	tests := []struct {
		name    string
		sql     string
		seq     uint64
		problem store.Problem
	}{
		{"change data", `UPDATE events SET data = '{"note":"note 9"}' WHERE seq = 3`, 3, store.ProblemTampered},
		{"change the actor", `UPDATE events SET actor = 'U-evil' WHERE seq = 2`, 2, store.ProblemTampered},
		{"delete an event", `DELETE FROM events WHERE seq = 2`, 2, store.ProblemGap},
		{"delete the last event", `DELETE FROM events WHERE seq = 5`, 5, store.ProblemTruncated},
		{"garble a time", `UPDATE events SET time = 'yesterday' WHERE seq = 4`, 4, store.ProblemDecode},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "wsbbot.db")
			s := mustOpenSQLite(t, path, nil)
			for i := 1; i <= 5; i++ {
				storetest.MustAppend(t, s, finding("fs01", fmt.Sprint("note ", i)))
			}
			s.Close()
			db, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(tc.sql); err != nil {
				t.Fatal(err)
			}
			db.Close()
			rep, err := mustOpenSQLite(t, path, nil).Verify(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK || rep.BrokenSeq != tc.seq || rep.Problem != tc.problem {
				t.Errorf("Verify = %+v, want broken at %d (%s)", rep, tc.seq, tc.problem)
			}
		})
	}
}

// TestMigrationKeepsABrokenChainBroken: a bbolt record whose last event
// was deleted is copied as it is, and the SQLite record reports the same
// break (the head the bbolt file recorded comes along).
func TestMigrationKeepsABrokenChainBroken(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wsbbot.db")
	b := mustOpen(t, path, nil)
	for i := 1; i <= 3; i++ {
		storetest.MustAppend(t, b, finding("fs01", fmt.Sprint("note ", i)))
	}
	b.Close()
	rawUpdate(t, path, func(tx *bolt.Tx) error { return tx.Bucket([]byte("events")).Delete(seqKey(3)) })
	s, err := store.Open(path, store.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rep, err := s.Verify(context.Background())
	if err != nil || rep.OK || rep.Problem != store.ProblemTruncated || rep.BrokenSeq != 3 {
		t.Errorf("Verify after migrating a truncated chain = %+v, %v; want truncated at 3", rep, err)
	}
}

// chatReceived is a dedupe key as an older wsbbot recorded it.
func chatReceived(key string) store.Event {
	return store.Event{Kind: store.KindChatReceived, Actor: "slack", Key: store.ChatReceivedKeyPrefix + key,
		Data: []byte(`{"id":"` + key + `","nonce":"0123456789abcdef"}`)}
}

// TestSeenKeysOfAnOlderRecord: the dedupe keys an older wsbbot recorded
// as chat.received events count as seen after the upgrade, from a SQLite
// record of schema 1 (before the chat_seen table) and from a bbolt one
// that also holds keys in its set.
func TestSeenKeysOfAnOlderRecord(t *testing.T) {
	ctx := context.Background()
	t.Run("sqlite schema 1", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "wsbbot.db")
		s, err := store.Open(path, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		storetest.MustAppend(t, s, chatReceived("event:Ev1"))
		storetest.MustAppend(t, s, chatReceived("msg:C1/1.1"))
		s.Close()
		// Back to schema 1, as the older wsbbot left it.
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{`DROP INDEX events_kind`, `DROP INDEX events_target_kind`, `CREATE INDEX events_target ON events (target, seq)`, `DROP TABLE chat_seen`, `UPDATE meta SET value = '1' WHERE name = 'schema_version'`} {
			if _, err := db.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
		db.Close()
		s, err = store.Open(path, store.Options{})
		if err != nil {
			t.Fatalf("Open of a schema 1 record: %v", err)
		}
		defer s.Close()
		fresh, err := s.MarkSeen(ctx, []string{"event:Ev1", "msg:C1/1.1", "event:Ev2"})
		if err != nil || fmt.Sprint(fresh) != "[false false true]" {
			t.Errorf("MarkSeen after the upgrade = %v, %v; want [false false true]", fresh, err)
		}
		storetest.MustVerify(t, s, 2)
	})
	t.Run("bbolt", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "wsbbot.db")
		b, err := store.OpenBolt(path, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		storetest.MustAppend(t, b, chatReceived("event:Ev1"))
		if _, err := b.MarkSeen(ctx, []string{"event:Ev2"}); err != nil {
			t.Fatal(err)
		}
		b.Close()
		s, err := store.Open(path, store.Options{})
		if err != nil {
			t.Fatalf("Open of a bbolt record: %v", err)
		}
		defer s.Close()
		fresh, err := s.MarkSeen(ctx, []string{"event:Ev1", "event:Ev2", "event:Ev3"})
		if err != nil || fmt.Sprint(fresh) != "[false false true]" {
			t.Errorf("MarkSeen after the migration = %v, %v; want [false false true]", fresh, err)
		}
	})
}
