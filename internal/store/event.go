package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// Kind names what an event records.
type Kind string

// The kinds of event the store accepts. Appending any other kind is an error.
const (
	KindRunStarted        Kind = "run.started"
	KindStepStarted       Kind = "step.started"
	KindStepFinished      Kind = "step.finished"
	KindRunFinished       Kind = "run.finished"
	KindRunInterrupted    Kind = "run.interrupted"
	KindApprovalRequested Kind = "approval.requested"
	KindApprovalGranted   Kind = "approval.granted"
	KindApprovalDenied    Kind = "approval.denied"
	KindApprovalClosed    Kind = "approval.closed" // approved, expired or void: one end per request
	KindAuditFinding      Kind = "audit.finding"
	KindAuditFinished     Kind = "audit.finished"
	KindRestoreTestDone   Kind = "restore-test.done"
	// KindChatReceived recorded a chat event taken for handling, keyed
	// ChatReceivedKeyPrefix+the dedupe key, so that one delivered again
	// (even after a restart) is handled once. wsbbot now keeps these keys
	// with MarkSeen; the events an older one appended still count.
	KindChatReceived Kind = "chat.received"
	// KindScheduleFired claims one due time of one schedule (see Claim):
	// the schedule fires once for it, whoever appended it first.
	KindScheduleFired Kind = "schedule.fired"
	// KindWatchLook records what the backup watch saw on a server (its
	// event-log cursor); KindWatchAlert a failure it reported, where it
	// was posted, and the recovery that ended it.
	KindWatchLook  Kind = "watch.look"
	KindWatchAlert Kind = "watch.alert"
	// KindRunReported records that an interrupted run was reported where
	// its approval was requested, so that it is reported once across
	// restarts.
	KindRunReported Kind = "run.reported"
)

// Kinds returns every kind the store accepts, in a fixed order.
func Kinds() []Kind {
	return []Kind{
		KindRunStarted, KindStepStarted, KindStepFinished, KindRunFinished, KindRunInterrupted,
		KindApprovalRequested, KindApprovalGranted, KindApprovalDenied, KindApprovalClosed,
		KindAuditFinding, KindAuditFinished, KindRestoreTestDone, KindChatReceived,
		KindScheduleFired, KindWatchLook, KindWatchAlert, KindRunReported,
	}
}

// Known reports whether k is one of Kinds.
func (k Kind) Known() bool {
	for _, known := range Kinds() {
		if k == known {
			return true
		}
	}
	return false
}

// runScoped reports whether events of kind k belong to a run that must have
// been started (and not yet ended) when they are appended.
func (k Kind) runScoped() bool {
	switch k {
	case KindStepStarted, KindStepFinished, KindRunFinished, KindRunInterrupted:
		return true
	}
	return false
}

// Run statuses as shown by the Runs view.
const (
	StatusRunning     = "running"
	StatusSucceeded   = "succeeded"
	StatusFailed      = "failed"
	StatusRefused     = "refused"
	StatusCancelled   = "cancelled"
	StatusInterrupted = "interrupted"
)

// finalStatus reports whether s may be the status of a run.finished event.
// "interrupted" is not: that is what run.interrupted is for.
func finalStatus(s string) bool {
	switch s {
	case StatusSucceeded, StatusFailed, StatusRefused, StatusCancelled:
		return true
	}
	return false
}

// Limits on what one event may carry. The caller caps step output well
// below MaxDataBytes; the store refuses anything larger rather than let a
// runaway payload bloat the log.
const (
	MaxDataBytes  = 1 << 20
	MaxFieldBytes = 1024 // RunID, Target, Actor, Key
)

// Event is one entry of the append-only, hash-chained log.
type Event struct {
	Seq      uint64          `json:"seq"`       // assigned by the store, 1-based, gapless
	Time     time.Time       `json:"time"`      // UTC; assigned by the store's clock unless set
	Kind     Kind            `json:"kind"`      // one of Kinds
	RunID    string          `json:"run_id"`    // "" for events outside a run
	Target   string          `json:"target"`    // server the event is about, as the caller names it
	Actor    string          `json:"actor"`     // chat user id, "cli:<user>", "scheduler", "wsbbot"
	Key      string          `json:"key"`       // idempotency key; "" for none
	Data     json.RawMessage `json:"data"`      // kind-specific JSON object, compacted; nil for none
	PrevHash string          `json:"prev_hash"` // Hash of the event before ("" for Seq 1)
	Hash     string          `json:"hash"`      // ComputeHash of this event
}

// ComputeHash returns the hex SHA-256 over a canonical encoding of every
// field of e except Hash: a version tag, then Seq, Time (Unix seconds and
// nanoseconds), Kind, RunID, Target, Actor, Key, Data and PrevHash, each
// string as a big-endian length followed by its bytes. The encoding is
// independent of how the event is stored, so anyone can recompute it.
func (e Event) ComputeHash() string {
	h := sha256.New()
	var buf [8]byte
	u64 := func(v uint64) {
		binary.BigEndian.PutUint64(buf[:], v)
		h.Write(buf[:])
	}
	str := func(s []byte) {
		u64(uint64(len(s)))
		h.Write(s)
	}
	str([]byte("wsbbot.store.event.v1"))
	u64(e.Seq)
	t := e.Time.UTC()
	u64(uint64(t.Unix()))
	u64(uint64(t.Nanosecond()))
	str([]byte(e.Kind))
	str([]byte(e.RunID))
	str([]byte(e.Target))
	str([]byte(e.Actor))
	str([]byte(e.Key))
	str(e.Data)
	str([]byte(e.PrevHash))
	return hex.EncodeToString(h.Sum(nil))
}

// Filter selects events. Zero fields match everything. Events come back in
// Seq order; Limit > 0 keeps the first Limit matches after AfterSeq, so a
// caller pages by passing the last Seq it saw as AfterSeq; Last > 0 keeps
// the last Last matches instead (the newest, still in Seq order), so a
// caller that needs only the latest state reads it without the history.
type Filter struct {
	RunID    string
	Target   string
	Kinds    []Kind // any of these; empty for all
	AfterSeq uint64
	Limit    int
	Last     int
}

func (f Filter) validate() error {
	if f.Limit < 0 {
		return fmt.Errorf("%w: negative limit %d", ErrInvalid, f.Limit)
	}
	if f.Last < 0 {
		return fmt.Errorf("%w: negative last %d", ErrInvalid, f.Last)
	}
	if f.Limit > 0 && f.Last > 0 {
		return fmt.Errorf("%w: both the first %d and the last %d events asked for", ErrInvalid, f.Limit, f.Last)
	}
	return nil
}

func (f Filter) match(e Event) bool {
	if e.Seq <= f.AfterSeq {
		return false
	}
	if f.RunID != "" && e.RunID != f.RunID {
		return false
	}
	if f.Target != "" && e.Target != f.Target {
		return false
	}
	if len(f.Kinds) == 0 {
		return true
	}
	for _, k := range f.Kinds {
		if e.Kind == k {
			return true
		}
	}
	return false
}

// RunFilter selects runs. Zero fields match everything. Runs come back
// newest first (by the Seq of their run.started); Limit > 0 keeps the
// newest Limit matches.
type RunFilter struct {
	ID      string
	Target  string
	Runbook string
	Status  string
	Limit   int
}

func (f RunFilter) validate() error {
	if f.Limit < 0 {
		return fmt.Errorf("%w: negative limit %d", ErrInvalid, f.Limit)
	}
	return nil
}

func (f RunFilter) match(r RunSummary) bool {
	return (f.ID == "" || r.ID == f.ID) &&
		(f.Target == "" || r.Target == f.Target) &&
		(f.Runbook == "" || r.Runbook == f.Runbook) &&
		(f.Status == "" || r.Status == f.Status)
}

// RunSummary is one row of the Runs view, derived from a run's events.
type RunSummary struct {
	ID       string    `json:"id"`
	Runbook  string    `json:"runbook"`
	Target   string    `json:"target"`
	Actor    string    `json:"actor"`   // who started the run
	Status   string    `json:"status"`  // one of the Status constants
	Summary  string    `json:"summary"` // run.finished summary or run.interrupted reason
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"` // zero while running
	Steps    int       `json:"steps"`    // step.finished events so far
	StartSeq uint64    `json:"start_seq"`
	LastSeq  uint64    `json:"last_seq"`        // Seq of the run's latest run.* or step.* event
	Owner    *Owner    `json:"owner,omitempty"` // the process carrying the run out; nil when not recorded
}

// Problem says what Verify found wrong with the chain.
type Problem string

// The problems Verify reports.
const (
	ProblemNone      Problem = ""
	ProblemGap       Problem = "gap"         // an event is missing: the next stored Seq skips
	ProblemLink      Problem = "broken link" // PrevHash differs from the previous event's Hash
	ProblemTampered  Problem = "tampered"    // the stored Hash differs from the recomputed one
	ProblemDecode    Problem = "undecodable" // the stored record cannot be read
	ProblemTruncated Problem = "truncated"   // the store's recorded head is beyond the last event
	ProblemHead      Problem = "head mismatch"
)

// VerifyReport is the result of walking the chain.
type VerifyReport struct {
	OK        bool
	Checked   uint64 // events found intact before the first problem (all, when OK)
	HeadSeq   uint64 // Seq of the last intact event
	HeadHash  string // its Hash: publish it somewhere else to anchor the chain
	BrokenSeq uint64 // first Seq that is broken or missing; 0 when OK
	Problem   Problem
	Detail    string
}

// String renders the report for logs and chat.
func (r VerifyReport) String() string {
	if r.OK {
		return fmt.Sprintf("chain OK: %d events, head %d %s", r.Checked, r.HeadSeq, r.HeadHash)
	}
	return fmt.Sprintf("chain broken at seq %d (%s): %s; %d events intact before it", r.BrokenSeq, r.Problem, r.Detail, r.Checked)
}

// Store is the durable record of everything wsbbot does.
type Store interface {
	// Append validates e, and assigns Seq, Time (unless set), PrevHash and
	// Hash atomically. If an event with the same non-empty Key was
	// appended before, it returns that earlier event and appends nothing.
	Append(ctx context.Context, e Event) (Event, error)
	// AppendMany appends events in order in one transaction (one write
	// to disk): all of them or, when one is refused, none. Each behaves
	// as Append would, idempotency keys included (also between events of
	// the batch). It returns the stored events in order.
	AppendMany(ctx context.Context, events []Event) ([]Event, error)
	// Events returns the events matching f in Seq order.
	Events(ctx context.Context, f Filter) ([]Event, error)
	// Runs returns one row per run matching f, newest first.
	Runs(ctx context.Context, f RunFilter) ([]RunSummary, error)
	// NewRunID returns a short run id, unique in this store and sortable
	// in the order the ids were issued.
	NewRunID(ctx context.Context) (string, error)
	// LastRestoreTest returns the latest restore-test date recorded for
	// target (latest by date, not by when it was recorded).
	LastRestoreTest(ctx context.Context, target string) (time.Time, bool, error)
	// LastRestoreTests is LastRestoreTest for many targets in one read:
	// the targets with a recorded restore test, mapped to its date.
	LastRestoreTests(ctx context.Context, targets []string) (map[string]time.Time, error)
	// Verify walks the chain, recomputing every hash and link.
	Verify(ctx context.Context) (VerifyReport, error)
	// MarkSeen records the chat's dedupe keys (a Slack event id, the
	// channel and ts of a post) and reports for each whether it was new:
	// of callers marking one key, also in other processes or after a
	// restart, exactly one gets true; a key given twice in one call is
	// new the first time only. The key of a chat.received event
	// (ChatReceivedKeyPrefix+key, recorded by an older wsbbot) counts as
	// seen. The keys are a set beside the log, not events: MarkSeen is
	// cheap enough to wait for before each reply. Durability: SQLite
	// commits them without a sync of their own, so a key MarkSeen
	// returned survives the process's crash (SIGKILL), and the keys of
	// the last moments before a power loss or an operating-system crash
	// may be lost; bbolt syncs each call.
	MarkSeen(ctx context.Context, keys []string) (fresh []bool, err error)
	// ForgetSeen forgets the keys MarkSeen recorded before the given
	// time (to the second); it may forget the keys of chat.received
	// events recorded before it as well.
	ForgetSeen(ctx context.Context, before time.Time) error
	Close() error
}

// Errors callers can branch on with errors.Is.
var (
	// ErrInvalid: the event or filter is malformed (unknown kind, bad Data, ...).
	ErrInvalid = errors.New("invalid event")
	// ErrRunState: the event does not fit the run's state (a step for an
	// unknown run, a second run.started, anything after the run ended).
	ErrRunState = errors.New("event does not fit the run's state")
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("store closed")
	// ErrLocked: another process holds the store file.
	ErrLocked = errors.New("store file is locked by another process")
	// ErrSchemaTooNew: the file was written by a newer wsbbot.
	ErrSchemaTooNew = errors.New("store schema is newer than this wsbbot")
)

// prepare validates e and returns it normalised: Time in UTC, Data
// compacted (nil when empty). Seq, PrevHash and Hash must be unset.
func prepare(e Event) (Event, error) {
	bad := func(format string, args ...any) (Event, error) {
		return Event{}, fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
	}
	if e.Seq != 0 || e.PrevHash != "" || e.Hash != "" {
		return bad("Seq, PrevHash and Hash are assigned by the store and must be empty")
	}
	if e.Kind == "" {
		return bad("empty kind")
	}
	if !e.Kind.Known() {
		return bad("unknown kind %q", e.Kind)
	}
	for _, f := range []struct{ name, v string }{{"run id", e.RunID}, {"target", e.Target}, {"actor", e.Actor}, {"key", e.Key}} {
		if len(f.v) > MaxFieldBytes {
			return bad("%s longer than %d bytes", f.name, MaxFieldBytes)
		}
		if !utf8.ValidString(f.v) {
			return bad("%s is not valid UTF-8", f.name)
		}
	}
	if !e.Time.IsZero() {
		e.Time = e.Time.UTC()
		if y := e.Time.Year(); y < 1 || y > 9999 {
			return bad("time %s outside years 1-9999", e.Time)
		}
	}
	if len(e.Data) == 0 {
		e.Data = nil
	} else {
		if len(e.Data) > MaxDataBytes {
			return bad("data is %d bytes, more than %d", len(e.Data), MaxDataBytes)
		}
		// Compact checks the syntax as it goes (a second scan by
		// json.Valid would only repeat it), not the UTF-8.
		var buf bytes.Buffer
		buf.Grow(len(e.Data))
		if !utf8.Valid(e.Data) || json.Compact(&buf, e.Data) != nil {
			return bad("data is not valid UTF-8 JSON")
		}
		if buf.Bytes()[0] != '{' {
			return bad("data must be a JSON object")
		}
		e.Data = json.RawMessage(buf.Bytes())
	}
	if err := checkPayload(e); err != nil {
		return Event{}, fmt.Errorf("%w: %s: %w", ErrInvalid, e.Kind, err)
	}
	return e, nil
}

// checkPayload checks the fields each kind needs.
func checkPayload(e Event) error {
	if e.Kind == KindRunStarted || e.Kind.runScoped() {
		if e.RunID == "" {
			return errors.New("run id required")
		}
	}
	switch e.Kind {
	case KindRunStarted:
		p, err := Decode[RunStarted](e)
		if err != nil {
			return err
		}
		if p.Runbook == "" || p.PlanHash == "" {
			return errors.New(`data needs "runbook" and "plan_hash"`)
		}
	case KindRunFinished:
		p, err := Decode[RunFinished](e)
		if err != nil {
			return err
		}
		if !finalStatus(p.Status) {
			return fmt.Errorf("status %q is not succeeded, failed, refused or cancelled", p.Status)
		}
	case KindRunInterrupted:
		p, err := Decode[RunInterrupted](e)
		if err != nil {
			return err
		}
		if p.Reason == "" {
			return errors.New(`data needs "reason"`)
		}
	case KindStepStarted:
		p, err := Decode[StepStarted](e)
		if err != nil {
			return err
		}
		if p.Step == "" {
			return errors.New(`data needs "step"`)
		}
	case KindStepFinished:
		p, err := Decode[StepFinished](e)
		if err != nil {
			return err
		}
		if p.Step == "" || p.Status == "" {
			return errors.New(`data needs "step" and "status"`)
		}
	case KindRestoreTestDone:
		if e.Target == "" {
			return errors.New("target required")
		}
		p, err := Decode[RestoreTestDone](e)
		if err != nil {
			return err
		}
		if _, err := p.date(); err != nil {
			return err
		}
	}
	return nil
}
