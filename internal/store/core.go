package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// state is what appendEvent needs from an implementation, inside one
// atomic section (a bbolt write transaction, or the Memory mutex). All
// reads happen before the first write, so a failed append writes nothing.
type state interface {
	head() (seq uint64, hash string, err error)
	seqForKey(key string) (uint64, bool, error)
	event(seq uint64) (Event, error)
	run(id string) (RunSummary, bool, error)
	restoreTest(target string) (time.Time, bool, error)
	running() ([]RunSummary, error) // runs still running, in id order

	putEvent(e Event) error
	putKey(key string, seq uint64) error
	putRun(r RunSummary) error
	putRestoreTest(target string, day time.Time) error
}

// appendEvent is the one append algorithm both implementations share. e
// must have been through prepare.
func appendEvent(st state, clock func() time.Time, e Event) (Event, error) {
	if e.Key != "" {
		seq, ok, err := st.seqForKey(e.Key)
		if err != nil {
			return Event{}, err
		}
		if ok {
			return st.event(seq)
		}
	}

	var run RunSummary
	var haveRun bool
	if e.RunID != "" && (e.Kind == KindRunStarted || e.Kind.runScoped()) {
		var err error
		run, haveRun, err = st.run(e.RunID)
		if err != nil {
			return Event{}, err
		}
		switch {
		case e.Kind == KindRunStarted && haveRun:
			return Event{}, fmt.Errorf("%w: run %s already started", ErrRunState, e.RunID)
		case e.Kind.runScoped() && !haveRun:
			return Event{}, fmt.Errorf("%w: %s for run %s, which was never started", ErrRunState, e.Kind, e.RunID)
		case e.Kind.runScoped() && run.Status != StatusRunning:
			return Event{}, fmt.Errorf("%w: %s for run %s, which is already %s", ErrRunState, e.Kind, e.RunID, run.Status)
		}
	}

	var restoreDay time.Time
	if e.Kind == KindRestoreTestDone {
		p, err := Decode[RestoreTestDone](e)
		if err != nil {
			return Event{}, err
		}
		if restoreDay, err = p.date(); err != nil {
			return Event{}, err
		}
		prev, ok, err := st.restoreTest(e.Target)
		if err != nil {
			return Event{}, err
		}
		if ok && !restoreDay.After(prev) {
			restoreDay = time.Time{} // an older test recorded late: keep the latest
		}
	}

	seq, prevHash, err := st.head()
	if err != nil {
		return Event{}, err
	}
	e.Seq = seq + 1
	e.PrevHash = prevHash
	if e.Time.IsZero() {
		e.Time = clock()
	}
	e.Time = e.Time.UTC()
	e.Hash = e.ComputeHash()

	if e.Kind == KindRunStarted || e.Kind.runScoped() {
		if err := updateRun(&run, e); err != nil {
			return Event{}, err
		}
	}

	if err := st.putEvent(e); err != nil {
		return Event{}, err
	}
	if e.Key != "" {
		if err := st.putKey(e.Key, e.Seq); err != nil {
			return Event{}, err
		}
	}
	if run.ID != "" {
		if err := st.putRun(run); err != nil {
			return Event{}, err
		}
	}
	if !restoreDay.IsZero() {
		if err := st.putRestoreTest(e.Target, restoreDay); err != nil {
			return Event{}, err
		}
	}
	return e, nil
}

// appendAll appends events in order inside one atomic section: the batch
// is written whole or, when one event fails, not at all (the caller rolls
// back). Each event must have been through prepare.
func appendAll(st state, clock func() time.Time, events []Event) ([]Event, error) {
	out := make([]Event, len(events))
	for i, e := range events {
		got, err := appendEvent(st, clock, e)
		if err != nil {
			return nil, fmt.Errorf("event %d of %d (%s): %w", i+1, len(events), e.Kind, err)
		}
		out[i] = got
	}
	return out, nil
}

// lastRestoreTests reads the latest restore-test date of each target that
// has one, for LastRestoreTests.
func lastRestoreTests(st state, targets []string) (map[string]time.Time, error) {
	out := make(map[string]time.Time, len(targets))
	for _, t := range targets {
		d, ok, err := st.restoreTest(t)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t, err)
		}
		if ok {
			out[t] = d
		}
	}
	return out, nil
}

// lastRestoreTest is LastRestoreTest through the store's LastRestoreTests.
func lastRestoreTest(ctx context.Context, s Store, target string) (time.Time, bool, error) {
	m, err := s.LastRestoreTests(ctx, []string{target})
	if err != nil {
		return time.Time{}, false, err
	}
	d, ok := m[target]
	return d, ok, nil
}

// prepareAll validates a batch for AppendMany.
func prepareAll(events []Event) ([]Event, error) {
	out := make([]Event, len(events))
	for i, e := range events {
		p, err := prepare(e)
		if err != nil {
			return nil, fmt.Errorf("event %d of %d: %w", i+1, len(events), err)
		}
		out[i] = p
	}
	return out, nil
}

// markInterrupted appends run.interrupted for every run still running
// whose owner process is gone (alive says whether it is still there; a
// run recorded without an owner, as before owners were recorded, is taken
// as gone) and returns their ids in id order. A run whose owner is alive
// belongs to another wsbbot working beside this one and is left alone.
func markInterrupted(st state, clock func() time.Time, alive func(Owner) bool) ([]string, error) {
	open, err := st.running()
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, r := range open {
		if r.Owner != nil && alive(*r.Owner) {
			continue
		}
		e, err := prepare(interruptedEvent(r))
		if err == nil {
			_, err = appendEvent(st, clock, e)
		}
		if err != nil {
			return nil, fmt.Errorf("mark run %s interrupted: %w", r.ID, err)
		}
		ids = append(ids, r.ID)
	}
	return ids, nil
}

// updateRun folds a run.* or step.* event into the run's summary.
func updateRun(r *RunSummary, e Event) error {
	switch e.Kind {
	case KindRunStarted:
		p, err := Decode[RunStarted](e)
		if err != nil {
			return err
		}
		*r = RunSummary{ID: e.RunID, Runbook: p.Runbook, Target: e.Target, Actor: e.Actor,
			Status: StatusRunning, Started: e.Time, StartSeq: e.Seq, Owner: p.Owner}
	case KindStepFinished:
		r.Steps++
	case KindRunFinished:
		p, err := Decode[RunFinished](e)
		if err != nil {
			return err
		}
		r.Status, r.Summary, r.Finished = p.Status, p.Summary, e.Time
	case KindRunInterrupted:
		p, err := Decode[RunInterrupted](e)
		if err != nil {
			return err
		}
		r.Status, r.Summary, r.Finished = StatusInterrupted, p.Reason, e.Time
	}
	r.LastSeq = e.Seq
	return nil
}

// interruptedEvent is what Open appends for a run left running by a crash.
func interruptedEvent(r RunSummary) Event {
	e := RunInterrupted{Reason: "wsbbot stopped while the run was in progress"}.Event(r.ID, r.Target, "wsbbot")
	e.Key = "wsbbot:interrupted:" + r.ID
	return e
}

// runIDWidth is the number of base-36 digits in a run id: ids stay sortable
// as strings for the first 36^5 (about 60 million) runs.
const runIDWidth = 5

// formatRunID renders counter n as "r" + zero-padded base 36.
func formatRunID(n uint64) string {
	s := strconv.FormatUint(n, 36)
	if len(s) < runIDWidth {
		s = strings.Repeat("0", runIDWidth-len(s)) + s
	}
	return "r" + s
}

// verifier walks a chain in stored order and remembers the first problem.
type verifier struct {
	rep    VerifyReport
	expect uint64
	done   bool
}

func newVerifier() *verifier { return &verifier{expect: 1} }

func (v *verifier) fail(seq uint64, p Problem, format string, args ...any) bool {
	v.rep.BrokenSeq, v.rep.Problem, v.rep.Detail = seq, p, fmt.Sprintf(format, args...)
	v.done = true
	return false
}

// check examines the record stored under key; decodeErr is set when it
// could not be read. It returns false once a problem is found.
func (v *verifier) check(key uint64, e Event, decodeErr error) bool {
	switch {
	case v.done:
		return false
	case key != v.expect:
		return v.fail(v.expect, ProblemGap, "event %d is missing: the next stored event is %d", v.expect, key)
	case decodeErr != nil:
		return v.fail(key, ProblemDecode, "event %d cannot be read: %v", key, decodeErr)
	case e.Seq != key:
		return v.fail(key, ProblemTampered, "event stored as %d claims seq %d", key, e.Seq)
	case e.ComputeHash() != e.Hash:
		return v.fail(key, ProblemTampered, "event %d does not match its hash: its content was changed", key)
	case e.PrevHash != v.rep.HeadHash:
		return v.fail(key, ProblemLink, "event %d does not link to event %d: one of them was replaced", key, key-1)
	}
	v.rep.Checked++
	v.rep.HeadSeq, v.rep.HeadHash = e.Seq, e.Hash
	v.expect++
	return true
}

// finish compares the walked chain with the head the store recorded and
// returns the report.
func (v *verifier) finish(headSeq uint64, headHash string) VerifyReport {
	if !v.done {
		switch {
		case headSeq > v.rep.HeadSeq:
			v.fail(v.rep.HeadSeq+1, ProblemTruncated, "the store recorded %d events but the chain ends at %d", headSeq, v.rep.HeadSeq)
		case headSeq != v.rep.HeadSeq || headHash != v.rep.HeadHash:
			v.fail(headSeq, ProblemHead, "the store's recorded head (%d %s) is not the chain's last event (%d %s)", headSeq, headHash, v.rep.HeadSeq, v.rep.HeadHash)
		}
	}
	v.rep.OK = !v.done
	return v.rep
}
