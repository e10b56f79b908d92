// Package storetest owns the test suite that every implementation of
// store.Store must pass, so the in-memory store and the bbolt store are
// held to exactly the same behaviour.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wsbbot/wsbbot/internal/store"
)

// Run runs the shared suite. open must return a new, empty store for each
// call; the suite closes it. A store that reports interrupted runs must
// report none when new.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"SeqAndHash", testSeqAndHash},
		{"VerifyOK", testVerifyOK},
		{"DataRoundTrip", testDataRoundTrip},
		{"Idempotency", testIdempotency},
		{"IdempotencyConcurrent", testIdempotencyConcurrent},
		{"Filters", testFilters},
		{"RunsView", testRunsView},
		{"RunState", testRunState},
		{"LastRestoreTest", testLastRestoreTest},
		{"Validation", testValidation},
		{"ConcurrentAppends", testConcurrentAppends},
		{"NewRunID", testNewRunID},
		{"TypedPayloads", testTypedPayloads},
		{"NoInterruptedWhenNew", testNoInterrupted},
		{"CancelledContext", testCancelledContext},
		{"Closed", testClosed},
		{"AppendMany", testAppendMany},
		{"AppendManyAllOrNothing", testAppendManyAllOrNothing},
		{"RunOwner", testRunOwner},
		{"MarkSeen", testMarkSeen},
		{"MarkSeenConcurrent", testMarkSeenConcurrent},
		{"MarkSeenOldChatReceived", testMarkSeenOldChatReceived},
		{"ForgetSeen", testForgetSeen},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			tc.fn(t, s)
		})
	}
}

var hexHash = regexp.MustCompile(`^[0-9a-f]{64}$`)

// MustAppend appends e and fails the test on error.
func MustAppend(t *testing.T, s store.Store, e store.Event) store.Event {
	t.Helper()
	got, err := s.Append(context.Background(), e)
	if err != nil {
		t.Fatalf("Append(%s %s): %v", e.Kind, e.RunID, err)
	}
	return got
}

// MustEvents returns the events matching f and fails the test on error.
func MustEvents(t *testing.T, s store.Store, f store.Filter) []store.Event {
	t.Helper()
	got, err := s.Events(context.Background(), f)
	if err != nil {
		t.Fatalf("Events(%+v): %v", f, err)
	}
	return got
}

// MustVerify verifies the chain and fails the test unless it is intact
// with want events.
func MustVerify(t *testing.T, s store.Store, want uint64) store.VerifyReport {
	t.Helper()
	rep, err := s.Verify(context.Background())
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if !rep.OK || rep.Checked != want || rep.HeadSeq != want || rep.BrokenSeq != 0 {
		t.Fatalf("Verify = %+v, want OK with %d events", rep, want)
	}
	return rep
}

// note returns an audit.finding event with a small payload.
func note(target, text string) store.Event {
	return store.Event{Kind: store.KindAuditFinding, Target: target, Actor: "scheduler",
		Data: json.RawMessage(fmt.Sprintf(`{"note":%q}`, text))}
}

func started(runID, target, runbook string) store.Event {
	return store.RunStarted{Runbook: runbook, Params: map[string]string{"drive": "E"}, PlanHash: "plan-" + runID}.Event(runID, target, "U123")
}

func testSeqAndHash(t *testing.T, s store.Store) {
	at := time.Date(2026, 3, 1, 9, 0, 0, 123456789, time.FixedZone("JST", 9*3600))
	var prev store.Event
	for i := range 5 {
		e := note("fs01", fmt.Sprint("n", i))
		if i == 2 {
			e.Time = at
		}
		got := MustAppend(t, s, e)
		if got.Seq != uint64(i+1) {
			t.Errorf("event %d: Seq = %d, want %d", i, got.Seq, i+1)
		}
		if got.PrevHash != prev.Hash {
			t.Errorf("event %d: PrevHash = %q, want previous Hash %q", i, got.PrevHash, prev.Hash)
		}
		if !hexHash.MatchString(got.Hash) || got.Hash != got.ComputeHash() {
			t.Errorf("event %d: Hash = %q, want hex SHA-256 equal to ComputeHash %q", i, got.Hash, got.ComputeHash())
		}
		if got.Time.IsZero() || got.Time.Location() != time.UTC {
			t.Errorf("event %d: Time = %v, want non-zero UTC", i, got.Time)
		}
		if i == 2 && !got.Time.Equal(at) {
			t.Errorf("event %d: Time = %v, want the caller's %v", i, got.Time, at)
		}
		if got.Kind != e.Kind || got.Target != e.Target || got.Actor != e.Actor || string(got.Data) != string(e.Data) {
			t.Errorf("event %d: fields changed: got %+v from %+v", i, got, e)
		}
		prev = got
	}
	all := MustEvents(t, s, store.Filter{})
	if len(all) != 5 {
		t.Fatalf("Events = %d events, want 5", len(all))
	}
	if diff := cmp.Diff(prev, all[4]); diff != "" {
		t.Errorf("stored event differs from Append's result (-append +stored):\n%s", diff)
	}
	// Every field is covered by the hash.
	base := all[1]
	mutations := map[string]func(e *store.Event){
		"Seq":      func(e *store.Event) { e.Seq++ },
		"Time":     func(e *store.Event) { e.Time = e.Time.Add(time.Nanosecond) },
		"Kind":     func(e *store.Event) { e.Kind = store.KindAuditFinished },
		"RunID":    func(e *store.Event) { e.RunID = "r1" },
		"Target":   func(e *store.Event) { e.Target = "fs02" },
		"Actor":    func(e *store.Event) { e.Actor = "U999" },
		"Key":      func(e *store.Event) { e.Key = "k" },
		"Data":     func(e *store.Event) { e.Data = json.RawMessage(`{"note":"n2"}`) },
		"PrevHash": func(e *store.Event) { e.PrevHash = all[2].Hash },
	}
	for name, mutate := range mutations {
		e := base
		mutate(&e)
		if e.ComputeHash() == base.Hash {
			t.Errorf("changing %s does not change the hash", name)
		}
	}
}

func testVerifyOK(t *testing.T, s store.Store) {
	rep := MustVerify(t, s, 0)
	if rep.HeadHash != "" {
		t.Errorf("empty store: HeadHash = %q, want empty", rep.HeadHash)
	}
	var last store.Event
	for i := range 7 {
		last = MustAppend(t, s, note("fs01", fmt.Sprint(i)))
	}
	rep = MustVerify(t, s, 7)
	if rep.HeadHash != last.Hash {
		t.Errorf("HeadHash = %q, want last event's %q", rep.HeadHash, last.Hash)
	}
	if rep.Problem != store.ProblemNone || rep.Detail != "" {
		t.Errorf("intact chain reports problem %q %q", rep.Problem, rep.Detail)
	}
}

func testDataRoundTrip(t *testing.T, s store.Store) {
	tests := []struct{ in, want string }{
		{`{ "a" : 1,  "b" : [ 1, 2 ] }`, `{"a":1,"b":[1,2]}`},
		{`{"html":"<b>&amp;</b>"}`, `{"html":"<b>&amp;</b>"}`},
		{`{"ls":"a` + "\u2028" + `b"}`, `{"ls":"a` + "\u2028" + `b"}`},
		{`{"ja":"ボリュームシャドウコピー","esc":"\u003c\n\"x\""}`, `{"ja":"ボリュームシャドウコピー","esc":"\u003c\n\"x\""}`},
		{`{"n":1e400,"deep":{"x":{"y":null}}}`, `{"n":1e400,"deep":{"x":{"y":null}}}`},
		{``, ``},
	}
	var appended []store.Event
	for _, tc := range tests {
		e := MustAppend(t, s, store.Event{Kind: store.KindAuditFinding, Target: "fs01 <&>", Data: json.RawMessage(tc.in)})
		if string(e.Data) != tc.want {
			t.Errorf("Append(%s).Data = %s, want %s", tc.in, e.Data, tc.want)
		}
		appended = append(appended, e)
	}
	stored := MustEvents(t, s, store.Filter{})
	for i, e := range stored {
		if string(e.Data) != tests[i].want || e.Hash != e.ComputeHash() {
			t.Errorf("stored event %d: Data %s (want %s), hash ok %v", e.Seq, e.Data, tests[i].want, e.Hash == e.ComputeHash())
		}
	}
	if diff := cmp.Diff(appended, stored); diff != "" {
		t.Errorf("stored events differ (-appended +stored):\n%s", diff)
	}
	// Changing a returned event must not change the store.
	stored[0].Data[2] = 'Z'
	again := MustEvents(t, s, store.Filter{Limit: 1})
	if string(again[0].Data) != tests[0].want {
		t.Errorf("store shares Data with callers: now %s", again[0].Data)
	}
	MustVerify(t, s, uint64(len(tests)))
}

func testIdempotency(t *testing.T, s store.Store) {
	MustAppend(t, s, note("fs01", "before"))
	first := note("fs01", "first")
	first.Key = "slack:Ev123"
	a := MustAppend(t, s, first)
	second := note("fs02", "a different body")
	second.Key = "slack:Ev123"
	b := MustAppend(t, s, second)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("second Append with the same key returned another event (-first +second):\n%s", diff)
	}
	MustAppend(t, s, note("fs01", "after"))
	all := MustEvents(t, s, store.Filter{})
	if len(all) != 3 || all[1].Key != "slack:Ev123" || all[2].Seq != 3 {
		t.Errorf("events after a duplicate = %+v, want 3 events with the keyed one once", all)
	}
	// A keyed run.finished replayed after the run ended returns the
	// earlier event instead of a run-state error.
	MustAppend(t, s, started("r1", "fs01", "vss-restart"))
	fin := store.RunFinished{Status: store.StatusSucceeded, Summary: "ok"}.Event("r1", "fs01", "wsbbot")
	fin.Key = "finish:r1"
	f1 := MustAppend(t, s, fin)
	f2 := MustAppend(t, s, fin)
	if f1.Seq != f2.Seq {
		t.Errorf("replayed run.finished got Seq %d, want %d", f2.Seq, f1.Seq)
	}
	MustVerify(t, s, 5)
}

func testIdempotencyConcurrent(t *testing.T, s store.Store) {
	const n = 10
	seqs := make([]uint64, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			e := note("fs01", fmt.Sprint("copy ", i))
			e.Key = "slack:Ev-dup"
			got, err := s.Append(context.Background(), e)
			if err != nil {
				t.Errorf("Append: %v", err)
			}
			seqs[i] = got.Seq
		})
	}
	wg.Wait()
	for i, seq := range seqs {
		if seq != 1 {
			t.Errorf("goroutine %d got Seq %d, want 1", i, seq)
		}
	}
	if all := MustEvents(t, s, store.Filter{}); len(all) != 1 {
		t.Errorf("%d events stored for one key, want 1", len(all))
	}
}

func testFilters(t *testing.T, s store.Store) {
	MustAppend(t, s, started("r1", "fs01", "vss-restart"))                                                      // 1
	MustAppend(t, s, store.StepStarted{Step: "list"}.Event("r1", "fs01", "wsbbot"))                             // 2
	MustAppend(t, s, note("fs02", "x"))                                                                         // 3
	MustAppend(t, s, store.StepFinished{Step: "list", Status: "ok"}.Event("r1", "fs01", "wsbbot"))              // 4
	MustAppend(t, s, started("r2", "fs02", "usn-cleanup"))                                                      // 5
	MustAppend(t, s, store.RunFinished{Status: store.StatusFailed, Summary: "no"}.Event("r2", "fs02", "bot"))   // 6
	MustAppend(t, s, store.RunFinished{Status: store.StatusSucceeded, Summary: "y"}.Event("r1", "fs01", "bot")) // 7
	tests := []struct {
		name string
		f    store.Filter
		want []uint64
	}{
		{"all", store.Filter{}, []uint64{1, 2, 3, 4, 5, 6, 7}},
		{"run", store.Filter{RunID: "r1"}, []uint64{1, 2, 4, 7}},
		{"target", store.Filter{Target: "fs02"}, []uint64{3, 5, 6}},
		{"kind", store.Filter{Kinds: []store.Kind{store.KindRunStarted}}, []uint64{1, 5}},
		{"kinds", store.Filter{Kinds: []store.Kind{store.KindRunFinished, store.KindAuditFinding}}, []uint64{3, 6, 7}},
		{"after", store.Filter{AfterSeq: 4}, []uint64{5, 6, 7}},
		{"after the end", store.Filter{AfterSeq: 99}, nil},
		{"limit", store.Filter{Limit: 2}, []uint64{1, 2}},
		{"page", store.Filter{AfterSeq: 2, Limit: 2}, []uint64{3, 4}},
		{"last", store.Filter{Last: 2}, []uint64{6, 7}},
		{"last of a target", store.Filter{Target: "fs02", Last: 2}, []uint64{5, 6}},
		{"last of a kind", store.Filter{Kinds: []store.Kind{store.KindRunStarted}, Last: 1}, []uint64{5}},
		{"last after", store.Filter{RunID: "r1", AfterSeq: 4, Last: 3}, []uint64{7}},
		{"last, more than there are", store.Filter{RunID: "r1", Last: 9}, []uint64{1, 2, 4, 7}},
		{"last after the end", store.Filter{AfterSeq: 99, Last: 1}, nil},
		{"run and kind and after", store.Filter{RunID: "r1", Kinds: []store.Kind{store.KindStepStarted, store.KindStepFinished, store.KindRunFinished}, AfterSeq: 2}, []uint64{4, 7}},
		{"target and run disagree", store.Filter{RunID: "r1", Target: "fs02"}, nil},
		{"unknown run", store.Filter{RunID: "r9"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []uint64
			for _, e := range MustEvents(t, s, tc.f) {
				got = append(got, e.Seq)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Events(%+v) seqs (-want +got):\n%s", tc.f, diff)
			}
		})
	}
	for _, f := range []store.Filter{{Limit: -1}, {Last: -1}, {Limit: 1, Last: 1}} {
		if _, err := s.Events(context.Background(), f); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("Events(%+v) error = %v, want ErrInvalid", f, err)
		}
	}
}

func testRunsView(t *testing.T, s store.Store) {
	t0 := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	at := func(e store.Event, min int) store.Event { e.Time = t0.Add(time.Duration(min) * time.Minute); return e }
	fin := func(id, target, status string) store.Event {
		return store.RunFinished{Status: status, Summary: status + " summary"}.Event(id, target, "wsbbot")
	}
	step := func(id, target, name string) store.Event {
		return store.StepFinished{Step: name, Status: "ok", DurationMS: 12}.Event(id, target, "wsbbot")
	}
	MustAppend(t, s, at(started("r1", "fs01", "vss-restart"), 0))
	MustAppend(t, s, at(step("r1", "fs01", "a"), 1))
	MustAppend(t, s, at(step("r1", "fs01", "b"), 2))
	MustAppend(t, s, at(fin("r1", "fs01", store.StatusSucceeded), 3))
	MustAppend(t, s, at(started("r2", "fs02", "usn-cleanup"), 4))
	MustAppend(t, s, at(fin("r2", "fs02", store.StatusFailed), 5))
	MustAppend(t, s, at(started("r3", "fs01", "vss-restart"), 6))
	MustAppend(t, s, at(fin("r3", "fs01", store.StatusRefused), 7))
	MustAppend(t, s, at(started("r4", "fs03", "vss-restart"), 8))
	MustAppend(t, s, at(fin("r4", "fs03", store.StatusCancelled), 9))
	MustAppend(t, s, at(started("r5", "fs01", "usn-cleanup"), 10))
	MustAppend(t, s, at(store.RunInterrupted{Reason: "lost"}.Event("r5", "fs01", "wsbbot"), 11))
	MustAppend(t, s, at(started("r6", "fs02", "vss-restart"), 12))
	MustAppend(t, s, at(step("r6", "fs02", "a"), 13))

	row := func(id, runbook, target, status, summary string, start, end, steps int, startSeq, lastSeq uint64) store.RunSummary {
		r := store.RunSummary{ID: id, Runbook: runbook, Target: target, Actor: "U123", Status: status, Summary: summary,
			Started: t0.Add(time.Duration(start) * time.Minute), Steps: steps, StartSeq: startSeq, LastSeq: lastSeq}
		if end >= 0 {
			r.Finished = t0.Add(time.Duration(end) * time.Minute)
		}
		return r
	}
	r1 := row("r1", "vss-restart", "fs01", store.StatusSucceeded, "succeeded summary", 0, 3, 2, 1, 4)
	r2 := row("r2", "usn-cleanup", "fs02", store.StatusFailed, "failed summary", 4, 5, 0, 5, 6)
	r3 := row("r3", "vss-restart", "fs01", store.StatusRefused, "refused summary", 6, 7, 0, 7, 8)
	r4 := row("r4", "vss-restart", "fs03", store.StatusCancelled, "cancelled summary", 8, 9, 0, 9, 10)
	r5 := row("r5", "usn-cleanup", "fs01", store.StatusInterrupted, "lost", 10, 11, 0, 11, 12)
	r6 := row("r6", "vss-restart", "fs02", store.StatusRunning, "", 12, -1, 1, 13, 14)

	tests := []struct {
		name string
		f    store.RunFilter
		want []store.RunSummary
	}{
		{"all newest first", store.RunFilter{}, []store.RunSummary{r6, r5, r4, r3, r2, r1}},
		{"by id", store.RunFilter{ID: "r3"}, []store.RunSummary{r3}},
		{"unknown id", store.RunFilter{ID: "r9"}, nil},
		{"by target", store.RunFilter{Target: "fs01"}, []store.RunSummary{r5, r3, r1}},
		{"by runbook", store.RunFilter{Runbook: "usn-cleanup"}, []store.RunSummary{r5, r2}},
		{"running", store.RunFilter{Status: store.StatusRunning}, []store.RunSummary{r6}},
		{"interrupted", store.RunFilter{Status: store.StatusInterrupted}, []store.RunSummary{r5}},
		{"limit keeps newest", store.RunFilter{Limit: 2}, []store.RunSummary{r6, r5}},
		{"target and limit", store.RunFilter{Target: "fs01", Limit: 1}, []store.RunSummary{r5}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.Runs(context.Background(), tc.f)
			if err != nil {
				t.Fatalf("Runs: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Runs(%+v) (-want +got):\n%s", tc.f, diff)
			}
		})
	}
	if _, err := s.Runs(context.Background(), store.RunFilter{Limit: -1}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("Runs(Limit -1) error = %v, want ErrInvalid", err)
	}
}

func testRunState(t *testing.T, s store.Store) {
	MustAppend(t, s, started("r1", "fs01", "vss-restart"))
	MustAppend(t, s, store.RunFinished{Status: store.StatusSucceeded}.Event("r1", "fs01", "wsbbot"))
	tests := []struct {
		name string
		e    store.Event
	}{
		{"step of unknown run", store.StepStarted{Step: "a"}.Event("r9", "fs01", "wsbbot")},
		{"finish of unknown run", store.RunFinished{Status: store.StatusFailed}.Event("r9", "fs01", "wsbbot")},
		{"interrupt of unknown run", store.RunInterrupted{Reason: "x"}.Event("r9", "fs01", "wsbbot")},
		{"second start", started("r1", "fs01", "vss-restart")},
		{"step after finish", store.StepFinished{Step: "a", Status: "ok"}.Event("r1", "fs01", "wsbbot")},
		{"second finish", store.RunFinished{Status: store.StatusFailed}.Event("r1", "fs01", "wsbbot")},
		{"interrupt after finish", store.RunInterrupted{Reason: "x"}.Event("r1", "fs01", "wsbbot")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := s.Append(context.Background(), tc.e); !errors.Is(err, store.ErrRunState) {
				t.Errorf("Append error = %v, want ErrRunState", err)
			}
		})
	}
	// Approvals may name a run that has not started yet.
	ap, err := store.NewEvent(store.KindApprovalRequested, "r2", "fs01", "U1", map[string]string{"plan_hash": "p"})
	if err != nil {
		t.Fatal(err)
	}
	MustAppend(t, s, ap)
	MustVerify(t, s, 3)
}

func testLastRestoreTest(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, ok, err := s.LastRestoreTest(ctx, "fs01"); err != nil || ok {
		t.Fatalf("LastRestoreTest on empty store = %v, %v; want none", ok, err)
	}
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	MustAppend(t, s, store.RestoreTestOn(day(2026, 3, 1)).Event("fs01", "U1"))
	MustAppend(t, s, store.RestoreTestOn(day(2025, 12, 24)).Event("fs01", "U1")) // older, recorded later
	MustAppend(t, s, store.RestoreTestOn(day(2024, 1, 2)).Event("fs02", "U1"))
	MustAppend(t, s, store.RestoreTestOn(day(2024, 6, 30)).Event("fs02", "U1"))
	// The calendar date as written, even from a time in another zone.
	MustAppend(t, s, store.RestoreTestOn(time.Date(2026, 5, 1, 1, 0, 0, 0, time.FixedZone("JST", 9*3600))).Event("fs03", "U1"))
	tests := []struct {
		target string
		want   time.Time
		ok     bool
	}{
		{"fs01", day(2026, 3, 1), true},
		{"fs02", day(2024, 6, 30), true},
		{"fs03", day(2026, 5, 1), true},
		{"FS01", time.Time{}, false},
		{"fs04", time.Time{}, false},
	}
	for _, tc := range tests {
		got, ok, err := s.LastRestoreTest(ctx, tc.target)
		if err != nil || ok != tc.ok || !got.Equal(tc.want) {
			t.Errorf("LastRestoreTest(%s) = %v, %v, %v; want %v, %v", tc.target, got, ok, err, tc.want, tc.ok)
		}
	}
	// Many targets in one read: those with a restore test, and only those.
	all := make([]string, len(tests))
	for i, tc := range tests {
		all[i] = tc.target
	}
	got, err := s.LastRestoreTests(ctx, all)
	if err != nil {
		t.Fatalf("LastRestoreTests: %v", err)
	}
	for _, tc := range tests {
		d, ok := got[tc.target]
		if ok != tc.ok || !d.Equal(tc.want) {
			t.Errorf("LastRestoreTests[%s] = %v, %v; want %v, %v", tc.target, d, ok, tc.want, tc.ok)
		}
	}
	if len(got) != 3 {
		t.Errorf("LastRestoreTests gave %d targets, want 3: %v", len(got), got)
	}
	if got, err := s.LastRestoreTests(ctx, nil); err != nil || len(got) != 0 {
		t.Errorf("LastRestoreTests(nil) = %v, %v; want none", got, err)
	}
	for _, bad := range []string{"2026-13-01", "01/03/2026", ""} {
		if _, err := s.Append(ctx, store.RestoreTestDone{Date: bad}.Event("fs01", "U1")); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("restore test dated %q: error = %v, want ErrInvalid", bad, err)
		}
	}
	if _, err := s.Append(ctx, store.RestoreTestOn(day(2026, 1, 1)).Event("", "U1")); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("restore test without target: error = %v, want ErrInvalid", err)
	}
}

func testValidation(t *testing.T, s store.Store) {
	MustAppend(t, s, note("fs01", "first"))
	withData := func(k store.Kind, runID, data string) store.Event {
		return store.Event{Kind: k, RunID: runID, Target: "fs01", Data: json.RawMessage(data)}
	}
	big := make([]byte, store.MaxDataBytes+1)
	for i := range big {
		big[i] = ' '
	}
	copy(big, `{"x":1}`)
	long := string(make([]byte, store.MaxFieldBytes+1))
	tests := []struct {
		name string
		e    store.Event
	}{
		{"empty kind", store.Event{Target: "fs01"}},
		{"unknown kind", store.Event{Kind: "run.exploded", Target: "fs01"}},
		{"kind case", store.Event{Kind: "Run.Started", RunID: "r1"}},
		{"invalid JSON", withData(store.KindAuditFinding, "", `{"a":`)},
		{"JSON array", withData(store.KindAuditFinding, "", `[1,2]`)},
		{"JSON string", withData(store.KindAuditFinding, "", `"x"`)},
		{"JSON null", withData(store.KindAuditFinding, "", `null`)},
		{"whitespace only", withData(store.KindAuditFinding, "", `   `)},
		{"two values", withData(store.KindAuditFinding, "", `{} {}`)},
		{"invalid UTF-8 in data", withData(store.KindAuditFinding, "", "{\"a\":\"\xff\"}")},
		{"invalid UTF-8 target", store.Event{Kind: store.KindAuditFinding, Target: "fs\xff01"}},
		{"too long key", store.Event{Kind: store.KindAuditFinding, Key: long}},
		{"oversized data", withData(store.KindAuditFinding, "", string(big))},
		{"seq set by caller", store.Event{Kind: store.KindAuditFinding, Seq: 7}},
		{"hash set by caller", store.Event{Kind: store.KindAuditFinding, Hash: "abc"}},
		{"prev hash set by caller", store.Event{Kind: store.KindAuditFinding, PrevHash: "abc"}},
		{"time beyond 9999", store.Event{Kind: store.KindAuditFinding, Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}},
		{"run.started without run id", withData(store.KindRunStarted, "", `{"runbook":"x","plan_hash":"p"}`)},
		{"run.started without runbook", withData(store.KindRunStarted, "r1", `{"plan_hash":"p"}`)},
		{"run.started without plan hash", withData(store.KindRunStarted, "r1", `{"runbook":"x"}`)},
		{"run.started with wrong types", withData(store.KindRunStarted, "r1", `{"runbook":1,"plan_hash":"p"}`)},
		{"run.started without data", withData(store.KindRunStarted, "r1", ``)},
		{"step.started without step", withData(store.KindStepStarted, "r1", `{}`)},
		{"step.finished without status", withData(store.KindStepFinished, "r1", `{"step":"a"}`)},
		{"step.finished exit code not a number", withData(store.KindStepFinished, "r1", `{"step":"a","status":"ok","exit_code":"1"}`)},
		{"run.finished bad status", withData(store.KindRunFinished, "r1", `{"status":"done"}`)},
		{"run.finished as interrupted", withData(store.KindRunFinished, "r1", `{"status":"interrupted"}`)},
		{"run.finished as running", withData(store.KindRunFinished, "r1", `{"status":"running"}`)},
		{"run.interrupted without reason", withData(store.KindRunInterrupted, "r1", `{}`)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.Append(context.Background(), tc.e)
			if !errors.Is(err, store.ErrInvalid) {
				t.Errorf("Append = %+v, %v; want ErrInvalid", got, err)
			}
		})
	}
	// Nothing was appended: the next event continues the chain.
	e := MustAppend(t, s, note("fs01", "second"))
	if e.Seq != 2 {
		t.Errorf("after rejected events Seq = %d, want 2", e.Seq)
	}
	MustVerify(t, s, 2)
}

func testConcurrentAppends(t *testing.T, s store.Store) {
	const workers, each = 20, 15
	var wg sync.WaitGroup
	got := make([][]store.Event, workers)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				e, err := s.Append(context.Background(), note(fmt.Sprint("fs", w), fmt.Sprint(i)))
				if err != nil {
					t.Errorf("worker %d: Append: %v", w, err)
					return
				}
				got[w] = append(got[w], e)
			}
		})
	}
	wg.Wait()
	all := MustEvents(t, s, store.Filter{})
	if len(all) != workers*each {
		t.Fatalf("%d events, want %d", len(all), workers*each)
	}
	for i, e := range all {
		if e.Seq != uint64(i+1) {
			t.Fatalf("event %d has Seq %d: not gapless", i, e.Seq)
		}
		if i > 0 && e.PrevHash != all[i-1].Hash {
			t.Fatalf("event %d does not link to %d", e.Seq, all[i-1].Seq)
		}
	}
	for w, evs := range got {
		if !slices.IsSortedFunc(evs, func(a, b store.Event) int { return int(a.Seq) - int(b.Seq) }) {
			t.Errorf("worker %d saw its events out of order", w)
		}
		for _, e := range evs {
			if diff := cmp.Diff(all[e.Seq-1], e); diff != "" {
				t.Errorf("worker %d: returned event differs from stored (-stored +returned):\n%s", w, diff)
			}
		}
	}
	MustVerify(t, s, workers*each)
}

func testNewRunID(t *testing.T, s store.Store) {
	ctx := context.Background()
	var ids []string
	for range 50 {
		id, err := s.NewRunID(ctx)
		if err != nil {
			t.Fatalf("NewRunID: %v", err)
		}
		ids = append(ids, id)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			for range 5 {
				id, err := s.NewRunID(ctx)
				if err != nil {
					t.Errorf("NewRunID: %v", err)
					return
				}
				mu.Lock()
				ids = append(ids, id)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Errorf("NewRunID returned %q twice", id)
		}
		seen[id] = true
		if id == "" || len(id) > 12 {
			t.Errorf("NewRunID = %q, want short and non-empty", id)
		}
	}
	if !sort.StringsAreSorted(ids[:50]) {
		t.Errorf("sequential ids are not sortable: %v", ids[:50])
	}
	// An id that is issued can be used to start a run.
	MustAppend(t, s, started(ids[0], "fs01", "vss-restart"))
}

func testTypedPayloads(t *testing.T, s store.Store) {
	rs := store.RunStarted{Runbook: "usn-cleanup", Params: map[string]string{"letter": "Z", "note": "<&>"}, PlanHash: "abc",
		Approvers: []string{"U1", "U2"}, Approval: "approved in the thread"}
	sf := store.StepFinished{Step: "deletejournal", Status: "ok", ExitCode: -2139619047, DurationMS: 1534, Output: "Deleting USN journal...\r\n完了しました"}
	rf := store.RunFinished{Status: store.StatusSucceeded, Summary: "free space 12% -> 48%"}
	e1 := MustAppend(t, s, rs.Event("r1", "fs01", "U1"))
	e2 := MustAppend(t, s, store.StepStarted{Step: "deletejournal"}.Event("r1", "fs01", "wsbbot"))
	e3 := MustAppend(t, s, sf.Event("r1", "fs01", "wsbbot"))
	e4 := MustAppend(t, s, rf.Event("r1", "fs01", "wsbbot"))
	check := func(name string, got, want any, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("Decode %s: %v", name, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s round trip (-want +got):\n%s", name, diff)
		}
	}
	g1, err := store.Decode[store.RunStarted](e1)
	check("RunStarted", g1, rs, err)
	g2, err := store.Decode[store.StepStarted](e2)
	check("StepStarted", g2, store.StepStarted{Step: "deletejournal"}, err)
	g3, err := store.Decode[store.StepFinished](e3)
	check("StepFinished", g3, sf, err)
	g4, err := store.Decode[store.RunFinished](e4)
	check("RunFinished", g4, rf, err)
	var raw map[string]any
	if err := json.Unmarshal(e3.Data, &raw); err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{"step", "status", "exit_code", "duration_ms", "output"} {
		if _, ok := raw[field]; !ok {
			t.Errorf("step.finished data %s lacks %q", e3.Data, field)
		}
	}
	arr, err := store.NewEvent(store.KindAuditFinding, "", "fs01", "scheduler", []int{1})
	if err != nil {
		t.Fatalf("NewEvent: %v", err)
	}
	if _, err := s.Append(context.Background(), arr); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("NewEvent with a non-object payload: Append error = %v, want ErrInvalid", err)
	}
	if _, err := store.NewEvent(store.KindAuditFinding, "", "fs01", "scheduler", func() {}); err == nil {
		t.Errorf("NewEvent with an unmarshalable value: no error")
	}
}

func testNoInterrupted(t *testing.T, s store.Store) {
	i, ok := s.(interface{ Interrupted() []string })
	if !ok {
		t.Skip("store does not report interrupted runs")
	}
	if got := i.Interrupted(); len(got) != 0 {
		t.Errorf("new store Interrupted() = %v, want none", got)
	}
}

func testCancelledContext(t *testing.T, s store.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Append(ctx, note("fs01", "x")); !errors.Is(err, context.Canceled) {
		t.Errorf("Append with cancelled context: %v, want context.Canceled", err)
	}
	if _, err := s.Events(ctx, store.Filter{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Events with cancelled context: %v, want context.Canceled", err)
	}
	if all := MustEvents(t, s, store.Filter{}); len(all) != 0 {
		t.Errorf("cancelled Append stored %d events", len(all))
	}
}

func testClosed(t *testing.T, s store.Store) {
	MustAppend(t, s, note("fs01", "x"))
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	ctx := context.Background()
	_, errAppend := s.Append(ctx, note("fs01", "y"))
	_, errEvents := s.Events(ctx, store.Filter{})
	_, errRuns := s.Runs(ctx, store.RunFilter{})
	_, errID := s.NewRunID(ctx)
	_, _, errRestore := s.LastRestoreTest(ctx, "fs01")
	_, errRestores := s.LastRestoreTests(ctx, []string{"fs01"})
	_, errVerify := s.Verify(ctx)
	_, errSeen := s.MarkSeen(ctx, []string{"event:E1"})
	errForget := s.ForgetSeen(ctx, time.Now())
	for name, err := range map[string]error{"Append": errAppend, "Events": errEvents, "Runs": errRuns,
		"NewRunID": errID, "LastRestoreTest": errRestore,
		"LastRestoreTests": errRestores, "Verify": errVerify, "MarkSeen": errSeen, "ForgetSeen": errForget} {
		if !errors.Is(err, store.ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", name, err)
		}
	}
}

func testAppendMany(t *testing.T, s store.Store) {
	ctx := context.Background()
	first := MustAppend(t, s, note("fs00", "before"))
	keyed := note("fs01", "keyed")
	keyed.Key = "slack:Ev9"
	batch := []store.Event{started("r1", "fs01", "vss-restart"), keyed, note("fs02", "two"),
		store.StepFinished{Step: "a", Status: "passed"}.Event("r1", "fs01", "wsbbot"), keyed}
	got, err := s.AppendMany(ctx, batch)
	if err != nil {
		t.Fatalf("AppendMany: %v", err)
	}
	if len(got) != len(batch) {
		t.Fatalf("AppendMany returned %d events, want %d", len(got), len(batch))
	}
	prev := first
	for i, e := range got[:4] {
		if e.Seq != uint64(i)+2 || e.PrevHash != prev.Hash || e.Hash != e.ComputeHash() {
			t.Errorf("event %d: Seq %d PrevHash %s, want Seq %d linked to %s", i, e.Seq, e.PrevHash, i+2, prev.Hash)
		}
		prev = e
	}
	// The repeated key inside the batch is the first one's event, not a new one.
	if got[4].Seq != got[1].Seq || got[4].Hash != got[1].Hash {
		t.Errorf("repeated key in the batch got Seq %d, want the first one's %d", got[4].Seq, got[1].Seq)
	}
	// A key seen before the batch is honoured too.
	again, err := s.AppendMany(ctx, []store.Event{keyed})
	if err != nil || len(again) != 1 || again[0].Seq != got[1].Seq {
		t.Errorf("AppendMany of a known key = %+v, %v; want the earlier event %d", again, err, got[1].Seq)
	}
	stored := MustEvents(t, s, store.Filter{AfterSeq: 1})
	if diff := cmp.Diff(got[:4], stored); diff != "" {
		t.Errorf("stored events differ from AppendMany's (-returned +stored):\n%s", diff)
	}
	runs, err := s.Runs(ctx, store.RunFilter{ID: "r1"})
	if err != nil || len(runs) != 1 || runs[0].Steps != 1 || runs[0].Status != store.StatusRunning {
		t.Errorf("run r1 after the batch = %+v, %v; want running with 1 step", runs, err)
	}
	if out, err := s.AppendMany(ctx, nil); err != nil || len(out) != 0 {
		t.Errorf("AppendMany(nil) = %v, %v; want nothing", out, err)
	}
	MustVerify(t, s, 5)
}

func testAppendManyAllOrNothing(t *testing.T, s store.Store) {
	ctx := context.Background()
	MustAppend(t, s, note("fs00", "before"))
	keyed := note("fs01", "keyed")
	keyed.Key = "k1"
	restore := store.RestoreTestOn(time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)).Event("fs01", "U1")
	// The last event breaks the run's rules: nothing of the batch stays.
	bad := []store.Event{started("r1", "fs01", "vss-restart"), keyed, restore,
		store.RunFinished{Status: store.StatusSucceeded}.Event("r1", "fs01", "wsbbot"),
		store.RunFinished{Status: store.StatusFailed}.Event("r1", "fs01", "wsbbot")}
	if _, err := s.AppendMany(ctx, bad); !errors.Is(err, store.ErrRunState) {
		t.Fatalf("AppendMany with a second run.finished = %v, want ErrRunState", err)
	}
	// An invalid event is refused before anything is written.
	if _, err := s.AppendMany(ctx, []store.Event{note("fs01", "ok"), {Kind: "nope"}}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("AppendMany with an unknown kind = %v, want ErrInvalid", err)
	}
	if n := len(MustEvents(t, s, store.Filter{})); n != 1 {
		t.Errorf("%d events after failed batches, want the 1 from before", n)
	}
	if runs, err := s.Runs(ctx, store.RunFilter{}); err != nil || len(runs) != 0 {
		t.Errorf("runs after a failed batch = %+v, %v; want none", runs, err)
	}
	if _, ok, err := s.LastRestoreTest(ctx, "fs01"); err != nil || ok {
		t.Errorf("restore test after a failed batch: ok=%v err=%v, want none", ok, err)
	}
	// The key of the failed batch is free: appending it now writes it.
	e := MustAppend(t, s, keyed)
	if e.Seq != 2 {
		t.Errorf("keyed event after the failed batch got Seq %d, want 2 (the batch left no key behind)", e.Seq)
	}
	MustVerify(t, s, 2)
}

func testRunOwner(t *testing.T, s store.Store) {
	owner := &store.Owner{PID: 4242, Host: "bot01", Start: "123"}
	ev := store.RunStarted{Runbook: "vss-restart", PlanHash: "p", Owner: owner}.Event("r1", "fs01", "U1")
	MustAppend(t, s, ev)
	runs, err := s.Runs(context.Background(), store.RunFilter{ID: "r1"})
	if err != nil || len(runs) != 1 {
		t.Fatalf("Runs = %+v, %v", runs, err)
	}
	if diff := cmp.Diff(owner, runs[0].Owner); diff != "" {
		t.Errorf("run owner (-want +got):\n%s", diff)
	}
	MustAppend(t, s, started("r2", "fs01", "vss-restart"))
	runs, _ = s.Runs(context.Background(), store.RunFilter{ID: "r2"})
	if len(runs) != 1 || runs[0].Owner != nil {
		t.Errorf("run without an owner = %+v, want Owner nil", runs)
	}
}

// mustMarkSeen marks keys and fails the test on error.
func mustMarkSeen(t *testing.T, s store.Store, keys ...string) []bool {
	t.Helper()
	fresh, err := s.MarkSeen(context.Background(), keys)
	if err != nil {
		t.Fatalf("MarkSeen(%q): %v", keys, err)
	}
	if len(fresh) != len(keys) {
		t.Fatalf("MarkSeen(%q) answered for %d keys", keys, len(fresh))
	}
	return fresh
}

func testMarkSeen(t *testing.T, s store.Store) {
	if got := mustMarkSeen(t, s, "event:E1", "msg:C1/1.1"); !slices.Equal(got, []bool{true, true}) {
		t.Errorf("first MarkSeen = %v, want both new", got)
	}
	if got := mustMarkSeen(t, s, "msg:C1/1.1", "event:E2", "event:E2"); !slices.Equal(got, []bool{false, true, false}) {
		t.Errorf("MarkSeen of a known key, a new one twice = %v, want [false true false]", got)
	}
	if _, err := s.MarkSeen(context.Background(), []string{"event:E3", ""}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("MarkSeen with an empty key: %v, want ErrInvalid", err)
	}
	if got := mustMarkSeen(t, s, "event:E3"); !got[0] {
		t.Error("a refused MarkSeen recorded its keys")
	}
	// The keys are not events of the log.
	if all := MustEvents(t, s, store.Filter{}); len(all) != 0 {
		t.Errorf("MarkSeen appended %d events", len(all))
	}
}

func testMarkSeenConcurrent(t *testing.T, s store.Store) {
	const n = 10
	var won sync.Map
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			fresh, err := s.MarkSeen(context.Background(), []string{"event:dup", fmt.Sprint("msg:C1/", i)})
			if err != nil {
				t.Errorf("MarkSeen: %v", err)
				return
			}
			if !fresh[1] {
				t.Errorf("goroutine %d: its own key was not new", i)
			}
			if fresh[0] {
				won.Store(i, true)
			}
		})
	}
	wg.Wait()
	winners := 0
	won.Range(func(any, any) bool { winners++; return true })
	if winners != 1 {
		t.Errorf("%d callers found the shared key new, want 1", winners)
	}
}

// testMarkSeenOldChatReceived: the keys an older wsbbot recorded as
// chat.received events count as seen.
func testMarkSeenOldChatReceived(t *testing.T, s store.Store) {
	MustAppend(t, s, store.Event{Kind: store.KindChatReceived, Actor: "slack", Key: store.ChatReceivedKeyPrefix + "event:Old",
		Data: json.RawMessage(`{"id":"event:Old"}`)})
	if got := mustMarkSeen(t, s, "event:Old", "event:New"); !slices.Equal(got, []bool{false, true}) {
		t.Errorf("MarkSeen after a chat.received of the first key = %v, want [false true]", got)
	}
}

func testForgetSeen(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustMarkSeen(t, s, "event:E1", "msg:C1/1.1")
	// Keys marked after the cut stay.
	if err := s.ForgetSeen(ctx, time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := mustMarkSeen(t, s, "event:E1"); got[0] {
		t.Error("ForgetSeen of keys older than an hour forgot a key just marked")
	}
	// More keys than one batch of the SQLite store's delete.
	var many []string
	for i := range 1200 {
		many = append(many, fmt.Sprint("event:M", i))
	}
	mustMarkSeen(t, s, many...)
	if err := s.ForgetSeen(ctx, time.Now().Add(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	for i, fresh := range mustMarkSeen(t, s, append(many, "event:E1", "msg:C1/1.1")...) {
		if !fresh {
			t.Fatalf("key %d was not forgotten by ForgetSeen of everything marked", i)
		}
	}
}
