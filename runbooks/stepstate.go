package runbooks

// stepState is what a run knows of one step so far: what expressions of
// later steps (when, foreach, with, expect, report, cleanup) read as
// steps.<id>.
type stepState struct {
	// ran means a command of the step was sent: a change that timed out
	// may have happened, and cleanup must assume it did.
	ran bool
	// status is "not-run" until the step starts, then a StepStatus.
	status string
	passed bool
	// result is the last sent iteration's parsed output, results every
	// sent iteration's; report is the last iteration's report values; all
	// as JSON values.
	result   any
	results  []any
	exitCode int
	report   any
}

// stepStatusNotRun is the status of a step that has not started.
const stepStatusNotRun = "not-run"

func newStepState() *stepState {
	return &stepState{status: stepStatusNotRun, results: []any{}}
}

// stepFields declares, once, what steps.<id> holds for expressions: each
// field's name, in the order messages list them, and how it reads from a
// stepState; a field that is not set yet (ok false) is absent, so it reads
// as null until the step has sent a command.
var stepFields = []struct {
	name string
	get  func(s *stepState) (v any, ok bool)
}{
	{"ran", func(s *stepState) (any, bool) { return s.ran, true }},
	{"status", func(s *stepState) (any, bool) { return s.status, true }},
	{"passed", func(s *stepState) (any, bool) { return s.passed, true }},
	{"result", func(s *stepState) (any, bool) { return s.result, s.ran }},
	{"results", func(s *stepState) (any, bool) { return s.results, true }},
	{"exit_code", func(s *stepState) (any, bool) { return float64(s.exitCode), s.ran }},
	{"report", func(s *stepState) (any, bool) { return s.report, s.ran }},
}

// stepFieldNames lists the names of stepFields.
func stepFieldNames() []string {
	out := make([]string, len(stepFields))
	for i, f := range stepFields {
		out[i] = f.name
	}
	return out
}

// view is the step as expressions read it: a JSON object.
func (s *stepState) view() map[string]any {
	v := make(map[string]any, len(stepFields))
	for _, f := range stepFields {
		if x, ok := f.get(s); ok {
			v[f.name] = x
		}
	}
	return v
}

// sent takes in the outcome of one sent iteration.
func (s *stepState) sent(sr StepResult) {
	s.ran = true
	s.exitCode = sr.ExitCode
	s.result, _ = jsonValue(sr.Parsed)
	s.results = append(s.results, s.result)
	s.report, _ = jsonValue(sr.Report)
}

// end sets how the step stands.
func (s *stepState) end(status StepStatus, passed bool) {
	s.status, s.passed = string(status), passed
}
