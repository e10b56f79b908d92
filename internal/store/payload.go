package store

import (
	"encoding/json"
	"fmt"
	"time"
)

// Typed payloads for the kinds whose Data the store reads. Each has an
// Event method that builds the event so callers never hand-write JSON;
// set Key (and Time, if it is not "now") on the result before Append.

// RunStarted is the Data of a run.started event. PlanHash is the hash of
// the plan the approval was bound to (or, starting "none:", why no plan
// was); Approvers and Approval say who allowed the run's changes and how
// ("--yes on the command line", "confirmed in the console", ...). Both are
// omitted when nobody approved anything, so events written before they
// existed read and hash exactly as before.
type RunStarted struct {
	Runbook   string            `json:"runbook"`
	Params    map[string]string `json:"params"`
	PlanHash  string            `json:"plan_hash"`
	Approvers []string          `json:"approvers,omitempty"`
	Approval  string            `json:"approval,omitempty"`
	// Request is the id of the approval request (in chat) the run was
	// started from; "" for a run approved otherwise.
	Request string `json:"request,omitempty"`
	// CleanupOf is the id of the interrupted run whose cleanup this run
	// is; "" for any other run.
	CleanupOf string `json:"cleanup_of,omitempty"`
	// Owner is the process carrying out the run: the next wsbbot to open
	// the record marks the run interrupted only once that process is gone.
	// Omitted (nil) in runs recorded before owners were.
	Owner *Owner `json:"owner,omitempty"`
}

// Event returns the run.started event for run runID on target.
func (p RunStarted) Event(runID, target, actor string) Event {
	if p.Params == nil {
		p.Params = map[string]string{}
	}
	return Event{Kind: KindRunStarted, RunID: runID, Target: target, Actor: actor, Data: mustJSON(p)}
}

// StepStarted is the Data of a step.started event, appended before the
// step's command is sent, so a crash while it runs leaves in the record
// what was in flight. Script and Params are the command exactly as sent
// (see runbooks.RenderedStep); Mode is "change" or "read-only". They are
// omitted in events recorded before they existed.
type StepStarted struct {
	Step   string `json:"step"`
	Phase  string `json:"phase,omitempty"`
	Mode   string `json:"mode,omitempty"`
	Shell  string `json:"shell,omitempty"`
	Script string `json:"script,omitempty"`
	Params string `json:"params,omitempty"`
}

// Event returns the step.started event for run runID on target.
func (p StepStarted) Event(runID, target, actor string) Event {
	return Event{Kind: KindStepStarted, RunID: runID, Target: target, Actor: actor, Data: mustJSON(p)}
}

// StepFinished is the Data of a step.finished event. Output is already
// capped by the caller (see MaxDataBytes).
type StepFinished struct {
	Step       string `json:"step"`
	Status     string `json:"status"`
	ExitCode   int    `json:"exit_code"`
	DurationMS int64  `json:"duration_ms"`
	Output     string `json:"output"`
}

// Event returns the step.finished event for run runID on target.
func (p StepFinished) Event(runID, target, actor string) Event {
	return Event{Kind: KindStepFinished, RunID: runID, Target: target, Actor: actor, Data: mustJSON(p)}
}

// RunFinished is the Data of a run.finished event. Status is one of
// StatusSucceeded, StatusFailed, StatusRefused or StatusCancelled.
type RunFinished struct {
	Status  string `json:"status"`
	Summary string `json:"summary"`
}

// Event returns the run.finished event for run runID on target.
func (p RunFinished) Event(runID, target, actor string) Event {
	return Event{Kind: KindRunFinished, RunID: runID, Target: target, Actor: actor, Data: mustJSON(p)}
}

// RunInterrupted is the Data of a run.interrupted event.
type RunInterrupted struct {
	Reason string `json:"reason"`
}

// Event returns the run.interrupted event for run runID on target.
func (p RunInterrupted) Event(runID, target, actor string) Event {
	return Event{Kind: KindRunInterrupted, RunID: runID, Target: target, Actor: actor, Data: mustJSON(p)}
}

// RestoreTestDone is the Data of a restore-test.done event: the day a
// restore test was performed on the target, as YYYY-MM-DD.
type RestoreTestDone struct {
	Date string `json:"date"`
}

// RestoreTestOn returns the payload for a restore test on day d (its
// calendar date as written, whatever its location).
func RestoreTestOn(d time.Time) RestoreTestDone {
	return RestoreTestDone{Date: d.Format(time.DateOnly)}
}

// Event returns the restore-test.done event for target.
func (p RestoreTestDone) Event(target, actor string) Event {
	return Event{Kind: KindRestoreTestDone, Target: target, Actor: actor, Data: mustJSON(p)}
}

func (p RestoreTestDone) date() (time.Time, error) {
	d, err := time.Parse(time.DateOnly, p.Date)
	if err != nil {
		return time.Time{}, fmt.Errorf("date %q is not YYYY-MM-DD", p.Date)
	}
	return d, nil
}

// NewEvent returns an event of kind with v marshalled as its Data, for the
// kinds without a typed payload here (approvals, audit findings). v must
// marshal to a JSON object.
func NewEvent(kind Kind, runID, target, actor string, v any) (Event, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return Event{}, fmt.Errorf("marshal %s data: %w", kind, err)
	}
	return Event{Kind: kind, RunID: runID, Target: target, Actor: actor, Data: data}, nil
}

// Decode unmarshals e.Data into a T (empty Data gives the zero T).
func Decode[T any](e Event) (T, error) {
	var v T
	if len(e.Data) == 0 {
		return v, nil
	}
	if err := json.Unmarshal(e.Data, &v); err != nil {
		return v, fmt.Errorf("decode %s data: %w", e.Kind, err)
	}
	return v, nil
}

// mustJSON marshals the payload structs above, whose fields (strings,
// integers, a string map) always marshal.
func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("store: marshal %T: %v", v, err))
	}
	return b
}
